package analysis

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// TestDupFilter: a packet is a copy of the one before it when every header
// field matches and it was read at the same time stamp, or, for a SYN or
// SYN-ACK, within 10 ms; a retransmission, later or with another IPv4
// identification, is not a copy.
func TestDupFilter(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	src, dst := netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.2:50000")
	data := capture.Packet{Kind: capture.KindTCP, Time: t0, Src: src, Dst: dst, Flags: capture.ACK | capture.PSH, Seq: 1000, Ack: 77, Window: 500, IPID: 9, PayloadLen: 1448}
	syn := capture.Packet{Kind: capture.KindTCP, Time: t0, Src: src, Dst: dst, Flags: capture.SYN, Seq: 999, IPID: 3}
	cases := []struct {
		name   string
		first  capture.Packet
		second func(p capture.Packet) capture.Packet
		copied bool
	}{
		{"data, same time", data, func(p capture.Packet) capture.Packet { return p }, true},
		{"data, second interface with a lower TTL", data, func(p capture.Packet) capture.Packet { p.TTL--; return p }, true},
		{"data, 20 us later", data, func(p capture.Packet) capture.Packet { p.Time = p.Time.Add(20 * time.Microsecond); return p }, false},
		{"data retransmitted after 200 ms", data, func(p capture.Packet) capture.Packet { p.Time = p.Time.Add(200 * time.Millisecond); return p }, false},
		{"data, same time, another IP ID", data, func(p capture.Packet) capture.Packet { p.IPID++; return p }, false},
		{"data, same time, another window", data, func(p capture.Packet) capture.Packet { p.Window++; return p }, false},
		{"data, same time, other direction", data, func(p capture.Packet) capture.Packet { p.Src, p.Dst = p.Dst, p.Src; return p }, false},
		{"SYN, 20 us later", syn, func(p capture.Packet) capture.Packet { p.Time = p.Time.Add(20 * time.Microsecond); return p }, true},
		{"SYN retransmitted after 1 s", syn, func(p capture.Packet) capture.Packet { p.Time = p.Time.Add(time.Second); return p }, false},
		{"SYN retransmitted with another ISN", syn, func(p capture.Packet) capture.Packet { p.Seq++; return p }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f dupFilter
			first := tc.first
			if f.copied(&first) {
				t.Fatal("the first packet is taken for a copy")
			}
			second := tc.second(tc.first)
			if got := f.copied(&second); got != tc.copied {
				t.Errorf("copied = %v, want %v", got, tc.copied)
			}
		})
	}
}
