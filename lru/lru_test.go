package lru

import (
	"slices"
	"testing"
	"unsafe"
)

type item struct {
	Links[item]
	id int
}

type list = List[item, *item]

// order lists the ids from front to back, checking the back links agree.
func order(t *testing.T, l *list) []int {
	t.Helper()
	var ids []int
	var last *item
	for e := l.Front(); e != nil; e = l.Next(e) {
		if e.prev != last {
			t.Fatalf("item %d: prev link broken", e.id)
		}
		ids = append(ids, e.id)
		last = e
	}
	if l.back != last || len(ids) != l.Len() {
		t.Fatalf("back %v, len %d, walked %v", l.back, l.Len(), ids)
	}
	return ids
}

func TestList(t *testing.T) {
	var l list
	items := make([]*item, 5)
	for i := range items {
		items[i] = &item{id: i}
		l.PushFront(items[i])
	}
	steps := []struct {
		do   func()
		want []int
	}{
		{func() {}, []int{4, 3, 2, 1, 0}},
		{func() { l.Touch(items[0]) }, []int{0, 4, 3, 2, 1}},
		{func() { l.Touch(items[0]) }, []int{0, 4, 3, 2, 1}},
		{func() { l.Remove(items[3]) }, []int{0, 4, 2, 1}},
		{func() { l.Remove(items[3]) }, []int{0, 4, 2, 1}}, // not in the list: no change
		{func() { l.Remove(l.Back()) }, []int{0, 4, 2}},
		{func() { l.Remove(items[0]) }, []int{4, 2}},
		{func() { l.PushFront(items[3]) }, []int{3, 4, 2}},
		{func() { l.Remove(items[4]); l.Remove(items[2]); l.Remove(items[3]) }, nil},
		{func() { l.PushFront(items[1]) }, []int{1}},
	}
	for i, s := range steps {
		s.do()
		if got := order(t, &l); !slices.Equal(got, s.want) {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
	}
	// An element moves between lists.
	var other list
	l.Remove(items[1])
	other.PushFront(items[1])
	if order(t, &l) != nil || !slices.Equal(order(t, &other), []int{1}) {
		t.Fatal("moving between lists")
	}
}

// TestRemoveElsewhere: Remove leaves alone an element in no list and the
// front of another list, which it tells from its own members without a flag.
func TestRemoveElsewhere(t *testing.T) {
	var l, other list
	a, b, c := &item{id: 1}, &item{id: 2}, &item{id: 3}
	l.PushFront(a)
	other.PushFront(b)
	for _, e := range []*item{c, b} {
		l.Remove(e)
		if !slices.Equal(order(t, &l), []int{1}) || !slices.Equal(order(t, &other), []int{2}) {
			t.Fatalf("removing %d from a list it is not in changed the lists", e.id)
		}
	}
	l.Remove(a)
	if order(t, &l) != nil || a.prev != nil || a.next != nil {
		t.Fatal("removing the only element")
	}
}

// TestLinksSize: the links are two pointers, with nothing to pad them (every
// open control connection and session carries them).
func TestLinksSize(t *testing.T) {
	if got, want := unsafe.Sizeof(Links[item]{}), 2*unsafe.Sizeof(uintptr(0)); got != want {
		t.Errorf("Links are %d bytes, want %d", got, want)
	}
}
