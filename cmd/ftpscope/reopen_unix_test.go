//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// reopenCapture writes a capture in parts and returns it with the offsets
// where each part ends: sessions A, UDP filler that carries capture time
// past their end (so they are judged and written), fillerChunks chunks of
// more filler (each enough packets for a file run to look at its signals
// again), and sessions B (to the end).
func reopenCapture(t *testing.T, perPart int) ([]byte, []int) {
	t.Helper()
	var buf bytes.Buffer
	w, err := craft.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("198.51.100.21:21")
	sessions := func(from int, at time.Time) {
		for i := from; i < from+perPart; i++ {
			s := at.Add(time.Duration(i-from) * 100 * time.Millisecond)
			client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i)}), 40000)
			c := w.Dial(s, client, server)
			c.Server(s.Add(time.Millisecond), "220 ready\r\n")
			c.Client(s.Add(2*time.Millisecond), "USER u\r\n")
			c.Server(s.Add(3*time.Millisecond), "230 ok\r\n")
			c.Client(s.Add(4*time.Millisecond), "PASV\r\n")
			c.Server(s.Add(5*time.Millisecond), fmt.Sprintf("227 Entering Passive Mode (198,51,100,21,200,%d).\r\n", i))
			d := w.Dial(s.Add(6*time.Millisecond), netip.AddrPortFrom(client.Addr(), 40001), netip.AddrPortFrom(server.Addr(), uint16(200*256+i)))
			c.Client(s.Add(7*time.Millisecond), fmt.Sprintf("RETR f%d\r\n", i))
			c.Server(s.Add(8*time.Millisecond), "150 here\r\n")
			d.Server(s.Add(9*time.Millisecond), "data")
			d.CloseFrom(s.Add(10*time.Millisecond), craft.FromServer)
			c.Server(s.Add(11*time.Millisecond), "226 done\r\n")
			c.Client(s.Add(12*time.Millisecond), "QUIT\r\n")
			c.Close(s.Add(13 * time.Millisecond))
		}
	}
	filler := func(at time.Time, n int, span time.Duration) {
		a, b := netip.MustParseAddrPort("203.0.113.1:5000"), netip.MustParseAddrPort("203.0.113.2:53")
		for i := range n {
			_ = w.UDP(at.Add(span*time.Duration(i)/time.Duration(n)), a, b, []byte("x"))
		}
	}
	var offs []int
	mark := func() {
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		offs = append(offs, buf.Len())
	}
	sessions(0, t0)
	mark()
	filler(t0.Add(time.Minute), 2000, 30*time.Second)
	mark()
	for i := range fillerChunks {
		filler(t0.Add(2*time.Minute+time.Duration(i)*10*time.Second), 1100, 5*time.Second)
		mark()
	}
	sessions(perPart, t0.Add(5*time.Minute))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), offs
}

// fillerChunks is how many chunks of filler may be needed before a file
// run has looked at its signals after SIGHUP: the signal reaches the read
// loop asynchronously, and a loaded machine may deliver it after the
// packets of the first chunk are read.
const fillerChunks = 10

// zeekRows returns a Zeek TSV log's rows (the lines that are not headers)
// and whether it has its header and its #close.
func zeekRows(t *testing.T, path string) (rows []string, header, closed bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "#fields"):
			header = true
		case strings.HasPrefix(l, "#close"):
			closed = true
		case !strings.HasPrefix(l, "#") && l != "":
			rows = append(rows, l)
		}
	}
	return rows, header, closed
}

// TestSIGHUPReopens starts ftpscope reading a capture from a pipe, with
// --zeek-logs; once the first sessions are written (the metrics say so) it
// moves ftp.log away as logrotate does and sends the process SIGHUP: the
// old file is finished (#close), a new ftp.log begins with its header, and
// the two hold between them the rows of a run that was never rotated, the
// sessions before the signal in the old file and those after in the new.
func TestSIGHUPReopens(t *testing.T) {
	bin := ftpscopeBinary(t)
	capBytes, offs := reopenCapture(t, 5)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole")
	// The unrotated run, from a file.
	capFile := filepath.Join(dir, "c.pcap")
	if err := os.WriteFile(capFile, capBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-r", capFile, "--zeek-logs", whole, "-f", "json").CombinedOutput(); err != nil {
		t.Fatalf("unrotated run: %v\n%s", err, out)
	}
	want, _, _ := zeekRows(t, filepath.Join(whole, "ftp.log"))
	if len(want) != 20 {
		t.Fatalf("the unrotated ftp.log has %d rows, want 20 (a PASV and a RETR per session)", len(want))
	}

	logs := filepath.Join(dir, "logs")
	cmd := exec.Command(bin, "-r", "-", "--zeek-logs", logs, "-f", "json", "--metrics-listen", "127.0.0.1:0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if _, err := stdin.Write(capBytes[:offs[1]]); err != nil {
		t.Fatal(err)
	}
	var url string
	waitUntil(t, "the metrics address", func() bool {
		m := metricsAddr.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	waitUntil(t, "the first 5 sessions written", func() bool {
		v, _ := sample(scrape(t, url), "ftpscope_sessions_total", "")
		return v == 5
	})
	rotated := filepath.Join(logs, "ftp.log.1")
	if err := os.Rename(filepath.Join(logs, "ftp.log"), rotated); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// A file run looks at its signals every 1024 packets: filler brings
	// it there, a chunk at a time until the old file is finished.
	closed := func() bool {
		b, _ := os.ReadFile(rotated)
		return bytes.Contains(b, []byte("\n#close\t"))
	}
	next := 1
	for ; next < len(offs)-1 && !closed(); next++ {
		if _, err := stdin.Write(capBytes[offs[next]:offs[next+1]]); err != nil {
			t.Fatal(err)
		}
		waitFor(2*time.Second, closed)
	}
	if !closed() {
		t.Fatalf("the rotated ftp.log.1 was not finished after %d chunks of filler; stderr:\n%s", fillerChunks, stderr.String())
	}
	if _, err := stdin.Write(capBytes[offs[next]:]); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	if st := waitExit(t, cmd); st.ExitStatus() != 0 {
		t.Fatalf("exit %d: %s", st.ExitStatus(), stderr.String())
	}
	old, oh, oc := zeekRows(t, rotated)
	cur, ch, cc := zeekRows(t, filepath.Join(logs, "ftp.log"))
	if !oh || !oc || !ch || !cc {
		t.Errorf("headers and #close: rotated %v %v, new %v %v; each file must read on its own", oh, oc, ch, cc)
	}
	if len(old) != 10 || len(cur) != 10 {
		t.Errorf("%d rows before the signal, %d after; want 10 and 10", len(old), len(cur))
	}
	if got := append(old, cur...); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the rotated logs hold between them:\n%s\nthe unrotated run:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
