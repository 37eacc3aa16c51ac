package main

import (
	"fmt"
	"io"

	"github.com/ftpscope/ftpscope/capture"
)

// openLive opens the live capture described by the options.
func openLive(o options, stderr io.Writer) (capture.Source, error) {
	return nil, fmt.Errorf("live capture: not yet wired (interface %s)", o.iface)
}

// listInterfaces prints the interfaces live capture can use.
func listInterfaces(stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ftpscope: listing interfaces is not yet wired")
	return exitError
}
