package pipeline_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// TestOpenAtEndCounted (issue 12 item 11): a control connection that never
// closes is still open when the capture ends. The summary counts it once,
// the session says capture-end, and a closed one beside it is not counted.
func TestOpenAtEndCounted(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	openSv := netip.MustParseAddrPort("198.51.100.21:21")
	closedSv := netip.MustParseAddrPort("198.51.100.22:21")
	sum, out := runCrafted(t, func(w *craft.Writer) {
		for i, sv := range []netip.AddrPort{openSv, closedSv} {
			at := t0.Add(time.Duration(i) * time.Second)
			c := w.Dial(at, netip.AddrPortFrom(netip.MustParseAddr("192.0.2.10"), uint16(40000+i)), sv)
			c.Server(at.Add(time.Millisecond), "220 ready\r\n")
			c.Client(at.Add(2*time.Millisecond), "USER anonymous\r\n")
			c.Server(at.Add(3*time.Millisecond), "331 password please\r\n")
			if sv == closedSv {
				c.Client(at.Add(4*time.Millisecond), "QUIT\r\n")
				c.Server(at.Add(5*time.Millisecond), "221 Goodbye.\r\n")
				c.CloseFrom(at.Add(6*time.Millisecond), craft.FromServer)
			}
		}
	})
	if sum.Analysis.OpenAtEnd != 1 {
		t.Errorf("open_at_end %d, want 1", sum.Analysis.OpenAtEnd)
	}
	for _, s := range out.Sessions {
		want := "fin"
		if s.Server == openSv {
			want = "capture-end"
		}
		if s.Closed != want {
			t.Errorf("session to %v closed %q, want %q", s.Server, s.Closed, want)
		}
	}
	if len(out.Sessions) != 2 {
		t.Errorf("%d sessions, want 2", len(out.Sessions))
	}
}
