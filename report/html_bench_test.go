package report_test

import (
	"io"
	"testing"

	"github.com/ftpscope/ftpscope/report"
)

// BenchmarkHTMLSession is the HTML report's cost per session of a lab
// capture, beside BenchmarkJSONSessionLab's JSON record.
func BenchmarkHTMLSession(b *testing.B) {
	sessions := sessionsOf(b, "../pcaps/15-long-session-abort-kill/client.pcap")
	h, err := report.NewHTML(io.Discard, report.HTMLOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range sessions {
			if err := h.Session(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkJSONSessionLab is the JSON writer on the same sessions.
func BenchmarkJSONSessionLab(b *testing.B) {
	sessions := sessionsOf(b, "../pcaps/15-long-session-abort-kill/client.pcap")
	w, err := report.New(report.JSON, io.Discard, report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range sessions {
			if err := w.Session(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}
