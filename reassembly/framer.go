package reassembly

import (
	"bytes"
	"time"
)

// framer cuts one direction's reassembled bytes into lines. A line that ends
// in the bytes handed to take, as control lines nearly always do, is returned
// as a slice of them and costs the framer nothing; only a line that spans
// several deliveries is copied, into part, with the metadata of its first
// byte.
//
// The longest line kept (max, Config.MaxLineLen) is passed in rather than
// stored.
type framer struct {
	// part is allocated at the first line that does not end where it starts
	// (or at the first gap) and kept: a direction that split one line
	// probably splits more.
	part *partLine
}

// partLine is the line a framer is building across deliveries.
type partLine struct {
	buf        []byte // the line so far, without line-end bytes, at most max
	inLine     bool   // bytes of an unfinished line are buffered (or discarded)
	cr         bool   // the line so far ended with a CR that may be followed by its LF
	truncated  bool   // the current line overflowed max
	afterGap   bool   // the next line follows missing bytes
	atSegStart bool
	segments   int
	start      time.Time
	packet     uint64
	lastSeg    uint64 // internal id of the segment that gave the latest byte
}

// line is a complete (or, at the end of a direction, unfinished) line.
type line struct {
	text       []byte // without its line end, cut at max; aliases the input or the framer
	truncated  bool   // the line was longer than max
	atSegStart bool   // it began at the first payload byte of a segment
	afterGap   bool   // it follows missing bytes
	segments   int
	start      time.Time
	packet     uint64
}

// segRef identifies the segment that bytes handed to take came from.
type segRef struct {
	id     uint64 // unique per segment fed to gopacket (capture numbers may repeat in tests)
	packet uint64
	time   time.Time
}

// lineEnd finds the first line end in data: LF, CR LF, or a CR followed by
// anything else (a bare CR). It returns where the line's text ends, how many
// bytes the line takes with its line end, and whether the line is complete:
// a CR that is the last byte of data is not yet (the next byte tells), and
// neither is data without a line end (then end == n == len(data)).
func lineEnd(data []byte) (end, n int, complete bool) {
	i := bytes.IndexByte(data, '\n')
	chunk := data
	if i >= 0 {
		chunk = data[:i]
	}
	if j := bytes.IndexByte(chunk, '\r'); j >= 0 && (j != len(chunk)-1 || i < 0) {
		// A bare CR before the LF, or a CR at the end of data.
		return j, j + 1, j+1 < len(data)
	} else if i >= 0 {
		if j >= 0 {
			return j, i + 1, true // CR LF
		}
		return i, i + 1, true
	}
	return len(data), len(data), false
}

// take consumes data up to and including the first line end: LF, CR LF, or
// a CR followed by anything else (a bare CR). Lines end in CR LF (RFC 959),
// but a client that ends them with CR alone must not glue "USER alice" and
// "PASS x" into one user name; Zeek's line reader takes a bare CR as a line
// end too. A CR that is the last byte of data waits for the next byte to
// tell. take returns how many bytes it consumed and, when a line is
// complete, the line, whose text is valid until the next call. atStart says
// data[0] is the first payload byte of its segment.
func (f *framer) take(data []byte, seg segRef, atStart bool, max int) (n int, l line, done bool) {
	if len(data) == 0 {
		return 0, line{}, false
	}
	p := f.part
	if p == nil || !p.inLine {
		if end, n, ok := lineEnd(data); ok {
			// The whole line is here: no copy.
			text, trunc := data[:end:end], false
			if len(text) > max {
				text, trunc = text[:max], true
			}
			l = line{text: text, truncated: trunc, atSegStart: atStart, segments: 1, start: seg.time, packet: seg.packet}
			if p != nil {
				l.afterGap, p.afterGap = p.afterGap, false
			}
			return n, l, true
		}
		if p == nil {
			p = new(partLine)
			f.part = p
		}
	}
	if p.cr {
		// The line ended with the CR: an LF after it belongs to it, anything
		// else starts the next line.
		p.cr = false
		if data[0] != '\n' {
			return 0, f.finish(), true
		}
		if seg.id != p.lastSeg {
			p.segments++
			p.lastSeg = seg.id
		}
		return 1, f.finish(), true
	}
	if !p.inLine {
		p.inLine = true
		p.start, p.packet, p.atSegStart = seg.time, seg.packet, atStart
		p.segments, p.lastSeg = 1, seg.id
	} else if seg.id != p.lastSeg {
		p.segments++
		p.lastSeg = seg.id
	}
	end, n, complete := lineEnd(data)
	p.cr = !complete && end < n
	if chunk := data[:end]; !p.truncated {
		if room := max - len(p.buf); len(chunk) > room {
			chunk = chunk[:room]
			p.truncated = true
		}
		p.buf = append(p.buf, chunk...)
	}
	if complete {
		return n, f.finish(), true
	}
	return n, line{}, false
}

// pendingCR reports whether the line so far ended with a CR whose next byte
// has not come yet.
func (f *framer) pendingCR() bool { return f.part != nil && f.part.cr }

// inLine reports whether an unfinished line is buffered (or discarded).
func (f *framer) inLine() bool { return f.part != nil && f.part.inLine }

// unfinished returns the unfinished line, at the end of a direction, and
// forgets it.
func (f *framer) unfinished() (line, bool) {
	if !f.inLine() {
		return line{}, false
	}
	return f.finish(), true
}

// finish returns the buffered line and resets the framer for the next one.
// The text stays valid until the next take.
func (f *framer) finish() line {
	p := f.part
	l := line{
		text: p.buf[:len(p.buf):len(p.buf)], truncated: p.truncated, atSegStart: p.atSegStart,
		afterGap: p.afterGap, segments: p.segments, start: p.start, packet: p.packet,
	}
	p.reset()
	p.afterGap = false
	return l
}

// reset forgets the current line.
func (p *partLine) reset() {
	p.buf = p.buf[:0]
	p.inLine, p.truncated, p.cr = false, false, false
}

// gap drops the partial line: bytes before and after a hole must never be
// glued into one line that nobody sent.
func (f *framer) gap() {
	if f.part == nil {
		f.part = new(partLine)
	}
	f.part.reset()
	f.part.afterGap = true
}
