package deadline

import (
	"math/rand"
	"testing"
	"time"
)

type item struct {
	Pos
	at  time.Time
	seq int
}

var t0 = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

// TestQueueOrder: whatever the push order, elements come out by time, equal
// times in push order, only those due (PopBefore: before the cut; PopDue:
// not after it), never one removed before its time, and never twice; a
// second Push of a queued element changes nothing.
func TestQueueOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := range 100 {
		var q Queue[item, *item]
		n := 1 + rng.Intn(300)
		in := make(map[*item]bool)
		for i := range n {
			e := &item{at: t0.Add(time.Duration(rng.Intn(50)) * time.Second), seq: i}
			in[e] = true
			q.Push(e, e.at)
			q.Push(e, t0) // already queued: stays at e.at
		}
		for e := range in {
			if rng.Intn(4) == 0 {
				q.Remove(e)
				q.Remove(e) // twice: nothing
				if e.Queued() {
					t.Fatal("a removed element says it is queued")
				}
				delete(in, e)
				n--
			}
		}
		cut := t0.Add(time.Duration(rng.Intn(60)) * time.Second)
		due := func(e *item) bool { return e.at.Before(cut) }
		pop := func() *item { return q.PopBefore(cut) }
		if round%2 == 1 {
			due = func(e *item) bool { return !cut.Before(e.at) }
			pop = func() *item { return q.PopDue(cut) }
		}
		var prev *item
		got := 0
		for e := pop(); e != nil; e = pop() {
			if !in[e] || !due(e) || e.Queued() {
				t.Fatalf("round %d: popped %v (queued %v, in %v) at cut %v", round, e.at, e.Queued(), in[e], cut)
			}
			if prev != nil && (e.at.Before(prev.at) || e.at.Equal(prev.at) && e.seq < prev.seq) {
				t.Fatalf("round %d: popped out of order", round)
			}
			delete(in, e)
			prev = e
			got++
		}
		want := 0
		for e := range in {
			if due(e) {
				want++
			}
		}
		if want != 0 || q.Len() != n-got {
			t.Fatalf("round %d: %d due left behind; %d left of %d after %d popped", round, want, q.Len(), n, got)
		}
		q.Reset()
		for e := range in {
			if e.Queued() {
				t.Fatalf("round %d: an element is queued after Reset", round)
			}
		}
		if q.Len() != 0 || q.PopDue(t0.Add(time.Hour)) != nil {
			t.Fatalf("round %d: Reset left elements", round)
		}
	}
}
