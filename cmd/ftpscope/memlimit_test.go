package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: the soft limit follows the table limits, is put back
// after the run, and GOMEMLIMIT, when set, wins.
func TestMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		streams, sessions int
		want              int64
	}{
		{100000, 100000, memBase + 100000*memPerEntry},
		{10000, 200000, memBase + 200000*memPerEntry},
		{1000000, 1000, memBase + 1000000*memPerEntry},
	} {
		o := options{maxStreams: tc.streams, maxSessions: tc.sessions}
		if got := o.memoryLimit(); got != tc.want {
			t.Errorf("streams %d sessions %d: limit %d, want %d", tc.streams, tc.sessions, got, tc.want)
		}
	}
	// The default limits fit the 256 MiB bound with room for the
	// runtime's own.
	if o := (options{maxStreams: 100000, maxSessions: 100000}); o.memoryLimit() > 240<<20 {
		t.Errorf("default soft limit %d MiB leaves no room under 256 MiB", o.memoryLimit()>>20)
	}
	before := debug.SetMemoryLimit(-1)
	o := options{maxStreams: 1000, maxSessions: 1000}
	t.Setenv("GOMEMLIMIT", "")
	restore := applyMemoryLimit(&o)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("with GOMEMLIMIT set the limit became %d", got)
	}
	restore()
	// Without it, the run's limit is set, then the previous one comes back.
	t.Setenv("GOMEMLIMIT", "x") // restored after the test
	if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
		t.Fatal(err)
	}
	restore = applyMemoryLimit(&o)
	if got := debug.SetMemoryLimit(-1); got != o.memoryLimit() {
		t.Errorf("limit %d, want %d", got, o.memoryLimit())
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after the run %d, want the previous %d", got, before)
	}
}
