package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
)

// Hostile traffic: each test writes a capture with craft, runs the whole
// pipeline on it through the real file reader, samples the heap while it
// runs, and checks that memory stayed within what the configured limits
// allow and that the summary counts what had to be evicted or was anomalous.
//
// The sizes of the issue (a million SYN sources, 100k PASV replies, 100k
// control connections, a 10 MB line) run with -hostile-full (make hostile);
// make test runs each at a size that still crosses every limit, in a few
// seconds; -short scales down further.

var hostileFull = flag.Bool("hostile-full", false, "run the hostile-traffic tests at full size (make hostile)")

// hostileSize picks the size of a hostile input: full with -hostile-full,
// def otherwise, short with -short.
func hostileSize(full, def, short int) int {
	switch {
	case *hostileFull:
		return full
	case testing.Short():
		return short
	}
	return def
}

// heapSampler is a capture.Source that passes packets through and samples
// the heap every few thousand packets: the peak of HeapInuse above the
// baseline taken before the run is the memory the pipeline held.
type heapSampler struct {
	capture.Source
	n        uint64
	every    uint64
	baseline uint64
	peak     uint64
	samples  int
}

func newHeapSampler(src capture.Source, every uint64) *heapSampler {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &heapSampler{Source: src, every: every, baseline: ms.HeapInuse}
}

func (h *heapSampler) Next() (*capture.Packet, error) {
	h.n++
	if h.n%h.every == 0 {
		h.sample()
	}
	return h.Source.Next()
}

func (h *heapSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.samples++
	if ms.HeapInuse > h.peak {
		h.peak = ms.HeapInuse
	}
}

// growth is the peak heap in use above the baseline.
func (h *heapSampler) growth() uint64 {
	if h.peak < h.baseline {
		return 0
	}
	return h.peak - h.baseline
}

// summaryRecord is the part of the JSON summary the hostile tests read.
type summaryRecord struct {
	Type       string            `json:"type"`
	Sessions   uint64            `json:"session_count"`
	Channels   uint64            `json:"channel_count"`
	Packets    uint64            `json:"packets"`
	Reassembly map[string]uint64 `json:"reassembly"`
	Evictions  map[string]uint64 `json:"evictions"`
	Anomalies  map[string]uint64 `json:"anomalies"`
	Capture    map[string]uint64 `json:"capture"`
}

// sessionRecord is the part of a JSON session record the hostile tests read.
type sessionRecord struct {
	Type            string `json:"type"`
	Client          string `json:"client"`
	Server          string `json:"server"`
	ChannelsDropped int    `json:"channels_dropped"`
	Channels        []struct {
		Method    string `json:"method"`
		Announced string `json:"announced"`
		Verdict   string `json:"verdict"`
		Reason    string `json:"reason"`
	} `json:"channels"`
	Notes []struct {
		Kind string `json:"kind"`
		Text string `json:"text"`
	} `json:"notes"`
}

// recordSink keeps the summary and at most keep session records of the JSON
// output, and counts the rest, so that a flood's report costs no memory in
// the test itself.
type recordSink struct {
	t        testing.TB
	keep     int
	buf      []byte
	sessions []sessionRecord
	count    int
	bytes    int64
	summary  summaryRecord
}

func (r *recordSink) Write(p []byte) (int, error) {
	r.bytes += int64(len(p))
	r.buf = append(r.buf, p...)
	for {
		i := bytes.IndexByte(r.buf, '\n')
		if i < 0 {
			break
		}
		line := r.buf[:i]
		switch {
		case bytes.HasPrefix(line, []byte(`{"type":"session"`)):
			r.count++
			if len(r.sessions) < r.keep {
				var s sessionRecord
				if err := json.Unmarshal(line, &s); err != nil {
					r.t.Errorf("session record is not JSON: %v", err)
				}
				r.sessions = append(r.sessions, s)
			}
		case bytes.HasPrefix(line, []byte(`{"type":"notice"`)):
			// Notices (issue 14) follow their session: a bounce raises some.
			if r.count == 0 {
				r.t.Errorf("a notice before any session: %.80s", line)
			}
		case bytes.HasPrefix(line, []byte(`{"type":"summary"`)):
			if err := json.Unmarshal(line, &r.summary); err != nil {
				r.t.Errorf("summary record is not JSON: %v", err)
			}
		default:
			r.t.Errorf("unexpected record %.80s", line)
		}
		r.buf = r.buf[:copy(r.buf, r.buf[i+1:])]
	}
	return len(p), nil
}

// hostileRun is what one run of the pipeline on a hostile capture produced.
type hostileRun struct {
	out     *recordSink
	heap    *heapSampler
	elapsed time.Duration
	sum     report.Summary // the totals, with what JSON does not show
}

// runHostile runs the pipeline (file reader, reassembly, analysis, JSON
// report) on the capture at path with the given flags.
func runHostile(t *testing.T, path string, keep int, args ...string) hostileRun {
	t.Helper()
	var o options
	fs, _ := newFlagSet(&o)
	if err := fs.Parse(append([]string{"-r", path, "--format", "json"}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := o.validate(fs.Args()); err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenFiles(o.read, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rs := &recordSink{t: t, keep: keep}
	out, err := report.New(report.JSON, rs, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := newHeapSampler(src, 512)
	start := time.Now()
	sum, err := pipeline.Run(context.Background(), hs, o.engineConfig(), out)
	if err != nil {
		t.Fatal(err)
	}
	hs.sample()
	run := hostileRun{out: rs, heap: hs, elapsed: time.Since(start), sum: sum}
	if rs.summary.Type != "summary" {
		t.Fatal("no summary record")
	}
	t.Logf("%s: %d packets, %d sessions reported, peak heap in use %.1f MiB above a %.1f MiB baseline (%d samples), %v",
		filepath.Base(path), rs.summary.Packets, rs.count, mib(hs.growth()), mib(hs.baseline), hs.samples, run.elapsed.Round(time.Millisecond))
	return run
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// checkHeap fails when the pipeline's peak heap grew beyond budget bytes.
func checkHeap(t *testing.T, r hostileRun, budget uint64, why string) {
	t.Helper()
	if g := r.heap.growth(); g > budget {
		t.Errorf("peak heap grew by %.1f MiB, budget %.1f MiB (%s)", mib(g), mib(budget), why)
	}
}

// writeCapture writes a capture with craft into a fresh file.
func writeCapture(t *testing.T, name string, fill func(w *craft.Writer)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := craft.NewWriter(bw)
	if err != nil {
		t.Fatal(err)
	}
	fill(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	hostileT0     = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	hostileServer = netip.MustParseAddrPort("198.51.100.21:21")
)

// source returns the i-th of many distinct client endpoints in 10.0.0.0/8.
func source(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
}

// TestHostileSYNFlood: SYNs to port 21 from a million sources, one each,
// within a few seconds of capture time. Every SYN opens a control
// connection in the reassembler; with --max-streams 10000 the least
// recently active are evicted, counted, and memory stays flat.
func TestHostileSYNFlood(t *testing.T) {
	n := hostileSize(1000000, 200000, 30000)
	const limit = 10000
	path := writeCapture(t, "synflood.pcap", func(w *craft.Writer) {
		for i := range n {
			src := source(i)
			_ = w.TCP(hostileT0.Add(time.Duration(i)*3*time.Microsecond), src, hostileServer, craft.SYN, craft.ISN(src, hostileServer), 0, nil)
		}
	})
	r := runHostile(t, path, 1, "--max-streams", fmt.Sprint(limit), "--max-sessions", fmt.Sprint(limit))
	sum := r.out.summary
	if sum.Packets != uint64(n) {
		t.Fatalf("read %d packets, wrote %d", sum.Packets, n)
	}
	if got, want := sum.Evictions["streams"], uint64(n-limit); got != want {
		t.Errorf("evictions.streams = %d, want %d", got, want)
	}
	if sum.Reassembly["streams"] != uint64(n) {
		t.Errorf("reassembly.streams = %d, want %d", sum.Reassembly["streams"], n)
	}
	checkHeap(t, r, heapPerConn*limit+heapSlack, fmt.Sprintf("%d control connections held at most", limit))
}

// Heap budgets. A held control connection costs about 2.5 KiB live (our
// record with its two line framers, gopacket's connection and pool slot,
// the session; measured with a heap profile); the sampled HeapInuse also
// holds the garbage the collector has not reclaimed yet, up to twice the
// live heap with GOGC=100. heapSlack covers the read buffers, the report's
// buffers and the runtime.
const (
	heapPerConn = 8 << 10
	heapSlack   = 24 << 20
)

// login writes a greeting and an anonymous login on a new control connection.
func login(w *craft.Writer, t time.Time, client, server netip.AddrPort) *craft.Conn {
	c := w.Dial(t, client, server)
	c.Server(t.Add(time.Millisecond), "220 ready\r\n")
	c.Client(t.Add(2*time.Millisecond), "USER anonymous\r\n")
	c.Server(t.Add(3*time.Millisecond), "331 password please\r\n")
	c.Client(t.Add(4*time.Millisecond), "PASS guest@\r\n")
	c.Server(t.Add(5*time.Millisecond), "230 logged in\r\n")
	return c
}

var hostileClient = netip.MustParseAddrPort("192.0.2.50:40000")

// TestHostileLongLine: a control "line" of 10 MB without a newline, in
// full-size segments, then a real command. The line is cut at --max-line
// and counted; the bytes beyond are never held; the command after it is
// still read.
func TestHostileLongLine(t *testing.T) {
	n := hostileSize(10<<20, 4<<20, 512<<10)
	path := writeCapture(t, "longline.pcap", func(w *craft.Writer) {
		c := login(w, hostileT0, hostileClient, hostileServer)
		seg := bytes.Repeat([]byte("A"), 1448)
		at := hostileT0.Add(time.Second)
		for sent := 0; sent < n; sent += len(seg) {
			c.Send(at, craft.FromClient, seg[:min(len(seg), n-sent)])
			at = at.Add(10 * time.Microsecond)
		}
		c.Client(at, "\r\nQUIT\r\n")
		c.Server(at.Add(time.Millisecond), "221 bye\r\n")
		c.Close(at.Add(2 * time.Millisecond))
	})
	r := runHostile(t, path, 1)
	sum := r.out.summary
	if sum.Reassembly["long_lines"] != 1 {
		t.Errorf("reassembly.long_lines = %d, want 1", sum.Reassembly["long_lines"])
	}
	if sum.Anomalies["malformed_lines"] != 1 {
		t.Errorf("anomalies.malformed_lines = %d, want 1 (the cut line is no command)", sum.Anomalies["malformed_lines"])
	}
	if len(r.out.sessions) != 1 || !hasNote(r.out.sessions[0], "protocol", "not a command") {
		t.Errorf("the session does not note the line that is no command: %+v", r.out.sessions)
	}
	checkHeap(t, r, heapSlack, "one control connection; the line is cut at 4096 bytes")
}

func hasNote(s sessionRecord, kind, text string) bool {
	for _, n := range s.Notes {
		if n.Kind == kind && strings.Contains(n.Text, text) {
			return true
		}
	}
	return false
}

// TestHostilePASVFlood: 100k PASV commands answered by 227 in one session,
// every other one followed by a RETR that never gets a reply (so its
// channel waits for an outcome). The session lists the newest --max-channels
// channels and counts the rest as dropped; every channel still gets a
// verdict, counted in the summary.
func TestHostilePASVFlood(t *testing.T) {
	n := hostileSize(100000, 40000, 5000)
	const limit = 1000
	path := writeCapture(t, "pasvflood.pcap", func(w *craft.Writer) {
		c := login(w, hostileT0, hostileClient, hostileServer)
		at := hostileT0.Add(time.Second)
		for i := range n {
			c.Client(at, "PASV\r\n")
			p := 1024 + i%60000
			c.Server(at.Add(100*time.Microsecond), fmt.Sprintf("227 Entering Passive Mode (198,51,100,21,%d,%d).\r\n", p>>8, p&255))
			if i%2 == 1 {
				c.Client(at.Add(200*time.Microsecond), "RETR f\r\n")
			}
			at = at.Add(300 * time.Microsecond)
		}
		c.Close(at)
	})
	r := runHostile(t, path, 1)
	sum := r.out.summary
	if sum.Channels != uint64(n) {
		t.Errorf("channel_count = %d, want %d", sum.Channels, n)
	}
	if got, want := sum.Evictions["channels"], uint64(n-limit); got != want {
		t.Errorf("evictions.channels = %d, want %d", got, want)
	}
	if len(r.out.sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(r.out.sessions))
	}
	s := r.out.sessions[0]
	if len(s.Channels) != limit || s.ChannelsDropped != n-limit {
		t.Errorf("session lists %d channels and drops %d, want %d and %d", len(s.Channels), s.ChannelsDropped, limit, n-limit)
	}
	checkHeap(t, r, limit*4<<10+heapSlack, fmt.Sprintf("%d channels held at most", limit))
	table, _, _ := runTool(t, "-r", path)
	if want := fmt.Sprintf("Limits reached (evicted): channels %d (--max-channels).", n-limit); !strings.Contains(table, want) {
		t.Errorf("the table does not say %q", want)
	}
}

// TestHostileManyControlConns: 100k control connections open at once
// (handshake, greeting, USER; none closed). With --max-streams and
// --max-sessions at a third of them, the least recently active are evicted
// and counted, and memory follows the limits, not the number of connections.
func TestHostileManyControlConns(t *testing.T) {
	n := hostileSize(100000, 30000, 6000)
	limit := n / 3
	path := writeCapture(t, "manyconns.pcap", func(w *craft.Writer) {
		for i := range n {
			at := hostileT0.Add(time.Duration(i) * 50 * time.Microsecond)
			c := w.Dial(at, source(i), hostileServer)
			c.Server(at.Add(time.Millisecond), "220 ready\r\n")
			c.Client(at.Add(2*time.Millisecond), "USER anonymous\r\n")
		}
	})
	// Both tables are limited: the reassembler's streams, and the analyzer's
	// sessions, which outlive their stream by two seconds of capture time
	// (for trailing data connections) and so may number more than streams.
	r := runHostile(t, path, 1, "--max-streams", fmt.Sprint(limit), "--max-sessions", fmt.Sprint(limit))
	sum := r.out.summary
	if got, want := sum.Evictions["streams"], uint64(n-limit); got != want {
		t.Errorf("evictions.streams = %d, want %d", got, want)
	}
	if sum.Sessions != uint64(n) || r.out.count != n {
		t.Errorf("%d sessions counted, %d reported, want %d", sum.Sessions, r.out.count, n)
	}
	checkHeap(t, r, heapPerConn*uint64(limit)+heapSlack, fmt.Sprintf("%d control connections held at most", limit))
	if *hostileFull {
		// What the default limits cost: all n held at once (the README's
		// numbers come from here).
		r := runHostile(t, path, 1)
		if r.out.summary.Evictions["streams"] != 0 {
			t.Errorf("default --max-streams evicted %d of %d connections", r.out.summary.Evictions["streams"], n)
		}
		t.Logf("default limits, %d control connections held: %.1f KiB of peak heap each", n, float64(r.heap.growth())/1024/float64(n))
		checkHeap(t, r, heapPerConn*uint64(n)+heapSlack, fmt.Sprintf("%d control connections held", n))
	}
}

// TestHostileBounce: a PORT naming a third party's SMTP port (an FTP bounce
// attempt) that the server accepts. The session notes it, the summary
// counts it, the table shows it.
func TestHostileBounce(t *testing.T) {
	path := writeCapture(t, "bounce.pcap", func(w *craft.Writer) {
		c := login(w, hostileT0, hostileClient, hostileServer)
		c.Client(hostileT0.Add(time.Second), "PORT 203,0,113,25,0,25\r\n")
		c.Server(hostileT0.Add(time.Second+time.Millisecond), "200 PORT command successful\r\n")
		c.Client(hostileT0.Add(time.Second+2*time.Millisecond), "RETR mail.txt\r\n")
		_ = w.SYNUnanswered(hostileT0.Add(time.Second+3*time.Millisecond), netip.MustParseAddrPort("198.51.100.21:20"), netip.MustParseAddrPort("203.0.113.25:25"), 1)
		c.Server(hostileT0.Add(3*time.Second), "425 Can't open data connection\r\n")
		c.Close(hostileT0.Add(4 * time.Second))
	})
	r := runHostile(t, path, 1)
	if len(r.out.sessions) != 1 || !hasNote(r.out.sessions[0], "bounce", "203.0.113.25:25") {
		t.Fatalf("no bounce note naming 203.0.113.25:25: %+v", r.out.sessions)
	}
	if r.out.summary.Anomalies["bounce"] != 1 {
		t.Errorf("anomalies.bounce = %d, want 1", r.out.summary.Anomalies["bounce"])
	}
	table, _, _ := runTool(t, "-r", path)
	if !strings.Contains(table, "FTP bounce") {
		t.Errorf("the table does not show the bounce attempt:\n%s", table)
	}
}

// TestHostileOverlapConflict: a client sends a PORT, then the same sequence
// numbers again carrying another PORT (one text for the firewall's helper,
// another for the server). The conflict is counted and noted, not trusted
// silently.
func TestHostileOverlapConflict(t *testing.T) {
	path := writeCapture(t, "conflict.pcap", func(w *craft.Writer) {
		c := login(w, hostileT0, hostileClient, hostileServer)
		seq := c.NextSeq(craft.FromClient)
		first, second := "PORT 192,0,2,50,4,1\r\n", "PORT 203,0,113,9,0,25\r\n"
		first = first[:len(first)-2] + strings.Repeat(" ", len(second)-len(first)) + "\r\n"
		c.Client(hostileT0.Add(time.Second), first)
		c.SendAt(hostileT0.Add(time.Second+time.Millisecond), craft.FromClient, seq, []byte(second))
		c.Server(hostileT0.Add(time.Second+2*time.Millisecond), "200 PORT command successful\r\n")
		c.Close(hostileT0.Add(2 * time.Second))
	})
	r := runHostile(t, path, 1)
	if got := r.out.summary.Reassembly["conflicts"]; got != 1 {
		t.Errorf("reassembly.conflicts = %d, want 1", got)
	}
	if got := r.out.summary.Anomalies["conflicts"]; got != 1 {
		t.Errorf("anomalies.conflicts = %d, want 1", got)
	}
	if len(r.out.sessions) != 1 || !hasNote(r.out.sessions[0], "conflict", "different content") {
		t.Fatalf("no conflict note in the session: %+v", r.out.sessions)
	}
}

// TestHostileTerminalEscapes: a USER, a file name and a reply carrying
// terminal escape sequences, a carriage return and a bidi override. The
// table, made for terminals, shows them as visible escapes; JSON escapes
// them by itself.
func TestHostileTerminalEscapes(t *testing.T) {
	path := writeCapture(t, "escapes.pcap", func(w *craft.Writer) {
		c := w.Dial(hostileT0, hostileClient, hostileServer)
		c.Server(hostileT0.Add(time.Millisecond), "220 ready\r\n")
		c.Client(hostileT0.Add(2*time.Millisecond), "USER \x1b]0;owned\x07\x1b[2J\r\n")
		c.Server(hostileT0.Add(3*time.Millisecond), "331 password\r\n")
		c.Client(hostileT0.Add(4*time.Millisecond), "PASV\r\n")
		c.Server(hostileT0.Add(5*time.Millisecond), "227 Entering Passive Mode (198,51,100,21,4,1).\r\n")
		c.Client(hostileT0.Add(6*time.Millisecond), "RETR \x1b[31mred\rfile\u202egnp.exe\r\n")
		c.Server(hostileT0.Add(7*time.Millisecond), "550 \x1b[1mno such file\r\n")
		c.Close(hostileT0.Add(time.Second))
	})
	out, _, code := runTool(t, "-r", path, "-v")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.ContainsAny(out, "\x1b\x07\r\u202e") {
		t.Errorf("the table passes control characters to the terminal:\n%q", out)
	}
	if !strings.Contains(out, `user \x1b]0;owned\x07\x1b[2J`) {
		t.Errorf("the table does not show the USER argument escaped:\n%s", out)
	}
	js, _, _ := runTool(t, "-r", path, "--format", "json")
	if strings.ContainsAny(js, "\x1b\x07\r") {
		t.Errorf("JSON output holds raw control characters")
	}
}
