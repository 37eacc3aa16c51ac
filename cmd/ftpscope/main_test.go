package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/pcaps/handmade"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// runTool runs the command in-process and returns stdout, stderr and the status.
func runTool(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runWith(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// record is one JSON Lines object of the output contract.
type record struct {
	Type      string `json:"type"`
	Client    string `json:"client"`
	Server    string `json:"server"`
	Start     string `json:"start"`
	End       string `json:"end"`
	User      string `json:"user"`
	TLS       bool   `json:"tls"`
	Midstream bool   `json:"midstream"`
	Modes     []string
	Channels  []struct {
		Method     string `json:"method"`
		Mode       string `json:"mode"`
		Announced  string `json:"announced"`
		Time       string `json:"time"`
		Command    string `json:"command"`
		Reply      *int   `json:"reply"`
		Connection *struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"connection"`
		SYN     int    `json:"syn"`
		Bytes   uint64 `json:"bytes"`
		Verdict string `json:"verdict"`
		Blocked bool   `json:"blocked"`
		NAT     bool   `json:"nat"`
		Reason  string `json:"reason"`
	} `json:"channels"`
	Sessions  uint64 `json:"session_count"`
	Truncated bool   `json:"truncated"`
	Packets   uint64 `json:"packets"`
}

func parseJSONL(t *testing.T, out string) (sessions []record, summary record) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for sc.Scan() {
		n++
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", n, err, sc.Text())
		}
		switch r.Type {
		case "session":
			sessions = append(sessions, r)
		case "summary":
			summary = r
		case "notice":
			// Notices (issue 14) follow the session that raised them.
			if len(sessions) == 0 {
				t.Fatalf("line %d: a notice before any session", n)
			}
		case "listing":
			// a parsed directory listing (issue 13), checked elsewhere
		default:
			t.Fatalf("line %d: unexpected record type %q", n, r.Type)
		}
	}
	if summary.Type != "summary" {
		t.Fatalf("no summary record at the end:\n%s", out)
	}
	return sessions, summary
}

func scenarioArgs(s handmade.Scenario) []string {
	var args []string
	for _, f := range s.Files {
		args = append(args, "-r", filepath.Join("..", "..", "pcaps", "handmade", f))
	}
	return append(args, s.Args...)
}

// TestHandmadeCaptures checks, on every hand-made capture, the facts that
// matter per channel (method, mode, announced endpoint, verdict, blocked, NAT),
// and pins the rendered table in a golden file.
func TestHandmadeCaptures(t *testing.T) {
	for _, s := range handmade.Scenarios {
		t.Run(s.Name, func(t *testing.T) {
			out, stderr, code := runTool(t, append(scenarioArgs(s), "--format", "json")...)
			wantCode := exitOK
			if s.Truncated {
				wantCode = exitError
				if !strings.Contains(stderr, s.Files[0]) || !strings.Contains(stderr, "damaged after packet") {
					t.Errorf("stderr does not name the damaged file and packet: %q", stderr)
				}
			}
			if code != wantCode {
				t.Fatalf("exit status %d, want %d; stderr: %s", code, wantCode, stderr)
			}
			sessions, sum := parseJSONL(t, out)
			if len(sessions) != s.Sessions {
				t.Fatalf("%d sessions, want %d:\n%s", len(sessions), s.Sessions, out)
			}
			if sum.Truncated != s.Truncated {
				t.Errorf("summary truncated=%v, want %v", sum.Truncated, s.Truncated)
			}
			var got []handmade.Channel
			for _, r := range sessions {
				if r.TLS != s.TLS {
					t.Errorf("session tls=%v, want %v", r.TLS, s.TLS)
				}
				if r.Midstream != s.Midstream {
					t.Errorf("session midstream=%v, want %v", r.Midstream, s.Midstream)
				}
				for _, c := range r.Channels {
					got = append(got, handmade.Channel{Method: c.Method, Mode: c.Mode, Announced: c.Announced, Verdict: c.Verdict, Blocked: c.Blocked, NAT: c.NAT})
					if c.Reason == "" {
						t.Errorf("channel %s %s has no reason", c.Method, c.Announced)
					}
				}
			}
			if len(got) != len(s.Channels) {
				t.Fatalf("%d channels, want %d:\n%s", len(got), len(s.Channels), out)
			}
			for i := range got {
				if got[i] != s.Channels[i] {
					t.Errorf("channel %d: got %+v, want %+v\n  reason: %s", i, got[i], s.Channels[i], sessions[0].Channels[min(i, len(sessions[0].Channels)-1)].Reason)
				}
			}
			table, _, _ := runTool(t, scenarioArgs(s)...)
			golden(t, filepath.Join("testdata", s.Name+".table.golden"), table)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/ftpscope -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test ./cmd/ftpscope -update and review the diff):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestHelpGolden(t *testing.T) {
	out, _, code := runTool(t, "--help")
	if code != exitOK {
		t.Fatalf("--help exit %d", code)
	}
	golden(t, filepath.Join("testdata", "help.golden"), out)
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, exitUsage, "nothing to read"},
		{[]string{"-r", "x.pcap", "--format", "xml"}, exitUsage, "unknown format"},
		{[]string{"-r", "x.pcap", "--control-ports", "70000"}, exitUsage, "not a TCP port"},
		{[]string{"--bogus"}, exitUsage, "unknown flag"},
		{[]string{"-r", "x.pcap", "stray"}, exitUsage, "unexpected argument"},
		{[]string{"-r", "testdata/does-not-exist.pcap"}, exitError, "does-not-exist.pcap"},
		{[]string{"-r", "main_test.go"}, exitError, "main_test.go"},
		{[]string{"-r", "x.pcap", "--zeek-json"}, exitUsage, "--zeek-json goes with --zeek-logs"},
	}
	for _, tc := range tests {
		_, stderr, code := runTool(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d stderr %q, want exit %d and %q", tc.args, code, stderr, tc.code, tc.msg)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
			t.Errorf("%v: error is more than two lines: %q", tc.args, stderr)
		}
	}
}

func TestFailOnBlocked(t *testing.T) {
	args := []string{"-r", filepath.Join("..", "..", "pcaps", "handmade", "blocked-v4.pcap"), "--format", "csv"}
	if _, _, code := runTool(t, args...); code != exitOK {
		t.Errorf("without --fail-on-blocked: exit %d, want 0", code)
	}
	out, _, code := runTool(t, append(args, "--fail-on-blocked")...)
	if code != exitBlocked {
		t.Errorf("with --fail-on-blocked: exit %d, want 3", code)
	}
	if lines := strings.Count(out, "\n"); lines != 4 {
		t.Errorf("csv: %d lines, want header + 3 channels:\n%s", lines, out)
	}
}

func TestPasswordRedaction(t *testing.T) {
	path := filepath.Join("..", "..", "pcaps", "handmade", "odd-227-forms.pcap")
	for _, f := range []string{"json", "table", "csv"} {
		out, _, _ := runTool(t, "-r", path, "--format", f, "--verbose")
		if strings.Contains(out, "guest@example.org") {
			t.Errorf("%s output shows the password", f)
		}
	}
	out, _, _ := runTool(t, "-r", path, "--format", "json", "--show-passwords")
	if !strings.Contains(out, "guest@example.org") {
		t.Errorf("--show-passwords does not show the password")
	}
}

func TestStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "pcaps", "handmade", "blocked-v6.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := runWith(context.Background(), []string{"-r", "-", "--format", "json"}, bytes.NewReader(data), &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	sessions, _ := parseJSONL(t, out.String())
	if len(sessions) != 1 || len(sessions[0].Channels) != 2 {
		t.Errorf("stdin: got %d sessions", len(sessions))
	}
}
