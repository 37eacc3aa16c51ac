package analysis

import "time"

// endQueue holds the sessions whose control connection ended, earliest
// emission time (sessionState.endAt) first, so that Advance finds the ones
// due without walking every session: its cost follows what is emitted. A
// session is pushed once, when it ends, and leaves the queue when it is
// emitted, however that happens (sessionState.qpos), so the queue never keeps
// an emitted session's memory alive.
type endQueue struct {
	h   []endItem
	seq uint64
}

type endItem struct {
	at  time.Time
	seq uint64 // push order: equal times come out deterministically
	st  *sessionState
}

func (q *endQueue) less(i, j int) bool {
	a, b := &q.h[i], &q.h[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}

func (q *endQueue) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	q.h[i].st.qpos, q.h[j].st.qpos = int32(i+1), int32(j+1)
}

// push adds st, due at st.endAt, unless it is queued already.
func (q *endQueue) push(st *sessionState) {
	if st.qpos != 0 {
		return
	}
	q.seq++
	q.h = append(q.h, endItem{at: st.endAt, seq: q.seq, st: st})
	st.qpos = int32(len(q.h))
	q.up(len(q.h) - 1)
}

func (q *endQueue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.swap(i, p)
		i = p
	}
}

func (q *endQueue) down(i int) {
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

// popDue removes and returns the earliest session due at now (endAt not
// after now), or nil when none is.
func (q *endQueue) popDue(now time.Time) *sessionState {
	if len(q.h) == 0 || now.Before(q.h[0].at) {
		return nil
	}
	st := q.h[0].st
	q.remove(st)
	return st
}

// remove takes st out of the queue, if it is in.
func (q *endQueue) remove(st *sessionState) {
	if st.qpos == 0 {
		return
	}
	i, last := int(st.qpos-1), len(q.h)-1
	if i != last {
		q.swap(i, last)
	}
	q.h[last] = endItem{}
	q.h = q.h[:last]
	st.qpos = 0
	if i < last {
		q.down(i)
		q.up(i)
	}
}

// reset forgets everything queued.
func (q *endQueue) reset() {
	for _, it := range q.h {
		it.st.qpos = 0
	}
	clear(q.h)
	q.h = q.h[:0]
}
