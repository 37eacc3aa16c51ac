// Package lru holds an intrusive least-recently-used list: the elements carry
// their own links, so moving one to the front or dropping the oldest costs
// O(1) and allocates nothing. The analysis (sessions) and reassembly
// (control connections, candidates) packages keep their bounded tables in
// such lists, so that evicting the least recently active entry never scans
// the table: a flood of new connections evicts once per connection.
package lru

// Links are the neighbours of an element; embed them in the element type.
// They are two pointers and nothing else (16 bytes, not 24 with a flag):
// an element is in a list when it has a predecessor or is the list's front.
type Links[T any] struct {
	prev, next *T
}

// Element is a pointer to an element type that embeds Links.
type Element[T any] interface {
	*T
	links() *Links[T]
}

// links lets Element be satisfied by embedding Links.
func (l *Links[T]) links() *Links[T] { return l }

// List orders elements from the most recently used (front) to the least
// (back). An element is in at most one List at a time. The zero List is
// empty and ready to use.
type List[T any, P Element[T]] struct {
	front, back *T
	n           int
}

// Len is the number of elements in the list.
func (l *List[T, P]) Len() int { return l.n }

// Front returns the most recently used element, or nil.
func (l *List[T, P]) Front() *T { return l.front }

// Next returns the element after e (less recently used), or nil.
func (l *List[T, P]) Next(e *T) *T { return P(e).links().next }

// Back returns the least recently used element, or nil.
func (l *List[T, P]) Back() *T { return l.back }

// PushFront adds e, which must not be in a list, as the most recent.
func (l *List[T, P]) PushFront(e *T) {
	k := P(e).links()
	k.prev, k.next = nil, l.front
	if l.front != nil {
		P(l.front).links().prev = e
	} else {
		l.back = e
	}
	l.front = e
	l.n++
}

// Remove takes e out of the list; an element in no list (or at the front of
// another) is left alone. e must not be further back in another list.
func (l *List[T, P]) Remove(e *T) {
	k := P(e).links()
	if k.prev == nil && l.front != e {
		return
	}
	if k.prev != nil {
		P(k.prev).links().next = k.next
	} else {
		l.front = k.next
	}
	if k.next != nil {
		P(k.next).links().prev = k.prev
	} else {
		l.back = k.prev
	}
	k.prev, k.next = nil, nil
	l.n--
}

// Touch moves e, which is in the list, to the front: it was just used.
func (l *List[T, P]) Touch(e *T) {
	if l.front == e {
		return
	}
	l.Remove(e)
	l.PushFront(e)
}
