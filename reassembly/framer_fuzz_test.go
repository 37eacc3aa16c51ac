package reassembly

import (
	"bytes"
	"testing"
	"time"
)

// framed is one line the framer produced, as FuzzFramer compares them.
type framed struct {
	text      string
	truncated bool
	packet    uint64
	atStart   bool
	segments  int
}

// frameAll feeds data to a framer of the given maximum in segments of the
// given sizes (cycled; a zero size is an empty delivery) and returns the
// lines, the partial line at the end (if any) and the bytes consumed.
func frameAll(t *testing.T, data []byte, max int, sizes []byte) ([]framed, *framed) {
	t.Helper()
	var f framer
	var lines []framed
	emit := func(fl line) framed {
		if bytes.IndexByte(fl.text, '\n') >= 0 {
			t.Fatalf("line %q contains LF", fl.text)
		}
		if len(fl.text) > max {
			t.Fatalf("line of %d bytes, max %d", len(fl.text), max)
		}
		return framed{string(fl.text), fl.truncated, fl.packet, fl.atSegStart, fl.segments}
	}
	if allZero(sizes) {
		sizes = nil
	}
	off, seg := 0, 0
	for off < len(data) {
		n := len(data) - off
		if len(sizes) > 0 {
			n = min(n, int(sizes[seg%len(sizes)]))
		}
		seg++
		ref := segRef{id: uint64(seg), packet: uint64(seg), time: time.Unix(int64(seg), 0)}
		chunk := data[off : off+n]
		start := true
		for len(chunk) > 0 {
			pendingCR := f.pendingCR()
			used, fl, done := f.take(chunk, ref, start, max)
			if used < 0 || used > len(chunk) || used == 0 && !(pendingCR && done && chunk[0] != '\n') {
				t.Fatalf("take consumed %d of %d bytes", used, len(chunk))
			}
			// A line ends at an LF or at a CR not followed by one (at the
			// end of a delivery, the next byte decides).
			if used > 0 {
				last := chunk[used-1]
				ends := last == '\n' || last == '\r' && used < len(chunk) && chunk[used] != '\n'
				k := bytes.IndexAny(chunk[:used], "\r\n") // the first line end consumed must be the last
				if done != ends || k >= 0 && k != used-1 && !(k == used-2 && chunk[k] == '\r' && last == '\n') {
					t.Fatalf("take(%q) consumed %d bytes, done=%v: not up to the first line end", chunk, used, done)
				}
			}
			chunk, start = chunk[used:], start && used == 0
			if done {
				lines = append(lines, emit(fl))
			}
		}
		if n == 0 {
			// An empty delivery consumes nothing and changes nothing.
			if used, _, done := f.take(nil, ref, true, max); used != 0 || done {
				t.Fatalf("take(nil) = %d, %v", used, done)
			}
		}
		off += n
	}
	if fl, ok := f.unfinished(); ok {
		l := emit(fl)
		return lines, &l
	}
	return lines, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// FuzzFramer cuts arbitrary bytes into control lines, delivered whole and in
// arbitrary segment sizes. Properties: no line contains LF or exceeds the
// maximum; each line is its input line without the LF and one trailing CR,
// cut at the maximum exactly when it was longer (Truncated says so);
// segmentation changes neither the lines nor their text, only the segment
// bookkeeping, which must name the segment that held each line's first byte
// and count the segments its bytes came from.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("USER anonymous\r\nPASS x\r\n"), uint8(4), []byte{3, 5})
	f.Add([]byte("227 Entering Passive Mode (192,0,2,1,4,1)\r\n220-a\n220 b\r\n"), uint8(16), []byte{1})
	f.Add([]byte("no newline at all"), uint8(5), []byte{0, 2})
	f.Add([]byte("\r\n\n\r\r\n"), uint8(1), []byte{})
	f.Add([]byte("exactly8\r\nexactly8\nexactly8\r"), uint8(8), []byte{9, 1})
	f.Fuzz(func(t *testing.T, data []byte, maxb uint8, sizes []byte) {
		max := int(maxb)%64 + 1
		whole, wholeTail := frameAll(t, data, max, nil)
		split, splitTail := frameAll(t, data, max, sizes)

		// The expected lines, straight from the input.
		rest := data
		var want []framed
		var wantTail *framed
		for len(rest) > 0 {
			// A line ends at LF, CR LF or a bare CR; a CR that ends the
			// input leaves the line unfinished.
			i := bytes.IndexAny(rest, "\r\n")
			line := rest
			switch {
			case i < 0:
				rest = nil
			case rest[i] == '\r' && i == len(rest)-1:
				line, rest, i = rest[:i], nil, -1
			case rest[i] == '\r' && rest[i+1] == '\n':
				line, rest = rest[:i], rest[i+2:]
			default:
				line, rest = rest[:i], rest[i+1:]
			}
			l := framed{text: string(line)}
			if len(line) > max {
				l.text, l.truncated = string(line[:max]), true
			}
			if i >= 0 {
				want = append(want, l)
			} else {
				wantTail = &l
			}
		}
		check := func(name string, got []framed, tail *framed) {
			if len(got) != len(want) {
				t.Fatalf("%s: %d lines, want %d", name, len(got), len(want))
			}
			for i := range got {
				if got[i].text != want[i].text || got[i].truncated != want[i].truncated {
					t.Fatalf("%s: line %d = %q (truncated %v), want %q (%v)", name, i, got[i].text, got[i].truncated, want[i].text, want[i].truncated)
				}
			}
			if (tail == nil) != (wantTail == nil) || tail != nil && (tail.text != wantTail.text || tail.truncated != wantTail.truncated) {
				t.Fatalf("%s: unfinished line %+v, want %+v", name, tail, wantTail)
			}
		}
		check("whole", whole, wholeTail)
		check("segmented", split, splitTail)
		for i, l := range whole {
			if l.packet != 1 || l.segments != 1 || l.atStart != (i == 0) {
				t.Fatalf("whole: line %d says packet %d, %d segments, at start %v", i, l.packet, l.segments, l.atStart)
			}
		}
		for i, l := range split {
			if l.segments < 1 || l.packet < 1 {
				t.Fatalf("segmented: line %d says packet %d, %d segments", i, l.packet, l.segments)
			}
			if i > 0 && l.packet < split[i-1].packet+uint64(split[i-1].segments)-1 {
				t.Fatalf("segmented: line %d starts in segment %d, before the end of line %d (%d+%d-1)", i, l.packet, i-1, split[i-1].packet, split[i-1].segments)
			}
		}
	})
}
