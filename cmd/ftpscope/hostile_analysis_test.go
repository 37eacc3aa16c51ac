package main

import (
	"fmt"
	"math/bits"
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/craft"
)

// Hostile inputs aimed at the analysis: its matching of connections to
// announcements and what it keeps per session and channel.

// TestHostileSharedPassiveEndpoint: n sessions all announce one passive
// endpoint (a server reusing its port, or a forged flood of 227s), then 10n
// SYNs go to it, five per client from its own address, the other half from
// strangers, and every transfer fails with 425: each channel is dropped.
// Matching must not scan every waiting channel per SYN (20 000 sessions and
// 200 000 SYNs took 170 s that way): its cost is counted in comparisons
// (Stats.MatchSteps), bounded by a few per SYN times the logarithm of the
// number of waiting channels, where the scan made n per SYN.
func TestHostileSharedPassiveEndpoint(t *testing.T) {
	n := hostileSize(20000, 4000, 1000)
	syns := 10 * n
	ep := netip.MustParseAddrPort("198.51.100.21:50000")
	path := writeCapture(t, "sharedpasv.pcap", func(w *craft.Writer) {
		conns := make([]*craft.Conn, n)
		for i := range n {
			at := hostileT0.Add(time.Duration(i) * 5 * time.Millisecond)
			c := w.Dial(at, source(i), hostileServer)
			c.Server(at.Add(time.Millisecond), "220 ready\r\n")
			c.Client(at.Add(2*time.Millisecond), "PASV\r\n")
			c.Server(at.Add(3*time.Millisecond), fmt.Sprintf("227 Entering Passive Mode (198,51,100,21,%d,%d).\r\n", ep.Port()>>8, ep.Port()&255))
			c.Client(at.Add(4*time.Millisecond), "RETR f\r\n")
			conns[i] = c
		}
		at := hostileT0.Add(time.Duration(n)*5*time.Millisecond + time.Second)
		for j := range syns {
			from := netip.AddrPortFrom(source(j/2%n).Addr(), uint16(20000+j/n))
			if j%2 == 1 {
				from = netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, byte(j >> 8), byte(j)}), uint16(1024+j%50000))
			}
			_ = w.TCP(at.Add(time.Duration(j)*time.Microsecond), from, ep, craft.SYN, craft.ISN(from, ep), 0, nil)
		}
		at = at.Add(time.Duration(syns)*time.Microsecond + time.Second)
		for i, c := range conns {
			c.Server(at.Add(time.Duration(i)*2*time.Millisecond), "425 Can't open data connection\r\n")
			c.Close(at.Add(time.Duration(i)*2*time.Millisecond + time.Millisecond))
		}
	})
	r := runHostile(t, path, 1)
	sum := r.sum.Analysis
	if sum.Channels != uint64(n) || r.out.count != n {
		t.Errorf("%d channels in %d sessions, want %d in %d", sum.Channels, r.out.count, n, n)
	}
	if sum.Attempts != uint64(syns) || sum.UnfollowedAttempts != 0 {
		t.Errorf("%d SYNs matched to channels and %d not followed, want all %d matched", sum.Attempts, sum.UnfollowedAttempts, syns)
	}
	if got := sum.Verdicts[analysis.Dropped]; got != uint64(n) {
		t.Errorf("%d channels judged dropped, want %d (verdicts %v)", got, n, sum.Verdicts)
	}
	perOp := float64(sum.MatchSteps) / float64(syns+n)
	bound := 16 * bits.Len(uint(n))
	t.Logf("matching: %d comparisons, %.1f per SYN or announcement (bound %d; a scan makes %d per SYN)", sum.MatchSteps, perOp, bound, n)
	if perOp > float64(bound) {
		t.Errorf("matching made %.1f comparisons per SYN or announcement, want at most %d (16 log2 of %d waiting channels)", perOp, bound, n)
	}
}
