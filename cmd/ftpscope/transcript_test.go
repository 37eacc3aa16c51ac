package main

import "testing"

// TestTranscriptOnlyForLadder: the analyzer keeps each session's
// transcript only when --ladder will draw it.
func TestTranscriptOnlyForLadder(t *testing.T) {
	for _, tc := range []struct {
		args []string
		keep bool
	}{
		{[]string{"-r", "x.pcap"}, false},
		{[]string{"-r", "x.pcap", "--format", "json"}, false},
		{[]string{"-r", "x.pcap", "--ladder"}, true},
	} {
		var o options
		fs, _ := newFlagSet(&o)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := !o.analysisConfig().NoTranscript; got != tc.keep {
			t.Errorf("%v: transcript kept %v, want %v", tc.args, got, tc.keep)
		}
	}
}
