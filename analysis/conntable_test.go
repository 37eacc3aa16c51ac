package analysis

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestConnCacheWriteThrough: whatever the order of sets, deletes and
// lookups, lookupConn answers what the two map lookups it replaces answer.
// Few addresses and ports make slots collide and both directions of a
// four-tuple exist at once.
func TestConnCacheWriteThrough(t *testing.T) {
	var d dataTracker
	d.init(nil)
	rng := rand.New(rand.NewPCG(1, 2))
	ep := func() netip.AddrPort {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(3))})
		if rng.IntN(4) == 0 {
			a = netip.AddrFrom16(a.As16()) // the same bytes as IPv4-in-IPv6
		}
		return netip.AddrPortFrom(a, uint16(rng.IntN(4)))
	}
	lookups := 0
	for i := range 200000 {
		x, y := ep(), ep()
		switch rng.IntN(3) {
		case 0:
			d.setConn(flowKey{x, y}, &conn{key: flowKey{x, y}})
		case 1:
			d.delConn(flowKey{x, y})
		default:
			got, gotFwd := d.lookupConn(x, y)
			want, wantFwd := d.conns[flowKey{x, y}], true
			if want == nil {
				want, wantFwd = d.conns[flowKey{y, x}], false
			}
			if got != want || (want != nil && gotFwd != wantFwd) {
				t.Fatalf("op %d: lookup %v -> %v: cache says %p (fwd %v), map %p (fwd %v)", i, x, y, got, gotFwd, want, wantFwd)
			}
			lookups++
		}
	}
	if lookups < 50000 {
		t.Fatalf("only %d lookups", lookups)
	}
}
