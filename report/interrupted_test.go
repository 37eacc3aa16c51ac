package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
)

// TestInterruptedSaysWhatWasOpen: an interrupted run's table says how many
// sessions were judged unfinished, and says so plainly when none was; the
// JSON summary carries the count.
func TestInterruptedSaysWhatWasOpen(t *testing.T) {
	for _, tc := range []struct {
		open        uint64
		interrupted bool
		want        string
	}{
		{0, true, "Interrupted: no session was open; everything up to the interruption is reported."},
		{1, true, "Interrupted: 1 session still open was judged with what was seen so far."},
		{3, true, "Interrupted: 3 sessions still open were judged with what was seen so far."},
		{3, false, ""},
	} {
		sum := Summary{Interrupted: tc.interrupted, Analysis: analysis.Stats{OpenAtEnd: tc.open}}
		var table, js bytes.Buffer
		for f, buf := range map[Format]*bytes.Buffer{Table: &table, JSON: &js} {
			w, err := New(f, buf, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(sum); err != nil {
				t.Fatal(err)
			}
		}
		got := ""
		for _, line := range strings.Split(table.String(), "\n") {
			if strings.HasPrefix(line, "Interrupted") {
				got = line
			}
		}
		if got != tc.want {
			t.Errorf("open %d interrupted %v: table says %q, want %q", tc.open, tc.interrupted, got, tc.want)
		}
		var rec struct {
			OpenAtEnd   *uint64 `json:"open_at_end"`
			Interrupted bool    `json:"interrupted"`
		}
		if err := json.Unmarshal(js.Bytes(), &rec); err != nil {
			t.Fatalf("summary %q: %v", js.String(), err)
		}
		if rec.OpenAtEnd == nil || *rec.OpenAtEnd != tc.open || rec.Interrupted != tc.interrupted {
			t.Errorf("JSON summary %s, want open_at_end %d interrupted %v", js.String(), tc.open, tc.interrupted)
		}
	}
}
