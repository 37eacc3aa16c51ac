package pipeline

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Every worker sees every data packet, so a data connection that channels
// of several workers wait for (a server reusing one passive port for the
// sessions of many clients, a NAT'd connection that fits another session
// too) would be claimed by each of them, where one analyzer gives it to one
// channel. The arbiter lets one worker have it, and the same one at every
// run, whatever the timing of the goroutines:
//
//   - Every worker publishes how far it is: its place counts 2 per packet of
//     the run (the packet, then the tick after it), and it has passed place
//     q once everything up to q is analysed.
//   - A claim made at place q goes to the first worker in an order fixed for
//     q: the worker that owns the packet's address pair (its session's
//     hosts are the connection's), then the others by index. So before it
//     claims, a worker waits until every worker before it in that order has
//     passed q, and every other one has passed q-1 (it may still claim at q
//     itself, but later in the order); it then claims only a connection no
//     one has claimed yet.
//
// The waits cannot form a cycle: at one place a worker waits only for
// workers before it in an order, and the worker furthest behind waits for
// no one further behind. The owner of a connection's pair (its session's
// own hosts) is the first in line, as one analyzer prefers a channel whose
// expected initiator opened the connection; among the others the order is
// the workers' index, where one analyzer would weigh the channels against
// each other (a closed session against an open one, the most recent
// announcement): when two workers' channels fit a connection and neither
// session is its own hosts', the choice may differ from one analyzer's.
// Claims are rare (one per data connection), so their waits cost little.

// arbiter is the shared state of the claims.
type arbiter struct {
	progress []paddedCounter
	mu       sync.Mutex
	// claimed holds the connections claimed (by first packet number);
	// order is their ring, oldest first, for the bound.
	claimed map[uint64]struct{}
	order   []uint64
	head    int
	limit   int
}

// paddedCounter keeps each worker's counter on its own cache line.
type paddedCounter struct {
	v atomic.Uint64
	_ [56]byte
}

// newArbiter sizes the arbiter for workers and at most limit claims
// remembered: a claim is only looked up while its connection may still be
// claimed by an announcement that came after it, which the attempt tables'
// bound (Config.MaxAttempts) bounds too.
func newArbiter(workers, limit int) *arbiter {
	limit = max(limit, 1<<16)
	return &arbiter{progress: make([]paddedCounter, workers), claimed: make(map[uint64]struct{}), limit: limit}
}

// passed publishes that worker w has analysed everything before place q.
func (a *arbiter) passed(w int, q uint64) { a.progress[w].v.Store(q) }

// wait returns once worker v has passed place q (its counter beyond q).
func (a *arbiter) wait(v int, q uint64) {
	for i := 0; a.progress[v].v.Load() <= q; i++ {
		if i > 64 {
			runtime.Gosched()
		}
	}
}

// claim decides worker w's claim, at its current place, of the connection
// first seen in packet first.
func (a *arbiter) claim(w *worker, first uint64) bool {
	q := w.pos
	// A connection the packet being analysed began cannot have been
	// claimed before this place: only the workers before this one here
	// may have it (none for the owner).
	now := first == w.num && w.phase == phasePacket
	owner := w.owner()
	for v := range a.progress {
		switch {
		case v == w.idx:
		case v == owner || (owner != w.idx && v < w.idx):
			a.wait(v, q)
		case !now && q > 0:
			a.wait(v, q-1)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.claimed[first]; ok {
		return false
	}
	if len(a.order) < a.limit {
		a.order = append(a.order, first)
	} else {
		delete(a.claimed, a.order[a.head])
		a.order[a.head] = first
		a.head = (a.head + 1) % a.limit
	}
	a.claimed[first] = struct{}{}
	return true
}

// isClaimed reports whether the connection first seen in packet first was
// claimed (and is still remembered).
func (a *arbiter) isClaimed(first uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.claimed[first]
	return ok
}
