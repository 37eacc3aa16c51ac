package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/ftpscope/ftpscope/report"
)

// Go's collector lets the heap grow to twice what is live before it runs
// (GOGC=100), so a run holding its tables full would take about twice the
// memory the limits are sized for. A soft memory limit just above what the
// limits can hold keeps the resident size near that bound: the collector
// works harder only when the heap nears it, and never lets the program fail
// for it (it is soft). GOMEMLIMIT, when set, is the user's choice and wins.
//
// --max-memory is that limit, made explicit, and it is shared out: memBase
// for the runtime and the read buffers, streamReserve per --max-streams for
// the reassembler's control streams (bounded by that flag), and the rest is
// the analysis budget (analysis.Config.MaxMemory), which the sessions,
// channels and what they store share, counted byte by byte. Left at auto,
// it follows the table limits: memPerEntry per held connection, and
// auditShare more per session when the login and command log is kept.
const (
	// memPerEntry is what one held control connection and its session may
	// take, live (measured with make hostile; the README's sizing rule):
	// about 230 B in the reassembler and 770 B in the analysis, with room
	// for the collector to work.
	memPerEntry = streamReserve + sessionShare
	// memBase covers the read buffers, the report's and the runtime's.
	memBase = 32 << 20
	// streamReserve is the reassembler's share of memPerEntry, per
	// --max-streams; the rest of it, sessionShare, is the analysis
	// budget's per --max-sessions.
	streamReserve = 384
	sessionShare  = 1024
	// auditShare is what the login and command log (--format json, --html,
	// --zeek-logs) adds per session: about 300 B for a login and its first
	// commands.
	auditShare = 256
	// minBudget is the least analysis budget auto gives, so that small
	// table limits still leave room for many channels per session;
	// minExplicitBudget the least an explicit --max-memory may leave.
	minBudget         = 64 << 20
	minExplicitBudget = 16 << 20
)

// memoryLimit returns the soft limit for the options: --max-memory, or
// with auto, what the table limits can hold.
//
// A run over capture points (--point) holds each point's sessions until the
// join: with auto, each point's store limit (--point-max-bytes) comes on
// top, or the collector would run without end once the stores fill.
func (o *options) memoryLimit() int64 {
	if o.maxMemory > 0 {
		return o.maxMemory
	}
	names, _ := o.pointFiles()
	return max(memBase+(streamReserve+o.sessionShare())*int64(max(o.maxStreams, o.maxSessions)),
		memBase+streamReserve*int64(o.maxStreams)+o.analysisBudget()) + int64(len(names))*o.pointMaxBytes
}

// analysisBudget returns the analysis's share of the memory limit.
func (o *options) analysisBudget() int64 {
	if o.maxMemory > 0 {
		return o.maxMemory - memBase - streamReserve*int64(o.maxStreams)
	}
	return max(o.sessionShare()*int64(o.maxSessions), minBudget)
}

// sessionShare is the analysis budget auto gives per --max-sessions.
func (o *options) sessionShare() int64 {
	if o.audits() {
		return sessionShare + auditShare
	}
	return sessionShare
}

// audits reports whether the run keeps the login and command log: the
// JSON report, the HTML report and the Zeek logs write it; other runs do
// not pay for it.
func (o *options) audits() bool {
	return o.format == string(report.JSON) || o.html != "" || o.zeekLogs != ""
}

// validateMemory checks that an explicit --max-memory leaves the analysis
// a budget after the reassembler's share.
func (o *options) validateMemory() error {
	if o.maxMemory > 0 && o.analysisBudget() < minExplicitBudget {
		return fmt.Errorf("--max-memory %s leaves the analysis less than %d MiB after %d MiB for the runtime and %d MiB for --max-streams %d: raise it or lower --max-streams",
			sizeText(o.maxMemory), minExplicitBudget>>20, memBase>>20, streamReserve*int64(o.maxStreams)>>20, o.maxStreams)
	}
	return nil
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

// byteSize is a pflag.Value for a size in bytes: a number with an optional
// unit (K, M, G, T: KiB, MiB, GiB, TiB; a trailing "iB" or "B" is allowed),
// or "auto" (0).
type byteSize struct{ v *int64 }

var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}}

func (b byteSize) String() string {
	if b.v == nil || *b.v == 0 {
		return "auto"
	}
	return sizeText(*b.v)
}

func (b byteSize) Set(s string) error {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "auto") {
		*b.v = 0
		return nil
	}
	u := strings.ToUpper(t)
	u = strings.TrimSuffix(strings.TrimSuffix(u, "B"), "I")
	shift := uint(0)
	for _, su := range sizeUnits {
		if strings.HasSuffix(u, su.suffix) {
			u, shift = strings.TrimSpace(strings.TrimSuffix(u, su.suffix)), su.shift
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)>>shift {
		return fmt.Errorf("%q is not a size (for example 512MiB, 2GiB or auto)", s)
	}
	*b.v = n << shift
	return nil
}

func (b byteSize) Type() string { return "size" }

// sizeText writes a size in the largest unit that divides it.
func sizeText(n int64) string {
	for _, su := range sizeUnits {
		if n%(1<<su.shift) == 0 {
			return strconv.FormatInt(n>>su.shift, 10) + su.suffix + "iB"
		}
	}
	return strconv.FormatInt(n, 10)
}
