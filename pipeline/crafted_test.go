package pipeline_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
)

// runCrafted writes the capture build makes into a temporary file, runs the
// engine on it with the default configuration, and returns what it wrote.
func runCrafted(t *testing.T, build func(w *craft.Writer)) (report.Summary, report.Memory) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := craft.NewWriter(bw)
	if err != nil {
		t.Fatal(err)
	}
	build(w)
	for _, flush := range []func() error{w.Flush, bw.Flush, f.Close} {
		if err := flush(); err != nil {
			t.Fatal(err)
		}
	}
	src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out report.Memory
	sum, err := pipeline.Run(context.Background(), src, pipeline.Config{}, &out)
	if err != nil {
		t.Fatal(err)
	}
	return sum, out
}
