package pipeline

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// TestMergeEmissions checks the order in which the workers' results of a
// batch are written: by packet, then phase; a packet's own results worker
// by worker; a tick's and the end's sessions by start, each after the
// channels its worker emitted before it.
func TestMergeEmissions(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	sess := func(name string, startSec int) *analysis.Session {
		return &analysis.Session{Start: t0.Add(time.Duration(startSec) * time.Second),
			Client: netip.MustParseAddrPort("192.0.2.1:1000"), Server: netip.MustParseAddrPort("198.51.100.1:21"), User: name}
	}
	a, b, c, d, e := sess("a", 1), sess("b", 2), sess("c", 3), sess("d", 4), sess("e", 5)
	ch := &analysis.Channel{}
	S := func(at int32, ph phase, s *analysis.Session) emission { return emission{at: at, phase: ph, s: s} }
	C := func(at int32, ph phase, s *analysis.Session) emission {
		return emission{at: at, phase: ph, s: s, c: ch}
	}
	for _, tc := range []struct {
		name string
		res  [][]emission
		want string
	}{
		{"by packet across workers",
			[][]emission{{S(3, phasePacket, c)}, {S(1, phasePacket, a), S(5, phasePacket, b)}},
			"a c b"},
		{"a packet's own results worker by worker",
			[][]emission{{S(2, phasePacket, d)}, {S(2, phasePacket, a)}},
			"d a"},
		{"packet before its tick",
			[][]emission{{S(2, phaseAdvance, a)}, {S(2, phasePacket, e)}},
			"e a"},
		{"a tick's sessions by start across workers",
			[][]emission{{S(7, phaseAdvance, b), S(7, phaseAdvance, e)}, {S(7, phaseAdvance, a), S(7, phaseAdvance, c), S(7, phaseAdvance, d)}},
			"a b c d e"},
		{"channels go with the session after them",
			[][]emission{{C(0, phaseFinish, b), S(0, phaseFinish, b)}, {C(0, phaseFinish, a), S(0, phaseFinish, a), C(0, phaseFinish, c)}},
			"a+ a b+ b c+"},
		{"ticks of different packets stay apart",
			[][]emission{{S(1, phaseAdvance, e), S(9, phaseAdvance, a)}, {S(4, phaseAdvance, b)}},
			"e b a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			mergeEmissions(tc.res, func(e *emission) {
				w := e.s.User
				if e.c != nil {
					w += "+"
				}
				got = append(got, w)
			})
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("written %q, want %q", g, tc.want)
			}
		})
	}
}
