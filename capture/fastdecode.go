package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// The fast path of the decoder. Nearly every frame of a real capture is a
// TCP segment in plain Ethernet (or raw IP) with an IPv4 header without
// options or an IPv6 header followed directly by TCP. For those, gopacket's
// DecodingLayerParser costs about a third of a whole run on a background-
// heavy capture (the layer interface calls, the MAC and option slices it
// fills, the container lookups), on the path every packet takes, where the
// raw read loop we are measured against does nothing of the kind. decodeFast
// reads exactly the fields gopacket would and fills the Packet the way
// fillTCP4 and fillTCP6 do from gopacket's layers; it declines (returns
// false) for everything else, and gopacket decodes that: VLAN tags, SLL,
// tunnels, IP options, fragments, extension headers, ICMP, a TSO length of
// 0, and every frame that is malformed in any way, so that gopacket alone
// decides what is malformed and how. TestFastDecodeMatchesGopacket and
// FuzzDecode check that both paths give identical packets.

// decodeFast decodes frame (of link type lt) into p when it is a plain TCP
// segment, and reports whether it did. It never reports a malformed frame:
// it leaves those to gopacket.
func (d *frameDecoder) decodeFast(p *Packet, frame []byte, lt layers.LinkType) bool {
	var ip []byte
	switch lt {
	case layers.LinkTypeEthernet:
		if len(frame) < 14 {
			return false
		}
		switch binary.BigEndian.Uint16(frame[12:14]) {
		case uint16(layers.EthernetTypeIPv4):
			return fastTCP4(p, frame[14:])
		case uint16(layers.EthernetTypeIPv6):
			return fastTCP6(p, frame[14:])
		}
		return false
	case layers.LinkTypeRaw, linkTypeRawDLT12, linkTypeRawDLT14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		ip = frame
	default:
		return false
	}
	if len(ip) == 0 {
		return false
	}
	// The parser for these link types is picked by the version nibble
	// (LinkTypeIPv4 and LinkTypeIPv6 name it outright).
	switch {
	case lt == layers.LinkTypeIPv4 || lt != layers.LinkTypeIPv6 && ip[0]>>4 == 4:
		return fastTCP4(p, ip)
	case lt == layers.LinkTypeIPv6 || ip[0]>>4 == 6:
		return fastTCP6(p, ip)
	}
	return false
}

// fastTCP4 is gopacket's IPv4 then TCP decoding, for a header of 20 bytes
// carrying an unfragmented TCP segment, followed by fillTCP4.
func fastTCP4(p *Packet, ip []byte) bool {
	if len(ip) < 20 || ip[0] != 0x45 || ip[9] != byte(layers.IPProtocolTCP) {
		return false
	}
	length := int(binary.BigEndian.Uint16(ip[2:4]))
	if length < 20 || binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 {
		// Length 0 (TSO) and lengths below the header are gopacket's to
		// judge; so are fragments (MF set or an offset).
		return false
	}
	if len(ip) > length {
		ip = ip[:length] // Ethernet padding, or a trailer
	}
	tcp, ok := fastTCPHeader(ip[20:])
	if !ok {
		return false
	}
	dataStart := int(tcp[12]>>4) * 4
	payload := tcp[dataStart:]
	payloadLen := length - 20 - dataStart
	if payloadLen < len(payload) {
		return false
	}
	p.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), binary.BigEndian.Uint16(tcp[0:2]))
	p.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[16:20])), binary.BigEndian.Uint16(tcp[2:4]))
	p.TTL, p.IPID = ip[8], binary.BigEndian.Uint16(ip[4:6])
	fastFillTCP(p, tcp, payload, payloadLen)
	return true
}

// fastTCP6 is gopacket's IPv6 then TCP decoding, for a header followed
// directly by TCP (no extension headers) with a payload length that is not
// 0, followed by fillTCP6.
func fastTCP6(p *Packet, ip []byte) bool {
	if len(ip) < 40 || ip[0]>>4 != 6 || ip[6] != byte(layers.IPProtocolTCP) {
		return false
	}
	length := int(binary.BigEndian.Uint16(ip[4:6]))
	if length == 0 {
		return false
	}
	body := ip[40:]
	if len(body) > length {
		body = body[:length]
	}
	tcp, ok := fastTCPHeader(body)
	if !ok {
		return false
	}
	dataStart := int(tcp[12]>>4) * 4
	payload := tcp[dataStart:]
	payloadLen := length - dataStart
	if payloadLen < len(payload) {
		return false
	}
	p.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip[8:24])), binary.BigEndian.Uint16(tcp[0:2]))
	p.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip[24:40])), binary.BigEndian.Uint16(tcp[2:4]))
	p.TTL, p.IPID = ip[7], 0
	fastFillTCP(p, tcp, payload, payloadLen)
	return true
}

// fastTCPHeader returns the TCP segment when its header is whole: gopacket
// errors on a data offset below 5 or beyond the bytes there are. Options
// never make gopacket fail (it stops at one it cannot follow), so they need
// no reading here.
func fastTCPHeader(seg []byte) ([]byte, bool) {
	if len(seg) < 20 {
		return nil, false
	}
	off := int(seg[12]>>4) * 4
	if off < 20 || off > len(seg) {
		return nil, false
	}
	return seg, true
}

// fastFillTCP is fillTCPHeader from the raw header.
func fastFillTCP(p *Packet, tcp, payload []byte, payloadLen int) {
	p.Kind = KindTCP
	p.Flags = TCPFlags(tcp[13]) & (FIN | SYN | RST | PSH | ACK | URG)
	p.Seq = binary.BigEndian.Uint32(tcp[4:8])
	p.Ack = binary.BigEndian.Uint32(tcp[8:12])
	p.Window = binary.BigEndian.Uint16(tcp[14:16])
	p.Payload = payload
	p.PayloadLen = payloadLen
}
