package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
)

// bruteforceOneConn writes one control connection with 25 failed logins
// and then an hour of other commands before it closes: a notice raised at
// the 20th failure that a live link must hear about long before the close.
func bruteforceOneConn(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := craft.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	c := w.Dial(t0, netip.MustParseAddrPort("203.0.113.7:40001"), netip.MustParseAddrPort("198.51.100.9:21"))
	at := t0.Add(time.Millisecond)
	c.Server(at, "220 ready\r\n")
	for i := range 25 {
		at = at.Add(time.Second)
		c.Client(at, fmt.Sprintf("USER u%d\r\n", i))
		c.Server(at.Add(time.Millisecond), "331 password\r\n")
		c.Client(at.Add(2*time.Millisecond), "PASS guess\r\n")
		c.Server(at.Add(3*time.Millisecond), "530 Login incorrect\r\n")
	}
	for range 60 {
		at = at.Add(time.Minute)
		c.Client(at, "NOOP\r\n")
		c.Server(at.Add(time.Millisecond), "200 ok\r\n")
	}
	c.Close(at.Add(time.Second))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bruteforce.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// records runs the engine over path with the JSON writer and returns each
// record's type and time, in output order.
func records(t *testing.T, path string, stream bool) []string {
	t.Helper()
	src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out bytes.Buffer
	w, err := report.New(report.JSON, &out, report.Options{Stream: stream})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Run(context.Background(), src, pipeline.Config{Analysis: analysis.Config{Audit: true}}, w); err != nil {
		t.Fatal(err)
	}
	var got []string
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ Type, Kind string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Type == "notice" {
			got = append(got, "notice "+r.Kind)
		} else {
			got = append(got, r.Type)
		}
	}
	return got
}

// TestNoticesStreamAsRaised: on a live link (Options.Stream) a notice record
// goes out when it is raised, before its session's record and not again
// after it; from a file it follows the session. Either way the same notices.
func TestNoticesStreamAsRaised(t *testing.T) {
	path := bruteforceOneConn(t)
	file := records(t, path, false)
	live := records(t, path, true)
	t.Logf("file: %v\nlive: %v", file, live)
	count := func(rs []string, prefix string) (n int) {
		for _, r := range rs {
			if strings.HasPrefix(r, prefix) {
				n++
			}
		}
		return n
	}
	if count(file, "notice") == 0 || count(file, "notice") != count(live, "notice") {
		t.Fatalf("%d notices from the file, %d live; want the same, at least one", count(file, "notice"), count(live, "notice"))
	}
	if b, s := slices.Index(file, "notice bruteforce"), slices.Index(file, "session"); b < 0 || b < s {
		t.Errorf("file: bruteforce notice at %d, session at %d: want it after its session", b, s)
	}
	if b, s := slices.Index(live, "notice bruteforce"), slices.Index(live, "session"); b < 0 || b > s {
		t.Errorf("live: bruteforce notice at %d, session at %d: want it first", b, s)
	}
}

// TestNoticeTableLineLive: the live table prints a notice as one line when
// it is raised, before the session's table.
func TestNoticeTableLineLive(t *testing.T) {
	src, err := capture.OpenFiles([]string{bruteforceOneConn(t)}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out bytes.Buffer
	w, err := report.New(report.Table, &out, report.Options{Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Run(context.Background(), src, pipeline.Config{Analysis: analysis.Config{Audit: true}}, w); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	line, table := bytes.Index(out.Bytes(), []byte("notice bruteforce: ")), bytes.Index(out.Bytes(), []byte("Session 1"))
	if line < 0 || table < 0 || line > table {
		t.Errorf("notice line at %d, session table at %d:\n%s", line, table, s)
	}
}
