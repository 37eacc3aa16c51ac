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

// histRec is one remembered segment: its bytes are buf[off:off+n].
type histRec struct {
	seq uint32 // a tcpreasm.Sequence, which never exceeds 32 bits
	off uint16
	n   uint16 // 0: empty slot
}

// history lives in every direction that carried data, so it is compact: the
// records' bytes share one buffer, as long as they are (a short command
// costs its length, not a slot of historyBytes), compacted when it fills.
type history struct {
	recs [historySegs]histRec
	buf  []byte
	next uint8 // slot to overwrite next
}

func (h *history) data(r *histRec) []byte { return h.buf[r.off : int(r.off)+int(r.n)] }

// check compares payload (starting at seq) with every remembered segment it
// overlaps. It reports whether some overlapping byte differs, and whether one
// record already holds all of payload's remembered prefix with the same bytes
// (then remembering it again is pointless).
func (h *history) check(seq tcpreasm.Sequence, payload []byte) (conflict, covered bool) {
	keep := min(len(payload), historyBytes)
	for i := range h.recs {
		r := &h.recs[i]
		if r.n == 0 {
			continue
		}
		d := seq.Difference(tcpreasm.Sequence(r.seq)) // r.seq - seq, wrap-safe
		lo, hi := max(0, d), min(len(payload), d+int(r.n))
		if lo >= hi {
			continue
		}
		if !bytes.Equal(payload[lo:hi], h.data(r)[lo-d:hi-d]) {
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
	k := min(len(payload), historyBytes)
	slot := int(h.next)
	h.next = uint8((slot + 1) % historySegs)
	h.recs[slot].n = 0
	if k == 0 {
		return
	}
	if len(h.buf)+k > historySegs*historyBytes {
		h.compact(k)
	}
	h.recs[slot] = histRec{seq: uint32(seq), off: uint16(len(h.buf)), n: uint16(k)}
	h.buf = append(h.buf, payload[:k]...)
}

// compact rewrites buf with only the records' bytes, leaving room for extra
// more.
func (h *history) compact(extra int) {
	live := 0
	for i := range h.recs {
		live += int(h.recs[i].n)
	}
	nb := make([]byte, 0, live+extra)
	for i := range h.recs {
		r := &h.recs[i]
		if r.n == 0 {
			continue
		}
		off := len(nb)
		nb = append(nb, h.data(r)...)
		r.off = uint16(off)
	}
	h.buf = nb
}
