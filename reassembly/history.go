package reassembly

import (
	"bytes"

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
)

type histRec struct {
	seq  tcpreasm.Sequence
	data []byte // reused between records; len 0 = empty slot
}

type history struct {
	recs [historySegs]histRec
	next int // slot to overwrite next
}

// check compares payload (starting at seq) with every remembered segment it
// overlaps. It reports whether some overlapping byte differs, and whether one
// record already holds all of payload's remembered prefix with the same bytes
// (then remembering it again is pointless).
func (h *history) check(seq tcpreasm.Sequence, payload []byte) (conflict, covered bool) {
	keep := min(len(payload), historyBytes)
	for i := range h.recs {
		r := &h.recs[i]
		if len(r.data) == 0 {
			continue
		}
		d := seq.Difference(r.seq) // r.seq - seq, wrap-safe
		lo, hi := max(0, d), min(len(payload), d+len(r.data))
		if lo >= hi {
			continue
		}
		if !bytes.Equal(payload[lo:hi], r.data[lo-d:hi-d]) {
			conflict = true
			continue
		}
		if lo == 0 && hi >= keep {
			covered = true
		}
	}
	return conflict, covered
}

// add remembers payload's first bytes, overwriting the oldest record.
func (h *history) add(seq tcpreasm.Sequence, payload []byte) {
	r := &h.recs[h.next]
	h.next = (h.next + 1) % historySegs
	r.seq = seq
	r.data = append(r.data[:0], payload[:min(len(payload), historyBytes)]...)
}
