package report_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/report"
)

// BenchmarkJSONSessions writes the JSON records of the sessions of the
// lab and hand-made captures (every verdict, NAT, ICMP, lint, notes),
// the JSON writer's share of a run; sessions/s is the figure.
func BenchmarkJSONSessions(b *testing.B) {
	var sessions []*analysis.Session
	for _, f := range []string{"../pcaps/handmade/*.pcap", "../pcaps/*/client.pcap", "../pcaps/*/server.pcap"} {
		sessions = append(sessions, sessionsGlob(b, f)...)
	}
	if len(sessions) == 0 {
		b.Fatal("no sessions")
	}
	benchJSON(b, sessions)
}

// sessionsGlob returns the sessions of the captures pattern names.
func sessionsGlob(t testing.TB, pattern string) []*analysis.Session {
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	var out []*analysis.Session
	for _, f := range files {
		out = append(out, sessionsTolerant(t, f)...)
	}
	return out
}

// BenchmarkJSONFile writes the JSON records of the sessions of the capture
// FTPSCOPE_BENCH_FILE names (a cut of a control-heavy one is enough):
// the renderer alone, on the sessions a real run renders.
func BenchmarkJSONFile(b *testing.B) {
	name := os.Getenv("FTPSCOPE_BENCH_FILE")
	if name == "" {
		b.Skip("set FTPSCOPE_BENCH_FILE to a capture")
	}
	sessions := sessionsTolerant(b, name)
	if len(sessions) == 0 {
		b.Fatal("no sessions")
	}
	benchJSON(b, sessions)
}

// benchJSON writes sessions' JSON records b.N times, into nothing, and
// reports sessions/s.
func benchJSON(b *testing.B, sessions []*analysis.Session) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w, err := report.New(report.JSON, io.Discard, report.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range sessions {
			if err := w.Session(s); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(sessions))*float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}
