package main

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// countingReader records whether anything read it.
type countingReader struct{ reads atomic.Int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	r.reads.Add(1)
	return 0, nil
}

// TestStdinUntouchedWithoutDash: with only named files, standard input is
// never read (a `while read f; do ftpscope -r "$f"; done < list` loop keeps
// its list; a background job does not stop on terminal input).
func TestStdinUntouchedWithoutDash(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := &countingReader{}
	var out, errb bytes.Buffer
	code := runWith(ctx, []string{"-r", "../../pcaps/handmade/blocked-v4.pcap", "--format", "json"}, in, &out, &errb)
	if code != exitOK && code != exitBlocked {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	time.Sleep(50 * time.Millisecond) // a stray pump goroutine would have read by now
	if n := in.reads.Load(); n != 0 {
		t.Fatalf("standard input was read %d times without -r -", n)
	}
	if !bytes.Contains(out.Bytes(), []byte(`"type":"summary"`)) {
		t.Fatalf("no summary written")
	}
}
