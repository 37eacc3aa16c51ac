package capture

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// TestPacketInterface: every packet names the pcapng interface it was
// captured on, in the plain Interface field, whether it was read with Next
// or read ahead as a frame and decoded elsewhere.
func TestPacketInterface(t *testing.T) {
	lts := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw}
	rs := []rec{
		{t: t0, data: data4.ether(t), iface: 0},
		{t: t0.Add(time.Millisecond), data: sll2Frame(data6.ipPacket(t), layers.EthernetTypeIPv6), iface: 1},
		{t: t0.Add(2 * time.Millisecond), data: data4.ipPacket(t), iface: 2},
		{t: t0.Add(3 * time.Millisecond), data: data6.ether(t), iface: 0},
	}
	file := ngBytes(t, lts, rs)
	t.Run("Next", func(t *testing.T) {
		ps := readAll(t, openBytes(t, file))
		if len(ps) != len(rs) {
			t.Fatalf("%d packets, want %d", len(ps), len(rs))
		}
		for i, p := range ps {
			if p.Interface != rs[i].iface {
				t.Errorf("packet %d: interface %d, want %d", i+1, p.Interface, rs[i].iface)
			}
		}
	})
	t.Run("frames", func(t *testing.T) {
		src := openBytes(t, file).(frameSource)
		dec := newDecoder()
		for i := 0; ; i++ {
			f, err := src.nextFrame()
			if errors.Is(err, io.EOF) {
				if i != len(rs) {
					t.Fatalf("%d frames, want %d", i, len(rs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p := dec.decodeFrame(f); p.Interface != rs[i].iface {
				t.Errorf("frame %d: interface %d, want %d", i+1, p.Interface, rs[i].iface)
			}
		}
	})
}
