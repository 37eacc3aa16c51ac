package report_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/reassembly"
	"github.com/ftpscope/ftpscope/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sessionsOf runs capture -> reassembly -> analysis over a capture, as the
// command does, and returns the sessions.
func sessionsOf(t testing.TB, files ...string) []*analysis.Session {
	t.Helper()
	src, err := capture.OpenFiles(files, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out report.Memory
	cfg := pipeline.Config{Reassembly: reassembly.Config{ControlPorts: []uint16{21}}}
	if _, err := pipeline.Run(context.Background(), src, cfg, &out); err != nil {
		t.Fatal(err)
	}
	return out.Sessions
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test ./report -update and review the diff):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestLadderGolden pins the ladders of hand-made and lab captures: every
// fate of a data connection (no answer, reset, ICMP, NATed, connected).
func TestLadderGolden(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"blocked-v4", "../pcaps/handmade/blocked-v4.pcap"},
		{"nat-227", "../pcaps/handmade/nat-227.pcap"},
		{"auth-tls", "../pcaps/handmade/auth-tls.pcap"},
		{"lab-05-active-reset-server", "../pcaps/05-active-reset/server.pcap"},
		{"lab-10-dnat-pasv-private-client", "../pcaps/10-dnat-pasv-private/client.pcap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			for i, s := range sessionsOf(t, tc.file) {
				if err := report.Ladder(&b, i+1, s); err != nil {
					t.Fatal(err)
				}
			}
			out := b.String()
			for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				for _, r := range line {
					if r > 0x7e || (r < 0x20 && r != '\t') {
						t.Fatalf("line %d is not plain ASCII: %q", i+1, line)
					}
				}
			}
			golden(t, "ladder-"+tc.name+".golden", out)
		})
	}
}

// TestLadderShapes checks the drawing rules a person relies on, independent
// of the golden files: lifelines line up, a dead attempt ends in X, a
// connected one in an arrowhead, and the channel is tagged.
func TestLadderShapes(t *testing.T) {
	var b bytes.Buffer
	sessions := sessionsOf(t, "../pcaps/handmade/blocked-v4.pcap")
	if err := report.Ladder(&b, 1, sessions[0]); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	var data []string
	for _, l := range lines[2:] {
		if l == "" {
			continue
		}
		if len(l) < 10+1+72 || l[10] != '|' || l[10+1+72] != '|' {
			t.Errorf("lifelines out of place: %q", l)
		}
		if strings.Contains(l, "SYN") {
			data = append(data, l)
		}
	}
	want := []struct{ frag, tag string }{
		{"X= SYN x5 :20 -> :40020, no answer", "#1 dropped"},
		{"X= SYN :20 -> :40021, RST", "#2 refused"},
		{"ICMP admin-prohibited from 198.51.100.1", "#3 icmp"},
	}
	if len(data) != len(want) {
		t.Fatalf("%d data lines, want %d:\n%s", len(data), len(want), b.String())
	}
	for i, w := range want {
		if !strings.Contains(data[i], w.frag) || !strings.HasSuffix(data[i], w.tag) {
			t.Errorf("line %q lacks %q or tag %q", data[i], w.frag, w.tag)
		}
	}
	if !strings.Contains(data[0], "|    X=") || !strings.Contains(data[2], "=X    |") {
		t.Errorf("unanswered attempts must stop short of the far lifeline:\n%s\n%s", data[0], data[2])
	}
}
