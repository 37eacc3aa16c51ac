package reassembly

import "time"

// connQueue orders connections by a capture time (the earliest first), for
// timeouts whose cost must follow what expires rather than what is open: a
// connection is pushed with the time its deadline counts from, and a tick
// pops only those whose time has passed. The time a connection was pushed
// with may be stale (it was active since): the tick then pushes it again
// with its current time, so keeping a connection alive costs nothing until
// its old deadline comes up. A connection is in the queue at most once
// (conn.qpos), and leaves it when it is forgotten, so the queue never keeps
// a closed connection's memory alive.
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

func (q *connQueue) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	q.h[i].c.qpos, q.h[j].c.qpos = int32(i+1), int32(j+1)
}

// push adds c with time at, unless c is queued already.
func (q *connQueue) push(c *conn, at time.Time) {
	if c.qpos != 0 {
		return
	}
	q.seq++
	q.h = append(q.h, connItem{at: at, seq: q.seq, c: c})
	c.qpos = int32(len(q.h))
	q.up(len(q.h) - 1)
}

func (q *connQueue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.swap(i, p)
		i = p
	}
}

func (q *connQueue) down(i int) {
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

// popBefore removes and returns the earliest connection pushed with a time
// before t, or nil when there is none.
func (q *connQueue) popBefore(t time.Time) *conn {
	if len(q.h) == 0 || !q.h[0].at.Before(t) {
		return nil
	}
	c := q.h[0].c
	q.remove(c)
	return c
}

// remove takes c out of the queue, if it is in.
func (q *connQueue) remove(c *conn) {
	if c.qpos == 0 {
		return
	}
	i, last := int(c.qpos-1), len(q.h)-1
	if i != last {
		q.swap(i, last)
	}
	q.h[last] = connItem{}
	q.h = q.h[:last]
	c.qpos = 0
	if i < last {
		q.down(i)
		q.up(i)
	}
}

// reset forgets everything queued.
func (q *connQueue) reset() {
	for _, it := range q.h {
		it.c.qpos = 0
	}
	clear(q.h)
	q.h = q.h[:0]
}
