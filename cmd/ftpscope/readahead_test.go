package main

import (
	"path/filepath"
	"runtime"
	"testing"
)

// corpus lists the committed captures, and a merge of rotated files.
func corpus(t *testing.T) [][]string {
	t.Helper()
	var sets [][]string
	for _, pat := range []string{"../../pcaps/*/*.pcap*", "../../pcaps/*/*/*.pcap*"} {
		files, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			sets = append(sets, []string{f})
		}
	}
	if len(sets) < 10 {
		t.Fatalf("only %d captures found under ../../pcaps", len(sets))
	}
	return append(sets, []string{"../../pcaps/handmade/rotated-2.pcap", "../../pcaps/handmade/rotated-1.pcap"})
}

// TestPipelineSameReport: the report read on two cores is byte for byte the
// one read on one, in every format, on every capture of the corpus.
func TestPipelineSameReport(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // the pipe needs two Ps
	for _, names := range corpus(t) {
		var args []string
		for _, n := range names {
			args = append(args, "-r", n)
		}
		for _, format := range []string{"json", "table"} {
			a := append([]string{"-f", format, "-v"}, args...)
			one, errOne, codeOne := runTool(t, append(a, "--single-core")...)
			// The second-core reader starts after the first frame, so both
			// ways of reading, and the switch, are in every run.
			two, errTwo, codeTwo := runTool(t, append(a, "--pipe-start-after", "1")...)
			if one != two || errOne != errTwo || codeOne != codeTwo {
				t.Errorf("%v -f %s: one core and two cores differ\none core (exit %d): %s\n%s\ntwo cores (exit %d): %s\n%s",
					names, format, codeOne, errOne, one, codeTwo, errTwo, two)
			}
		}
	}
}
