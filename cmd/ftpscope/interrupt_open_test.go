//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// TestInterruptedTableCountsOpen (issue 12 item 11): ten sessions log in
// and stay open, the capture arrives on a pipe whose writer stays open, and
// ftpscope is interrupted. Each session says capture-end, and the table's
// last lines say that ten were still open, not "no session was open".
func TestInterruptedTableCountsOpen(t *testing.T) {
	bin := ftpscopeBinary(t)
	path := writeCapture(t, "open.pcap", func(w *craft.Writer) {
		for i := range 10 {
			at := hostileT0.Add(time.Duration(i) * 10 * time.Millisecond)
			login(w, at, source(i), hostileServer)
		}
	})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := interruptOnPipe(t, bin, data, "-r", "-")
	if want := "Interrupted: 10 sessions still open were judged with what was seen so far."; !strings.Contains(out, want) {
		t.Errorf("table after SIGINT lacks %q:\n%s", want, out)
	}
	if n := strings.Count(out, "capture-end"); n < 10 {
		t.Errorf("%d sessions say capture-end, want 10:\n%s", n, out)
	}
}

// TestInterruptedBeforeHeader (issue 12 item 16): SIGINT while `-r -` still
// waits for the capture's header (tcpdump has not written a byte yet) is an
// interrupted run with nothing in it, not a failure: a summary saying so,
// status 0.
func TestInterruptedBeforeHeader(t *testing.T) {
	bin := ftpscopeBinary(t)
	stdout, stderr := interruptOnPipe(t, bin, nil, "-r", "-", "--format", "json")
	sessions, summary := checkRecords(t, []byte(stdout))
	if sessions != 0 || summary == nil || !summary.Interrupted {
		t.Errorf("%d sessions, summary %+v; want none and an interrupted summary; stderr: %s", sessions, summary, stderr)
	}
}

// interruptOnPipe starts ftpscope with args and a standard input pipe that
// stays open, writes data into it, sends SIGINT 300 ms later, and returns
// what it wrote once it ended with status 0 (the test fails otherwise).
func interruptOnPipe(t *testing.T, bin string, data []byte, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
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
	ws := waitExit(t, cmd)
	if ws.Signaled() || ws.ExitStatus() != exitOK {
		t.Fatalf("ended with %v, want status 0; stderr: %s", ws, errb.String())
	}
	return out.String(), errb.String()
}
