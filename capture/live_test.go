package capture

import (
	"math"
	"testing"
)

func TestWrap32(t *testing.T) {
	// libpcap's u_int counters wrap; the totals must keep growing.
	steps := []struct {
		raw  uint32
		want uint64
	}{
		{0, 0},
		{10, 10},
		{10, 10},
		{math.MaxUint32 - 5, math.MaxUint32 - 5},
		{4, math.MaxUint32 + 5},                // wrapped once
		{math.MaxUint32, 2*math.MaxUint32 + 1}, // just before the second wrap
		{0, 2 * (math.MaxUint32 + 1)},
	}
	var w wrap32
	for i, s := range steps {
		if got := w.update(s.raw); got != s.want {
			t.Fatalf("step %d: update(%d) = %d, want %d", i, s.raw, got, s.want)
		}
	}
}

func TestInterfaceFlagsString(t *testing.T) {
	for _, c := range []struct {
		f    InterfaceFlags
		want string
	}{
		{0, "none"},
		{IfUp | IfRunning | IfStatusConnected, "up, running, connected"},
		{IfLoopback | IfUp | IfRunning | IfStatusNA, "up, running, loopback"},
		{IfWireless | IfStatusDown, "wireless, disconnected"},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("InterfaceFlags(%#x).String() = %q, want %q", uint32(c.f), got, c.want)
		}
	}
}
