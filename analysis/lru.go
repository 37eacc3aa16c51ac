package analysis

// sessionList orders the held sessions by activity, most recent first, so
// that evicting the least recently active one costs O(1) rather than a scan
// of every session: a flood of new control connections evicts once per
// connection, and a scan per eviction made it quadratic.
type sessionList struct {
	front, back *sessionState
}

func (l *sessionList) pushFront(st *sessionState) {
	st.prev, st.next = nil, l.front
	if l.front != nil {
		l.front.prev = st
	} else {
		l.back = st
	}
	l.front = st
}

func (l *sessionList) remove(st *sessionState) {
	if st.prev == nil && l.front != st {
		return // not in the list
	}
	if st.prev != nil {
		st.prev.next = st.next
	} else {
		l.front = st.next
	}
	if st.next != nil {
		st.next.prev = st.prev
	} else {
		l.back = st.prev
	}
	st.prev, st.next = nil, nil
}

// touch moves st to the front: it was just active.
func (l *sessionList) touch(st *sessionState) {
	if l.front == st {
		return
	}
	l.remove(st)
	l.pushFront(st)
}
