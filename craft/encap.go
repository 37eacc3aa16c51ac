package craft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Encap is a way to carry an IP packet over Ethernet: plainly, or inside
// one of the encapsulations found on provider and data-centre links.
type Encap uint8

// The encapsulations Wrap writes.
const (
	// Plain: Ethernet, EtherType IPv4 or IPv6.
	Plain Encap = iota
	// GRE: Ethernet, an outer IPv4 header (protocol 47) and a GRE header
	// (RFC 2784) with the inner packet's EtherType.
	GRE
	// MPLS: Ethernet (EtherType 0x8847) and two MPLS labels (RFC 3032).
	MPLS
	// PPPoE: Ethernet (EtherType 0x8864), a PPPoE session header (RFC
	// 2516) and the PPP protocol number of IPv4 or IPv6.
	PPPoE
	// VXLAN: Ethernet, outer IPv4, UDP to port 4789 and a VXLAN header
	// (RFC 7348) around an inner Ethernet frame.
	VXLAN
)

// String names the encapsulation.
func (e Encap) String() string {
	switch e {
	case Plain:
		return "plain"
	case GRE:
		return "gre"
	case MPLS:
		return "mpls"
	case PPPoE:
		return "pppoe"
	case VXLAN:
		return "vxlan"
	}
	return fmt.Sprintf("encap(%d)", uint8(e))
}

// Outer addresses of the tunnels Wrap writes.
var (
	tunnelSrc = [4]byte{192, 0, 2, 201}
	tunnelDst = [4]byte{192, 0, 2, 202}
	macTunnel = [12]byte{0x02, 0, 0, 0, 0xee, 0x01, 0x02, 0, 0, 0, 0xee, 0x02}
)

// Wrap returns an Ethernet frame carrying the IP packet ip in e.
func Wrap(e Encap, ip []byte) ([]byte, error) {
	if len(ip) == 0 || ip[0]>>4 != 4 && ip[0]>>4 != 6 {
		return nil, errors.New("craft: Wrap needs an IPv4 or IPv6 packet")
	}
	v6 := ip[0]>>4 == 6
	etherType := uint16(layers.EthernetTypeIPv4)
	if v6 {
		etherType = uint16(layers.EthernetTypeIPv6)
	}
	ether := func(typ uint16, payload ...[]byte) []byte {
		b := append([]byte(nil), macTunnel[:]...)
		b = binary.BigEndian.AppendUint16(b, typ)
		for _, p := range payload {
			b = append(b, p...)
		}
		return b
	}
	switch e {
	case Plain:
		return ether(etherType, ip), nil
	case GRE:
		gre := binary.BigEndian.AppendUint16([]byte{0, 0}, etherType)
		return ether(uint16(layers.EthernetTypeIPv4), outerIPv4(47, len(gre)+len(ip)), gre, ip), nil
	case MPLS:
		labels := []byte{0x00, 0x3e, 0x80, 0x40, 0x00, 0x01, 0x01, 0x40} // 1000, then 16 bottom of stack, TTL 64
		return ether(0x8847, labels, ip), nil
	case PPPoE:
		proto := uint16(layers.PPPTypeIPv4)
		if v6 {
			proto = uint16(layers.PPPTypeIPv6)
		}
		h := []byte{0x11, 0x00, 0x12, 0x34}
		h = binary.BigEndian.AppendUint16(h, uint16(2+len(ip)))
		h = binary.BigEndian.AppendUint16(h, proto)
		return ether(0x8864, h, ip), nil
	case VXLAN:
		inner := ether(etherType, ip)
		vx := []byte{0x08, 0, 0, 0, 0, 0x01, 0x00, 0} // VNI 256
		udp := binary.BigEndian.AppendUint16(nil, 49152)
		udp = binary.BigEndian.AppendUint16(udp, 4789)
		udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(vx)+len(inner)))
		udp = binary.BigEndian.AppendUint16(udp, 0) // no checksum, as RFC 7348 allows
		return ether(uint16(layers.EthernetTypeIPv4), outerIPv4(17, len(udp)+len(vx)+len(inner)), udp, vx, inner), nil
	}
	return nil, fmt.Errorf("craft: unknown encapsulation %v", e)
}

// outerIPv4 is a tunnel's outer IPv4 header for a payload of n bytes.
func outerIPv4(proto uint8, n int) []byte {
	h := make([]byte, 20)
	h[0], h[8], h[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(h[2:4], uint16(20+n))
	copy(h[12:16], tunnelSrc[:])
	copy(h[16:20], tunnelDst[:])
	binary.BigEndian.PutUint16(h[10:12], ipChecksum(h))
	return h
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// Fragment splits the IP packet ip into fragments whose payloads hold at
// most size bytes (rounded down to a multiple of 8, at least 8), as a
// router on a path with a small MTU would: IPv4 fragments keep the header
// (identification id), IPv6 fragments get a fragment header (RFC 8200)
// after the fixed header, identification id. A packet that fits is
// returned whole, except that for IPv6 with atomic set it becomes an atomic
// fragment (a fragment header with offset 0 and no more fragments).
func Fragment(ip []byte, size int, id uint32, atomic bool) ([][]byte, error) {
	size = max(size&^7, 8)
	switch {
	case len(ip) >= 20 && ip[0]>>4 == 4:
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:4]))
		if total > len(ip) || total < ihl {
			return nil, errors.New("craft: Fragment: bad IPv4 length")
		}
		payload := ip[ihl:total]
		if len(payload) <= size {
			return [][]byte{ip[:total]}, nil
		}
		var out [][]byte
		for off := 0; off < len(payload); off += size {
			end := min(off+size, len(payload))
			h := append([]byte(nil), ip[:ihl]...)
			binary.BigEndian.PutUint16(h[2:4], uint16(ihl+end-off))
			binary.BigEndian.PutUint16(h[4:6], uint16(id))
			flags := uint16(off / 8)
			if end < len(payload) {
				flags |= 0x2000
			}
			binary.BigEndian.PutUint16(h[6:8], flags)
			binary.BigEndian.PutUint16(h[10:12], 0)
			binary.BigEndian.PutUint16(h[10:12], ipChecksum(h))
			out = append(out, append(h, payload[off:end]...))
		}
		return out, nil
	case len(ip) >= 40 && ip[0]>>4 == 6:
		plen := int(binary.BigEndian.Uint16(ip[4:6]))
		if 40+plen > len(ip) {
			return nil, errors.New("craft: Fragment: bad IPv6 length")
		}
		payload := ip[40 : 40+plen]
		if len(payload) <= size && !atomic {
			return [][]byte{ip[:40+plen]}, nil
		}
		var out [][]byte
		for off := 0; off == 0 || off < len(payload); off += size {
			end := min(off+size, len(payload))
			h := append([]byte(nil), ip[:40]...)
			h[6] = 44
			binary.BigEndian.PutUint16(h[4:6], uint16(8+end-off))
			fh := []byte{ip[6], 0, 0, 0}
			field := uint16(off)
			if end < len(payload) {
				field |= 1
			}
			binary.BigEndian.PutUint16(fh[2:4], field)
			fh = binary.BigEndian.AppendUint32(fh, id)
			out = append(out, append(append(h, fh...), payload[off:end]...))
		}
		return out, nil
	}
	return nil, errors.New("craft: Fragment needs an IPv4 or IPv6 packet")
}

// IPPacket returns the IP packet inside a frame of a capture ftpscope's
// tests use: Ethernet (with VLAN tags), Linux SLL or SLL2, or raw IP. It
// returns nil for a frame that carries no IP packet.
func IPPacket(lt layers.LinkType, frame []byte) []byte {
	var et uint16
	off := 0
	switch lt {
	case layers.LinkTypeEthernet:
		if len(frame) < 14 {
			return nil
		}
		et, off = binary.BigEndian.Uint16(frame[12:14]), 14
		for (et == 0x8100 || et == 0x88a8) && len(frame) >= off+4 {
			et, off = binary.BigEndian.Uint16(frame[off+2:off+4]), off+4
		}
	case layers.LinkTypeLinuxSLL:
		if len(frame) < 16 {
			return nil
		}
		et, off = binary.BigEndian.Uint16(frame[14:16]), 16
	case layers.LinkTypeLinuxSLL2:
		if len(frame) < 20 {
			return nil
		}
		et, off = binary.BigEndian.Uint16(frame[0:2]), 20
	case layers.LinkTypeRaw:
		if len(frame) == 0 {
			return nil
		}
		et = map[byte]uint16{4: 0x0800, 6: 0x86dd}[frame[0]>>4]
	default:
		return nil
	}
	ip := frame[off:]
	switch {
	case et == 0x0800 && len(ip) >= 20:
		if n := int(binary.BigEndian.Uint16(ip[2:4])); n >= 20 && n <= len(ip) {
			return ip[:n] // without the Ethernet padding
		}
	case et == 0x86dd && len(ip) >= 40:
		if n := 40 + int(binary.BigEndian.Uint16(ip[4:6])); n <= len(ip) {
			return ip[:n]
		}
	}
	return nil
}

// Rewrite reads the pcap file in r and writes to w a pcap file of Ethernet
// frames (snap length 262144, microsecond times) where each frame's IP
// packet is replaced by what rewrite returns for it (several frames at the
// same time, or none); frames without an IP packet are left out.
func Rewrite(r io.Reader, w io.Writer, rewrite func(ip []byte) ([][]byte, error)) error {
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return err
	}
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for {
		data, ci, err := pr.ReadPacketData()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		ip := IPPacket(pr.LinkType(), data)
		if ip == nil {
			continue
		}
		frames, err := rewrite(ip)
		if err != nil {
			return err
		}
		for _, f := range frames {
			ci.CaptureLength, ci.Length = len(f), len(f)
			if err := pw.WritePacket(ci, f); err != nil {
				return err
			}
		}
	}
}
