package reassembly

import (
	"testing"
	"time"
)

// TestLostSegmentBeforeFINAtCaptureEnd (issue 12 item 14): the server's
// last reply is lost by the capture, then both ends send their FIN. The
// hole makes the connection wait GapTimeout for the missing bytes; when
// the capture ends before that, the connection still ended by FIN (at the
// later FIN), not by the end of the capture. A connection that only one
// end closed stays open to the end, as without the loss.
func TestLostSegmentBeforeFINAtCaptureEnd(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
		want  []string
		at    time.Duration // the close time expected, since t0
	}{{
		name: "server closes first",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"), C(0, fPA, "QUIT\r\n"),
			// S(7, fPA, "221 bye\r\n") is lost
			S(16, fFA, ""), C(6, fFA, ""), S(17, fA, ""),
		}),
		want: []string{"open", "S 220 x", "C QUIT", "gap S 9", "close fin"},
		at:   70 * time.Millisecond,
	}, {
		name: "client closes first",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"), C(0, fPA, "QUIT\r\n"),
			C(6, fFA, ""), S(16, fFA, ""), C(7, fA, ""),
		}),
		want: []string{"open", "S 220 x", "C QUIT", "gap S 9", "close fin"},
		at:   70 * time.Millisecond,
	}, {
		name: "FIN with data after the hole",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"), C(0, fPA, "QUIT\r\n"),
			// S(7, fPA, "221-bye\r\n") is lost
			S(16, fPA|fFA, "221 bye\r\n"), C(6, fFA, ""),
		}),
		want: []string{"open", "S 220 x", "C QUIT", "gap S 9", "S 221 bye [gap]", "close fin"},
		at:   70 * time.Millisecond,
	}, {
		name: "only the server closed",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"), C(0, fPA, "QUIT\r\n"),
			S(16, fFA, ""), C(6, fA, ""),
		}),
		want: []string{"open", "S 220 x", "C QUIT", "gap S 9", "close capture-end"},
		at:   5 * time.Second,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			s := newSession(cliAP, srvAP)
			a := run(t, Config{}, &r, s, tc.steps)
			// The capture goes on for less than GapTimeout.
			for d := time.Second; d < 5*time.Second; d += time.Second {
				a.Advance(t0.Add(d))
			}
			a.Close(t0.Add(5 * time.Second))
			diffEvents(t, r.strings(), tc.want)
			if c := r.events[len(r.events)-1]; !c.t.Equal(t0.Add(tc.at)) {
				t.Errorf("closed at +%v, want +%v", c.t.Sub(t0), tc.at)
			}
			checkEmpty(t, a)
		})
	}
}
