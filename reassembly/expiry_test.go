package reassembly

import (
	"math/rand"
	"testing"
	"time"
)

// TestConnQueueOrder: whatever the push order, connections come out by
// time, equal times in push order, and only those before the cut.
func TestConnQueueOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := range 50 {
		var q connQueue
		n := 1 + rng.Intn(300)
		at := make(map[*conn]time.Time)
		seq := make(map[*conn]int)
		for i := range n {
			c := &conn{}
			at[c] = t0.Add(time.Duration(rng.Intn(50)) * time.Second)
			seq[c] = i
			q.push(c, at[c])
		}
		for c := range at {
			if rng.Intn(4) == 0 { // forgotten before its time: never comes out
				q.remove(c)
				delete(at, c)
				n--
			}
		}
		cut := t0.Add(time.Duration(rng.Intn(60)) * time.Second)
		var prev *conn
		got := 0
		for c := q.popBefore(cut); c != nil; c = q.popBefore(cut) {
			if _, ok := at[c]; !ok || !at[c].Before(cut) {
				t.Fatalf("round %d: popped %v, not before %v", round, at[c], cut)
			}
			if prev != nil && (at[c].Before(at[prev]) || at[c].Equal(at[prev]) && seq[c] < seq[prev]) {
				t.Fatalf("round %d: popped out of order", round)
			}
			prev = c
			got++
		}
		want := 0
		for _, v := range at {
			if v.Before(cut) {
				want++
			}
		}
		if got != want || q.len() != n-want {
			t.Fatalf("round %d: popped %d, want %d; %d left of %d", round, got, want, q.len(), n)
		}
	}
}
