package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Link types that gopacket does not name. LINKTYPE_RAW is 101 in files, but
// some writers store the platform's DLT_RAW value instead: 12 on most systems,
// 14 on OpenBSD. libpcap maps both back to raw IP when it reads a file.
const (
	linkTypeRawDLT12 layers.LinkType = 12
	linkTypeRawDLT14 layers.LinkType = 14
)

// ethernetTypeQinQOld is the pre-standard 802.1Q-in-Q tag (0x9100) that some
// switches still write; gopacket does not map it to Dot1Q.
const ethernetTypeQinQOld layers.EthernetType = 0x9100

// frameDecoder turns captured frames into Packets. It owns one instance of
// every layer it decodes and one DecodingLayerParser per possible first
// layer; all parsers share the layer structs, so once the layers' option
// slices have grown to their steady size, decoding allocates nothing.
type frameDecoder struct {
	eth   vlanEthernet
	dot1q vlanDot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	ext   ip6ExtSkipper
	tcp   lastTCP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6

	// Encapsulations (tunnel.go).
	gre   layers.GRE
	mpls  mplsStack
	pppoe pppoeSession
	udp   udpTunnel
	vxlan layers.VXLAN

	ethernet, linuxSLL, linuxSLL2, loopback, rawIPv4, rawIPv6 *gopacket.DecodingLayerParser

	decoded []gopacket.LayerType

	// gopacketOnly turns the fast path (fastdecode.go) off: the tests
	// compare both paths.
	gopacketOnly bool
}

// newFrameDecoder builds the parsers. Each parser gets its own container
// (DecodingLayerSparse, gopacket's fastest) holding the same layer structs.
func newFrameDecoder() *frameDecoder {
	d := &frameDecoder{decoded: make([]gopacket.LayerType, 0, 16)}
	all := []gopacket.DecodingLayer{
		&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop,
		&d.ip4, &d.ip6, &d.ext, &d.tcp, &d.icmp4, &d.icmp6,
		&d.gre, &d.mpls, &d.pppoe, &d.udp, &d.vxlan,
	}
	parser := func(first gopacket.LayerType) *gopacket.DecodingLayerParser {
		var c gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
		for _, l := range all {
			c = c.Put(l)
		}
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(c)
		// Frames we cannot follow further (ARP, UDP, LLC, fragments) are
		// simply not TCP: we read what was decoded, not the error.
		p.IgnoreUnsupported = true
		return p
	}
	d.ethernet = parser(layers.LayerTypeEthernet)
	d.linuxSLL = parser(layers.LayerTypeLinuxSLL)
	d.linuxSLL2 = parser(layers.LayerTypeLinuxSLL2)
	d.loopback = parser(layers.LayerTypeLoopback)
	d.rawIPv4 = parser(layers.LayerTypeIPv4)
	d.rawIPv6 = parser(layers.LayerTypeIPv6)
	return d
}

// parserFor picks the parser for a frame of link type lt, or nil when the
// link type is not one we decode.
func (d *frameDecoder) parserFor(lt layers.LinkType, data []byte) *gopacket.DecodingLayerParser {
	switch lt {
	case layers.LinkTypeEthernet:
		return d.ethernet
	case layers.LinkTypeLinuxSLL:
		return d.linuxSLL
	case layers.LinkTypeLinuxSLL2:
		return d.linuxSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		// gopacket's Loopback reads the family in either byte order: DLT_NULL
		// stores it in the writer's host order, DLT_LOOP in network order.
		return d.loopback
	case layers.LinkTypeIPv4:
		return d.rawIPv4
	case layers.LinkTypeIPv6:
		return d.rawIPv6
	case layers.LinkTypeRaw, linkTypeRawDLT12, linkTypeRawDLT14:
		if len(data) == 0 {
			return nil
		}
		switch data[0] >> 4 {
		case 4:
			return d.rawIPv4
		case 6:
			return d.rawIPv6
		}
	}
	return nil
}

// decode fills the protocol fields of p (Kind and what goes with it) from
// frame, captured on a link of type lt. p.Len must hold the frame's wire
// length: it sizes the payload of a segment whose IP header gives none.
// decode reports whether the frame was malformed: an unknown link type, a
// header that contradicts itself, or a TCP header cut short. Malformed
// frames are KindOther. decode never panics and never allocates once warmed
// up. p is reused: fields the previous frame's kind set are cleared.
func (d *frameDecoder) decode(p *Packet, frame []byte, lt layers.LinkType) (malformed bool) {
	prev := p.Kind
	malformed = d.decodeKind(p, frame, lt)
	p.clearStale(prev)
	p.notDecoded = UndecodedNone
	if p.Kind == KindOther && !malformed {
		p.notDecoded = d.undecoded()
	}
	return malformed
}

// decodeKind is decode without the clean-up of the previous packet's fields.
func (d *frameDecoder) decodeKind(p *Packet, frame []byte, lt layers.LinkType) (malformed bool) {
	p.Kind = KindOther
	if !d.gopacketOnly && d.decodeFast(p, frame, lt) {
		return false
	}
	parser := d.parserFor(lt, frame)
	if parser == nil {
		return true
	}
	if err := parser.DecodeLayers(frame, &d.decoded); err != nil {
		return true
	}
	n := len(d.decoded)
	if n == 0 {
		return true
	}
	// A reused layer struct holds the innermost header of its type, which
	// is the one that carries what follows (IP-in-IP tunnels included).
	net := gopacket.LayerTypeZero
	for i := n - 1; i >= 0; i-- {
		if t := d.decoded[i]; t == layers.LayerTypeIPv4 || t == layers.LayerTypeIPv6 {
			net = t
			break
		}
	}
	if net == layers.LayerTypeIPv4 && d.ip4.Version != 4 || net == layers.LayerTypeIPv6 && d.ip6.Version != 6 {
		return true
	}
	switch d.decoded[n-1] {
	case layers.LayerTypeTCP:
		switch net {
		case layers.LayerTypeIPv4:
			return d.fillTCP4(p, frame)
		case layers.LayerTypeIPv6:
			return d.fillTCP6(p, frame)
		}
		return true
	case layers.LayerTypeICMPv4:
		if net == layers.LayerTypeIPv4 {
			d.fillICMPv4(p)
		}
	case layers.LayerTypeICMPv6:
		if net == layers.LayerTypeIPv6 {
			d.fillICMPv6(p)
		}
	case layers.LayerTypeIPv4:
		// The parser stops after IP when nothing follows it. A TCP
		// datagram with no room for a TCP header is malformed (or cut by
		// the snap length before the ports); a fragment is just not ours.
		return d.ip4.Protocol == layers.IPProtocolTCP && d.ip4.FragOffset == 0 &&
			d.ip4.Flags&layers.IPv4MoreFragments == 0
	case layers.LayerTypeIPv6:
		return d.ip6.NextLayerType() == layers.LayerTypeTCP
	case layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
		return d.ext.NextHeader == layers.IPProtocolTCP
	}
	return false
}

// clearStale zeroes the fields that the packet decoded before, of kind
// prev, set and the current kind does not: the Packet struct is reused.
func (p *Packet) clearStale(prev Kind) {
	if prev == p.Kind || prev == KindOther {
		return
	}
	if prev == KindTCP {
		p.Src, p.Dst = netip.AddrPort{}, netip.AddrPort{}
		p.Flags, p.Seq, p.Ack, p.Window = 0, 0, 0, 0
		p.Payload, p.PayloadLen = nil, 0
	} else {
		p.ICMP = ICMPError{}
	}
	if p.Kind == KindOther {
		p.TTL, p.IPID = 0, 0
	}
}

// fillTCP4 fills a KindTCP packet from the decoded IPv4 and TCP layers.
// It is split from fillTCP6 because this is the per-packet path of every
// capture: no branching on the IP version, no copies through locals.
func (d *frameDecoder) fillTCP4(p *Packet, frame []byte) (malformed bool) {
	ip, tcp := &d.ip4, &d.tcp.TCP
	hdr := tcp.Contents
	if len(hdr) < 20 {
		return true
	}
	// From the IP length rather than the captured bytes, so that a small
	// snap length shows as PayloadLen > len(Payload). The offset of the TCP
	// header from the IP header counts IP options.
	var payloadLen int
	if ip.Contents[2] == 0 && ip.Contents[3] == 0 {
		// Length 0: captured before TCP segmentation offload split the
		// segment (gopacket then takes the captured length as the IP
		// length). Only the frame's wire length can tell what is missing.
		payloadLen = len(tcp.Payload) + uncaptured(p, frame)
	} else {
		payloadLen = int(ip.Length) - (offsetIn(frame, hdr) - offsetIn(frame, ip.Contents)) - len(hdr)
		if payloadLen < len(tcp.Payload) {
			return true
		}
	}
	src, dst := [4]byte(ip.SrcIP), [4]byte(ip.DstIP)
	p.Src = netip.AddrPortFrom(netip.AddrFrom4(src), uint16(tcp.SrcPort))
	p.Dst = netip.AddrPortFrom(netip.AddrFrom4(dst), uint16(tcp.DstPort))
	p.TTL, p.IPID = ip.TTL, ip.Id
	fillTCPHeader(p, tcp, payloadLen)
	return false
}

// fillTCP6 is fillTCP4 for IPv6. The offset of the TCP header counts
// extension headers.
func (d *frameDecoder) fillTCP6(p *Packet, frame []byte) (malformed bool) {
	ip, tcp := &d.ip6, &d.tcp.TCP
	hdr := tcp.Contents
	if len(hdr) < 20 {
		return true
	}
	var payloadLen int
	if ip.Length == 0 { // a jumbogram: the length is in a hop-by-hop option
		payloadLen = len(tcp.Payload) + uncaptured(p, frame)
	} else {
		payloadLen = 40 + int(ip.Length) - (offsetIn(frame, hdr) - offsetIn(frame, ip.Contents)) - len(hdr)
		if payloadLen < len(tcp.Payload) {
			return true
		}
	}
	src, dst := [16]byte(ip.SrcIP), [16]byte(ip.DstIP)
	p.Src = netip.AddrPortFrom(netip.AddrFrom16(src), uint16(tcp.SrcPort))
	p.Dst = netip.AddrPortFrom(netip.AddrFrom16(dst), uint16(tcp.DstPort))
	p.TTL, p.IPID = ip.HopLimit, 0
	fillTCPHeader(p, tcp, payloadLen)
	return false
}

// uncaptured is how many bytes of the frame the snap length cut off, from
// the wire length the reader put in p.Len before decoding.
func uncaptured(p *Packet, frame []byte) int {
	return max(p.Len-len(frame), 0)
}

// fillTCPHeader fills the fields that come from the TCP header alone.
func fillTCPHeader(p *Packet, tcp *layers.TCP, payloadLen int) {
	p.Kind = KindTCP
	// Byte 13 of the header carries the flags in the bit order of TCPFlags.
	p.Flags = TCPFlags(tcp.Contents[13]) & (FIN | SYN | RST | PSH | ACK | URG)
	p.Seq = tcp.Seq
	p.Ack = tcp.Ack
	p.Window = tcp.Window
	p.Payload = tcp.Payload
	p.PayloadLen = payloadLen
}

// fillICMPv4 makes p a KindICMP packet if the ICMP message is an error that
// quotes a TCP header; otherwise p stays KindOther (ping, UDP unreachable).
func (d *frameDecoder) fillICMPv4(p *Packet) {
	ic := &d.icmp4
	typ, code := ic.TypeCode.Type(), ic.TypeCode.Code()
	switch typ {
	case layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4TypeTimeExceeded,
		layers.ICMPv4TypeParameterProblem, layers.ICMPv4TypeSourceQuench,
		layers.ICMPv4TypeRedirect:
	default:
		return
	}
	var e ICMPError
	if !quotedTCPv4(&e, ic.Payload) {
		return
	}
	e.From = netip.AddrFrom4([4]byte(d.ip4.SrcIP))
	e.To = netip.AddrFrom4([4]byte(d.ip4.DstIP))
	e.Type, e.Code = typ, code
	p.Kind = KindICMP
	p.ICMP = e
	p.TTL = d.ip4.TTL
	p.IPID = d.ip4.Id
}

// fillICMPv6 is fillICMPv4 for ICMPv6 errors.
func (d *frameDecoder) fillICMPv6(p *Packet) {
	ic := &d.icmp6
	typ, code := ic.TypeCode.Type(), ic.TypeCode.Code()
	switch typ {
	case layers.ICMPv6TypeDestinationUnreachable, layers.ICMPv6TypePacketTooBig,
		layers.ICMPv6TypeTimeExceeded, layers.ICMPv6TypeParameterProblem:
	default:
		return
	}
	// gopacket's ICMPv6 payload starts after type, code and checksum; the
	// quote follows four more bytes (unused, MTU or pointer).
	if len(ic.Payload) < 4 {
		return
	}
	var e ICMPError
	if !quotedTCPv6(&e, ic.Payload[4:]) {
		return
	}
	e.From = netip.AddrFrom16([16]byte(d.ip6.SrcIP))
	e.To = netip.AddrFrom16([16]byte(d.ip6.DstIP))
	e.V6 = true
	e.Type, e.Code = typ, code
	p.Kind = KindICMP
	p.ICMP = e
	p.TTL = d.ip6.HopLimit
	p.IPID = 0
}

// quotedTCPv4 reads the IPv4 header and the first bytes of the TCP header
// that an ICMP error quotes. It is hand-written because RFC 792 promises
// only 8 bytes of the transport header, and gopacket's TCP decoder needs 20.
func quotedTCPv4(e *ICMPError, q []byte) bool {
	if len(q) < 20 || q[0]>>4 != 4 {
		return false
	}
	ihl := int(q[0]&0x0f) * 4
	if ihl < 20 || len(q) < ihl+8 || layers.IPProtocol(q[9]) != layers.IPProtocolTCP {
		return false
	}
	if binary.BigEndian.Uint16(q[6:8])&0x1fff != 0 {
		return false // a later fragment: no TCP header in it
	}
	src := netip.AddrFrom4([4]byte(q[12:16]))
	dst := netip.AddrFrom4([4]byte(q[16:20]))
	quotedTCP(e, src, dst, q[ihl:])
	return true
}

// quotedTCPv6 is quotedTCPv4 for a quoted IPv6 header. It steps over
// hop-by-hop, routing, destination-options and first-fragment headers.
func quotedTCPv6(e *ICMPError, q []byte) bool {
	if len(q) < 40 || q[0]>>4 != 6 {
		return false
	}
	next := layers.IPProtocol(q[6])
	off := 40
	for range 8 { // a bound on hostile chains of extension headers
		if next == layers.IPProtocolTCP {
			break
		}
		if len(q) < off+8 {
			return false
		}
		switch next {
		case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination:
			next = layers.IPProtocol(q[off])
			off += (int(q[off+1]) + 1) * 8
		case layers.IPProtocolIPv6Fragment:
			if binary.BigEndian.Uint16(q[off+2:off+4])&0xfff8 != 0 {
				return false // a later fragment: no TCP header in it
			}
			next = layers.IPProtocol(q[off])
			off += 8
		default:
			return false
		}
	}
	if next != layers.IPProtocolTCP || len(q) < off+8 {
		return false
	}
	src := netip.AddrFrom16([16]byte(q[8:24]))
	dst := netip.AddrFrom16([16]byte(q[24:40]))
	quotedTCP(e, src, dst, q[off:])
	return true
}

// quotedTCP fills e from a quoted TCP header of at least 8 bytes.
func quotedTCP(e *ICMPError, src, dst netip.Addr, t []byte) {
	e.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(t[0:2]))
	e.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(t[2:4]))
	e.Seq = binary.BigEndian.Uint32(t[4:8])
	if len(t) >= 14 {
		e.Flags = TCPFlags(t[13]) & (FIN | SYN | RST | PSH | ACK | URG)
		e.HasFlags = true
	}
}

// offsetIn returns where sub starts inside frame. Every layer's Contents is
// a subslice of the frame, and a subslice keeps the capacity up to the end
// of the frame's backing array, so the difference in capacities is the
// offset. This measures IP options and IPv6 extension headers without
// decoding them twice.
func offsetIn(frame, sub []byte) int {
	return cap(frame) - cap(sub)
}

// vlanEthernet is gopacket's Ethernet layer that also follows the old QinQ
// tag 0x9100 into a VLAN header.
type vlanEthernet struct{ layers.Ethernet }

// NextLayerType implements gopacket.DecodingLayer.
func (e *vlanEthernet) NextLayerType() gopacket.LayerType {
	if e.EthernetType == ethernetTypeQinQOld {
		return layers.LayerTypeDot1Q
	}
	return e.Ethernet.NextLayerType()
}

// vlanDot1Q is gopacket's Dot1Q layer that also follows the old QinQ tag
// 0x9100 into another VLAN header.
type vlanDot1Q struct{ layers.Dot1Q }

// NextLayerType implements gopacket.DecodingLayer.
func (v *vlanDot1Q) NextLayerType() gopacket.LayerType {
	if v.Type == ethernetTypeQinQOld {
		return layers.LayerTypeDot1Q
	}
	return v.Dot1Q.NextLayerType()
}

// ip6ExtSkipper steps over IPv6 routing and destination-options headers
// (hop-by-hop is handled by gopacket's IPv6 layer itself). It leaves out the
// fragment header that gopacket's IPv6ExtensionSkipper would also skip: a
// later fragment has no TCP header, and decoding its bytes as one would
// invent a segment. Fragments stay KindOther.
type ip6ExtSkipper struct{ layers.IPv6ExtensionSkipper }

var ip6SkippedExtensions = gopacket.NewLayerClass([]gopacket.LayerType{
	layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination,
})

// CanDecode implements gopacket.DecodingLayer.
func (s *ip6ExtSkipper) CanDecode() gopacket.LayerClass { return ip6SkippedExtensions }

// lastTCP is gopacket's TCP layer as the last one decoded. gopacket's own
// NextLayerType looks the ports up for an application layer, on every
// segment, only for the parser to find no decoder for it; ftpscope reads the
// payload itself.
type lastTCP struct{ layers.TCP }

// NextLayerType implements gopacket.DecodingLayer: nothing follows TCP here.
func (t *lastTCP) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
