package pipeline_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// TestLostReplyBeforeFINClosedByFIN (issue 12 item 14): the capture loses
// the server's 221, both ends close, and the capture goes on for a few
// seconds of other traffic, less than the reassembly's gap timeout. The
// session ended by FIN: its report must not say capture-end.
func TestLostReplyBeforeFINClosedByFIN(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	cl := netip.MustParseAddrPort("192.0.2.10:40000")
	sv := netip.MustParseAddrPort("198.51.100.21:21")
	for _, tail := range []time.Duration{2 * time.Second, 4 * time.Second, 20 * time.Second} {
		for _, closer := range []craft.Side{craft.FromClient, craft.FromServer} {
			sum, out := runCrafted(t, func(w *craft.Writer) {
				c := w.Dial(t0, cl, sv)
				c.Server(t0.Add(time.Millisecond), "220 ready\r\n")
				c.Client(t0.Add(2*time.Millisecond), "USER anonymous\r\n")
				c.Server(t0.Add(3*time.Millisecond), "331 password please\r\n")
				c.Client(t0.Add(4*time.Millisecond), "QUIT\r\n")
				c.Skip(craft.FromServer, len("221 Goodbye.\r\n")) // lost by the capture
				c.CloseFrom(t0.Add(5*time.Millisecond), closer)
				o := w.Dial(t0.Add(10*time.Millisecond), netip.MustParseAddrPort("192.0.2.99:5000"), netip.MustParseAddrPort("203.0.113.5:443"))
				for d := time.Second; d <= tail; d += time.Second {
					o.Client(t0.Add(d), "x")
				}
			})
			found := false
			for _, s := range out.Sessions {
				if s.Server != sv {
					continue
				}
				found = true
				if s.Closed != "fin" || s.GapBytes != len("221 Goodbye.\r\n") {
					t.Errorf("capture %v longer, %v closing first: closed %q with %d gap bytes; want fin and the lost reply's 14",
						tail, closer, s.Closed, s.GapBytes)
				}
			}
			if !found || sum.Analysis.OpenAtEnd != 0 {
				t.Errorf("capture %v longer, %v closing first: session found %v, %d open at the end; want it, none open",
					tail, closer, found, sum.Analysis.OpenAtEnd)
			}
		}
	}
}
