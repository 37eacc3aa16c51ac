package main

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
)

// retainedAtEnd is a capture.Source that measures the live heap (garbage
// collected first) at packet baseAt, the baseline, and again when its input
// ends: what the engine and the source still hold on to once every packet
// has gone through.
type retainedAtEnd struct {
	capture.Source
	n, baseAt          uint64
	baseline, retained uint64
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func (r *retainedAtEnd) Next() (*capture.Packet, error) {
	p, err := r.Source.Next()
	if r.n++; r.n == r.baseAt {
		r.baseline = liveHeap()
	}
	if errors.Is(err, io.EOF) && r.retained == 0 {
		r.retained = max(liveHeap(), r.baseline) - r.baseline
	}
	return p, err
}

// oversizedCapture writes a classic pcap file by hand (snap length 1 MiB,
// which craft does not write): leadIn small frames, then n records of
// 1 MiB, the longest the reader takes, each followed by small frames.
func oversizedCapture(t *testing.T, leadIn, n int) string {
	t.Helper()
	const size = 1 << 20
	path := filepath.Join(t.TempDir(), "oversized.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	le := binary.LittleEndian
	hdr := le.AppendUint32(nil, 0xa1b2c3d4)
	hdr = le.AppendUint16(hdr, 2)
	hdr = le.AppendUint16(hdr, 4)
	hdr = le.AppendUint32(hdr, 0)
	hdr = le.AppendUint32(hdr, 0)
	hdr = le.AppendUint32(hdr, size)
	hdr = le.AppendUint32(hdr, 1) // Ethernet
	if _, err := f.Write(hdr); err != nil {
		t.Fatal(err)
	}
	big, small := make([]byte, size), make([]byte, 60)
	sec := uint32(hostileT0.Unix())
	for i := range n + 1 {
		frames := append([][]byte{big}, repeat(small, 200)...)
		if i == 0 {
			frames = repeat(small, leadIn)
		}
		for j, frame := range frames {
			rec := le.AppendUint32(nil, sec+uint32(i))
			rec = le.AppendUint32(rec, uint32(j))
			rec = le.AppendUint32(rec, uint32(len(frame)))
			rec = le.AppendUint32(rec, uint32(len(frame)))
			if _, err := f.Write(append(rec, frame...)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path
}

func repeat(b []byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// TestHostileOversizedRecords: records as long as the reader takes, read
// ahead on the second core, cost their memory only while they are in use:
// once the input is through, the read-ahead's batches are back to their
// usual buffers (issue 12 item 4: batches kept their grown buffers, one
// huge record's worth each).
func TestHostileOversizedRecords(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // the read-ahead needs two Ps
	// The baseline is taken in the lead-in, with the read-ahead running
	// and not yet at the first big record (it reads at most its batches,
	// 4 x 1024 frames, ahead).
	const leadIn, baseAt = 20000, 10000
	n := hostileSize(64, 16, 8)
	path := oversizedCapture(t, leadIn, n)
	var o options
	fs, _ := newFlagSet(&o)
	if err := fs.Parse([]string{"-r", path, "--format", "json"}); err != nil {
		t.Fatal(err)
	}
	if err := o.validate(fs.Args()); err != nil {
		t.Fatal(err)
	}
	files, err := capture.OpenFiles(o.read, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := capture.ReadAhead(files, capture.ReadAheadConfig{})
	defer src.Close()
	r := &retainedAtEnd{Source: src, baseAt: baseAt}
	var out report.Memory
	sum, err := pipeline.Run(context.Background(), r, o.engineConfig(), &out)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(leadIn + n*201); sum.Capture.Packets != want || len(sum.Capture.Damage) != 0 {
		t.Fatalf("%d packets, damage %v; want %d packets read whole", sum.Capture.Packets, sum.Capture.Damage, want)
	}
	t.Logf("%d records of 1 MiB: %.1f MiB of heap still live at the end of the input (baseline %.1f MiB)", n, mib(r.retained), mib(r.baseline))
	// Less than two records' worth: the reader's own buffer for a record
	// longer than a chunk may stay, the batches' grown buffers (about one
	// record's worth each, 3.4 MiB here before the fix) may not.
	if budget := uint64(3 << 19); r.retained > budget {
		t.Errorf("%.1f MiB live at the end of the input, budget %.1f MiB", mib(r.retained), mib(budget))
	}
}
