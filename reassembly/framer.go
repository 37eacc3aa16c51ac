package reassembly

import (
	"bytes"
	"time"
)

// framer cuts one direction's reassembled bytes into lines. It keeps the
// metadata of the line being built (where its first byte came from) because a
// line can span several segments and several deliveries.
//
// The longest line kept (max, Config.MaxLineLen) is passed in rather than
// stored: the buffer holds one byte more, so that a line of exactly max bytes
// followed by CR LF is not taken for a long one.
type framer struct {
	buf []byte

	inLine     bool // bytes of an unfinished line are buffered (or discarded)
	cr         bool // the line so far ends with a CR that may be followed by its LF
	truncated  bool // the current line overflowed max
	afterGap   bool // the next line follows missing bytes
	start      time.Time
	packet     uint64
	atSegStart bool
	segments   int
	lastSeg    uint64 // internal id of the segment that gave the latest byte
}

// segRef identifies the segment that bytes handed to take came from.
type segRef struct {
	id     uint64 // unique per segment fed to gopacket (capture numbers may repeat in tests)
	packet uint64
	time   time.Time
}

// take consumes data up to and including the first line end: LF, CR LF,
// or a CR followed by anything else (a bare CR). Lines end in CR LF (RFC
// 959), but a client that ends them with CR alone must not glue
// "USER alice" and "PASS x" into one user name; Zeek's line reader takes a
// bare CR as a line end too. A CR that is the last byte of data waits for
// the next byte to tell. take returns how many bytes it consumed and whether
// a line is complete (then read it with text and call reset). atStart says
// data[0] is the first payload byte of its segment.
func (f *framer) take(data []byte, seg segRef, atStart bool, max int) (n int, done bool) {
	if len(data) == 0 {
		return 0, false
	}
	if f.cr {
		// The line ended with the CR: an LF after it belongs to it, anything
		// else starts the next line.
		f.cr = false
		if data[0] != '\n' {
			return 0, true
		}
		if seg.id != f.lastSeg {
			f.segments++
			f.lastSeg = seg.id
		}
		return 1, true
	}
	if !f.inLine {
		f.inLine = true
		f.start, f.packet, f.atSegStart = seg.time, seg.packet, atStart
		f.segments, f.lastSeg = 1, seg.id
	} else if seg.id != f.lastSeg {
		f.segments++
		f.lastSeg = seg.id
	}
	i := bytes.IndexByte(data, '\n')
	chunk := data
	if i >= 0 {
		chunk, n, done = data[:i], i+1, true
	} else {
		n = len(data)
	}
	if j := bytes.IndexByte(chunk, '\r'); j >= 0 && j != len(chunk)-1 || j >= 0 && i < 0 {
		// A bare CR before the LF, or a CR at the end of data (the next
		// byte decides). The CR stays in buf: text drops it.
		chunk, n = chunk[:j+1], j+1
		done = j+1 < len(data)
		f.cr = !done
	}
	if !f.truncated {
		room := max + 1 - len(f.buf)
		if len(chunk) > room {
			chunk = chunk[:room]
			f.truncated = true
		}
		f.buf = append(f.buf, chunk...)
	}
	return n, done
}

// text returns the finished (or, at the end of a direction, unfinished) line
// without its line end, and whether it was cut at max.
func (f *framer) text(max int) ([]byte, bool) {
	t := f.buf
	if len(t) > 0 && t[len(t)-1] == '\r' {
		t = t[:len(t)-1]
	}
	trunc := f.truncated
	if len(t) > max {
		t, trunc = t[:max], true
	}
	return t, trunc
}

// reset forgets the current line (after it was emitted, or at a gap).
func (f *framer) reset() {
	f.buf = f.buf[:0]
	f.inLine, f.truncated, f.afterGap, f.cr = false, false, false, false
}

// gap drops the partial line: bytes before and after a hole must never be
// glued into one line that nobody sent.
func (f *framer) gap() {
	f.reset()
	f.afterGap = true
}
