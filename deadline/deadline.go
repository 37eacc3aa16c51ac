// Package deadline holds an intrusive priority queue of elements by a
// capture time, earliest first: the expiry structure whose cost follows what
// expires, not what is open. The analysis (sessions waiting to be emitted)
// and reassembly (control connections waiting for a timeout) packages keep
// their timers in such queues, so that a tick pops only the elements whose
// time came, and never walks the whole table.
//
// The elements carry their own position (embed Pos), so an element is in a
// queue at most once and Remove costs O(log n) without a search: a table
// that forgets an element takes it out of the queue too, and the queue
// never keeps a forgotten element's memory alive.
package deadline

import "time"

// Pos is an element's place in a queue; embed it in the element type.
type Pos struct {
	i int32 // index in the heap plus one; 0: not queued
}

// Element is a pointer to an element type that embeds Pos.
type Element[T any] interface {
	*T
	pos() *Pos
}

func (p *Pos) pos() *Pos { return p }

// Queued reports whether the element is in a queue.
func (p *Pos) Queued() bool { return p.i != 0 }

// Queue orders elements by the time each was pushed with, earliest first;
// equal times come out in push order, so that runs are deterministic. The
// zero Queue is empty and ready to use.
type Queue[T any, P Element[T]] struct {
	h   []entry[T]
	seq uint64
}

type entry[T any] struct {
	at  time.Time
	seq uint64
	e   *T
}

// Len is the number of elements queued.
func (q *Queue[T, P]) Len() int { return len(q.h) }

// Push adds e with time at, unless e is queued already (its time then stays
// what it was).
func (q *Queue[T, P]) Push(e *T, at time.Time) {
	p := P(e).pos()
	if p.i != 0 {
		return
	}
	q.seq++
	q.h = append(q.h, entry[T]{at: at, seq: q.seq, e: e})
	p.i = int32(len(q.h))
	q.up(len(q.h) - 1)
}

// PopBefore removes and returns the earliest element pushed with a time
// before t, or nil when there is none.
func (q *Queue[T, P]) PopBefore(t time.Time) *T {
	if len(q.h) == 0 || !q.h[0].at.Before(t) {
		return nil
	}
	e := q.h[0].e
	q.Remove(e)
	return e
}

// PopDue removes and returns the earliest element pushed with a time not
// after t, or nil when there is none.
func (q *Queue[T, P]) PopDue(t time.Time) *T {
	if len(q.h) == 0 || t.Before(q.h[0].at) {
		return nil
	}
	e := q.h[0].e
	q.Remove(e)
	return e
}

// Remove takes e out of the queue, if it is in.
func (q *Queue[T, P]) Remove(e *T) {
	p := P(e).pos()
	if p.i == 0 {
		return
	}
	i, last := int(p.i-1), len(q.h)-1
	if i != last {
		q.swap(i, last)
	}
	q.h[last] = entry[T]{}
	q.h = q.h[:last]
	p.i = 0
	if i < last {
		q.down(i)
		q.up(i)
	}
}

// Reset forgets everything queued.
func (q *Queue[T, P]) Reset() {
	for _, it := range q.h {
		P(it.e).pos().i = 0
	}
	clear(q.h)
	q.h = q.h[:0]
}

func (q *Queue[T, P]) less(i, j int) bool {
	a, b := &q.h[i], &q.h[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}

func (q *Queue[T, P]) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	P(q.h[i].e).pos().i, P(q.h[j].e).pos().i = int32(i+1), int32(j+1)
}

func (q *Queue[T, P]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.swap(i, p)
		i = p
	}
}

func (q *Queue[T, P]) down(i int) {
	for {
		l, m := 2*i+1, i
		if l < len(q.h) && q.less(l, m) {
			m = l
		}
		if r := l + 1; r < len(q.h) && q.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		q.swap(i, m)
		i = m
	}
}
