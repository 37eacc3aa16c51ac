package pipeline_test

import (
	"path/filepath"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/reassembly"
)

// TestRunJudgesEveryChannel runs a hand-made capture with three differently
// broken data connections through the stages and checks the verdicts arrive,
// each channel once, and that the capture time reached is the last packet's.
func TestRunJudgesEveryChannel(t *testing.T) {
	src, err := capture.OpenFiles([]string{filepath.Join("..", "pcaps", "handmade", "blocked-v4.pcap")}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var sessions []*analysis.Session
	judged := 0
	an := analysis.New(analysis.Config{}, analysis.Sink{
		Session: func(s *analysis.Session) { sessions = append(sessions, s) },
		Channel: func(*analysis.Session, *analysis.Channel) { judged++ },
	})
	st := pipeline.New(reassembly.New(reassembly.Config{}, an), an)
	if err := st.Run(src); err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(sessions))
	}
	var got []analysis.Verdict
	for _, c := range sessions[0].Channels {
		got = append(got, c.Verdict)
	}
	want := []analysis.Verdict{analysis.Dropped, analysis.Refused, analysis.ICMP}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("verdicts %v, want %v", got, want)
	}
	if judged != 3 {
		t.Errorf("%d channels judged, want each of 3 once", judged)
	}
	if last := src.Stats().Last; !st.Last().Equal(last) {
		t.Errorf("stages reached %v, the capture ends at %v", st.Last(), last)
	}
}
