//go:build unix

package main

import (
	"os"
	"syscall"
)

// pause and resume stop and continue a process the test started (a live
// capture made to fall behind the kernel buffer). Unix only: Windows has
// no SIGSTOP, and the namespace tests that use them run on Linux anyway.
func pause(p *os.Process) error  { return p.Signal(syscall.SIGSTOP) }
func resume(p *os.Process) error { return p.Signal(syscall.SIGCONT) }
