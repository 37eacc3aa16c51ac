package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	data4 = seg{src: "192.0.2.10:40000", dst: "198.51.100.7:21", flags: PSH | ACK, seq: 5001, ack: 9001,
		win: 502, payload: []byte("USER anonymous\r\n"), ttl: 63, ipid: 4242}
	data6 = seg{src: "[2001:db8::10]:40000", dst: "[2001:db8::21]:21", flags: PSH | ACK, seq: 5001, ack: 9001,
		win: 502, payload: []byte("PASV\r\n"), ttl: 60}
)

// TestLinkTypes decodes one FTP segment on every supported link type: the
// fields must survive every framing.
func TestLinkTypes(t *testing.T) {
	ip4, ip6 := data4.ipPacket(t), data6.ipPacket(t)
	tests := []struct {
		name  string
		lt    layers.LinkType
		frame []byte
		want  seg
	}{
		{"ethernet", layers.LinkTypeEthernet, data4.ether(t), data4},
		{"ethernet ipv6", layers.LinkTypeEthernet, data6.ether(t), data6},
		{"802.1Q", layers.LinkTypeEthernet, data4.ether(t, layers.EthernetTypeDot1Q), data4},
		{"QinQ 88a8", layers.LinkTypeEthernet, data4.ether(t, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q), data4},
		{"QinQ 9100", layers.LinkTypeEthernet, data6.ether(t, 0x9100, layers.EthernetTypeDot1Q), data6},
		{"QinQ 9100 inner", layers.LinkTypeEthernet, data4.ether(t, layers.EthernetTypeQinQ, 0x9100), data4},
		{"linux sll", layers.LinkTypeLinuxSLL, sllFrame(ip4, layers.EthernetTypeIPv4), data4},
		{"linux sll ipv6", layers.LinkTypeLinuxSLL, sllFrame(ip6, layers.EthernetTypeIPv6), data6},
		{"linux sll2", layers.LinkTypeLinuxSLL2, sll2Frame(ip4, layers.EthernetTypeIPv4), data4},
		{"linux sll2 ipv6", layers.LinkTypeLinuxSLL2, sll2Frame(ip6, layers.EthernetTypeIPv6), data6},
		{"raw 101 v4", layers.LinkTypeRaw, ip4, data4},
		{"raw 101 v6", layers.LinkTypeRaw, ip6, data6},
		{"raw dlt 12", 12, ip4, data4},
		{"raw dlt 14", 14, ip6, data6},
		{"ipv4 228", layers.LinkTypeIPv4, ip4, data4},
		{"ipv6 229", layers.LinkTypeIPv6, ip6, data6},
		{"null little endian v4", layers.LinkTypeNull, loopFrame(ip4, 2, binary.LittleEndian), data4},
		{"null little endian v6 darwin", layers.LinkTypeNull, loopFrame(ip6, 30, binary.LittleEndian), data6},
		{"null big endian v6 freebsd", layers.LinkTypeNull, loopFrame(ip6, 28, binary.BigEndian), data6},
		{"openbsd loop v4", layers.LinkTypeLoop, loopFrame(ip4, 2, binary.BigEndian), data4},
		{"openbsd loop v6", layers.LinkTypeLoop, loopFrame(ip6, 24, binary.BigEndian), data6},
		{"ethernet trailer", layers.LinkTypeEthernet, append(data4.ether(t), 0xde, 0xad, 0xbe, 0xef), data4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := openBytes(t, pcapBytes(t, tc.lt, 65535, recs(t0, tc.frame)))
			p, err := src.Next()
			if err != nil {
				t.Fatal(err)
			}
			checkSeg(t, p, tc.want)
			if p.CapLen != len(tc.frame) || p.Len != len(tc.frame) {
				t.Errorf("CapLen, Len = %d, %d, want %d", p.CapLen, p.Len, len(tc.frame))
			}
			st := src.Stats()
			if st.TCP != 1 || st.Other != 0 || st.Undecodable != 0 || st.Snapped != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// checkSeg compares a decoded TCP packet with the segment it was built from.
func checkSeg(t *testing.T, p *Packet, want seg) {
	t.Helper()
	if p.Kind != KindTCP {
		t.Fatalf("Kind = %v, want tcp", p.Kind)
	}
	ws, wd := netip.MustParseAddrPort(want.src), netip.MustParseAddrPort(want.dst)
	if p.Src != ws || p.Dst != wd {
		t.Errorf("endpoints %v > %v, want %v > %v", p.Src, p.Dst, ws, wd)
	}
	if p.Flags != want.flags || p.Seq != want.seq || p.Ack != want.ack || p.Window != want.win {
		t.Errorf("flags %v seq %d ack %d win %d, want %v %d %d %d", p.Flags, p.Seq, p.Ack, p.Window,
			want.flags, want.seq, want.ack, want.win)
	}
	if !bytes.Equal(p.Payload, want.payload) || p.PayloadLen != len(want.payload) {
		t.Errorf("payload %q (PayloadLen %d), want %q", p.Payload, p.PayloadLen, want.payload)
	}
	if p.TTL != want.ttl || p.IPID != want.ipid {
		t.Errorf("TTL %d IPID %d, want %d %d", p.TTL, p.IPID, want.ttl, want.ipid)
	}
	if p.CapLen == 0 || p.Len < p.CapLen || p.Time.IsZero() {
		t.Errorf("record: time %v, %d of %d bytes captured", p.Time, p.CapLen, p.Len)
	}
}

// TestIPv6ExtensionHeaders: hop-by-hop, routing and destination options are
// stepped over. An atomic fragment (offset 0, no more fragments: the whole
// datagram) is reassembled at once (issue 12 item 15; it used to be Other);
// a later fragment alone completes nothing and is held, not handed out.
func TestIPv6ExtensionHeaders(t *testing.T) {
	ip6 := data6.ipPacket(t)
	tcpBytes := ip6[40:]
	build := func(exts ...[]byte) []byte {
		// exts are (type, header) chained in order; the last points at TCP.
		var chain []byte
		first := layers.IPProtocolTCP
		for i := len(exts) - 1; i >= 0; i-- {
			h := bytes.Clone(exts[i][1:])
			h[0] = byte(first)
			chain = append(h, chain...)
			first = layers.IPProtocol(exts[i][0])
		}
		hdr := bytes.Clone(ip6[:40])
		hdr[6] = byte(first)
		binary.BigEndian.PutUint16(hdr[4:6], uint16(len(chain)+len(tcpBytes)))
		return append(append(hdr, chain...), tcpBytes...)
	}
	pad8 := func(typ layers.IPProtocol) []byte { return []byte{byte(typ), 0, 0, 1, 4, 0, 0, 0, 0} } // PadN
	routing := []byte{byte(layers.IPProtocolIPv6Routing), 0, 0, 0, 0, 0, 0, 0, 0}
	frag := func(off uint16) []byte {
		h := []byte{byte(layers.IPProtocolIPv6Fragment), 0, 0, 0, 0, 0, 0, 0, 1}
		binary.BigEndian.PutUint16(h[3:5], off<<3)
		return h
	}
	tests := []struct {
		name string
		ip   []byte
		kind Kind
	}{
		{"hop-by-hop", build(pad8(layers.IPProtocolIPv6HopByHop)), KindTCP},
		{"destination options", build(pad8(layers.IPProtocolIPv6Destination)), KindTCP},
		{"hop-by-hop, routing, destination", build(pad8(layers.IPProtocolIPv6HopByHop), routing, pad8(layers.IPProtocolIPv6Destination)), KindTCP},
		{"atomic fragment", build(frag(0)), KindTCP},
		{"routing, atomic fragment", build(routing, frag(0)), KindTCP},
		{"later fragment", build(frag(100)), KindOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := openBytes(t, pcapBytes(t, layers.LinkTypeRaw, 65535, recs(t0, tc.ip)))
			p, err := src.Next()
			if tc.name == "later fragment" {
				if st := src.Stats(); err != io.EOF || st.Fragments != 1 || st.FragmentsIncomplete != 1 || st.Packets != 0 {
					t.Errorf("Next: %v; stats %+v", err, st)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.kind == KindTCP {
				checkSeg(t, p, data6)
			} else if p.Kind != tc.kind {
				t.Errorf("Kind = %v, want %v", p.Kind, tc.kind)
			}
			if st := src.Stats(); st.Undecodable != 0 {
				t.Errorf("Undecodable = %d", st.Undecodable)
			}
		})
	}
}

// TestOtherFrames: everything that is not TCP or an ICMP error about TCP is
// KindOther; the malformed ones are also counted as undecodable.
func TestOtherFrames(t *testing.T) {
	ip4 := data4.ipPacket(t)
	eth := data4.ether(t)
	mod := func(b []byte, f func([]byte)) []byte { b = bytes.Clone(b); f(b); return b }
	udpIP := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{192, 0, 2, 2}}
	udpL := &layers.UDP{SrcPort: 53, DstPort: 5353}
	if err := udpL.SetNetworkLayerForChecksum(udpIP); err != nil {
		t.Fatal(err)
	}
	udp := serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4},
		udpIP, udpL, gopacket.Payload("dns"))
	arp := serialize(t,
		&layers.Ethernet{SrcMAC: macA, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: macA, SourceProtAddress: []byte{192, 0, 2, 1},
			DstHwAddress: make([]byte, 6), DstProtAddress: []byte{192, 0, 2, 2}})
	echo := serialize(t,
		&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{192, 0, 2, 2}},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1}, gopacket.Payload("ping"))
	tests := []struct {
		name      string
		lt        layers.LinkType
		frame     []byte
		malformed bool
	}{
		{"udp", layers.LinkTypeEthernet, udp, false},
		{"arp", layers.LinkTypeEthernet, arp, false},
		{"icmp echo", layers.LinkTypeRaw, echo, false},
		{"non-IP ethertype", layers.LinkTypeEthernet, mod(eth, func(b []byte) { b[12], b[13] = 0x88, 0xcc }), false},
		{"802.3 length frame", layers.LinkTypeEthernet, mod(eth, func(b []byte) { b[12], b[13] = 0, 40 }), false},
		{"ipv4 later fragment", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[6], b[7] = 0, 10 }), false},
		{"ipv4 first fragment", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[6] = 0x20 }), false},
		{"zero length ethernet", layers.LinkTypeEthernet, nil, true},
		{"zero length raw", layers.LinkTypeRaw, nil, true},
		{"zero length sll2", layers.LinkTypeLinuxSLL2, nil, true},
		{"short ethernet", layers.LinkTypeEthernet, eth[:10], true},
		{"unknown link type", layers.LinkTypeIEEE802_11, eth, true},
		{"raw ip version 5", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[0] = 0x55 }), true},
		{"ipv4 header says version 6", layers.LinkTypeIPv4, mod(ip4, func(b []byte) { b[0] = 0x65 }), true},
		{"ipv4 IHL 4", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[0] = 0x44 }), true},
		{"ipv4 IHL beyond length", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[0] = 0x4f; b[2], b[3] = 0, 40 }), true},
		{"ipv4 total length 19", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[2], b[3] = 0, 19 }), true},
		{"ipv4 length leaves no TCP header", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[2], b[3] = 0, 20 }), true},
		{"tcp data offset 4", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[32] = 0x40 }), true},
		{"tcp data offset beyond segment", layers.LinkTypeRaw, mod(ip4, func(b []byte) { b[2], b[3] = 0, 60; b[32] = 0xf0 }), true},
		{"tcp header cut at 10 bytes", layers.LinkTypeRaw, ip4[:30], true},
		{"ipv6 payload length shorter than tcp header", layers.LinkTypeRaw, mod(data6.ipPacket(t), func(b []byte) { b[4], b[5] = 0, 8 }), true},
		{"loopback bad family", layers.LinkTypeNull, loopFrame(ip4, 0x01020304, binary.LittleEndian), true},
		{"sll bad address length", layers.LinkTypeLinuxSLL, mod(sllFrame(ip4, layers.EthernetTypeIPv4), func(b []byte) { b[5] = 9 }), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newFrameDecoder()
			var p Packet
			malformed := d.decode(&p, tc.frame, tc.lt)
			if p.Kind != KindOther || malformed != tc.malformed {
				t.Errorf("Kind %v malformed %v, want other, %v", p.Kind, malformed, tc.malformed)
			}
		})
	}
}

// TestOtherStats runs a mix through a file and checks the counters.
func TestOtherStats(t *testing.T) {
	ip4 := data4.ipPacket(t)
	bad := bytes.Clone(ip4)
	bad[0] = 0x44
	frames := [][]byte{ip4, nil, bad, ip4[:30], ip4}
	src := openBytes(t, pcapBytes(t, layers.LinkTypeRaw, 65535, recs(t0, frames...)))
	ps := readAll(t, src)
	kinds := []Kind{KindTCP, KindOther, KindOther, KindOther, KindTCP}
	for i, p := range ps {
		if p.Kind != kinds[i] || p.Num != uint64(i+1) || p.FileNum != uint64(i+1) {
			t.Errorf("packet %d: kind %v num %d/%d", i, p.Kind, p.Num, p.FileNum)
		}
	}
	st := src.Stats()
	if len(ps) != 5 || st.Packets != 5 || st.TCP != 2 || st.Other != 3 || st.Undecodable != 3 {
		t.Errorf("read %d, stats %+v", len(ps), st)
	}
	var bytesRead uint64
	for _, f := range frames {
		bytesRead += uint64(len(f))
	}
	if st.Bytes != bytesRead {
		t.Errorf("Bytes = %d, want %d", st.Bytes, bytesRead)
	}
}

// icmpQuote builds the bytes an ICMP error quotes: the SYN's IP header and
// the first n bytes of its TCP header.
func icmpQuote(t *testing.T, s seg, n int) []byte {
	ip := s.ipPacket(t)
	hl := 40
	if ip[0]>>4 == 4 {
		hl = int(ip[0]&0xf) * 4
	}
	return ip[:hl+n]
}

// TestICMPErrors: firewalls answer blocked SYNs with ICMP errors; the quote
// names the connection attempt.
func TestICMPErrors(t *testing.T) {
	syn4 := syn("192.0.2.10:40001", "198.51.100.7:50000")
	syn6 := syn("[2001:db8::10]:40001", "[2001:db8::21]:50000")
	fw4 := net.IP{203, 0, 113, 1}
	fw6 := netip.MustParseAddr("2001:db8:ffff::1")
	icmp4 := func(typ, code uint8, quote []byte) []byte {
		return serialize(t,
			&layers.IPv4{Version: 4, TTL: 250, Id: 99, Protocol: layers.IPProtocolICMPv4, SrcIP: fw4, DstIP: net.IP{192, 0, 2, 10}},
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}, gopacket.Payload(quote))
	}
	icmp6 := func(typ, code uint8, quote []byte) []byte {
		ip := &layers.IPv6{Version: 6, HopLimit: 250, NextHeader: layers.IPProtocolICMPv6,
			SrcIP: fw6.AsSlice(), DstIP: netip.MustParseAddr("2001:db8::10").AsSlice()}
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
		if err := ic.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		return serialize(t, ip, ic, gopacket.Payload(append([]byte{0, 0, 0, 0}, quote...)))
	}
	withOptions := func(q []byte) []byte { // quoted IPv4 header with 4 bytes of options
		h := append(bytes.Clone(q[:20]), 1, 1, 1, 0)
		h[0] = 0x46
		return append(h, q[20:]...)
	}
	udpQuote := bytes.Clone(icmpQuote(t, syn4, 8))
	udpQuote[9] = byte(layers.IPProtocolUDP)
	fragQuote := bytes.Clone(icmpQuote(t, syn4, 8))
	fragQuote[7] = 5

	tests := []struct {
		name     string
		frame    []byte
		want     *ICMPError // nil: KindOther
		ttl      uint8
		ipid     uint16
		malform  bool
		hasFlags bool
	}{
		{"admin prohibited, full tcp header", icmp4(3, 13, icmpQuote(t, syn4, 24)),
			&ICMPError{Type: 3, Code: 13, HasFlags: true, Flags: SYN}, 250, 99, false, true},
		{"port unreachable, 8 bytes (RFC 792)", icmp4(3, 3, icmpQuote(t, syn4, 8)),
			&ICMPError{Type: 3, Code: 3}, 250, 99, false, false},
		{"host unreachable, 14 bytes", icmp4(3, 1, icmpQuote(t, syn4, 14)),
			&ICMPError{Type: 3, Code: 1, HasFlags: true, Flags: SYN}, 250, 99, false, true},
		{"time exceeded", icmp4(11, 0, icmpQuote(t, syn4, 8)), &ICMPError{Type: 11}, 250, 99, false, false},
		{"quoted header with options", icmp4(3, 10, withOptions(icmpQuote(t, syn4, 20))),
			&ICMPError{Type: 3, Code: 10, HasFlags: true, Flags: SYN}, 250, 99, false, true},
		{"quote too short", icmp4(3, 13, icmpQuote(t, syn4, 7)), nil, 0, 0, false, false},
		{"quote of udp", icmp4(3, 3, udpQuote), nil, 0, 0, false, false},
		{"quote of a later fragment", icmp4(3, 3, fragQuote), nil, 0, 0, false, false},
		{"echo reply is no error", icmp4(0, 0, icmpQuote(t, syn4, 8)), nil, 0, 0, false, false},
		{"icmpv6 admin prohibited", icmp6(1, 1, icmpQuote(t, syn6, 24)),
			&ICMPError{V6: true, Type: 1, Code: 1, HasFlags: true, Flags: SYN}, 250, 0, false, true},
		{"icmpv6 port unreachable, 8 bytes", icmp6(1, 4, icmpQuote(t, syn6, 8)),
			&ICMPError{V6: true, Type: 1, Code: 4}, 250, 0, false, false},
		{"icmpv6 packet too big", icmp6(2, 0, icmpQuote(t, syn6, 20)),
			&ICMPError{V6: true, Type: 2, HasFlags: true, Flags: SYN}, 250, 0, false, true},
		{"icmpv6 echo is no error", icmp6(128, 0, icmpQuote(t, syn6, 20)), nil, 0, 0, false, false},
		{"icmpv6 quote too short", icmp6(1, 1, icmpQuote(t, syn6, 6)), nil, 0, 0, false, false},
		{"icmpv4 header cut", icmp4(3, 13, nil)[:24], nil, 0, 0, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newFrameDecoder()
			var p Packet
			malformed := d.decode(&p, tc.frame, layers.LinkTypeRaw)
			if malformed != tc.malform {
				t.Errorf("malformed = %v", malformed)
			}
			if tc.want == nil {
				if p.Kind != KindOther {
					t.Errorf("Kind = %v, want other (%+v)", p.Kind, p.ICMP)
				}
				return
			}
			if p.Kind != KindICMP {
				t.Fatalf("Kind = %v, want icmp", p.Kind)
			}
			want := *tc.want
			s := syn4
			want.From, want.To = netip.AddrFrom4([4]byte(fw4)), netip.MustParseAddr("192.0.2.10")
			if want.V6 {
				s = syn6
				want.From, want.To = fw6, netip.MustParseAddr("2001:db8::10")
			}
			want.Src, want.Dst = netip.MustParseAddrPort(s.src), netip.MustParseAddrPort(s.dst)
			want.Seq = s.seq
			if p.ICMP != want {
				t.Errorf("ICMP =\n %+v, want\n %+v", p.ICMP, want)
			}
			if !p.ICMP.Unreachable() != (want.Type != 3 && want.Type != 1) {
				t.Errorf("Unreachable() = %v", p.ICMP.Unreachable())
			}
			if p.TTL != tc.ttl || p.IPID != tc.ipid {
				t.Errorf("TTL %d IPID %d", p.TTL, p.IPID)
			}
		})
	}
}

// TestSnapLength: with a 96-byte snap length the payload is cut; PayloadLen
// still says how long it was.
func TestSnapLength(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1000)
	tests := []struct {
		name    string
		s       seg
		wantCap int // captured payload bytes
	}{
		{"ipv4", seg{src: "192.0.2.1:20", dst: "192.0.2.2:40000", flags: ACK, seq: 1, payload: big}, 96 - 14 - 20 - 20},
		{"ipv6", seg{src: "[2001:db8::1]:20", dst: "[2001:db8::2]:40000", flags: ACK, seq: 1, payload: big}, 96 - 14 - 40 - 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame := tc.s.ether(t)
			src := openBytes(t, pcapBytes(t, layers.LinkTypeEthernet, 96,
				[]rec{{t: t0, data: frame[:96], wire: len(frame)}, {t: t0, data: data4.ether(t)}}))
			p, err := src.Next()
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != KindTCP || p.PayloadLen != 1000 || len(p.Payload) != tc.wantCap || p.Len != len(frame) || p.CapLen != 96 {
				t.Errorf("kind %v PayloadLen %d len(Payload) %d Len %d CapLen %d", p.Kind, p.PayloadLen, len(p.Payload), p.Len, p.CapLen)
			}
			if _, err := src.Next(); err != nil {
				t.Fatal(err)
			}
			if st := src.Stats(); st.Snapped != 1 || st.TCP != 2 {
				t.Errorf("Snapped %d TCP %d, want 1, 2", st.Snapped, st.TCP)
			}
		})
	}
}

// TestPortsAreNumbers guards against gopacket's TCPPort String ("21(ftp)").
func TestPortsAreNumbers(t *testing.T) {
	src := openBytes(t, pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0, data4.ether(t))))
	p, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Dst.String(); got != "198.51.100.7:21" {
		t.Errorf("Dst = %q", got)
	}
}

// TestPacketReuse: the Packet is reused from one frame to the next; what a
// frame of another kind left behind must not show through.
func TestPacketReuse(t *testing.T) {
	syn4 := syn("192.0.2.10:40001", "198.51.100.7:50000")
	icmp := serialize(t,
		&layers.IPv4{Version: 4, TTL: 250, Id: 99, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP{203, 0, 113, 1}, DstIP: net.IP{192, 0, 2, 10}},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)}, gopacket.Payload(icmpQuote(t, syn4, 20)))
	ip4, ip6 := data4.ipPacket(t), data6.ipPacket(t)
	junk := []byte{0x45, 0, 0}
	frames := [][]byte{ip4, junk, icmp, ip6, icmp, junk, ip4, icmp, ip4}
	src := openBytes(t, pcapBytes(t, layers.LinkTypeRaw, 65535, recs(t0, frames...)))
	for i := range frames {
		p, err := src.Next()
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != KindTCP && (p.Src.IsValid() || p.Dst.IsValid() || p.Payload != nil || p.PayloadLen != 0 ||
			p.Seq != 0 || p.Flags != 0) {
			t.Errorf("frame %d (%v) keeps TCP fields: %+v", i+1, p.Kind, p)
		}
		if p.Kind != KindICMP && p.ICMP != (ICMPError{}) {
			t.Errorf("frame %d (%v) keeps ICMP fields: %+v", i+1, p.Kind, p.ICMP)
		}
		if p.Kind == KindOther && (p.TTL != 0 || p.IPID != 0) {
			t.Errorf("frame %d keeps TTL %d IPID %d", i+1, p.TTL, p.IPID)
		}
		if p.Kind == KindTCP && p.Src.Addr().Is6() && p.IPID != 0 {
			t.Errorf("frame %d: IPv6 with IPID %d", i+1, p.IPID)
		}
		if p.Kind == KindICMP && (p.TTL != 250 || p.IPID != 99) {
			t.Errorf("frame %d: ICMP TTL %d IPID %d", i+1, p.TTL, p.IPID)
		}
	}
}

// TestTSOLength: an IPv4 total length of 0 (captured before TCP segmentation
// offload) leaves only the frame's wire length to size the payload.
func TestTSOLength(t *testing.T) {
	s := seg{src: "192.0.2.1:20", dst: "192.0.2.2:40000", flags: ACK, seq: 1, payload: bytes.Repeat([]byte("y"), 3000)}
	frame := s.ether(t)
	frame[14+2], frame[14+3] = 0, 0
	tests := []struct {
		name            string
		captured        int
		wantPayloadLen  int
		wantCapturedLen int
	}{
		{"whole", len(frame), 3000, 3000},
		{"snapped", 200, 3000, 200 - 54},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := openBytes(t, pcapBytes(t, layers.LinkTypeEthernet, 65535,
				[]rec{{t: t0, data: frame[:tc.captured], wire: len(frame)}}))
			p, err := src.Next()
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != KindTCP || p.PayloadLen != tc.wantPayloadLen || len(p.Payload) != tc.wantCapturedLen {
				t.Errorf("kind %v PayloadLen %d captured %d, want %d, %d", p.Kind, p.PayloadLen, len(p.Payload), tc.wantPayloadLen, tc.wantCapturedLen)
			}
		})
	}
}
