package analysis

import "testing"

// TestSeqSpan: a direction's bytes are the sequence numbers its segments
// cover, each once, across the 32-bit wrap and past 4 GiB; a stray segment
// far outside any window adds nothing.
func TestSeqSpan(t *testing.T) {
	type seg struct {
		kind byte // 's': a SYN with ISN seq; 'd': n bytes at seq; 'f': a FIN after n bytes at seq
		seq  uint32
		n    int
	}
	const wrap = 1 << 32
	cases := []struct {
		name string
		segs []seg
		want uint64
	}{
		{"in order", []seg{{'s', 100, 0}, {'d', 101, 500}, {'d', 601, 500}}, 1000},
		{"retransmitted", []seg{{'s', 100, 0}, {'d', 101, 500}, {'d', 101, 500}, {'d', 601, 500}, {'d', 601, 500}}, 1000},
		{"repacketized", []seg{{'s', 100, 0}, {'d', 101, 300}, {'d', 401, 300}, {'d', 101, 900}}, 900},
		{"hole filled late", []seg{{'s', 100, 0}, {'d', 101, 100}, {'d', 301, 100}, {'d', 201, 100}}, 300},
		{"hole never filled", []seg{{'s', 100, 0}, {'d', 101, 100}, {'d', 301, 100}}, 300},
		{"no SYN, reordered", []seg{{'d', 5000, 100}, {'d', 4900, 100}, {'d', 5100, 100}}, 300},
		{"SYN after the data", []seg{{'d', 201, 100}, {'s', 100, 0}, {'d', 301, 100}}, 300},
		{"across the wrap", []seg{{'s', wrap - 300, 0}, {'d', wrap - 299, 200}, {'d', wrap - 99, 200}, {'d', 101, 100}}, 500},
		{"wrap, no SYN", []seg{{'d', wrap - 100, 100}, {'d', 0, 100}, {'d', wrap - 200, 100}}, 300},
		{"stray segment far away", []seg{{'s', 100, 0}, {'d', 101, 100}, {'d', 101 + 1<<31, 100}, {'d', 201, 100}}, 200},
		{"empty", []seg{{'s', 100, 0}}, 0},
		{"FIN after a lost segment", []seg{{'s', 100, 0}, {'f', 601, 0}}, 500},
		{"FIN with data", []seg{{'s', 100, 0}, {'d', 101, 100}, {'f', 201, 100}}, 200},
		{"FIN retransmitted", []seg{{'s', 100, 0}, {'d', 101, 100}, {'f', 201, 0}, {'f', 201, 0}}, 100},
		{"FIN alone", []seg{{'f', 201, 0}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s seqSpan
			for _, g := range tc.segs {
				switch g.kind {
				case 's':
					s.syn(g.seq)
				case 'f':
					s.fin(g.seq, g.n)
				default:
					s.add(g.seq, g.n)
				}
			}
			if got := s.bytes(); got != tc.want {
				t.Errorf("%d bytes, want %d", got, tc.want)
			}
		})
	}
	// More than 4 GiB: the sequence numbers wrap twice, the count does not.
	var s seqSpan
	s.syn(7)
	const step = 1 << 20
	seq := uint32(8)
	for range 5 << 12 { // 5 << 12 segments of 1 MiB: 20 GiB
		s.add(seq, step)
		s.add(seq, step) // and each retransmitted
		seq += step
	}
	if got, want := s.bytes(), uint64(20)<<30; got != want {
		t.Errorf("20 GiB transfer: %d bytes, want %d", got, want)
	}
}
