//go:build !unix

package main

import (
	"errors"
	"os"
)

var errNoSIGSTOP = errors.New("no SIGSTOP on this system")

// pause and resume: see signals_unix_test.go.
func pause(*os.Process) error  { return errNoSIGSTOP }
func resume(*os.Process) error { return errNoSIGSTOP }
