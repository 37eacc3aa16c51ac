package pipeline

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/report"
)

// TestEngineReachesLastPacket: the capture time the stages reach is the
// last packet's, the time every open session is closed at.
func TestEngineReachesLastPacket(t *testing.T) {
	src, err := capture.OpenFiles([]string{filepath.Join("..", "pcaps", "handmade", "blocked-v4.pcap")}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	e := newEngine(Config{}, &report.Memory{}, false)
	if err := e.read(context.Background(), src, false); err != nil {
		t.Fatal(err)
	}
	if last := src.Stats().Last; !e.last.Equal(last) {
		t.Errorf("stages reached %v, the capture ends at %v", e.last, last)
	}
}
