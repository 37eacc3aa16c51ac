package capture

import (
	"slices"

	"bytes"
	"encoding/binary"
	"errors"
	"github.com/ftpscope/ftpscope/craft"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// decoded is what a test compares of a decoded Packet: every protocol field,
// with the payload copied (the Packet aliases the frame).
type decoded struct {
	malformed        bool
	kind             Kind
	src, dst         string
	flags            TCPFlags
	seq, ack         uint32
	window           uint16
	payload          string
	payloadLen       int
	ttl              uint8
	ipid             uint16
	icmp             ICMPError
	hasTCP           bool
	payloadInFrame   bool
	payloadFrameTail bool
}

func snapshot(p *Packet, frame []byte, malformed bool) decoded {
	d := decoded{
		malformed: malformed, kind: p.Kind, flags: p.Flags, seq: p.Seq, ack: p.Ack, window: p.Window,
		payload: string(p.Payload), payloadLen: p.PayloadLen, ttl: p.TTL, ipid: p.IPID, icmp: p.ICMP,
		hasTCP: p.Kind == KindTCP,
	}
	if p.Src.IsValid() {
		d.src = p.Src.String()
	}
	if p.Dst.IsValid() {
		d.dst = p.Dst.String()
	}
	if len(p.Payload) > 0 {
		off := offsetIn(frame, p.Payload)
		d.payloadInFrame = off >= 0 && off+len(p.Payload) <= len(frame)
	}
	return d
}

// fuzzLinkTypes are the link types the fuzzer picks from by index, so that
// every parser is reached (a raw uint16 would almost never hit them).
var fuzzLinkTypes = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeNull,
	layers.LinkTypeLoop, layers.LinkTypeRaw, linkTypeRawDLT12, linkTypeRawDLT14, layers.LinkTypeIPv4,
	layers.LinkTypeIPv6, layers.LinkTypeIEEE802_11, 0xffff,
}

// FuzzDecode feeds arbitrary frames of every supported link type to the
// frame decoder. Properties: no panic; a TCP packet has valid endpoints of
// one family, a payload inside the frame and no longer than PayloadLen; an
// ICMP packet has valid quoted endpoints; a packet of any other kind carries
// no leftover TCP or ICMP fields; the decoder and the Packet are reused
// between frames, and the result must not depend on what was decoded
// before (stale layer or packet state); the fast path decodes it exactly
// as gopacket's layers do; and cutting a TCP frame anywhere
// after its TCP header (a small snap length) keeps the segment, its
// PayloadLen and a prefix of its payload.
func FuzzDecode(f *testing.F) {
	ip4, ip6 := data4.ipPacket(f), data6.ipPacket(f)
	quote := syn("192.0.2.1:40000", "198.51.100.2:20").ipPacket(f)[:28]
	icmp4 := serialize(f,
		&layers.IPv4{Version: 4, TTL: 250, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP{203, 0, 113, 1}, DstIP: net.IP{192, 0, 2, 1}},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)}, gopacket.Payload(quote))
	seeds := []struct {
		lt    int
		frame []byte
	}{
		{0, data4.ether(f)},
		{0, data6.ether(f, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q)},
		{0, data4.ether(f, 0x9100)},
		{1, sllFrame(ip4, layers.EthernetTypeIPv4)},
		{2, sll2Frame(ip6, layers.EthernetTypeIPv6)},
		{3, loopFrame(ip4, 2, binary.LittleEndian)},
		{4, loopFrame(ip6, 24, binary.BigEndian)},
		{5, ip4},
		{6, ip4},
		{7, ip6},
		{8, ip4},
		{9, ip6},
		{5, icmp4},
	}
	for _, e := range []craft.Encap{craft.GRE, craft.MPLS, craft.PPPoE, craft.VXLAN} {
		for _, ip := range [][]byte{ip4, ip6} {
			w, err := craft.Wrap(e, ip)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, struct {
				lt    int
				frame []byte
			}{0, w})
		}
	}
	for _, s := range seeds {
		f.Add(uint8(s.lt), s.frame, uint16(len(s.frame)))
	}
	other := data6.ether(f)
	f.Fuzz(func(t *testing.T, lti uint8, frame []byte, cut uint16) {
		lt := fuzzLinkTypes[int(lti)%len(fuzzLinkTypes)]
		// The frame in a buffer of its own length, as the readers hand it out:
		// offsetIn relies on the capacity ending with the frame.
		frame = bytes.Clone(frame)[:len(frame):len(frame)]

		fresh := Packet{Len: len(frame)}
		m := newFrameDecoder().decode(&fresh, frame, lt)
		want := snapshot(&fresh, frame, m)
		checkDecoded(t, want, len(frame))

		// The same frame through a decoder and a Packet that decoded other
		// frames first must give the same result.
		d := newFrameDecoder()
		var p Packet
		p.Len = len(other)
		d.decode(&p, other, layers.LinkTypeEthernet)
		p.Len = len(frame)
		d.decode(&p, frame, lt)
		p.Len = len(other)
		d.decode(&p, other, layers.LinkTypeEthernet)
		p.Len = len(frame)
		m = d.decode(&p, frame, lt)
		if got := snapshot(&p, frame, m); got != want {
			t.Fatalf("link type %d: reused decoder gives\n%+v\nfresh decoder gives\n%+v", lt, got, want)
		}

		// The fast path and gopacket alone agree on every field.
		decodeBoth(t, "fuzzed frame", frame, lt, len(frame))

		// A snap length that cuts the payload keeps the segment.
		if want.kind != KindTCP || want.payloadLen != len(want.payload) || len(want.payload) == 0 {
			return
		}
		start := offsetIn(frame, fresh.Payload)
		k := start + int(cut)%(len(want.payload)+1)
		short := bytes.Clone(frame[:k])[:k:k]
		q := Packet{Len: len(frame)} // the wire length: the frame was cut by the snap length
		m = newFrameDecoder().decode(&q, short, lt)
		got := snapshot(&q, short, m)
		if got.kind != KindTCP || got.src != want.src || got.dst != want.dst || got.seq != want.seq ||
			got.payloadLen != want.payloadLen || !strings.HasPrefix(want.payload, got.payload) || len(got.payload) != k-start {
			t.Fatalf("link type %d: frame cut at %d of %d (payload at %d) decodes as\n%+v\nwhole frame as\n%+v", lt, k, len(frame), start, got, want)
		}
	})
}

func checkDecoded(t *testing.T, d decoded, frameLen int) {
	t.Helper()
	switch d.kind {
	case KindTCP:
		if d.malformed {
			t.Fatalf("TCP packet reported malformed: %+v", d)
		}
		if d.src == "" || d.dst == "" {
			t.Fatalf("TCP packet without endpoints: %+v", d)
		}
		if strings.HasPrefix(d.src, "[") != strings.HasPrefix(d.dst, "[") {
			t.Fatalf("TCP packet mixes IPv4 and IPv6 endpoints: %+v", d)
		}
		if d.payloadLen < len(d.payload) || d.payloadLen < 0 {
			t.Fatalf("PayloadLen %d below the %d captured payload bytes", d.payloadLen, len(d.payload))
		}
		if len(d.payload) > 0 && !d.payloadInFrame {
			t.Fatalf("payload does not alias the frame")
		}
		if len(d.payload) > frameLen || !d.hasTCP {
			t.Fatalf("TCP packet inconsistent: %+v", d)
		}
	case KindICMP:
		e := d.icmp
		if !e.Src.IsValid() || !e.Dst.IsValid() || !e.From.IsValid() || !e.To.IsValid() {
			t.Fatalf("ICMP error without quoted endpoints: %+v", e)
		}
		if e.Src.Addr().Is4() != e.Dst.Addr().Is4() || e.V6 == e.From.Is4() {
			t.Fatalf("ICMP error mixes families: %+v", e)
		}
		if d.src != "" || d.payload != "" || d.hasTCP {
			t.Fatalf("ICMP packet with TCP fields left over: %+v", d)
		}
	default:
		if d.src != "" || d.dst != "" || d.payload != "" || d.payloadLen != 0 || d.hasTCP ||
			d.flags != 0 || d.seq != 0 || d.icmp != (ICMPError{}) || d.ttl != 0 || d.ipid != 0 {
			t.Fatalf("packet of kind other with fields left over: %+v", d)
		}
	}
}

// FuzzOpen reads arbitrary bytes as a capture on standard input, whole and
// cut short at an arbitrary offset. Properties: no panic and no endless
// loop; Next hands out exactly Stats().Packets packets numbered 1, 2, 3...;
// a damaged input names standard input and the packet after which it broke;
// and the cut input yields a prefix of the whole input's packets (nothing
// read before the damage is lost or altered), its damage, if any, placed
// right after the last packet it delivered.
func FuzzOpen(f *testing.F) {
	frames := [][]byte{data4.ether(f), data6.ether(f), syn("192.0.2.1:40000", "198.51.100.2:21").ether(f)}
	rs := recs(t0, frames...)
	pcap := pcapBytes(f, layers.LinkTypeEthernet, 65535, rs)
	ng := ngBytes(f, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, []rec{
		{t: t0, data: frames[0]}, {t: t0.Add(1), data: data4.ipPacket(f), iface: 1},
	})
	// Fragments, out of order, some inside a tunnel, and tunnels.
	var fragFrames [][]byte
	for i, ip := range [][]byte{data4.ipPacket(f), data6.ipPacket(f)} {
		frags, err := craft.Fragment(ip, 16, uint32(i+1), false)
		if err != nil {
			f.Fatal(err)
		}
		slices.Reverse(frags)
		for j, fr := range frags {
			e := craft.Plain
			if i == 1 && j%2 == 1 {
				e = craft.GRE
			}
			w, err := craft.Wrap(e, fr)
			if err != nil {
				f.Fatal(err)
			}
			fragFrames = append(fragFrames, w)
		}
	}
	for _, e := range []craft.Encap{craft.MPLS, craft.PPPoE, craft.VXLAN} {
		w, err := craft.Wrap(e, data4.ipPacket(f))
		if err != nil {
			f.Fatal(err)
		}
		fragFrames = append(fragFrames, w)
	}
	seeds := [][]byte{
		pcap,
		pcapBytes(f, layers.LinkTypeEthernet, 65535, recs(t0, fragFrames...)),
		pcapNanoBytes(f, layers.LinkTypeEthernet, rs),
		rawPcap(binary.BigEndian, false, 96, layers.LinkTypeEthernet, []rec{{t: t0, data: frames[0][:60], wire: len(frames[0])}}),
		ng,
		append(bytes.Clone(ng[:28]), append(ngBlock(0x0badcafe, []byte("unknown block")), ng[28:]...)...),
		gzipBytes(f, pcap),
		append(gzipBytes(f, ng), 0, 0, 0),
		zstdBytes(f, pcap),
		lz4Bytes(f, ng),
		pcap[:30],
		[]byte("not a capture at all"),
	}
	for _, s := range seeds {
		f.Add(s, uint32(len(s)-5))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint32) {
		whole, wholeDamage, _ := fuzzRead(t, data)
		k := int(cut % uint32(len(data)+1))
		part, partDamage, partFrags := fuzzRead(t, data[:k])
		if len(part) > len(whole) {
			t.Fatalf("%d bytes of %d give %d packets, the whole input only %d", k, len(data), len(part), len(whole))
		}
		for i := range part {
			if part[i] != whole[i] {
				t.Fatalf("packet %d differs when the input is cut at %d of %d bytes:\n%+v\nwhole:\n%+v", i+1, k, len(data), part[i], whole[i])
			}
		}
		for _, d := range [][]Damage{wholeDamage, partDamage} {
			if len(d) > 1 {
				t.Fatalf("one input, %d damages: %v", len(d), d)
			}
		}
		// Right after the last packet delivered, or after the fragments
		// held since.
		if last := lastFileNum(part); len(partDamage) == 1 && (partDamage[0].AfterPacket < last || partDamage[0].AfterPacket > last+partFrags) {
			t.Fatalf("damage %q says after packet %d, but the last packet delivered was %d (%d fragments)", partDamage[0].Error(), partDamage[0].AfterPacket, last, partFrags)
		}
	})
}

// fuzzPacket is what FuzzOpen compares of a packet read from a file.
type fuzzPacket struct {
	num, fileNum uint64
	at           int64
	length, cap  int
	kind         Kind
	src, dst     string
	payload      string
}

// fuzzRead reads all of data as standard input. A non-capture is no packets.
// lastFileNum is the number of the last packet in ps (0: none).
func lastFileNum(ps []fuzzPacket) uint64 {
	if len(ps) == 0 {
		return 0
	}
	return ps[len(ps)-1].fileNum
}

func fuzzRead(t *testing.T, data []byte) ([]fuzzPacket, []Damage, uint64) {
	t.Helper()
	src, err := OpenFiles([]string{"-"}, FileOptions{Stdin: bytes.NewReader(data)})
	if err != nil {
		if !strings.Contains(err.Error(), "standard input") {
			t.Fatalf("open error does not name the input: %v", err)
		}
		return nil, nil, 0
	}
	defer src.Close()
	var out []fuzzPacket
	// A record takes at least 12 bytes (a pcapng block); gzip can expand,
	// but not beyond this in a fuzz input.
	limit := 64*len(data) + 16
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if len(out) > limit {
			t.Fatalf("more than %d packets out of %d bytes", limit, len(data))
		}
		// Frames are numbered as read: IP fragments held for
		// reassembly take a number but are not handed out.
		prev := uint64(0)
		if len(out) > 0 {
			prev = out[len(out)-1].num
		}
		if p.Num <= prev || p.FileNum != p.Num || p.File != "-" || p.Num-uint64(len(out)) > 1+src.Stats().Fragments {
			t.Fatalf("packet numbered %d (%d in %q) after %d, %d handed out", p.Num, p.FileNum, p.File, prev, len(out))
		}
		if p.CapLen < 0 || len(p.Payload) > p.CapLen {
			t.Fatalf("packet %d: CapLen %d, payload %d", p.Num, p.CapLen, len(p.Payload))
		}
		fp := fuzzPacket{num: p.Num, fileNum: p.FileNum, at: p.Time.UnixNano(), length: p.Len, cap: p.CapLen,
			kind: p.Kind, payload: string(p.Payload)}
		if p.Kind == KindTCP {
			fp.src, fp.dst = p.Src.String(), p.Dst.String()
		}
		out = append(out, fp)
	}
	st := src.Stats()
	if st.Packets != uint64(len(out)) || st.TCP+st.ICMP+st.Other != st.Packets {
		t.Fatalf("stats count %d packets (%d+%d+%d), %d were delivered", st.Packets, st.TCP, st.ICMP, st.Other, len(out))
	}
	for _, d := range st.Damage {
		msg := d.Error()
		if !strings.Contains(msg, "standard input") || !strings.Contains(msg, "after packet") {
			t.Fatalf("damage message does not name the input and packet: %q", msg)
		}
	}
	return out, st.Damage, st.Fragments
}

// FuzzDefrag feeds arbitrary IPv4 and IPv6 fragments, built from the
// fuzzer's bytes, to the fragment table. Properties: no panic; the table
// stays within its limits; every datagram handed out is well formed (its
// IP length field is its length, at most 64 KiB of payload) and is made of
// the bytes of fragments given; the counters add up.
func FuzzDefrag(f *testing.F) {
	ip4, ip6 := data4.ipPacket(f), data6.ipPacket(f)
	var seed []byte
	for _, ip := range [][]byte{ip4, ip6} {
		frags, _ := craft.Fragment(ip, 8, 1, false)
		for _, fr := range frags {
			seed = append(seed, byte(len(fr)>>8), byte(len(fr)))
			seed = append(seed, fr...)
		}
	}
	f.Add(seed)
	f.Add(append(bytes.Clone(seed), seed...))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, st := newDefragmenter(), Stats{}
		now := t0
		var given int
		for len(data) >= 2 {
			n := int(data[0])<<8 | int(data[1])
			data = data[2:]
			n = min(n, len(data))
			ip := data[:n]
			data = data[n:]
			now = now.Add(time.Duration(n) * time.Second / 8)
			var fr fragment
			var kind fragParse
			switch {
			case len(ip) > 0 && ip[0]>>4 == 4:
				kind = parseFragment4(&fr, ip)
			case len(ip) > 0 && ip[0]>>4 == 6:
				kind = parseFragment6(&fr, ip)
			}
			if kind != isFragment {
				continue
			}
			given++
			out, done := d.add(&fr, now, &st)
			if d.bytes > maxFragBytes || len(d.flows) > maxFragDatagrams || d.bytes < 0 {
				t.Fatalf("table holds %d bytes in %d datagrams", d.bytes, len(d.flows))
			}
			if !done {
				continue
			}
			switch out[0] >> 4 {
			case 4:
				if int(binary.BigEndian.Uint16(out[2:4])) != len(out) || binary.BigEndian.Uint16(out[6:8])&0x3fff != 0 {
					t.Fatalf("bad IPv4 datagram % x", out[:20])
				}
			case 6:
				if 40+int(binary.BigEndian.Uint16(out[4:6])) != len(out) {
					t.Fatalf("bad IPv6 datagram length")
				}
			default:
				t.Fatalf("datagram of version %d", out[0]>>4)
			}
		}
		if st.Reassembled > uint64(given) || uint64(d.pending()) > uint64(given) {
			t.Fatalf("%d fragments gave %d datagrams, %d pending", given, st.Reassembled, d.pending())
		}
	})
}
