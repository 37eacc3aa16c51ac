package analysis

import (
	"net/netip"
	"testing"

	"github.com/ftpscope/ftpscope/reassembly"
)

// TestSessionTableKeys: every four-tuple is its own session, whichever map
// holds it; an IPv4 address and its IPv4-mapped IPv6 form are different
// endpoints (packets carry one or the other), and the two directions of a
// connection are different keys.
func TestSessionTableKeys(t *testing.T) {
	ap := netip.MustParseAddrPort
	keys := []reassembly.ConnKey{
		{Client: ap("10.0.0.1:40000"), Server: ap("10.0.0.2:21")},
		{Client: ap("10.0.0.2:21"), Server: ap("10.0.0.1:40000")},
		{Client: ap("10.0.0.1:40001"), Server: ap("10.0.0.2:21")},
		{Client: ap("10.0.0.1:40000"), Server: ap("10.0.0.3:21")},
		{Client: ap("[::ffff:10.0.0.1]:40000"), Server: ap("10.0.0.2:21")},
		{Client: ap("[::ffff:10.0.0.1]:40000"), Server: ap("[::ffff:10.0.0.2]:21")},
		{Client: ap("[2001:db8::1]:40000"), Server: ap("[2001:db8::2]:21")},
		{Client: ap("[2001:db8::1]:40000"), Server: ap("10.0.0.2:21")},
	}
	tab := newSessionTable()
	states := make([]*sessionState, len(keys))
	for i, k := range keys {
		states[i] = &sessionState{}
		tab.put(k, states[i])
	}
	if tab.len() != len(keys) {
		t.Fatalf("%d sessions held, want %d", tab.len(), len(keys))
	}
	for i, k := range keys {
		if got := tab.get(k); got != states[i] {
			t.Errorf("get(%v) returned another session", k)
		}
	}
	if n := len(tab.appendAll(nil)); n != len(keys) {
		t.Errorf("appendAll gave %d sessions, want %d", n, len(keys))
	}
	for i, k := range keys {
		tab.del(k)
		if tab.get(k) != nil || tab.len() != len(keys)-i-1 {
			t.Fatalf("del(%v) left it held (%d held)", k, tab.len())
		}
		for _, rest := range keys[i+1:] {
			if tab.get(rest) == nil {
				t.Fatalf("del(%v) also removed %v", k, rest)
			}
		}
	}
}

// TestHostCounts: a pair is unordered and unmapped (the data connections
// it stands for may use either form), counts go down to nothing, and IPv4
// and IPv6 pairs do not mix.
func TestHostCounts(t *testing.T) {
	a := netip.MustParseAddr
	h := newHostCounts()
	h.add(a("10.0.0.1"), a("10.0.0.2"))
	h.add(a("10.0.0.2"), a("10.0.0.1"))
	h.add(a("2001:db8::1"), a("2001:db8::2"))
	for _, c := range []struct {
		x, y string
		want bool
	}{
		{"10.0.0.1", "10.0.0.2", true},
		{"10.0.0.2", "10.0.0.1", true},
		{"::ffff:10.0.0.1", "10.0.0.2", true},
		{"10.0.0.1", "10.0.0.3", false},
		{"2001:db8::2", "2001:db8::1", true},
		{"2001:db8::1", "10.0.0.2", false},
		{"0.0.0.0", "0.0.0.0", false},
	} {
		if got := h.held(a(c.x), a(c.y)); got != c.want {
			t.Errorf("held(%s, %s) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	h.remove(a("10.0.0.1"), a("10.0.0.2"))
	if !h.held(a("10.0.0.1"), a("10.0.0.2")) {
		t.Error("one of two sessions removed, but the pair is no longer held")
	}
	h.remove(a("::ffff:10.0.0.2"), a("10.0.0.1"))
	h.remove(a("2001:db8::1"), a("2001:db8::2"))
	if h.held(a("10.0.0.1"), a("10.0.0.2")) || h.held(a("2001:db8::1"), a("2001:db8::2")) || len(h.v4)+len(h.v6) != 0 {
		t.Errorf("every session removed, %d pairs still counted", len(h.v4)+len(h.v6))
	}
}
