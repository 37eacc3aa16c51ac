package main

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
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
			two, errTwo, codeTwo := runTool(t, a...)
			if one != two || errOne != errTwo || codeOne != codeTwo {
				t.Errorf("%v -f %s: one core and two cores differ\none core (exit %d): %s\n%s\ntwo cores (exit %d): %s\n%s",
					names, format, codeOne, errOne, one, codeTwo, errTwo, two)
			}
		}
	}
}

// TestPipeBatchEdges: tiny batches (frames that do not fit, frames larger
// than a batch, batches of one frame) deliver the same packets and totals as
// the Source itself.
func TestPipeBatchEdges(t *testing.T) {
	for _, names := range corpus(t) {
		for _, size := range []struct{ bytes, frames int }{{64, 2}, {1500, 1}, {4096, 3}} {
			a, err := capture.OpenFiles(names, capture.FileOptions{})
			if err != nil {
				continue // a capture the corpus keeps for its open error
			}
			b, err := capture.OpenFiles(names, capture.FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p := startPipe(b.(capture.FrameSource), 2, size.bytes, size.frames)
			n := 0
			for {
				x, errA := a.Next()
				y, errB := p.Next()
				if !errors.Is(errA, errB) && !errors.Is(errB, errA) {
					t.Fatalf("%v packet %d: Source says %v, pipe %v", names, n+1, errA, errB)
				}
				if errA != nil {
					break
				}
				n++
				if x.Num != y.Num || x.Time != y.Time || x.Kind != y.Kind || x.Src != y.Src || x.Dst != y.Dst ||
					x.Flags != y.Flags || x.Seq != y.Seq || x.PayloadLen != y.PayloadLen || x.ICMP != y.ICMP ||
					!bytes.Equal(x.Payload, y.Payload) || x.Len != y.Len || x.CapLen != y.CapLen {
					t.Fatalf("%v packet %d differs:\nsource: %+v\npipe:   %+v", names, n, *x, *y)
				}
			}
			if got, want := p.Stats(), a.Stats(); !reflect.DeepEqual(got, want) {
				t.Errorf("%v: totals differ:\nsource: %+v\npipe:   %+v", names, want, got)
			}
			a.Close()
			b.Close()
		}
	}
}

// TestPipeStop: stopping a pipe in the middle ends its goroutine, and the
// totals count what was consumed, not what was read ahead.
func TestPipeStop(t *testing.T) {
	src, err := capture.OpenFiles([]string{"../../pcaps/handmade/blocked-v4.pcap"}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p := startPipe(src.(capture.FrameSource), 2, 256, 1)
	for range 3 {
		if _, err := p.Next(); err != nil {
			t.Fatal(err)
		}
	}
	p.stop()
	st := p.Stats()
	if st.Packets != 3 || st.TCP+st.ICMP+st.Other != 3 {
		t.Errorf("after 3 packets: %d packets, %d by kind", st.Packets, st.TCP+st.ICMP+st.Other)
	}
	if _, err := p.Next(); err != nil && err != io.EOF {
		// Reading after stop is not part of the contract; it must not hang.
		t.Logf("Next after stop: %v", err)
	}
}
