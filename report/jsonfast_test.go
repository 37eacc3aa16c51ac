package report_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/reassembly"
	"github.com/ftpscope/ftpscope/report"
)

// sessionsTolerant is sessionsOf for damaged captures too: a file that does
// not open gives no session, one damaged part way gives those before.
func sessionsTolerant(t testing.TB, file string) []*analysis.Session {
	src, err := capture.OpenFiles([]string{file}, capture.FileOptions{})
	if err != nil {
		return nil
	}
	defer src.Close()
	var out report.Memory
	cfg := pipeline.Config{Reassembly: reassembly.Config{ControlPorts: []uint16{21, 2121}}, Analysis: analysis.Config{Audit: true}}
	if _, err := pipeline.Run(context.Background(), src, cfg, &out); err != nil {
		t.Logf("%s: %v", file, err)
	}
	return out.Sessions
}

// TestJSONFastMatchesEncoder: on every session of every capture under
// pcaps/, the records the JSON writer appends by hand are byte for byte
// what encoding/json writes for the same structs (the public contract's
// definition), streamed channel records included.
func TestJSONFastMatchesEncoder(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../pcaps", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name := d.Name(); !d.IsDir() && (strings.Contains(name, ".pcap") || strings.HasSuffix(name, ".cap")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sessions := 0
	for _, f := range files {
		for _, s := range sessionsTolerant(t, f) {
			sessions++
			fast, reflected := report.JSONBothWays(s, true)
			if fast != reflected {
				t.Errorf("%s: session %s differs:\n--- by hand\n%s--- encoding/json\n%s", f, s.Client, fast, reflected)
			}
		}
	}
	if sessions < 50 {
		t.Fatalf("only %d sessions in %d captures", sessions, len(files))
	}
	t.Logf("%d sessions in %d captures", sessions, len(files))
}
