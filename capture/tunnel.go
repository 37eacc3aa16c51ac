package capture

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The encapsulations the decoder follows to the TCP inside: GRE (IP,
// Ethernet or MPLS inside), MPLS label stacks (IP inside, or Ethernet
// behind a pseudowire control word), PPPoE sessions (IPv4 or IPv6 over
// PPP) and VXLAN (UDP port 4789). gopacket decodes GRE, UDP and VXLAN as
// DecodingLayers; its MPLS, PPPoE and PPP layers are not DecodingLayers, so
// the two below are written here.

// vxlanPort is VXLAN's UDP port (RFC 7348).
const vxlanPort = 4789

// mplsStack decodes a whole MPLS label stack (RFC 3032) as one layer.
type mplsStack struct {
	layers.BaseLayer
	next gopacket.LayerType
}

var errMPLSTruncated = errors.New("MPLS label stack cut short")

// DecodeFromBytes implements gopacket.DecodingLayer.
func (m *mplsStack) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	off := 0
	for {
		if len(data) < off+4 {
			df.SetTruncated()
			return errMPLSTruncated
		}
		bottom := data[off+2]&1 != 0
		off += 4
		if bottom {
			break
		}
	}
	m.BaseLayer = layers.BaseLayer{Contents: data[:off], Payload: data[off:]}
	// MPLS does not say what it carries; the first nibble does (RFC 4385:
	// a pseudowire control word starts with 0000, an IP header with its
	// version).
	m.next = gopacket.LayerTypeZero
	if len(m.Payload) > 0 {
		switch m.Payload[0] >> 4 {
		case 4:
			m.next = layers.LayerTypeIPv4
		case 6:
			m.next = layers.LayerTypeIPv6
		case 0:
			if len(m.Payload) >= 4 {
				m.Contents, m.Payload = data[:off+4], data[off+4:]
				m.next = layers.LayerTypeEthernet
			}
		}
	}
	return nil
}

// CanDecode implements gopacket.DecodingLayer.
func (m *mplsStack) CanDecode() gopacket.LayerClass { return layers.LayerTypeMPLS }

// NextLayerType implements gopacket.DecodingLayer.
func (m *mplsStack) NextLayerType() gopacket.LayerType { return m.next }

// pppoeSession decodes a PPPoE session header (RFC 2516) and the PPP
// protocol field after it as one layer.
type pppoeSession struct {
	layers.BaseLayer
	proto uint16
}

var errPPPoE = errors.New("PPPoE session header cut short or malformed")

// DecodeFromBytes implements gopacket.DecodingLayer.
func (p *pppoeSession) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 || data[0] != 0x11 || data[1] != 0 {
		df.SetTruncated()
		return errPPPoE
	}
	end := 6 + int(binary.BigEndian.Uint16(data[4:6]))
	if end < 8 {
		return errPPPoE
	}
	end = min(end, len(data))
	p.proto = binary.BigEndian.Uint16(data[6:8])
	p.BaseLayer = layers.BaseLayer{Contents: data[:8], Payload: data[8:end]}
	return nil
}

// CanDecode implements gopacket.DecodingLayer.
func (p *pppoeSession) CanDecode() gopacket.LayerClass { return layers.LayerTypePPPoE }

// NextLayerType implements gopacket.DecodingLayer.
func (p *pppoeSession) NextLayerType() gopacket.LayerType {
	switch layers.PPPType(p.proto) {
	case layers.PPPTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.PPPTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.PPPTypeMPLSUnicast:
		return layers.LayerTypeMPLS
	}
	return gopacket.LayerTypeZero
}

// udpTunnel is gopacket's UDP layer that only goes on into VXLAN: every
// other UDP datagram ends the decoding (gopacket would look its ports up
// for an application layer).
type udpTunnel struct{ layers.UDP }

// NextLayerType implements gopacket.DecodingLayer.
func (u *udpTunnel) NextLayerType() gopacket.LayerType {
	if u.DstPort == vxlanPort {
		return layers.LayerTypeVXLAN
	}
	return gopacket.LayerTypeZero
}

// Undecoded names what a frame carried that the decoder does not follow,
// so that a capture taken inside a tunnel ftpscope cannot open says so
// rather than giving an empty report.
type Undecoded uint8

// The encapsulations and link-level protocols counted as not decoded.
const (
	// UndecodedNone: decoded, or not an encapsulation (ARP, DNS, ...).
	UndecodedNone Undecoded = iota
	// UndecodedESP and UndecodedAH: IPsec (IP protocols 50, 51).
	UndecodedESP
	UndecodedAH
	// UndecodedL2TP: L2TP over UDP port 1701 or IP protocol 115.
	UndecodedL2TP
	// UndecodedGTP: GTP-U, UDP port 2152 (mobile core networks).
	UndecodedGTP
	// UndecodedGeneve: Geneve, UDP port 6081.
	UndecodedGeneve
	// UndecodedVXLANGPE: VXLAN-GPE, UDP port 4790.
	UndecodedVXLANGPE
	// UndecodedGRE: GRE carrying neither IP, Ethernet nor MPLS (PPTP's
	// PPP, ERSPAN, ...).
	UndecodedGRE
	// UndecodedMPLS: an MPLS payload that is neither IP nor Ethernet
	// behind a control word.
	UndecodedMPLS
	// UndecodedPPP: PPP over PPPoE carrying a network protocol other than
	// IP or MPLS (the link's control protocols, LCP, IPCP, ..., are not
	// counted).
	UndecodedPPP
	// UndecodedMACsec: IEEE 802.1AE (EtherType 0x88e5), encrypted.
	UndecodedMACsec
	// UndecodedNSH: a network service header (RFC 8300, EtherType
	// 0x894f) in front of the packet.
	UndecodedNSH
	numUndecoded
)

// String names the kind as the warnings and the JSON summary do.
func (u Undecoded) String() string {
	switch u {
	case UndecodedESP:
		return "ipsec-esp"
	case UndecodedAH:
		return "ipsec-ah"
	case UndecodedL2TP:
		return "l2tp"
	case UndecodedGTP:
		return "gtp-u"
	case UndecodedGeneve:
		return "geneve"
	case UndecodedVXLANGPE:
		return "vxlan-gpe"
	case UndecodedGRE:
		return "gre-other"
	case UndecodedMPLS:
		return "mpls-other"
	case UndecodedPPP:
		return "ppp-other"
	case UndecodedMACsec:
		return "macsec"
	case UndecodedNSH:
		return "nsh"
	}
	return "none"
}

// UndecodedCounts counts frames by what they carried that was not
// decoded, indexed by Undecoded.
type UndecodedCounts [numUndecoded]uint64

// Total is the number of frames counted.
func (c *UndecodedCounts) Total() uint64 {
	var n uint64
	for _, v := range c {
		n += v
	}
	return n
}

// Map returns the non-zero counts by name, for the JSON summary.
func (c *UndecodedCounts) Map() map[string]uint64 {
	m := map[string]uint64{}
	for i, v := range c {
		if v > 0 {
			m[Undecoded(i).String()] = v
		}
	}
	return m
}

// undecoded says why the frame just decoded (not TCP, not an ICMP error)
// ended where it did, when that was an encapsulation the decoder does not
// follow. It reads the last layer the parser decoded.
func (d *frameDecoder) undecoded() Undecoded {
	n := len(d.decoded)
	if n == 0 {
		return UndecodedNone
	}
	switch d.decoded[n-1] {
	case layers.LayerTypeEthernet:
		return etherTypeUndecoded(d.eth.EthernetType)
	case layers.LayerTypeDot1Q:
		return etherTypeUndecoded(d.dot1q.Type)
	case layers.LayerTypeLinuxSLL:
		return etherTypeUndecoded(layers.EthernetType(d.sll.EthernetType))
	case layers.LayerTypeLinuxSLL2:
		return etherTypeUndecoded(d.sll2.ProtocolType)
	case layers.LayerTypeIPv4:
		return ipProtocolUndecoded(d.ip4.Protocol)
	case layers.LayerTypeIPv6:
		if d.ip6.HopByHop != nil {
			return ipProtocolUndecoded(d.ip6.HopByHop.NextHeader)
		}
		return ipProtocolUndecoded(d.ip6.NextHeader)
	case layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
		return ipProtocolUndecoded(d.ext.NextHeader)
	case layers.LayerTypeUDP:
		for _, port := range []layers.UDPPort{d.udp.DstPort, d.udp.SrcPort} {
			switch port {
			case 1701:
				return UndecodedL2TP
			case 2152:
				return UndecodedGTP
			case 6081:
				return UndecodedGeneve
			case 4790:
				return UndecodedVXLANGPE
			}
		}
	case layers.LayerTypeGRE:
		return UndecodedGRE
	case layers.LayerTypeMPLS:
		return UndecodedMPLS
	case layers.LayerTypePPPoE:
		// Only a network protocol (below 0x4000) can carry traffic;
		// LCP, IPCP and the authentication protocols are the link's
		// own.
		if d.pppoe.proto < 0x4000 {
			return UndecodedPPP
		}
	}
	return UndecodedNone
}

// etherTypeUndecoded classifies an EtherType the decoder stopped at. Only
// those known to carry IP count: ARP, LLDP, IPX and the like are just not
// IP.
func etherTypeUndecoded(t layers.EthernetType) Undecoded {
	switch t {
	case 0x88e5:
		return UndecodedMACsec
	case 0x894f:
		return UndecodedNSH
	}
	return UndecodedNone
}

// ipProtocolUndecoded classifies an IP protocol the decoder stopped at.
func ipProtocolUndecoded(p layers.IPProtocol) Undecoded {
	switch p {
	case 50:
		return UndecodedESP
	case 51:
		return UndecodedAH
	case 115:
		return UndecodedL2TP
	}
	return UndecodedNone
}
