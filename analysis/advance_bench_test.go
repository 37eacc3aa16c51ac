package analysis

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/reassembly"
)

// BenchmarkAdvanceOpenSessions is one capture-second's Advance with many
// sessions open and a few ending: its cost follows the sessions that end,
// not those open.
func BenchmarkAdvanceOpenSessions(b *testing.B) {
	for _, open := range []int{1000, 100000} {
		b.Run(fmt.Sprint(open), func(b *testing.B) {
			a := New(Config{MaxSessions: 2 * open}, Sink{})
			t0 := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
			srv := netip.MustParseAddrPort("203.0.113.1:21")
			for i := range open {
				cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), uint16(1024+i%60000))
				a.Open(reassembly.ConnKey{Client: cl, Server: srv}, t0, false)
			}
			now := t0
			b.ResetTimer()
			for i := range b.N {
				now = now.Add(time.Second)
				cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), 2000)
				k := reassembly.ConnKey{Client: cl, Server: srv}
				a.Open(k, now, false)
				a.Close(k, now, reassembly.CloseFIN)
				a.Advance(now)
			}
		})
	}
}
