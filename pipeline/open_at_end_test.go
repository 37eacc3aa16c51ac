package pipeline_test

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
)

// TestOpenAtEndCounted (issue 12 item 11): a control connection that never
// closes is still open when the capture ends. The summary counts it once,
// the session says capture-end, and a closed one beside it is not counted.
func TestOpenAtEndCounted(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "open.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := craft.NewWriter(bw)
	if err != nil {
		t.Fatal(err)
	}
	openSv := netip.MustParseAddrPort("198.51.100.21:21")
	closedSv := netip.MustParseAddrPort("198.51.100.22:21")
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
	for _, flush := range []func() error{w.Flush, bw.Flush, f.Close} {
		if err := flush(); err != nil {
			t.Fatal(err)
		}
	}
	{
		src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out report.Memory
		sum, err := pipeline.Run(context.Background(), src, pipeline.Config{}, &out)
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
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
}
