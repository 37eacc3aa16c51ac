package analysis

import (
	"fmt"
	"math/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/reassembly"
)

// TestEndQueueOrder: ended sessions come out by emission time (equal times
// in push order), only once due.
func TestEndQueueOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for round := range 50 {
		var q endQueue
		n := 1 + rng.Intn(300)
		order := make(map[*sessionState]int)
		for i := range n {
			st := &sessionState{endAt: t0.Add(time.Duration(rng.Intn(40)) * time.Second)}
			order[st] = i
			q.push(st)
		}
		for st := range order {
			if rng.Intn(4) == 0 { // emitted another way: never comes out
				q.remove(st)
				delete(order, st)
				n--
			}
		}
		now := t0.Add(time.Duration(rng.Intn(45)) * time.Second)
		var prev *sessionState
		got := 0
		for st := q.popDue(now); st != nil; st = q.popDue(now) {
			if _, ok := order[st]; !ok || now.Before(st.endAt) {
				t.Fatalf("round %d: popped a session due at %v at %v", round, st.endAt, now)
			}
			if prev != nil && (st.endAt.Before(prev.endAt) || st.endAt.Equal(prev.endAt) && order[st] < order[prev]) {
				t.Fatalf("round %d: popped out of order", round)
			}
			prev = st
			got++
		}
		want := 0
		for st := range order {
			if !now.Before(st.endAt) {
				want++
			}
		}
		if got != want || len(q.h) != n-want {
			t.Fatalf("round %d: popped %d, want %d (%d left of %d)", round, got, want, len(q.h), n)
		}
	}
}

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
