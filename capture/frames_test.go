package capture

import (
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"testing"
)

// TestFrameSourceMatchesNext: reading with nextFrame and decoding with a
// decoder gives exactly the packets and the totals Next gives, on every
// capture of the corpus (pcap, pcapng, gzip, several link types, damage) and
// on a merge of rotated files.
func TestFrameSourceMatchesNext(t *testing.T) {
	files, err := filepath.Glob("../pcaps/*/*.pcap*")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../pcaps/*/*/*.pcap*")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("only %d captures found in ../pcaps", len(files))
	}
	sets := [][]string{{"../pcaps/handmade/rotated-2.pcap", "../pcaps/handmade/rotated-1.pcap"}}
	for _, f := range files {
		sets = append(sets, []string{f})
	}
	for _, names := range sets {
		t.Run(filepath.Base(names[0]), func(t *testing.T) {
			a, errA := OpenFiles(names, FileOptions{})
			b, err := OpenFiles(names, FileOptions{})
			if errA != nil || err != nil {
				if errA == nil || err == nil || errA.Error() != err.Error() {
					t.Fatalf("open: %v, then %v", errA, err)
				}
				return // a capture the corpus keeps for its open error
			}
			defer a.Close()
			defer b.Close()
			fs, ok := b.(frameSource)
			if !ok {
				t.Fatal("a file Source is not a frameSource")
			}
			dec := newDecoder()
			n := 0
			for {
				p, errA := a.Next()
				f, errB := fs.nextFrame()
				if !errors.Is(errA, errB) && !errors.Is(errB, errA) {
					t.Fatalf("packet %d: Next says %v, nextFrame %v", n+1, errA, errB)
				}
				if errA == io.EOF {
					break
				}
				if errA != nil {
					t.Fatal(errA)
				}
				n++
				q := dec.decodeFrame(f)
				if !samePacket(p, q) {
					t.Fatalf("packet %d differs:\nNext:    %+v\nDecoder: %+v", n, *p, *q)
				}
			}
			want := a.Stats()
			got := b.Stats()
			dec.addCounts(&got)
			if !reflect.DeepEqual(want, got) {
				t.Errorf("stats differ:\nNext:      %+v\nNextFrame: %+v", want, got)
			}
			if n == 0 && want.Packets != 0 {
				t.Error("no packets compared")
			}
		})
	}
}

// samePacket compares everything a Packet says, the payload by its bytes.
func samePacket(p, q *Packet) bool {
	a, b := *p, *q
	if string(a.Payload) != string(b.Payload) {
		return false
	}
	a.Payload, b.Payload = nil, nil
	return reflect.DeepEqual(a, b)
}
