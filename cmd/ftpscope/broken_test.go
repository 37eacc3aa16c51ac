package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/pcaps/broken"
)

// TestBrokenCaptures runs ftpscope on every broken capture in pcaps/broken
// and checks what the issue asks of each: the exit status, one clear message
// naming the file (and the packet, when there is one), the report of
// everything before the damage, and the summary counting the oddity.
func TestBrokenCaptures(t *testing.T) {
	for _, c := range broken.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var args []string
			for _, f := range c.Files {
				args = append(args, "-r", filepath.Join("..", "..", "pcaps", "broken", f))
			}
			out, stderr, code := runTool(t, append(args, "--format", "json")...)
			if code != c.Exit {
				t.Fatalf("exit status %d, want %d; stderr: %s", code, c.Exit, stderr)
			}
			for _, s := range c.Stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, stderr)
				}
			}
			if len(c.Stderr) == 0 && stderr != "" {
				t.Errorf("unexpected stderr: %s", stderr)
			}
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if line != "" && !strings.HasPrefix(line, "ftpscope: ") {
					t.Errorf("stderr line without the program's name: %q", line)
				}
			}
			if out == "" {
				if c.Sessions != 0 {
					t.Fatalf("no report, want %d sessions", c.Sessions)
				}
				return // unreadable from the start: nothing to report
			}
			sessions, _ := parseJSONL(t, out)
			var sum struct {
				Capture map[string]uint64 `json:"capture"`
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
				t.Fatal(err)
			}
			if len(sessions) != c.Sessions {
				t.Fatalf("%d sessions, want %d", len(sessions), c.Sessions)
			}
			var verdicts []string
			for _, s := range sessions {
				for _, ch := range s.Channels {
					verdicts = append(verdicts, ch.Verdict)
				}
			}
			if len(verdicts) != c.Channels {
				t.Errorf("%d channels, want %d", len(verdicts), c.Channels)
			}
			if c.Verdicts != nil && strings.Join(verdicts, " ") != strings.Join(c.Verdicts, " ") {
				t.Errorf("verdicts %v, want %v", verdicts, c.Verdicts)
			}
			for _, k := range c.Summary {
				if sum.Capture[k] == 0 {
					t.Errorf("summary capture.%s is 0: %v", k, sum.Capture)
				}
			}
			// The table says the same, damage included, and is complete.
			table, _, tcode := runTool(t, args...)
			if tcode != code || !strings.Contains(table, "Totals") {
				t.Errorf("table: exit %d, or no totals:\n%s", tcode, table)
			}
		})
	}
}
