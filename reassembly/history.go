package reassembly

import (
	"bytes"
	"encoding/binary"
	"slices"
	"unsafe"

	tcpreasm "github.com/gopacket/gopacket/reassembly"
)

// gopacket resolves overlapping segments silently (the first copy wins once
// delivered, the last copy wins while still queued), so two different texts
// for the same sequence numbers — the classic way to show a firewall helper
// one command and the server another — would go unnoticed. history keeps the
// first bytes of a direction's most recent segments to compare retransmissions
// and overlaps against. It is small on purpose: control segments are short,
// and the evasion that matters re-sends a recent segment.
const (
	historySegs  = 6   // segments remembered per direction
	historyBytes = 256 // bytes remembered per segment (its first ones)
	// histHdr is a record's header: its sequence number (4 bytes, big
	// endian) and its length minus one.
	histHdr = 5
	// historyMax is the most a history's records take.
	historyMax = historySegs * (histHdr + historyBytes)
)

// history lives in every direction that carried data, so it is compact: one
// buffer holds the records, oldest first, each a header and its bytes (a
// short command costs its length and 5 bytes, not a slot of historyBytes).
// A direction holds the buffer as a pointer and two 16-bit sizes (the buffer
// never exceeds historyMax, rounded up to an allocator size class), 12
// bytes rather than a slice header's 24: that is what keeps a direction at
// 40 bytes and a conn in the 160-byte size class.
type history struct {
	p    *byte  // the buffer's first byte; nil before the first record
	n, c uint16 // its length and capacity
}

// buf returns the records.
func (h *history) buf() []byte {
	return unsafe.Slice(h.p, h.c)[:h.n] // nil, 0 before the first record
}

// setBuf makes b the records. Its first byte keeps its whole allocation
// alive, as any pointer into one does.
func (h *history) setBuf(b []byte) {
	h.p, h.n, h.c = unsafe.SliceData(b), uint16(len(b)), uint16(cap(b))
}

// record decodes the record at the start of b: its sequence number, its
// bytes, and the rest of b.
func record(b []byte) (seq tcpreasm.Sequence, data, rest []byte) {
	n := histHdr + int(b[4]) + 1
	return tcpreasm.Sequence(binary.BigEndian.Uint32(b)), b[histHdr:n], b[n:]
}

// check compares payload (starting at seq) with every remembered segment it
// overlaps. It reports whether some overlapping byte differs, and whether one
// record already holds all of payload's remembered prefix with the same bytes
// (then remembering it again is pointless).
func (h *history) check(seq tcpreasm.Sequence, payload []byte) (conflict, covered bool) {
	keep := min(len(payload), historyBytes)
	for b := h.buf(); len(b) > 0; {
		var rseq tcpreasm.Sequence
		var data []byte
		rseq, data, b = record(b)
		d := seq.Difference(rseq) // rseq - seq, wrap-safe
		lo, hi := max(0, d), min(len(payload), d+len(data))
		if lo >= hi {
			continue
		}
		if !bytes.Equal(payload[lo:hi], data[lo-d:hi-d]) {
			conflict = true
			continue
		}
		if lo == 0 && hi >= keep {
			covered = true
		}
	}
	return conflict, covered
}

// add remembers payload's first bytes, forgetting the oldest record when
// historySegs are held. An empty payload is never remembered: both callers
// skip segments without data, which overlap nothing.
func (h *history) add(seq tcpreasm.Sequence, payload []byte) {
	k := min(len(payload), historyBytes)
	if k == 0 {
		return
	}
	buf := h.buf()
	recs, first := 0, 0
	for b := buf; len(b) > 0; recs++ {
		n := histHdr + int(b[4]) + 1
		if recs == 0 {
			first = n
		}
		b = b[n:]
	}
	if recs >= historySegs {
		// In place: the buffer is reused, not reallocated, once it fits.
		buf = buf[:copy(buf, buf[first:])]
	}
	if need := len(buf) + histHdr + k; need > cap(buf) {
		// Grow as append would, but never beyond what the records can take.
		buf = slices.Grow(buf, min(max(need, 2*cap(buf)), historyMax)-len(buf))
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(seq))
	buf = append(buf, byte(k-1))
	buf = append(buf, payload[:k]...)
	h.setBuf(buf)
}
