package craft

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var (
	t0  = time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	cl4 = netip.MustParseAddrPort("192.0.2.10:40312")
	sv4 = netip.MustParseAddrPort("198.51.100.20:21")
	cl6 = netip.MustParseAddrPort("[2001:db8::10]:40312")
	sv6 = netip.MustParseAddrPort("[2001:db8:1::20]:21")
	fw4 = netip.MustParseAddr("203.0.113.1")
	fw6 = netip.MustParseAddr("2001:db8:ff::1")
)

// record is one packet read back: its capture info and gopacket's decoding.
type record struct {
	ci  gopacket.CaptureInfo
	pkt gopacket.Packet
}

// readBack reads a pcap or pcapng capture with pcapgo and decodes every
// frame with gopacket, failing the test on any decoding error.
func readBack(t *testing.T, data []byte) []record {
	t.Helper()
	var out []record
	if binary.LittleEndian.Uint32(data) == 0x0a0d0d0a {
		r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatalf("pcapng reader: %v", err)
		}
		for {
			d, ci, err := r.ReadPacketData()
			if err != nil {
				break
			}
			intf, err := r.Interface(ci.InterfaceIndex)
			if err != nil {
				t.Fatalf("interface %d: %v", ci.InterfaceIndex, err)
			}
			out = append(out, record{ci, decode(t, d, intf.LinkType)})
		}
		return out
	}
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("pcap reader: %v", err)
	}
	for {
		d, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		out = append(out, record{ci, decode(t, d, r.LinkType())})
	}
	return out
}

func decode(t *testing.T, d []byte, lt layers.LinkType) gopacket.Packet {
	t.Helper()
	p := gopacket.NewPacket(d, lt, gopacket.Default)
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("decode %v frame: %v", lt, el.Error())
	}
	return p
}

// tcpOf returns the packet's TCP layer and its endpoints.
func tcpOf(t *testing.T, p gopacket.Packet) (*layers.TCP, netip.AddrPort, netip.AddrPort) {
	t.Helper()
	tl, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if tl == nil {
		t.Fatalf("no tcp layer in %v", p)
	}
	src, _ := netip.AddrFromSlice(p.NetworkLayer().NetworkFlow().Src().Raw())
	dst, _ := netip.AddrFromSlice(p.NetworkLayer().NetworkFlow().Dst().Raw())
	return tl, netip.AddrPortFrom(src, uint16(tl.SrcPort)), netip.AddrPortFrom(dst, uint16(tl.DstPort))
}

func flagsOf(tl *layers.TCP) Flags {
	var f Flags
	for _, b := range []struct {
		on  bool
		bit Flags
	}{{tl.FIN, FIN}, {tl.SYN, SYN}, {tl.RST, RST}, {tl.PSH, PSH}, {tl.ACK, ACK}, {tl.URG, URG}} {
		if b.on {
			f |= b.bit
		}
	}
	return f
}

// verifyChecksums tells the transport layers which network layer holds
// their pseudo-header (gopacket's decoders do not) and verifies every
// checksum in the packet.
func verifyChecksums(p gopacket.Packet) (error, []gopacket.ChecksumMismatch) {
	nl := p.NetworkLayer()
	for _, l := range p.Layers() {
		if c, ok := l.(interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}); ok && nl != nil {
			_ = c.SetNetworkLayerForChecksum(nl)
		}
	}
	return p.VerifyChecksums()
}

func checksumsValid(t *testing.T, p gopacket.Packet) {
	t.Helper()
	err, bad := verifyChecksums(p)
	if err != nil {
		t.Fatalf("verify checksums: %v", err)
	}
	for _, m := range bad {
		t.Errorf("bad %v checksum: have %#x, want %#x", m.Layer.LayerType(), m.Actual, m.Correct)
	}
}

func newTestWriter(t *testing.T, opts ...Option) (*Writer, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, opts...)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	return w, &b
}

func flush(t *testing.T, w *Writer) {
	t.Helper()
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// conversation writes a short FTP control exchange and returns what each
// packet must look like, in order.
type wantSeg struct {
	src, dst netip.AddrPort
	flags    Flags
	seq, ack uint32
	payload  string
}

func conversation(w *Writer, cl, sv netip.AddrPort) []wantSeg {
	c := w.Dial(t0, cl, sv)
	c.Server(t0.Add(time.Millisecond), "220 ready\r\n")
	c.ClientSegments(t0.Add(2*time.Millisecond), "US", "ER anonymous\r\n")
	c.Close(t0.Add(3 * time.Millisecond))

	ci, si := ISN(cl, sv), ISN(sv, cl)
	return []wantSeg{
		{cl, sv, SYN, ci, 0, ""},
		{sv, cl, SYN | ACK, si, ci + 1, ""},
		{cl, sv, ACK, ci + 1, si + 1, ""},
		{sv, cl, PSH | ACK, si + 1, ci + 1, "220 ready\r\n"},
		{cl, sv, PSH | ACK, ci + 1, si + 12, "US"},
		{cl, sv, PSH | ACK, ci + 3, si + 12, "ER anonymous\r\n"},
		{cl, sv, FIN | ACK, ci + 17, si + 12, ""},
		{sv, cl, FIN | ACK, si + 12, ci + 18, ""},
		{cl, sv, ACK, ci + 18, si + 13, ""},
	}
}

func checkConversation(t *testing.T, recs []record, want []wantSeg) {
	t.Helper()
	if len(recs) != len(want) {
		t.Fatalf("read %d packets, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		tl, src, dst := tcpOf(t, r.pkt)
		w := want[i]
		if src != w.src || dst != w.dst || flagsOf(tl) != w.flags || tl.Seq != w.seq || tl.Ack != w.ack || string(tl.Payload) != w.payload {
			t.Errorf("packet %d: %v > %v %v seq %d ack %d %q; want %v > %v %v seq %d ack %d %q", i+1,
				src, dst, flagsOf(tl), tl.Seq, tl.Ack, tl.Payload, w.src, w.dst, w.flags, w.seq, w.ack, w.payload)
		}
		checksumsValid(t, r.pkt)
	}
}

func TestConversationRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cl, sv netip.AddrPort
	}{{"ipv4", cl4, sv4}, {"ipv6", cl6, sv6}} {
		t.Run(tc.name, func(t *testing.T) {
			w, b := newTestWriter(t)
			want := conversation(w, tc.cl, tc.sv)
			flush(t, w)
			recs := readBack(t, b.Bytes())
			checkConversation(t, recs, want)
			if w.Packets() != len(want) {
				t.Errorf("Packets() = %d, want %d", w.Packets(), len(want))
			}
			// The handshake carries the MSS option; timestamps are the caller's.
			syn, _, _ := tcpOf(t, recs[0].pkt)
			if len(syn.Options) == 0 || syn.Options[0].OptionType != layers.TCPOptionKindMSS ||
				binary.BigEndian.Uint16(syn.Options[0].OptionData) != MSSFor(tc.sv.Addr()) {
				t.Errorf("SYN options %v, want MSS %d", syn.Options, MSSFor(tc.sv.Addr()))
			}
			if got := recs[1].ci.Timestamp; !got.Equal(t0.Add(Step).Truncate(time.Microsecond)) {
				t.Errorf("SYN-ACK at %v, want %v", got, t0.Add(Step))
			}
		})
	}
}

func TestLinkTypes(t *testing.T) {
	for _, tc := range []struct {
		link      Link
		lt        layers.LinkType
		first     gopacket.LayerType
		frameHead int // link header bytes before IP
	}{
		{Ethernet, layers.LinkTypeEthernet, layers.LayerTypeEthernet, 14},
		{RawIP, layers.LinkTypeRaw, layers.LayerTypeIPv4, 0},
		{SLL, layers.LinkTypeLinuxSLL, layers.LayerTypeLinuxSLL, 16},
		{SLL2, layers.LinkTypeLinuxSLL2, layers.LayerTypeLinuxSLL2, 20},
		{Null, layers.LinkTypeNull, layers.LayerTypeLoopback, 4},
	} {
		for _, fam := range []struct {
			name   string
			cl, sv netip.AddrPort
		}{{"ipv4", cl4, sv4}, {"ipv6", cl6, sv6}} {
			t.Run(tc.link.String()+"/"+fam.name, func(t *testing.T) {
				w, b := newTestWriter(t, WithLink(tc.link))
				want := conversation(w, fam.cl, fam.sv)
				flush(t, w)
				r, err := pcapgo.NewReader(bytes.NewReader(b.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				if r.LinkType() != tc.lt {
					t.Errorf("file link type %v, want %v", r.LinkType(), tc.lt)
				}
				recs := readBack(t, b.Bytes())
				checkConversation(t, recs, want)
				first := recs[0].pkt.Layers()[0].LayerType()
				if tc.link == RawIP && fam.cl.Addr().Is6() {
					if first != layers.LayerTypeIPv6 {
						t.Errorf("first layer %v, want IPv6", first)
					}
				} else if first != tc.first {
					t.Errorf("first layer %v, want %v", first, tc.first)
				}
				// The IP header starts right after the link header.
				ip := recs[0].pkt.NetworkLayer().LayerContents()
				data := recs[0].pkt.Data()
				if !bytes.Equal(data[tc.frameHead:tc.frameHead+len(ip)], ip) {
					t.Errorf("IP header not at offset %d", tc.frameHead)
				}
			})
		}
	}
}

func TestVLAN(t *testing.T) {
	for _, tc := range []struct {
		ids   []uint16
		types []layers.EthernetType // Ethernet's type, then each tag's
	}{
		{[]uint16{100}, []layers.EthernetType{layers.EthernetTypeDot1Q, layers.EthernetTypeIPv6}},
		{[]uint16{100, 200}, []layers.EthernetType{layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q, layers.EthernetTypeIPv6}},
	} {
		w, b := newTestWriter(t, WithVLAN(tc.ids...))
		want := conversation(w, cl6, sv6)
		flush(t, w)
		recs := readBack(t, b.Bytes())
		checkConversation(t, recs, want)
		p := recs[0].pkt
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		if eth.EthernetType != tc.types[0] {
			t.Errorf("%v: ethernet type %v, want %v", tc.ids, eth.EthernetType, tc.types[0])
		}
		var tags []*layers.Dot1Q
		for _, l := range p.Layers() {
			if d, ok := l.(*layers.Dot1Q); ok {
				tags = append(tags, d)
			}
		}
		if len(tags) != len(tc.ids) {
			t.Fatalf("%v: %d tags decoded", tc.ids, len(tags))
		}
		for i, d := range tags {
			if d.VLANIdentifier != tc.ids[i] || d.Type != tc.types[i+1] {
				t.Errorf("tag %d: id %d type %v, want %d %v", i, d.VLANIdentifier, d.Type, tc.ids[i], tc.types[i+1])
			}
		}
		if m := MAC(cl6.Addr()); !bytes.Equal(eth.SrcMAC, m[:]) {
			t.Errorf("source MAC %v, want %x", eth.SrcMAC, m)
		}
	}
	if _, err := NewWriter(&bytes.Buffer{}, WithLink(RawIP), WithVLAN(1)); err == nil {
		t.Error("VLAN over raw IP accepted")
	}
	if _, err := NewWriter(&bytes.Buffer{}, WithVLAN(4096)); err == nil {
		t.Error("VLAN 4096 accepted")
	}
}

func TestSnapLength(t *testing.T) {
	w, b := newTestWriter(t, WithSnapLen(68))
	c := w.Dial(t0, cl4, sv4)
	c.Server(t0, strings.Repeat("x", 500))
	flush(t, w)
	r, err := pcapgo.NewReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r.Snaplen() != 68 {
		t.Errorf("header snap length %d, want 68", r.Snaplen())
	}
	var last gopacket.CaptureInfo
	for {
		_, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		last = ci
	}
	if last.CaptureLength != 68 || last.Length != 14+20+20+500 {
		t.Errorf("capture length %d, length %d; want 68, %d", last.CaptureLength, last.Length, 14+20+20+500)
	}
}

func TestTimestampResolution(t *testing.T) {
	for _, tc := range []struct {
		opts []Option
		want time.Time
	}{
		{nil, t0.Truncate(time.Microsecond)},
		{[]Option{WithNanoseconds()}, t0},
		{[]Option{WithPcapNG()}, t0},
	} {
		w, b := newTestWriter(t, tc.opts...)
		w.Refused(t0, cl4, sv4)
		flush(t, w)
		recs := readBack(t, b.Bytes())
		if len(recs) != 2 {
			t.Fatalf("%d packets", len(recs))
		}
		if got := recs[0].ci.Timestamp; !got.Equal(tc.want) {
			t.Errorf("options %d: timestamp %v, want %v", len(tc.opts), got, tc.want)
		}
	}
}

func TestPcapNGInterfaces(t *testing.T) {
	w, b := newTestWriter(t, WithPcapNG(), WithVLAN(7))
	w2, err := w.AddInterface(WithLink(SLL2), WithInterfaceName("any"))
	if err != nil {
		t.Fatal(err)
	}
	w.Refused(t0, cl4, sv4)
	w2.Refused(t0.Add(time.Second), cl6, sv6)
	flush(t, w)
	recs := readBack(t, b.Bytes())
	if len(recs) != 4 {
		t.Fatalf("%d packets, want 4", len(recs))
	}
	for i, want := range []struct {
		iface int
		first gopacket.LayerType
	}{{0, layers.LayerTypeEthernet}, {0, layers.LayerTypeEthernet}, {1, layers.LayerTypeLinuxSLL2}, {1, layers.LayerTypeLinuxSLL2}} {
		if recs[i].ci.InterfaceIndex != want.iface || recs[i].pkt.Layers()[0].LayerType() != want.first {
			t.Errorf("packet %d: interface %d first layer %v; want %d %v", i+1, recs[i].ci.InterfaceIndex,
				recs[i].pkt.Layers()[0].LayerType(), want.iface, want.first)
		}
		checksumsValid(t, recs[i].pkt)
	}
	if w.Packets() != 4 || w2.Packets() != 4 {
		t.Errorf("Packets() = %d, %d; want 4 for both (shared file)", w.Packets(), w2.Packets())
	}
	plain, _ := newTestWriter(t)
	if _, err := plain.AddInterface(); err == nil {
		t.Error("AddInterface on a pcap file accepted")
	}
}

func TestICMPQuoting(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cl, sv     netip.AddrPort
		fw         netip.Addr
		quoteBytes int
		typ        uint8
		ipLen      int
	}{
		{"ipv4", cl4, sv4, fw4, 0, 3, 20},
		{"ipv4-8-bytes", cl4, sv4, fw4, 8, 3, 20},
		{"ipv6", cl6, sv6, fw6, 0, 1, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, b := newTestWriter(t)
			// The server's active-mode SYN from port 20, rejected by a firewall.
			from := netip.AddrPortFrom(tc.sv.Addr(), 20)
			to := netip.AddrPortFrom(tc.cl.Addr(), 50000)
			syn := SYNSegment(from, to)
			code := AdminProhibited(tc.fw)
			if err := w.Segment(t0, syn); err != nil {
				t.Fatal(err)
			}
			if err := w.ICMP(t0.Add(Step), ICMPError{From: tc.fw, Type: tc.typ, Code: code, Quoted: syn, QuoteTCPBytes: tc.quoteBytes}); err != nil {
				t.Fatal(err)
			}
			flush(t, w)
			recs := readBack(t, b.Bytes())
			if len(recs) != 2 {
				t.Fatalf("%d packets", len(recs))
			}
			p := recs[1].pkt
			checksumsValid(t, p)
			src, _ := netip.AddrFromSlice(p.NetworkLayer().NetworkFlow().Src().Raw())
			dst, _ := netip.AddrFromSlice(p.NetworkLayer().NetworkFlow().Dst().Raw())
			if src != tc.fw || dst != from.Addr() {
				t.Errorf("icmp %v > %v, want %v > %v", src, dst, tc.fw, from.Addr())
			}
			var quote []byte
			if tc.cl.Addr().Is4() {
				ic := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
				if ic.TypeCode.Type() != 3 || ic.TypeCode.Code() != code {
					t.Errorf("icmp type/code %v", ic.TypeCode)
				}
				quote = ic.Payload
			} else {
				ic := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
				if ic.TypeCode.Type() != 1 || ic.TypeCode.Code() != code {
					t.Errorf("icmpv6 type/code %v", ic.TypeCode)
				}
				quote = ic.Payload[4:] // after the unused word
			}
			wantLen := tc.ipLen + 24 // SYN header with MSS option
			if tc.quoteBytes > 0 {
				wantLen = tc.ipLen + tc.quoteBytes
			}
			if len(quote) != wantLen {
				t.Fatalf("quote of %d bytes, want %d", len(quote), wantLen)
			}
			// The quote is the SYN's own IP header and TCP header as sent.
			sent := recs[0].pkt.NetworkLayer().LayerContents()
			if !bytes.Equal(quote[:tc.ipLen], sent) {
				t.Errorf("quoted IP header differs from the SYN's")
			}
			th := quote[tc.ipLen:]
			if sp, dp := binary.BigEndian.Uint16(th), binary.BigEndian.Uint16(th[2:]); sp != 20 || dp != 50000 {
				t.Errorf("quoted ports %d > %d", sp, dp)
			}
			if seq := binary.BigEndian.Uint32(th[4:]); seq != ISN(from, to) {
				t.Errorf("quoted seq %d, want %d", seq, ISN(from, to))
			}
			if tc.quoteBytes == 0 && Flags(th[13]) != SYN {
				t.Errorf("quoted flags %v, want S", Flags(th[13]))
			}
		})
	}
	w, _ := newTestWriter(t)
	if err := w.ICMPUnreachable(t0, fw6, 1, SYNSegment(cl4, sv4)); err == nil {
		t.Error("ICMPv6 quoting IPv4 accepted")
	}
	if err := w.Flush(); err == nil {
		t.Error("Flush lost the sticky error")
	}
}

func TestAttemptHelpers(t *testing.T) {
	w, b := newTestWriter(t)
	from := netip.AddrPortFrom(sv4.Addr(), 20)
	to := netip.AddrPortFrom(cl4.Addr(), 50001)
	last := w.SYNUnanswered(t0, from, to, 4)
	w.Refused(t0.Add(10*time.Second), to, sv4)
	w.Unreachable(t0.Add(20*time.Second), cl4, netip.AddrPortFrom(sv4.Addr(), 30000), fw4, CodeAdminProhibited4)
	flush(t, w)
	if !last.Equal(t0.Add(7 * time.Second)) {
		t.Errorf("last SYN at %v, want t0+7s", last)
	}
	recs := readBack(t, b.Bytes())
	if len(recs) != 8 {
		t.Fatalf("%d packets, want 8", len(recs))
	}
	for i, off := range []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second} {
		tl, src, dst := tcpOf(t, recs[i].pkt)
		if flagsOf(tl) != SYN || src != from || dst != to || tl.Seq != ISN(from, to) || !recs[i].ci.Timestamp.Equal(t0.Add(off).Truncate(time.Microsecond)) {
			t.Errorf("SYN %d: %v > %v %v seq %d at %v", i, src, dst, flagsOf(tl), tl.Seq, recs[i].ci.Timestamp)
		}
	}
	rst, src, _ := tcpOf(t, recs[5].pkt)
	if flagsOf(rst) != RST|ACK || src != sv4 || rst.Ack != ISN(to, sv4)+1 || rst.Window != 0 {
		t.Errorf("RST: %v from %v ack %d win %d", flagsOf(rst), src, rst.Ack, rst.Window)
	}
	if recs[7].pkt.Layer(layers.LayerTypeICMPv4) == nil {
		t.Errorf("no ICMP after the third attempt: %v", recs[7].pkt)
	}
}

func TestBulk(t *testing.T) {
	w, b := newTestWriter(t)
	c := w.Dial(t0, cl4, sv4)
	start := c.NextSeq(FromServer)
	end := c.Bulk(t0.Add(time.Millisecond), FromServer, 10000, 10*time.Microsecond)
	c.CloseFrom(end, FromServer)
	flush(t, w)
	recs := readBack(t, b.Bytes())
	var data, acks, full int
	for _, r := range recs[3 : len(recs)-3] {
		tl, src, _ := tcpOf(t, r.pkt)
		if src == sv4 {
			data += len(tl.Payload)
			if len(tl.Payload) == 1460 {
				full++
			}
		} else if len(tl.Payload) == 0 && flagsOf(tl) == ACK {
			acks++
			if tl.Ack > start+10000 || tl.Ack <= start {
				t.Errorf("ACK %d outside the data", tl.Ack)
			}
		}
	}
	// 10000 bytes = 6 full segments + 1240; ACKs after segments 2, 4, 6 and the last.
	if data != 10000 || full != 6 || acks != 4 {
		t.Errorf("data %d bytes, %d full segments, %d ACKs; want 10000, 6, 4", data, full, acks)
	}
	if c.NextSeq(FromServer) != start+10000+1 {
		t.Errorf("NextSeq after FIN = %d, want %d", c.NextSeq(FromServer), start+10001)
	}
}

func TestGapsAndOddSegments(t *testing.T) {
	w, b := newTestWriter(t)
	c := w.Established(cl4, sv4) // mid-session: no handshake
	s0 := c.NextSeq(FromServer)
	c.Skip(FromServer, 100)
	c.Server(t0, "227 Entering Passive Mode (192,0,2,1,4,1)\r\n")
	c.SendAt(t0.Add(time.Millisecond), FromServer, s0, []byte("retransmitted"))
	if err := w.Segment(t0.Add(2*time.Millisecond), Segment{Src: cl4, Dst: sv4, Flags: ACK, Seq: 1, BadChecksum: true, TTL: 3, IPID: 777}); err != nil {
		t.Fatal(err)
	}
	flush(t, w)
	recs := readBack(t, b.Bytes())
	if len(recs) != 3 {
		t.Fatalf("%d packets", len(recs))
	}
	if tl, _, _ := tcpOf(t, recs[0].pkt); tl.Seq != s0+100 {
		t.Errorf("after Skip seq %d, want %d", tl.Seq, s0+100)
	}
	if tl, _, _ := tcpOf(t, recs[1].pkt); tl.Seq != s0 || string(tl.Payload) != "retransmitted" {
		t.Errorf("SendAt wrote seq %d %q", tl.Seq, tl.Payload)
	}
	err, bad := verifyChecksums(recs[2].pkt)
	if err != nil || len(bad) != 1 || bad[0].Layer.LayerType() != layers.LayerTypeTCP {
		t.Errorf("BadChecksum: err %v, mismatches %v", err, bad)
	}
	ip := recs[2].pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip.TTL != 3 || ip.Id != 777 {
		t.Errorf("TTL %d id %d, want 3 777", ip.TTL, ip.Id)
	}
}

func TestUDPAndFrame(t *testing.T) {
	w, b := newTestWriter(t)
	dns := netip.MustParseAddrPort("192.0.2.53:9999")
	if err := w.UDP(t0, cl4, dns, []byte("query")); err != nil {
		t.Fatal(err)
	}
	if err := w.Frame(t0, []byte{0x45, 0, 0, 10}, false); err != nil {
		t.Fatal(err)
	}
	flush(t, w)
	r, err := pcapgo.NewReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := r.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	p := decode(t, d, layers.LinkTypeEthernet)
	checksumsValid(t, p)
	u := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if u.DstPort != 9999 || string(u.Payload) != "query" {
		t.Errorf("udp to %d %q", u.DstPort, u.Payload)
	}
	d, _, err = r.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d[14:18], []byte{0x45, 0, 0, 10}) {
		t.Errorf("raw frame body %x", d[14:])
	}
}

func TestDeterministic(t *testing.T) {
	run := func() []byte {
		var b bytes.Buffer
		for _, opts := range [][]Option{nil, {WithPcapNG()}, {WithLink(SLL2)}} {
			w, err := NewWriter(&b, opts...)
			if err != nil {
				t.Fatal(err)
			}
			conversation(w, cl6, sv6)
			w.Unreachable(t0, cl4, sv4, fw4, CodeAdminProhibited4)
			flush(t, w)
		}
		return b.Bytes()
	}
	if a, b := run(), run(); !bytes.Equal(a, b) {
		t.Error("same calls wrote different bytes")
	}
	if ISN(cl4, sv4) == ISN(sv4, cl4) {
		t.Error("both directions share an ISN")
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{0: ".", SYN: "S", SYN | ACK: "SA", FIN | PSH | ACK: "FPA", RST: "R"} {
		if f.String() != want {
			t.Errorf("%#x: %q, want %q", uint8(f), f.String(), want)
		}
	}
}
