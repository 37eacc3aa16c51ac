//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// Memory as the operating system sees it: these tests run the built
// ftpscope on a hostile capture and read its peak resident set size from
// getrusage (ru_maxrss of the child), which counts everything the heap
// sampler of hostile_test.go does not: garbage not yet collected, the
// runtime, stacks, read buffers. The bounds are on this number.

// rssRun is one run of the binary: its peak RSS and the summary it wrote.
type rssRun struct {
	peak    uint64 // bytes
	summary summaryRecord
	elapsed time.Duration
	limits  string // the table report's line on evictions, if any
}

// runRSS runs ftpscope -r path --format json with args, keeps only the
// summary of its output, and returns its peak RSS.
func runRSS(t *testing.T, path string, args ...string) rssRun {
	t.Helper()
	return runRSSFormat(t, path, "json", args...)
}

// runRSSFormat is runRSS with the report format given. The table report
// has no summary record: its Totals row gives the sessions, and its
// "Limits reached" line, when there is one, is kept in table.limits.
func runRSSFormat(t *testing.T, path, format string, args ...string) rssRun {
	t.Helper()
	bin := ftpscopeBinary(t)
	cmd := exec.Command(bin, append([]string{"-r", path, "--format", format}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var run rssRun
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	totals := 0 // lines since the Totals heading
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte(`{"type":"summary"`)):
			if err := json.Unmarshal(line, &run.summary); err != nil {
				t.Errorf("summary record is not JSON: %v", err)
			}
		case format != "table":
		case bytes.Equal(line, []byte("Totals")):
			totals = 1
		case totals > 0:
			// Totals, border, header, border, then the row: | 1000000 | ...
			if totals++; totals == 5 {
				cells := strings.Split(string(line), "|")
				if len(cells) < 2 {
					t.Fatalf("no totals row: %q", line)
				}
				if _, err := fmt.Sscan(strings.TrimSpace(cells[1]), &run.summary.Sessions); err != nil {
					t.Fatalf("totals row %q: %v", line, err)
				}
				run.summary.Type = "summary"
				totals = 0
			}
		case bytes.HasPrefix(line, []byte("Limits reached")):
			run.limits = string(line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ftpscope: %v\n%s", err, stderr.Bytes())
	}
	run.elapsed = time.Since(start)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage for the child")
	}
	run.peak = uint64(ru.Maxrss) << 10 // KiB on Linux
	if run.summary.Type != "summary" {
		t.Fatal("no summary record")
	}
	return run
}

// rssBaseline is the peak RSS of ftpscope on a capture of one session: the
// binary, the runtime and the buffers every run has.
func rssBaseline(t *testing.T) uint64 {
	t.Helper()
	path := writeCapture(t, "one.pcap", func(w *craft.Writer) {
		login(w, hostileT0, source(1), hostileServer).Close(hostileT0.Add(time.Second))
	})
	return runRSS(t, path).peak
}

// openControlConns writes n control connections that each complete the
// handshake, get a greeting and send USER, and stay open to the end.
func openControlConns(t *testing.T, n int) string {
	return writeCapture(t, "openconns.pcap", func(w *craft.Writer) {
		for i := range n {
			at := hostileT0.Add(time.Duration(i) * 20 * time.Microsecond)
			c := w.Dial(at, source(i), hostileServer)
			c.Server(at.Add(time.Millisecond), "220 ready\r\n")
			c.Client(at.Add(2*time.Millisecond), "USER anonymous\r\n")
		}
	})
}

const (
	// rssBound is the bound at the default limits: 100 000 open
	// control connections, or a SYN flood from a million sources.
	rssBound = 256 << 20
	// rssMillionBound is its bound for a million concurrent sessions
	// (limits raised by flag).
	rssMillionBound = 1536 << 20
)

func checkRSS(t *testing.T, what string, r rssRun, base, bound uint64, n int) {
	t.Helper()
	per := float64(0)
	if r.peak > base {
		per = float64(r.peak-base) / float64(n)
	}
	t.Logf("%s: peak RSS %.1f MiB (baseline %.1f MiB), %.0f bytes per connection above it, %v",
		what, mib(r.peak), mib(base), per, r.elapsed.Round(time.Millisecond))
	if r.peak > bound {
		t.Errorf("%s: peak RSS %.1f MiB, bound %.1f MiB", what, mib(r.peak), mib(bound))
	}
}

// TestHostileRSSOpenControlConns: 100 000 control connections open at
// once (default limits): none evicted, all reported, peak RSS under the bound.
func TestHostileRSSOpenControlConns(t *testing.T) {
	n := hostileSize(100000, 20000, 4000)
	base := rssBaseline(t)
	r := runRSS(t, openControlConns(t, n))
	if r.summary.Sessions != uint64(n) || r.summary.Evictions["streams"] != 0 || r.summary.Evictions["memory_sessions"] != 0 {
		t.Errorf("%d sessions, evictions %v; want %d and none", r.summary.Sessions, r.summary.Evictions, n)
	}
	checkRSS(t, fmt.Sprintf("%d open control connections", n), r, base, perConnBound(n, base, rssBound, 100000), n)
}

// perConnBound scales bound (meant for full connections) down to n of them
// above base, for the smaller runs of make test.
func perConnBound(n int, base, bound uint64, full int) uint64 {
	if n >= full {
		return bound
	}
	return base + (bound-base)*uint64(n)/uint64(full)
}

// TestHostileRSSSYNFlood: SYNs to port 21 from a million sources at the
// default limits (100 000 streams and sessions held; the rest evicted).
func TestHostileRSSSYNFlood(t *testing.T) {
	n := hostileSize(1000000, 150000, 30000)
	path := writeCapture(t, "synflood.pcap", func(w *craft.Writer) {
		for i := range n {
			src := source(i)
			_ = w.TCP(hostileT0.Add(time.Duration(i)*3*time.Microsecond), src, hostileServer, craft.SYN, craft.ISN(src, hostileServer), 0, nil)
		}
	})
	base := rssBaseline(t)
	r := runRSS(t, path)
	if r.summary.Packets != uint64(n) || r.summary.Reassembly["streams"] != uint64(n) {
		t.Errorf("%d packets, %d streams; want %d", r.summary.Packets, r.summary.Reassembly["streams"], n)
	}
	held := min(n, 100000)
	checkRSS(t, fmt.Sprintf("SYN flood from %d sources", n), r, base, perConnBound(held, base, rssBound, 100000), held)
}

// TestHostileRSSMillionSessions: a million control connections open at
// once, with the limits raised to hold them all, in the default report.
// (The login and command log of --format json adds about 300 B a session:
// its auto limit is sized for that, and a million such sessions take about
// 1.75 GiB.)
func TestHostileRSSMillionSessions(t *testing.T) {
	n := hostileSize(1000000, 0, 0)
	if n == 0 {
		t.Skip("a million connections: make hostile (-hostile-full)")
	}
	base := rssBaseline(t)
	r := runRSSFormat(t, openControlConns(t, n), "table", "--max-streams", fmt.Sprint(n), "--max-sessions", fmt.Sprint(n))
	if r.summary.Sessions != uint64(n) || r.limits != "" {
		t.Errorf("%d sessions, %q; want %d and nothing evicted", r.summary.Sessions, r.limits, n)
	}
	checkRSS(t, fmt.Sprintf("%d open control connections", n), r, base, rssMillionBound, n)
}

// longNameSessions writes n control connections that stay open, each
// asking for transfers RETRs in turn (PASV, 227, RETR of a name of
// nameLen bytes, 150, 226), the sessions interleaved so all are open at
// once: what is stored per channel times channels times sessions.
func longNameSessions(t *testing.T, n, transfers, nameLen int) string {
	return writeCapture(t, "longnames.pcap", func(w *craft.Writer) {
		conns := make([]*craft.Conn, n)
		for i := range n {
			at := hostileT0.Add(time.Duration(i) * 10 * time.Millisecond) // a login takes 5 ms
			conns[i] = login(w, at, source(i), hostileServer)
		}
		name := strings.Repeat("n", nameLen)
		pasv := fmt.Sprintf("227 Entering Passive Mode (198,51,100,21,%d,%d).\r\n", 50000>>8, 50000&255)
		at := hostileT0.Add(time.Duration(n)*10*time.Millisecond + time.Second)
		for r := range transfers {
			for i, c := range conns {
				step := at.Add(time.Duration(r*n+i) * time.Millisecond)
				c.Client(step, "PASV\r\n")
				c.Server(step.Add(100*time.Microsecond), pasv)
				c.Client(step.Add(200*time.Microsecond), fmt.Sprintf("RETR %d/%s\r\n", r, name))
				c.Server(step.Add(300*time.Microsecond), "150 here it comes\r\n")
				c.Server(step.Add(400*time.Microsecond), "226 done\r\n")
			}
		}
	})
}

// TestHostileRSSLongArguments: 800 open sessions each with 1000 RETRs of
// 4 KB names (issue 12 item 3) at the default limits: arguments are stored
// cut, and the memory budget (--max-memory) bounds what the sessions'
// channels hold, so peak RSS stays under the bound whatever the sizes.
func TestHostileRSSLongArguments(t *testing.T) {
	n := hostileSize(800, 100, 25)
	const transfers, nameLen = 1000, 4000 // RETR lines stay under --max-line
	r := runRSS(t, longNameSessions(t, n, transfers, nameLen))
	if r.summary.Sessions != uint64(n) || r.summary.Channels != uint64(n*transfers) {
		t.Errorf("%d sessions, %d channels; want %d and %d", r.summary.Sessions, r.summary.Channels, n, n*transfers)
	}
	t.Logf("evictions %v", r.summary.Evictions)
	checkRSS(t, fmt.Sprintf("%d open sessions of %d RETRs of %d-byte names", n, transfers, nameLen), r, 0, rssBound, n*transfers)
}
