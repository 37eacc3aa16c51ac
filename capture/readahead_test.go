package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"
)

// corpus lists the committed captures, and a merge of rotated files.
func corpus(t *testing.T) [][]string {
	t.Helper()
	var sets [][]string
	for _, pat := range []string{"../pcaps/*/*.pcap*", "../pcaps/*/*/*.pcap*"} {
		files, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			sets = append(sets, []string{f})
		}
	}
	if len(sets) < 10 {
		t.Fatalf("only %d captures found under ../pcaps", len(sets))
	}
	return append(sets, []string{"../pcaps/handmade/rotated-2.pcap", "../pcaps/handmade/rotated-1.pcap"})
}

// TestPipeBatchEdges: tiny batches (frames that do not fit, frames larger
// than a batch, batches of one frame), and reading handed over to the
// caller's goroutine midway, deliver the same packets and totals as the
// Source itself.
func TestPipeBatchEdges(t *testing.T) {
	for _, names := range corpus(t) {
		for _, size := range []struct{ bytes, frames, chunks, switchAfter, ahead int }{
			{64, 2, 0, 0, 0}, {1500, 1, 0, 0, 1}, {4096, 3, 0, 0, -1}, {4096, 3, 0, 2, 1}, {256, 1, 0, 1, 0}, {1 << 20, 4096, 0, 1, 0},
			// Frames held in the reader's chunks instead of copied.
			{64, 2, 1, 0, 1}, {64, 5, 2, 0, -1}, {4096, 64, 3, 0, 0}, {256, 3, 1, 2, 1}, {1 << 20, 4096, 3, 0, 1},
		} {
			a, err := OpenFiles(names, FileOptions{})
			if err != nil {
				continue // a capture the corpus keeps for its open error
			}
			b, err := OpenFiles(names, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p := startPipe(b.(frameSource), pipeConfig{batches: 2, batchBytes: size.bytes, batchFrames: size.frames,
				batchChunks: size.chunks, switchAfter: size.switchAfter, decodeAhead: size.ahead})
			samePackets(t, fmt.Sprint(names, size), a, p)
			a.Close()
			b.Close()
		}
	}
}

// samePackets reads a and p to their ends and fails where their packets or
// totals differ.
func samePackets(t *testing.T, what string, a Source, p *pipe) {
	t.Helper()
	n := 0
	for {
		x, errA := a.Next()
		y, errB := p.Next()
		if !errors.Is(errA, errB) && !errors.Is(errB, errA) {
			t.Fatalf("%s packet %d: Source says %v, pipe %v", what, n+1, errA, errB)
		}
		if errA != nil {
			break
		}
		n++
		if x.Num != y.Num || x.Time != y.Time || x.Kind != y.Kind || x.Src != y.Src || x.Dst != y.Dst ||
			x.Flags != y.Flags || x.Seq != y.Seq || x.PayloadLen != y.PayloadLen || x.ICMP != y.ICMP ||
			!bytes.Equal(x.Payload, y.Payload) || x.Len != y.Len || x.CapLen != y.CapLen || x.TTL != y.TTL || x.IPID != y.IPID {
			t.Fatalf("%s packet %d differs:\nsource: %+v\npipe:   %+v", what, n, *x, *y)
		}
	}
	if got, want := p.Stats(), a.Stats(); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: totals differ:\nsource: %+v\npipe:   %+v", what, want, got)
	}
}

// TestPipeChunkedLarge: on a synthesized capture many chunks long, frames
// held in the reader's chunks across batches (and the chunks recycled)
// come out as the Source reads them, whoever decodes them.
func TestPipeChunkedLarge(t *testing.T) {
	dir := t.TempDir()
	synth := buildSynth(t, dir)
	var names []string
	for _, seed := range []string{"5", "6"} {
		name := filepath.Join(dir, "large-"+seed+".pcap")
		args := []string{"--out", name, "--sessions", "200", "--max-transfer", "64KiB", "--seed", seed, "--ipv6-share", "0.3"}
		if out, err := exec.Command(synth, args...).CombinedOutput(); err != nil {
			t.Fatalf("ftpsynth: %v\n%s", err, out)
		}
		if fi, err := os.Stat(name); err != nil || fi.Size() < 8*chunkSize {
			t.Fatalf("synthesized capture too small to span chunks: %v %v", fi, err)
		}
		names = append(names, name)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, tc := range []struct {
		files []string
		cfg   pipeConfig
	}{
		{names[:1], pipeConfig{batches: 2, batchBytes: 4096, batchFrames: 64, batchChunks: 1, decodeAhead: 1}},
		{names[:1], pipeConfig{batches: 4, batchBytes: 4096, batchFrames: 1024, batchChunks: 3}},
		{names[:1], pipeConfig{batches: 3, batchBytes: 4096, batchFrames: 16, batchChunks: 2, decodeAhead: -1}},
		{names[:1], pipeConfig{batches: 2, batchBytes: 4096, batchFrames: 300, batchChunks: 2, switchAfter: 40}},
		// Two files merged: their chunks interleave within a batch.
		{names, pipeConfig{batches: 4, batchBytes: 4096, batchFrames: 1024, batchChunks: 3}},
		{names, pipeConfig{batches: 2, batchBytes: 4096, batchFrames: 64, batchChunks: 2, decodeAhead: 1}},
	} {
		cfg := tc.cfg
		a, err := OpenFiles(tc.files, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := OpenFiles(tc.files, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p := startPipe(b.(frameSource), cfg)
		samePackets(t, fmt.Sprintf("%d files %+v", len(tc.files), cfg), a, p)
		if p.pool == nil {
			t.Fatalf("%+v: the pipe did not use chunks", cfg)
		}
		a.Close()
		b.Close()
	}
}

// TestPipeStop: stopping a pipe in the middle ends its goroutine, and the
// totals count what was consumed, not what was read ahead.
func TestPipeStop(t *testing.T) {
	src, err := OpenFiles([]string{"../pcaps/handmade/blocked-v4.pcap"}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p := startPipe(src.(frameSource), pipeConfig{batches: 2, batchBytes: 256, batchFrames: 1})
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

// TestPipeHandsOverWhenAlone: when the probes find the process using about
// one core, reading moves to the caller's goroutine, without losing or
// repeating a packet; with two cores busy it stays on the second one.
func TestPipeHandsOverWhenAlone(t *testing.T) {
	for _, tc := range []struct {
		cores    float64
		handOver bool
	}{{1.0, true}, {1.9, false}} {
		a, err := OpenFiles([]string{"../pcaps/handmade/reorder-retransmit-gap.pcap"}, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := OpenFiles([]string{"../pcaps/handmade/reorder-retransmit-gap.pcap"}, FileOptions{})
		p := startPipe(b.(frameSource), pipeConfig{batches: 2, batchBytes: 4096, batchFrames: 1, probeEvery: 4})
		// A CPU clock that runs tc.cores times as fast as the wall clock.
		start := time.Now()
		p.probeCPU, p.probeCPUKnown = 0, true
		p.cpuTimeForTest = func() (time.Duration, bool) {
			return time.Duration(float64(time.Since(start)) * tc.cores), true
		}
		n := 0
		for {
			x, errA := a.Next()
			y, errB := p.Next()
			if (errA == nil) != (errB == nil) {
				t.Fatalf("packet %d: source %v, pipe %v", n+1, errA, errB)
			}
			if errA != nil {
				break
			}
			n++
			if x.Num != y.Num || x.Time != y.Time || !bytes.Equal(x.Payload, y.Payload) {
				t.Fatalf("packet %d differs", n)
			}
		}
		if n < 2*4+2 {
			t.Fatalf("only %d packets: too few for two probes", n)
		}
		if got := p.handedOverAt > 0; got != tc.handOver {
			t.Errorf("%.1f cores busy: handed over %v (at batch %d), want %v", tc.cores, got, p.handedOverAt, tc.handOver)
		}
		if got, want := p.Stats(), a.Stats(); !reflect.DeepEqual(got, want) {
			t.Errorf("totals differ:\nsource: %+v\npipe:   %+v", want, got)
		}
		a.Close()
		b.Close()
	}
}

// buildSynth builds cmd/ftpsynth, the capture synthesizer, into dir.
func buildSynth(t testing.TB, dir string) string {
	t.Helper()
	gotool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gotool); err != nil {
		if gotool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build cmd/ftpsynth with")
		}
	}
	bin := filepath.Join(dir, "ftpsynth")
	cmd := exec.Command(gotool, "build", "-o", bin, "github.com/ftpscope/ftpscope/cmd/ftpsynth")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/ftpsynth: %v\n%s", err, out)
	}
	return bin
}
