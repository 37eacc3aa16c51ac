package reassembly

import (
	"bytes"
	"math/rand"
	"testing"

	tcpreasm "github.com/gopacket/gopacket/reassembly"
)

// refHistory is the plain form of history (a copy per record), to check
// the compact one against.
type refHistory struct {
	seqs [historySegs]tcpreasm.Sequence
	data [historySegs][]byte
	next int
}

func (h *refHistory) check(seq tcpreasm.Sequence, payload []byte) (conflict, covered bool) {
	keep := min(len(payload), historyBytes)
	for i := range h.data {
		if len(h.data[i]) == 0 {
			continue
		}
		d := seq.Difference(h.seqs[i])
		lo, hi := max(0, d), min(len(payload), d+len(h.data[i]))
		if lo >= hi {
			continue
		}
		if !bytes.Equal(payload[lo:hi], h.data[i][lo-d:hi-d]) {
			conflict = true
			continue
		}
		if lo == 0 && hi >= keep {
			covered = true
		}
	}
	return conflict, covered
}

func (h *refHistory) add(seq tcpreasm.Sequence, payload []byte) {
	h.seqs[h.next] = seq
	h.data[h.next] = append([]byte(nil), payload[:min(len(payload), historyBytes)]...)
	h.next = (h.next + 1) % historySegs
}

// TestHistoryMatchesPlainForm: on random segments (short and long, near
// the sequence wrap, overlapping, sometimes altered), the compact history
// answers every check as the plain one does.
func TestHistoryMatchesPlainForm(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	stream := make([]byte, 1<<16)
	rng.Read(stream)
	for round := range 200 {
		var h history
		var ref refHistory
		base := tcpreasm.Sequence(rng.Uint32())
		for range 300 {
			off := rng.Intn(4000)
			n := rng.Intn(20)
			if rng.Intn(8) == 0 {
				n = rng.Intn(600)
			}
			p := append([]byte(nil), stream[off:off+n]...)
			if n > 0 && rng.Intn(5) == 0 {
				p[rng.Intn(n)] ^= 1
			}
			seq := base.Add(off)
			c1, v1 := h.check(seq, p)
			c2, v2 := ref.check(seq, p)
			if c1 != c2 || v1 != v2 {
				t.Fatalf("round %d: check = %v %v, plain form says %v %v", round, c1, v1, c2, v2)
			}
			if !v1 && n > 0 {
				// Never an empty one: add's callers skip them.
				h.add(seq, p)
				ref.add(seq, p)
			}
			if len(h.buf()) > historyMax {
				t.Fatalf("round %d: buffer of %d bytes", round, len(h.buf()))
			}
		}
	}
}
