package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// t0 is the capture time of the first test packet.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// seg describes a TCP segment to build.
type seg struct {
	src, dst string // "addr:port"
	flags    TCPFlags
	seq, ack uint32
	win      uint16
	payload  []byte
	ttl      uint8
	ipid     uint16
}

func syn(src, dst string) seg {
	return seg{src: src, dst: dst, flags: SYN, seq: 1000, win: 64240, ttl: 64, ipid: 7}
}

// ipLayers returns the IP and TCP layers for s, IPv4 or IPv6 by address.
func (s seg) ipLayers(t testing.TB) (gopacket.SerializableLayer, *layers.TCP) {
	t.Helper()
	src, dst := netip.MustParseAddrPort(s.src), netip.MustParseAddrPort(s.dst)
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: s.seq, Ack: s.ack, Window: s.win,
		FIN: s.flags.Has(FIN), SYN: s.flags.Has(SYN), RST: s.flags.Has(RST),
		PSH: s.flags.Has(PSH), ACK: s.flags.Has(ACK), URG: s.flags.Has(URG),
	}
	if s.flags.Has(SYN) {
		tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}}}
	}
	if src.Addr().Is4() {
		ip := &layers.IPv4{Version: 4, TTL: s.ttl, Id: s.ipid, Protocol: layers.IPProtocolTCP,
			SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		return ip, tcp
	}
	ip := &layers.IPv6{Version: 6, HopLimit: s.ttl, NextHeader: layers.IPProtocolTCP,
		SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return ip, tcp
}

// serialize runs gopacket's serializer with lengths and checksums fixed.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// ipPacket is the IP datagram (no link header) of s.
func (s seg) ipPacket(t testing.TB) []byte {
	ip, tcp := s.ipLayers(t)
	return serialize(t, ip, tcp, gopacket.Payload(s.payload))
}

var (
	macA = net.HardwareAddr{0, 1, 2, 3, 4, 5}
	macB = net.HardwareAddr{0, 1, 2, 3, 4, 6}
)

// ether frames s in Ethernet, behind the given VLAN tag protocol ids
// (0x8100, 0x88a8, 0x9100), outermost first.
func (s seg) ether(t testing.TB, tags ...layers.EthernetType) []byte {
	return etherFrame(t, s.ipPacket(t), netip.MustParseAddrPort(s.src).Addr().Is4(), tags...)
}

// etherFrame puts an IP datagram in an Ethernet frame.
func etherFrame(t testing.TB, ip []byte, v4 bool, tags ...layers.EthernetType) []byte {
	t.Helper()
	inner := layers.EthernetTypeIPv4
	if !v4 {
		inner = layers.EthernetTypeIPv6
	}
	var hdr []byte
	hdr = append(hdr, macB...)
	hdr = append(hdr, macA...)
	for i, tag := range tags {
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(tag))
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(10+i)) // VLAN id
	}
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(inner))
	return append(hdr, ip...)
}

// sllFrame puts an IP datagram behind a Linux cooked (SLL) header.
func sllFrame(ip []byte, proto layers.EthernetType) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:2], 0) // to us
	binary.BigEndian.PutUint16(h[2:4], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:6], 6)
	copy(h[6:12], macA)
	binary.BigEndian.PutUint16(h[14:16], uint16(proto))
	return append(h, ip...)
}

// sll2Frame puts an IP datagram behind a Linux cooked v2 (SLL2) header.
func sll2Frame(ip []byte, proto layers.EthernetType) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:2], uint16(proto))
	binary.BigEndian.PutUint32(h[4:8], 3) // interface index
	binary.BigEndian.PutUint16(h[8:10], 1)
	h[10] = 4 // outgoing
	h[11] = 6
	copy(h[12:18], macA)
	return append(h, ip...)
}

// loopFrame puts an IP datagram behind a BSD loopback header with the
// family in the given byte order.
func loopFrame(ip []byte, family uint32, order binary.ByteOrder) []byte {
	h := make([]byte, 4)
	order.PutUint32(h, family)
	return append(h, ip...)
}

// rec is one record to write into a capture file.
type rec struct {
	t     time.Time
	data  []byte
	wire  int // original length; 0 means len(data)
	iface int // pcapng interface index
}

func recs(start time.Time, frames ...[]byte) []rec {
	out := make([]rec, len(frames))
	for i, f := range frames {
		out[i] = rec{t: start.Add(time.Duration(i) * time.Millisecond), data: f}
	}
	return out
}

func (r rec) ci() gopacket.CaptureInfo {
	wire := r.wire
	if wire == 0 {
		wire = len(r.data)
	}
	return gopacket.CaptureInfo{Timestamp: r.t, CaptureLength: len(r.data), Length: wire, InterfaceIndex: r.iface}
}

// pcapBytes writes a little-endian microsecond pcap file with pcapgo.
func pcapBytes(t testing.TB, lt layers.LinkType, snaplen uint32, rs []rec) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(snaplen, lt); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := w.WritePacket(r.ci(), r.data); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// pcapNanoBytes writes a little-endian nanosecond pcap file with pcapgo.
func pcapNanoBytes(t testing.TB, lt layers.LinkType, rs []rec) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriterNanos(&b)
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := w.WritePacket(r.ci(), r.data); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// rawPcap writes a pcap file by hand, for what pcapgo will not write: big
// endian, and records whose lengths lie.
func rawPcap(order binary.AppendByteOrder, nano bool, snaplen uint32, lt layers.LinkType, rs []rec) []byte {
	var b []byte
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	b = order.AppendUint32(b, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, snaplen)
	b = order.AppendUint32(b, uint32(lt))
	for _, r := range rs {
		frac := r.t.Nanosecond() / 1000
		if nano {
			frac = r.t.Nanosecond()
		}
		ci := r.ci()
		b = order.AppendUint32(b, uint32(r.t.Unix()))
		b = order.AppendUint32(b, uint32(frac))
		b = order.AppendUint32(b, uint32(ci.CaptureLength))
		b = order.AppendUint32(b, uint32(ci.Length))
		b = append(b, r.data...)
	}
	return b
}

// ngBytes writes a pcapng file with one interface per link type.
func ngBytes(t testing.TB, lts []layers.LinkType, rs []rec) []byte {
	t.Helper()
	var b bytes.Buffer
	w := ngWriter(t, &b, lts)
	for _, r := range rs {
		if err := w.WritePacket(r.ci(), r.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ngWriter(t testing.TB, w io.Writer, lts []layers.LinkType) *pcapgo.NgWriter {
	t.Helper()
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = lts[0]
	intf.Name = "if0"
	nw, err := pcapgo.NewNgWriterInterface(w, intf, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for i, lt := range lts[1:] {
		intf := pcapgo.DefaultNgInterface
		intf.LinkType = lt
		intf.Name = "if" + string(rune('1'+i))
		if _, err := nw.AddInterface(intf); err != nil {
			t.Fatal(err)
		}
	}
	return nw
}

// ngBlock is a raw pcapng block (little endian) of the given type.
func ngBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, typ)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, n)
}

// zstdBytes compresses b with zstd.
func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// lz4Bytes compresses b into an LZ4 frame.
func lz4Bytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := lz4.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// writeFile puts b in a file named name in a fresh directory.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll drains a source, copying what the tests look at (the Packet is
// reused by Next).
func readAll(t testing.TB, src Source) []Packet {
	t.Helper()
	var out []Packet
	for range 100000 {
		p, err := src.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		c := *p
		c.Payload = bytes.Clone(p.Payload)
		out = append(out, c)
	}
	t.Fatal("source never ends")
	return nil
}

// openBytes opens b as standard input.
func openBytes(t testing.TB, b []byte) Source {
	t.Helper()
	src, err := OpenFiles([]string{"-"}, FileOptions{Stdin: bytes.NewReader(b)})
	if err != nil {
		t.Fatalf("OpenFiles: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}
