package analysis

import "time"

// endQueue holds the sessions whose control connection ended, earliest
// emission time (sessionState.endAt) first, so that Advance finds the ones
// due without walking every session: its cost follows what is emitted. A
// session is pushed once, when it ends; one emitted meanwhile by another way
// (eviction, port reuse) is skipped when it comes up (lazy deletion).
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

// push adds st, due at st.endAt.
func (q *endQueue) push(st *sessionState) {
	q.seq++
	q.h = append(q.h, endItem{at: st.endAt, seq: q.seq, st: st})
	for i := len(q.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

// popDue removes and returns the earliest session due at now (endAt not
// after now), or nil when none is.
func (q *endQueue) popDue(now time.Time) *sessionState {
	if len(q.h) == 0 || now.Before(q.h[0].at) {
		return nil
	}
	st := q.h[0].st
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = endItem{}
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
	return st
}

// reset forgets everything queued.
func (q *endQueue) reset() {
	clear(q.h)
	q.h = q.h[:0]
}
