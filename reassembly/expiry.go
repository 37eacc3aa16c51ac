package reassembly

import "time"

// connQueue orders connections by a capture time (the earliest first), for
// timeouts whose cost must follow what expires rather than what is open: a
// connection is pushed with the time its deadline counts from, and a tick
// pops only those whose time has passed. The time a connection was pushed
// with may be stale (it was active since): the tick then pushes it again
// with its current time (lazy deletion), so keeping a connection alive
// costs nothing until its old deadline comes up.
type connQueue struct {
	h   []connItem
	seq uint64
}

type connItem struct {
	at  time.Time
	seq uint64 // push order: equal times come out deterministically
	c   *conn
}

func (q *connQueue) less(i, j int) bool {
	a, b := &q.h[i], &q.h[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}

func (q *connQueue) len() int { return len(q.h) }

// push adds c with time at.
func (q *connQueue) push(c *conn, at time.Time) {
	q.seq++
	q.h = append(q.h, connItem{at: at, seq: q.seq, c: c})
	for i := len(q.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

// popBefore removes and returns the earliest connection pushed with a time
// before t, or nil when there is none.
func (q *connQueue) popBefore(t time.Time) *conn {
	if len(q.h) == 0 || !q.h[0].at.Before(t) {
		return nil
	}
	c := q.h[0].c
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = connItem{}
	q.h = q.h[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(q.h) && q.less(l, m) {
			m = l
		}
		if r := l + 1; r < len(q.h) && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return c
}

// reset forgets everything queued.
func (q *connQueue) reset() {
	clear(q.h)
	q.h = q.h[:0]
}
