package main

import (
	"runtime"
	"slices"

	"github.com/ftpscope/ftpscope/capture"
)

// Capture files choose their workers when --workers is not given. Every
// worker looks at every data packet, so workers pay only where the control
// connections are most of the work: measured on two cores, a capture whose
// packets are 72 % FTP control ran in 0.84 of one worker's time with two,
// one with 46 % in the same time, and one with 15 % slower. So the run
// first reads the start of the files (autoScanPackets packets, decoded and
// counted, nothing kept) and takes one worker per core when at least
// autoControlShare of them are on a control port and the input goes on
// past them (a capture that small is over before workers pay for their
// start). The choice depends on the files' content, never on the
// machine's load; the report is the same either way.
const (
	autoScanPackets  = 65536
	autoControlShare = 0.5
)

// fileWorkers is the workers a run over capture files takes when
// --workers is not given.
func fileWorkers(o options) int {
	cores := min(runtime.GOMAXPROCS(0), maxAutoWorkers)
	if cores < 2 || slices.Contains(o.read, "-") || o.extractDir != "" {
		// --extract names a file after the ones before it (name.1 when
		// name is taken) and caps their total: across workers, which
		// transfer comes first would depend on their timing.
		return 1
	}
	share, more := controlShare(o.read, o.ports, autoScanPackets)
	if more && share >= autoControlShare {
		return cores
	}
	return 1
}

// controlShare reads up to n packets of the named captures and returns the
// share of them on a control port, and whether the input goes on past
// them. An input that cannot be read says 0: the run proper reports why.
func controlShare(names []string, ports []uint16, n int) (float64, bool) {
	src, err := capture.OpenFiles(names, capture.FileOptions{})
	if err != nil {
		return 0, false
	}
	defer src.Close()
	control := 0
	for i := range n + 1 {
		p, err := src.Next()
		if err != nil {
			return float64(control) / float64(max(i, 1)), false
		}
		if i == n {
			break
		}
		if p.Kind == capture.KindTCP && (slices.Contains(ports, p.Src.Port()) || slices.Contains(ports, p.Dst.Port())) {
			control++
		}
	}
	return float64(control) / float64(n), true
}
