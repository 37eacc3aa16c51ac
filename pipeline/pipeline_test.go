package pipeline_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
)

func open(t *testing.T, name string) capture.Source {
	t.Helper()
	src, err := capture.OpenFiles([]string{filepath.Join("..", "pcaps", "handmade", name)}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// TestRunJudgesEveryChannel runs a hand-made capture with three differently
// broken data connections through the engine and checks the verdicts arrive,
// each channel once, and that the totals are the capture's.
func TestRunJudgesEveryChannel(t *testing.T) {
	src := open(t, "blocked-v4.pcap")
	var out report.Memory
	sum, err := pipeline.Run(context.Background(), src, pipeline.Config{}, &out)
	if err != nil {
		t.Fatal(err)
	}
	checkBlockedV4(t, &out)
	if !out.Closed || out.Summary.Analysis != sum.Analysis || out.Summary.Capture.Packets != src.Stats().Packets {
		t.Errorf("summary written %v (%+v), returned %+v", out.Closed, out.Summary.Analysis, sum.Analysis)
	}
	if out.Flushes != 0 {
		t.Errorf("a file's report was flushed %d times after sessions; only live output is", out.Flushes)
	}
}

// checkBlockedV4 checks what blocked-v4.pcap holds: one session whose
// three channels were dropped, refused and refused by ICMP, each judged once.
func checkBlockedV4(t *testing.T, out *report.Memory) {
	t.Helper()
	if len(out.Sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(out.Sessions))
	}
	var got []analysis.Verdict
	for _, c := range out.Sessions[0].Channels {
		got = append(got, c.Verdict)
	}
	want := []analysis.Verdict{analysis.Dropped, analysis.Refused, analysis.ICMP}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("verdicts %v, want %v", got, want)
	}
	if len(out.Channels) != 3 {
		t.Errorf("%d channels judged, want each of 3 once", len(out.Channels))
	}
}

// failing is a Source that fails with err where its input would end.
type failing struct {
	capture.Source
	err error
}

func (f failing) Next() (*capture.Packet, error) {
	p, err := f.Source.Next()
	if err != nil {
		return nil, f.err
	}
	return p, nil
}

// TestReadErrorKeepsSessions: a read error ends the run, but every session
// learned before it is judged and written, the totals too, and the error
// is returned with its cause.
func TestReadErrorKeepsSessions(t *testing.T) {
	cause := errors.New("the disk went away")
	var out report.Memory
	_, err := pipeline.Run(context.Background(), failing{open(t, "blocked-v4.pcap"), cause}, pipeline.Config{}, &out)
	if !errors.Is(err, cause) {
		t.Fatalf("Run returned %v, want the read error", err)
	}
	checkBlockedV4(t, &out)
	if !out.Closed || out.Summary.Analysis.Sessions != 1 {
		t.Errorf("totals written %v, %d sessions", out.Closed, out.Summary.Analysis.Sessions)
	}
}

// TestRunInterrupted: a run whose context is done stops reading, judges
// what it learned and says it was interrupted.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out report.Memory
	sum, err := pipeline.Run(ctx, open(t, "blocked-v4.pcap"), pipeline.Config{}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || !out.Summary.Interrupted {
		t.Errorf("interrupted %v, summary written says %v", sum.Interrupted, out.Summary.Interrupted)
	}
}
