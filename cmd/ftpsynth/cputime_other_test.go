//go:build !unix

package main

import (
	"testing"
	"time"
)

// cpuTime: no getrusage here, so the MB/cpu-s figure is not reported.
func cpuTime(b *testing.B) time.Duration {
	b.Skip("no process CPU time on this system")
	return 0
}
