//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// Clean output, with the real binary and real pipes. ftpscope is a Unix
// filter: piped into `head`, it dies of SIGPIPE at its next write, as cat
// and grep do, silently; a shell reports status 141 and `set -o pipefail`
// sees it. The Go runtime does so for standard output even when the program
// was started with SIGPIPE ignored, so ftpscope never writes on into a
// closed pipe. Any other write error (ENOSPC on a full disk) is one line on
// standard error and status 1. Interrupted (SIGINT, SIGTERM), it stops
// reading, judges what it has, and writes complete records and a summary
// that says so. Output goes out in whole records, one write call each, so
// a kill between writes leaves no half record behind (one in the middle of
// a write to a pipe can: the README says so).

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// ftpscopeBinary builds the command once per test run (without cgo: file
// analysis must not need libpcap).
func ftpscopeBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ftpscope-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "ftpscope")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v", binErr)
	}
	return binPath
}

// manySessions writes a capture of n short passive sessions: enough output
// (about 1.5 KB of JSON each) to fill any pipe buffer.
func manySessions(t *testing.T, n int) string {
	return writeCapture(t, "many.pcap", func(w *craft.Writer) {
		for i := range n {
			at := hostileT0.Add(time.Duration(i) * 10 * time.Millisecond)
			c := login(w, at, source(i), hostileServer)
			c.Client(at.Add(6*time.Millisecond), "PASV\r\n")
			c.Server(at.Add(7*time.Millisecond), "227 Entering Passive Mode (198,51,100,21,200,10).\r\n")
			c.Client(at.Add(8*time.Millisecond), "QUIT\r\n")
			c.Server(at.Add(9*time.Millisecond), "221 bye\r\n")
			c.Close(at.Add(9 * time.Millisecond))
		}
	})
}

// waitExit waits for cmd with a bound and returns its wait status.
func waitExit(t *testing.T, cmd *exec.Cmd) syscall.WaitStatus {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("wait: %v", err)
		}
		return cmd.ProcessState.Sys().(syscall.WaitStatus)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not end within 30 s", cmd.Path)
	}
	return 0
}

// TestPipeIntoHead: `ftpscope -r big.pcap --format json | head -1`. The
// line head reads is a whole JSON record; ftpscope ends at once, killed by
// SIGPIPE, without a word on standard error.
func TestPipeIntoHead(t *testing.T) {
	bin := ftpscopeBinary(t)
	path := manySessions(t, 3000)
	cmd := exec.Command(bin, "-r", path, "--format", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil {
		t.Fatalf("first line: %v", err)
	}
	out.Close() // what head does after its first line
	var rec map[string]any
	if err := json.Unmarshal(line, &rec); err != nil || rec["type"] != "session" {
		t.Errorf("first line is not a whole session record (%v): %.200s", err, line)
	}
	ws := waitExit(t, cmd)
	if !ws.Signaled() || ws.Signal() != syscall.SIGPIPE {
		t.Errorf("ftpscope ended with %v (exit status %d), want death by SIGPIPE like other filters", ws, ws.ExitStatus())
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr is not empty: %s", stderr.String())
	}
}

// TestPipeClosedWithSIGPIPEIgnored: the same, started with SIGPIPE ignored
// (`trap ” PIPE`): the Go runtime still ends the program with SIGPIPE on a
// write to a closed standard output, so the status is 141 again and nothing
// is printed.
func TestPipeClosedWithSIGPIPEIgnored(t *testing.T) {
	bin := ftpscopeBinary(t)
	path := manySessions(t, 3000)
	script := `trap '' PIPE; "$0" -r "$1" --format json | head -c 100 >/dev/null; echo "status=${PIPESTATUS[0]}"`
	cmd := exec.Command("bash", "-c", script, bin, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if got := strings.TrimSpace(string(out)); got != "status=141" {
		t.Errorf("ftpscope ended with %s, want status=141 (SIGPIPE)", got)
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr is not empty: %s", stderr.String())
	}
}

// TestFullDisk: standard output on /dev/full (ENOSPC): one line naming the
// error, status 1.
func TestFullDisk(t *testing.T) {
	bin := ftpscopeBinary(t)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	path := manySessions(t, 50)
	for _, format := range []string{"json", "table", "csv"} {
		cmd := exec.Command(bin, "-r", path, "--format", format)
		cmd.Stdout = full
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ws := waitExit(t, cmd)
		msg := strings.TrimSpace(stderr.String())
		if ws.ExitStatus() != exitError || !strings.Contains(msg, "no space left on device") || strings.Count(msg, "\n") > 0 {
			t.Errorf("%s: exit %v, stderr %q; want status 1 and one line saying no space left on device", format, ws, msg)
		}
	}
}

// checkRecords reads JSON Lines and fails on any line that is not a whole
// record; it returns the number of session records and the summary, if any.
func checkRecords(t *testing.T, out []byte) (sessions int, summary *struct{ Interrupted bool }) {
	t.Helper()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		t.Errorf("output ends in the middle of a record: %q", out[max(0, len(out)-80):])
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var rec struct {
			Type        string `json:"type"`
			Interrupted bool   `json:"interrupted"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("not a whole record: %v: %.200s", err, sc.Text())
		}
		switch rec.Type {
		case "session":
			sessions++
		case "summary":
			summary = &struct{ Interrupted bool }{rec.Interrupted}
		}
	}
	return sessions, summary
}

// TestInterruptedRunIsComplete: SIGINT in the middle of a large capture.
// ftpscope stops reading, and what it writes is whole records: the
// sessions seen so far, then a summary saying the run was interrupted.
func TestInterruptedRunIsComplete(t *testing.T) {
	bin := ftpscopeBinary(t)
	path := synFlood(t, 600000)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		cmd := exec.Command(bin, "-r", path, "--format", "json")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		ws := waitExit(t, cmd)
		if ws.Signaled() || ws.ExitStatus() != exitOK {
			t.Fatalf("%v: ended with %v, want status 0; stderr: %s", sig, ws, stderr.String())
		}
		sessions, summary := checkRecords(t, stdout.Bytes())
		if summary == nil || !summary.Interrupted {
			t.Fatalf("%v: no summary saying the run was interrupted (%d sessions)", sig, sessions)
		}
		if sessions == 0 || sessions >= 600000 {
			t.Errorf("%v: %d sessions: the signal did not land mid-run", sig, sessions)
		}
	}
}

// TestInterruptedPipe: tcpdump -w - | ftpscope -r -, stopped with Ctrl-C in
// a terminal, which signals both: ftpscope hears SIGINT while it waits on a
// quiet pipe, then the writer goes away. It ends at once with whole records
// and an interrupted summary.
func TestInterruptedPipe(t *testing.T) {
	bin := ftpscopeBinary(t)
	data, err := os.ReadFile(manySessions(t, 200))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-r", "-", "--format", "json")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Write(data); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	in.Close()
	ws := waitExit(t, cmd)
	if ws.Signaled() || ws.ExitStatus() != exitOK {
		t.Fatalf("ended with %v; stderr: %s", ws, stderr.String())
	}
	sessions, summary := checkRecords(t, stdout.Bytes())
	// The interrupt stops the reading where it is: sessions after that
	// point are not reported, those before it are, whole.
	if sessions == 0 || sessions > 200 || summary == nil || !summary.Interrupted {
		t.Errorf("%d sessions, summary %+v; want some of the 200 and an interrupted summary", sessions, summary)
	}
}

// TestInterruptedQuietPipe: the same pipe, but only ftpscope is signalled
// (kill -INT, systemd stop, timeout(1)) and the writer stays open and
// silent. ftpscope must not wait for the writer: it ends at once, with
// whole records, an interrupted summary, no damage reported for the cut
// it made itself, and status 0.
func TestInterruptedQuietPipe(t *testing.T) {
	bin := ftpscopeBinary(t)
	data, err := os.ReadFile(manySessions(t, 200))
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		cmd := exec.Command(bin, "-r", "-", "--format", "json")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Write(data[:len(data)-100]); err != nil { // the last record unfinished
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		ws := waitExit(t, cmd)
		in.Close()
		if ws.Signaled() || ws.ExitStatus() != exitOK {
			t.Fatalf("%v: ended with %v; stderr: %s", sig, ws, stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("%v: stderr: %s", sig, stderr.String())
		}
		sessions, summary := checkRecords(t, stdout.Bytes())
		if sessions == 0 || summary == nil || !summary.Interrupted {
			t.Errorf("%v: %d sessions, summary %+v; want some and an interrupted summary", sig, sessions, summary)
		}
	}
}

// TestKilledLeavesWholeRecords: SIGKILL, which nothing can catch, in the
// middle of the output to a file. Linux may stop a write of several pages
// part way when its writer is killed (the README says so), so the file may
// end in a piece of a line; what holds is the reader's rule the README
// gives: every line but an unterminated last one is a whole record, never
// a record cut short and followed by another.
func TestKilledLeavesWholeRecords(t *testing.T) {
	bin := ftpscopeBinary(t)
	path := synFlood(t, 600000)
	out, err := os.Create(filepath.Join(t.TempDir(), "out.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(bin, "-r", path, "--format", "json")
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once it has written something, in the middle of its output.
	for i := 0; i < 500; i++ {
		if fi, err := out.Stat(); err == nil && fi.Size() > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	_ = cmd.Process.Kill()
	ws := waitExit(t, cmd)
	if !ws.Signaled() {
		t.Skipf("ftpscope finished before the kill (%v)", ws)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		t.Skip("killed before writing anything")
	}
	if i := bytes.LastIndexByte(b, '\n'); i+1 < len(b) {
		t.Logf("the kill cut a write: %d bytes after the last whole line dropped", len(b)-i-1)
		b = b[:i+1]
	}
	if sessions, _ := checkRecords(t, b); sessions == 0 {
		t.Skip("killed before a whole record was written")
	}
}

// synFlood writes n SYNs to port 21 from n sources: each becomes a session
// record, so the output is large and steady.
func synFlood(t *testing.T, n int) string {
	return writeCapture(t, "synflood.pcap", func(w *craft.Writer) {
		for i := range n {
			src := source(i)
			_ = w.TCP(hostileT0.Add(time.Duration(i)*3*time.Microsecond), src, hostileServer, craft.SYN, craft.ISN(src, hostileServer), 0, nil)
		}
	})
}
