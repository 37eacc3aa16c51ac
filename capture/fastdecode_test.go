package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// decodeBoth decodes frame with the fast path on and with gopacket alone,
// each with a decoder and a Packet of its own, and fails when the two
// packets differ in any field, in where the payload lies in the frame, or in
// whether the frame is malformed. It reports whether the fast path took it.
func decodeBoth(t *testing.T, what string, frame []byte, lt layers.LinkType, wireLen int) (fast bool) {
	t.Helper()
	frame = bytes.Clone(frame)[:len(frame):len(frame)]
	fastDec, slowDec := newFrameDecoder(), newFrameDecoder()
	slowDec.gopacketOnly = true
	var a, b Packet
	a.Len, b.Len = wireLen, wireLen
	var probe Packet
	probe.Len = wireLen
	fast = fastDec.decodeFast(&probe, frame, lt)
	ma := fastDec.decode(&a, frame, lt)
	mb := slowDec.decode(&b, frame, lt)
	if ma != mb {
		t.Fatalf("%s: malformed %v with the fast path, %v with gopacket alone (fast path took it: %v)", what, ma, mb, fast)
	}
	if len(a.Payload) > 0 || len(b.Payload) > 0 {
		if offsetIn(frame, a.Payload) != offsetIn(frame, b.Payload) || len(a.Payload) != len(b.Payload) {
			t.Fatalf("%s: payload at %d (%d bytes) with the fast path, at %d (%d bytes) with gopacket alone",
				what, offsetIn(frame, a.Payload), len(a.Payload), offsetIn(frame, b.Payload), len(b.Payload))
		}
	}
	a.Payload, b.Payload = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s: the fast path decodes\n%+v\ngopacket alone\n%+v", what, a, b)
	}
	return fast
}

// TestFastDecodeMatchesGopacket: on every frame of the corpus (several link
// types, IPv4 and IPv6, VLANs, tunnels, fragments, damage), and on every
// prefix of a TCP frame of each family, the fast path gives exactly what
// gopacket's layers give; and it does take nearly every TCP frame of the
// lab's real captures, so the comparison is not vacuous.
func TestFastDecodeMatchesGopacket(t *testing.T) {
	files, _ := filepath.Glob("../pcaps/*/*.pcap*")
	more, _ := filepath.Glob("../pcaps/*/*/*.pcap*")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("only %d captures found in ../pcaps", len(files))
	}
	var frames, fastFrames, labTCP, labFast int
	var cut4, cut6 []byte
	for _, name := range files {
		src, err := OpenFiles([]string{name}, FileOptions{})
		if err != nil {
			continue // a capture the corpus keeps for its open error
		}
		fs := src.(frameSource)
		lab := filepath.Base(filepath.Dir(name)) != "handmade" && filepath.Base(filepath.Dir(name)) != "broken"
		for {
			f, err := fs.nextFrame()
			if errors.Is(err, io.EOF) || err != nil {
				break
			}
			frames++
			what := name + " frame " + itoa(f.FileNum)
			fast := decodeBoth(t, what, f.Data, f.Link, f.Info.Length)
			if fast {
				fastFrames++
			}
			var p Packet
			p.Len = f.Info.Length
			newFrameDecoder().decode(&p, bytes.Clone(f.Data), f.Link)
			if p.Kind == KindTCP && lab {
				labTCP++
				if fast {
					labFast++
				}
			}
			if fast && len(p.Payload) > 0 && f.Link == layers.LinkTypeEthernet {
				switch binary.BigEndian.Uint16(f.Data[12:14]) {
				case 0x0800:
					cut4 = bytes.Clone(f.Data)
				case 0x86dd:
					cut6 = bytes.Clone(f.Data)
				}
			}
		}
		src.Close()
	}
	if labTCP == 0 || labFast*100 < labTCP*95 {
		t.Fatalf("the fast path took %d of the lab captures' %d TCP frames: expected nearly all", labFast, labTCP)
	}
	t.Logf("%d frames compared, %d on the fast path; lab TCP frames: %d of %d", frames, fastFrames, labFast, labTCP)
	if cut4 == nil || cut6 == nil {
		t.Fatal("no IPv4 or no IPv6 TCP frame with a payload in the corpus to cut")
	}
	for _, frame := range [][]byte{cut4, cut6} {
		for k := 0; k <= len(frame); k++ {
			decodeBoth(t, "frame cut at "+itoa(uint64(k)), frame[:k], layers.LinkTypeEthernet, len(frame))
			if k >= 14 {
				decodeBoth(t, "raw IP cut at "+itoa(uint64(k)), frame[14:k], layers.LinkTypeRaw, len(frame)-14)
			}
		}
	}
}

// TestFastDecodeOddHeaders: frames the fast path must leave to gopacket, or
// decode exactly as gopacket does: IP options, fragments, lengths that lie,
// a TSO length of 0, data offsets out of range, other protocols, a version
// nibble that contradicts the link type.
func TestFastDecodeOddHeaders(t *testing.T) {
	base4 := data4.ether(t)
	base6 := data6.ether(t)
	set := func(b []byte, off int, v ...byte) []byte {
		c := bytes.Clone(b)
		copy(c[off:], v)
		return c
	}
	be16 := func(n int) []byte { return []byte{byte(n >> 8), byte(n)} }
	ipLen4 := int(binary.BigEndian.Uint16(base4[16:18]))
	cases := []struct {
		name  string
		frame []byte
		lt    layers.LinkType
	}{
		{"plain v4", base4, layers.LinkTypeEthernet},
		{"plain v6", base6, layers.LinkTypeEthernet},
		{"v4 with padding", append(bytes.Clone(base4), 0, 0, 0, 0, 0, 0), layers.LinkTypeEthernet},
		{"v6 with a trailer", append(bytes.Clone(base6), 1, 2, 3, 4), layers.LinkTypeEthernet},
		{"v4 IHL 6", set(base4, 14, 0x46), layers.LinkTypeEthernet},
		{"v4 IHL 4", set(base4, 14, 0x44), layers.LinkTypeEthernet},
		{"v4 version 6", set(base4, 14, 0x65), layers.LinkTypeEthernet},
		{"v4 more fragments", set(base4, 20, 0x20, 0), layers.LinkTypeEthernet},
		{"v4 fragment offset", set(base4, 20, 0, 8), layers.LinkTypeEthernet},
		{"v4 don't fragment", set(base4, 20, 0x40, 0), layers.LinkTypeEthernet},
		{"v4 length 0 (TSO)", set(base4, 16, 0, 0), layers.LinkTypeEthernet},
		{"v4 length 19", set(base4, 16, be16(19)...), layers.LinkTypeEthernet},
		{"v4 length 20", set(base4, 16, be16(20)...), layers.LinkTypeEthernet},
		{"v4 length inside the TCP header", set(base4, 16, be16(30)...), layers.LinkTypeEthernet},
		{"v4 length short of the payload", set(base4, 16, be16(ipLen4-3)...), layers.LinkTypeEthernet},
		{"v4 length beyond the frame", set(base4, 16, be16(ipLen4+100)...), layers.LinkTypeEthernet},
		{"v4 UDP", set(base4, 23, 17), layers.LinkTypeEthernet},
		{"v4 data offset 4", set(base4, 34+12, 0x40), layers.LinkTypeEthernet},
		{"v4 data offset 15", set(base4, 34+12, 0xf0), layers.LinkTypeEthernet},
		{"v4 bad option length", set(base4, 34+12, 0x60), layers.LinkTypeEthernet},
		{"v6 length 0", set(base6, 18, 0, 0), layers.LinkTypeEthernet},
		{"v6 length 3", set(base6, 18, 0, 3), layers.LinkTypeEthernet},
		{"v6 length beyond the frame", set(base6, 18, 0xff, 0xff), layers.LinkTypeEthernet},
		{"v6 hop-by-hop", set(base6, 20, 0), layers.LinkTypeEthernet},
		{"v6 version 4", set(base6, 14, 0x45), layers.LinkTypeEthernet},
		{"v4 as LinkTypeIPv6", base4[14:], layers.LinkTypeIPv6},
		{"v6 as LinkTypeIPv4", base6[14:], layers.LinkTypeIPv4},
		{"v4 raw", base4[14:], layers.LinkTypeRaw},
		{"v6 raw DLT 12", base6[14:], linkTypeRawDLT12},
		{"v4 LinkTypeIPv4", base4[14:], layers.LinkTypeIPv4},
		{"v6 LinkTypeIPv6", base6[14:], layers.LinkTypeIPv6},
		{"empty raw", nil, layers.LinkTypeRaw},
		{"LLC length", set(base4, 12, 0, 60), layers.LinkTypeEthernet},
	}
	fast := 0
	for _, c := range cases {
		if decodeBoth(t, c.name, c.frame, c.lt, len(c.frame)) {
			fast++
		}
	}
	if fast < 8 {
		t.Fatalf("the fast path took only %d of the cases", fast)
	}
}
