package analysis

import (
	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/capture"
)

// The payload of a transfer (issue 13 item 2). Only data connections
// matched to a channel, and only with a Config.Payload consumer, have their
// bytes put in order and handed on: everything else stays on the counters
// of datachan.go. Out-of-order segments are held per connection within
// Config.MaxHeldPayload bytes; past it the stream is given up (the transfer
// says so, Stats.PayloadEvictions counts it), never grown.

// PayloadConsumer takes the ordered payload of transfers: hashing, MIME
// sniffing and extraction live below analysis (package transfer), which
// hands it this interface.
type PayloadConsumer interface {
	// Begin opens the stream of a channel's data connection at its first
	// payload byte; nil means the consumer wants none of it.
	Begin(s *Session, ch *Channel) PayloadStream
}

// PayloadStream takes one data connection's bytes of one direction in order.
type PayloadStream interface {
	// Write takes the next bytes (valid only during the call). It
	// reports false once it needs no more: the stream is then dropped
	// and nothing more is held for it.
	Write(p []byte) bool
	// End closes the stream when the channel is judged (its Transfer is
	// decided). whole says every byte the connection carried in the
	// stream's direction was written, in order, once.
	End(s *Session, ch *Channel, whole bool) *Content
}

// Content is what a PayloadConsumer found in a transfer's bytes.
type Content struct {
	// MIME is the media type sniffed from the first bytes.
	MIME string
	// Digests are the hashes over every byte (only for a whole stream).
	Digests []Digest
	// Extracted is the file the bytes were written to (its path under
	// the extraction directory); ExtractError says why writing failed or
	// stopped (a full disk, --extract-max-bytes).
	Extracted, ExtractError string
	// ExtractedBytes counts the bytes written to the extracted file;
	// ExtractCut says the file stopped short of the stream (a write error,
	// --extract-max-bytes).
	ExtractedBytes uint64
	ExtractCut     bool
	// Streamed counts the bytes the consumer got.
	Streamed uint64
	// Stitched is set on a download that is one of several pieces of the
	// same file (same server and path, REST offsets): what the pieces
	// seen so far cover.
	Stitched *Stitch
}

// Stitch is what the pieces of one file fetched with REST cover.
type Stitch struct {
	// Ranges are the byte ranges [from, to) of the file seen whole, merged.
	Ranges [][2]uint64
	// Size is the file's size as announced (0: unknown); Covered says the
	// ranges cover all of it.
	Size    uint64
	Covered bool
	// File is the stitched file under the extraction directory and
	// Digests the whole file's, once Covered (with --extract).
	File    string
	Digests []Digest
}

// Digest is one hash of a transfer's bytes.
type Digest struct {
	// Algorithm is "md5", "sha1" or "sha256"; Hex the digest.
	Algorithm, Hex string
}

// DefaultMaxHeldPayload is Config.MaxHeldPayload's default.
const DefaultMaxHeldPayload = 1 << 20

// heldSeg is an out-of-order segment waiting for the bytes before it.
type heldSeg struct {
	seq uint32
	b   []byte
}

// orderedStream puts one direction of a data connection in order for a
// PayloadStream. It is allocated at the connection's first payload byte.
type orderedStream struct {
	ps   PayloadStream
	held []heldSeg
	// next is the sequence number of the next byte to write.
	next      uint32
	heldBytes int
	dir       uint8
	// lost: a byte can no longer be written in order (held data given
	// up, bytes the capture cut); done: the consumer wants no more.
	lost, done bool
	// reordered: a segment had to be held.
	reordered bool
}

// payload feeds a payload segment of a claimed connection to its stream.
func (d *dataTracker) payload(c *conn, fwd bool, p *capture.Packet) {
	pc := d.a.cfg.Payload
	if c.ch == nil || c.noStream {
		return
	}
	dir := uint8(0)
	if !fwd {
		dir = 1
	}
	os := c.os
	if os == nil {
		if c.noStream {
			return
		}
		if isTLSRecord(p.Payload[:min(len(p.Payload), p.PayloadLen)]) {
			// A protected data channel (PROT P): its bytes are TLS
			// records, which no consumer can read a file or a listing from.
			c.ch.DataTLS = true
			c.noStream = true
			return
		}
		var ps PayloadStream
		if pc != nil {
			ps = pc.Begin(c.ch.session, c.ch)
		}
		if t := c.ch.Transfer; t != nil && t.Direction == ftp.Listing {
			// Listings are parsed whatever the flags: they are small,
			// and the analysis reads them (sizes, the listing records).
			var ls PayloadStream = &listingStream{a: d.a, ch: c.ch, verb: c.ch.Command}
			if ps != nil {
				ls = &teeStream{a: ls, b: ps}
			}
			ps = ls
		}
		if ps == nil {
			c.noStream = true
			return
		}
		os = &orderedStream{ps: ps, dir: dir, next: p.Seq}
		if sp := &c.span[dir]; sp.anchored {
			os.next = sp.start
		}
		c.os = os
	}
	if os.dir != dir || os.done || os.lost {
		return
	}
	b := p.Payload[:min(len(p.Payload), p.PayloadLen)]
	os.segment(d, p.Seq, b, len(b) < p.PayloadLen)
}

// segment takes bytes b at seq; cut says the capture holds only b of the
// segment, so the bytes after it are lost unless sent again.
func (os *orderedStream) segment(d *dataTracker, seq uint32, b []byte, cut bool) {
	off := int32(seq - os.next)
	switch {
	case off <= 0:
		if int(-off) >= len(b) {
			return // already written
		}
		os.write(b[-off:])
		os.drain()
	case int64(off) > maxSeqJump:
		return
	default:
		if os.heldBytes+len(b) > d.a.cfg.MaxHeldPayload {
			d.a.stats.PayloadEvictions++
			os.giveUp()
			return
		}
		os.reordered = true
		os.hold(seq, b)
	}
	_ = cut // a cut segment leaves next short of the span's end: not whole
}

func (os *orderedStream) write(b []byte) {
	if len(b) == 0 || os.done {
		return
	}
	os.next += uint32(len(b))
	if !os.ps.Write(b) {
		os.done = true
		os.held, os.heldBytes = nil, 0
	}
}

// hold keeps a copy of an out-of-order segment, in sequence order.
func (os *orderedStream) hold(seq uint32, b []byte) {
	i := len(os.held)
	for i > 0 && int32(os.held[i-1].seq-seq) > 0 {
		i--
	}
	os.held = append(os.held, heldSeg{})
	copy(os.held[i+1:], os.held[i:])
	os.held[i] = heldSeg{seq: seq, b: append([]byte(nil), b...)}
	os.heldBytes += len(b)
}

// drain writes the held segments that now follow on.
func (os *orderedStream) drain() {
	for len(os.held) > 0 && !os.done {
		h := os.held[0]
		off := int32(h.seq - os.next)
		if off > 0 {
			return
		}
		os.held = os.held[1:]
		os.heldBytes -= len(h.b)
		if int(-off) < len(h.b) {
			os.write(h.b[-off:])
		}
	}
	if len(os.held) == 0 {
		os.held = nil
	}
}

func (os *orderedStream) giveUp() {
	os.lost = true
	os.held, os.heldBytes = nil, 0
}

// endPayload closes the streams of the channel's data connections and
// keeps what the consumer found on the transfer: the stream of at (the
// connection that carried the transfer) is whole when every byte of the
// transfer's direction went through it.
func (a *Analyzer) endPayload(ch *Channel, at *Attempt) {
	t := ch.Transfer
	defer func() {
		// An empty file moves no byte, so no stream began: its digests
		// are those of nothing, when the connection is whole.
		if pc := a.cfg.Payload; pc != nil && t != nil && t.Content == nil && at != nil && t.Bytes == 0 && t.MissingBytes == 0 && at.FIN {
			if ps := pc.Begin(ch.session, ch); ps != nil {
				t.Content = ps.End(ch.session, ch, true)
			}
		}
	}()
	for _, x := range ch.Attempts {
		c := a.data.conns[flowKey{x.From, x.To}]
		if c == nil || c.ch != ch || c.os == nil {
			continue
		}
		os := c.os
		c.os = nil
		if x != at || t == nil {
			os.ps.End(ch.session, ch, false)
			continue
		}
		sp := &c.span[os.dir]
		whole := !os.lost && len(os.held) == 0 && sp.seen && os.next == sp.start+uint32(sp.n) &&
			at.MissingBytes(int(os.dir)) == 0 && os.dir == uint8(ch.dataIndex(t.Direction.FromServer()))
		t.Reordered = os.reordered
		t.PayloadLost = os.lost
		t.Content = os.ps.End(ch.session, ch, whole)
	}
}

// closeStream ends the stream of a connection that is forgotten before
// its channel is judged (its four-tuple reused), so that a consumer never
// keeps one open.
func (d *dataTracker) closeStream(c *conn) {
	if c.os != nil && c.ch != nil {
		c.os.ps.End(c.ch.session, c.ch, false)
	}
	c.os = nil
}
