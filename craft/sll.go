package craft

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// gopacket decodes Linux cooked headers but cannot serialize them, so these
// two small layers write them; gopacket's decoders read them back in the
// tests.

// linuxSLL writes a Linux cooked capture v1 header (16 bytes):
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
type linuxSLL struct {
	proto layers.EthernetType
	addr  [6]byte
}

// LayerType implements gopacket.SerializableLayer.
func (l *linuxSLL) LayerType() gopacket.LayerType { return layers.LayerTypeLinuxSLL }

// SerializeTo implements gopacket.SerializableLayer.
func (l *linuxSLL) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(16)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(h[0:], uint16(layers.LinuxSLLPacketTypeHost))
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6) // address length
	copy(h[6:14], l.addr[:])
	h[12], h[13] = 0, 0 // the 8-byte address field holds a 6-byte MAC
	binary.BigEndian.PutUint16(h[14:], uint16(l.proto))
	return nil
}

// linuxSLL2 writes a Linux cooked capture v2 header (20 bytes):
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
type linuxSLL2 struct {
	proto   layers.EthernetType
	ifindex uint32
	addr    [6]byte
}

// LayerType implements gopacket.SerializableLayer.
func (l *linuxSLL2) LayerType() gopacket.LayerType { return layers.LayerTypeLinuxSLL2 }

// SerializeTo implements gopacket.SerializableLayer.
func (l *linuxSLL2) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	h, err := b.PrependBytes(20)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(h[0:], uint16(l.proto))
	h[2], h[3] = 0, 0 // reserved
	binary.BigEndian.PutUint32(h[4:], l.ifindex)
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = byte(layers.LinuxSLL2PacketTypeHost)
	h[11] = 6 // address length
	copy(h[12:18], l.addr[:])
	h[18], h[19] = 0, 0
	return nil
}
