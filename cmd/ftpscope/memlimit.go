package main

import (
	"os"
	"runtime/debug"
)

// Go's collector lets the heap grow to twice what is live before it runs
// (GOGC=100), so a run holding its tables full would take about twice the
// memory the limits are sized for. A soft memory limit just above what the
// limits can hold keeps the resident size near that bound: the collector
// works harder only when the heap nears it, and never lets the program fail
// for it (it is soft). GOMEMLIMIT, when set, is the user's choice and wins.
const (
	// memPerEntry is what one held control connection and its session may
	// take, live (measured with make hostile; the README's sizing rule).
	memPerEntry = 2 << 10
	// memBase covers the read buffers, the report's and the runtime's.
	memBase = 32 << 20
)

// memoryLimit returns the soft limit for the options' table limits.
func (o *options) memoryLimit() int64 {
	return memBase + memPerEntry*int64(max(o.maxStreams, o.maxSessions))
}

// applyMemoryLimit sets the soft memory limit for this run and returns the
// function that puts the previous one back.
func applyMemoryLimit(o *options) (restore func()) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return func() {}
	}
	prev := debug.SetMemoryLimit(o.memoryLimit())
	return func() { debug.SetMemoryLimit(prev) }
}
