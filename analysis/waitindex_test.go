package analysis

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/reassembly"
)

// pickScan is the matching rule written as a scan over every waiting
// channel (the implementation before the wait index): the reference that
// the indexed pick must agree with.
func pickScan(d *dataTracker, ep, from netip.AddrPort) (*Channel, Match) {
	var waiting []*Channel
	for _, st := range d.a.sessions.appendAll(nil) {
		for _, ch := range st.s.Channels {
			if !ch.final && ch.seq != 0 && !ch.unexpected && slices.Contains(ch.endpoints(), ep) {
				waiting = append(waiting, ch)
			}
		}
	}
	slices.SortFunc(waiting, func(a, b *Channel) int { return int(a.seq) - int(b.seq) })
	var (
		best      *Channel
		bestMatch = MatchNone
		bestScore = -1
	)
	for _, ch := range waiting {
		if !d.initiatorFits(ch, from) || d.full(ch) {
			continue
		}
		m := MatchControl
		if ch.Announced == ep {
			m = MatchAnnounced
		}
		busy := false
		for _, at := range ch.Attempts {
			if at.Established() && at.From != from {
				busy = true
			}
		}
		if busy {
			continue
		}
		score := 0
		if !ch.session.ended {
			score += 4
		}
		if sameAddr(from.Addr(), d.initiator(ch)) {
			score += 2
		}
		if m == MatchAnnounced {
			score++
		}
		if score > bestScore || score == bestScore && ch.Time.After(best.Time) {
			best, bestMatch, bestScore = ch, m, score
		}
	}
	return best, bestMatch
}

// comparePicks makes every pick of a also run the reference scan.
func comparePicks(t testing.TB, a *Analyzer) *int {
	n := new(int)
	a.data.checkPick = func(ep, from netip.AddrPort, ch *Channel, m Match) {
		*n++
		want, wm := pickScan(&a.data, ep, from)
		if ch != want || m != wm {
			t.Fatalf("pick(%v, %v) = channel %d %v, the scan picks %d %v", ep, from, seqOf(ch), m, seqOf(want), wm)
		}
	}
	return n
}

func seqOf(ch *Channel) int {
	if ch == nil {
		return -1
	}
	return int(ch.seq)
}

// TestPickIndexMatchesScan drives an Analyzer with random sessions over a
// few addresses (so that sessions share endpoints, a client may be its own
// server, and some addresses appear IPv4-mapped), random announcements in
// both modes, sessions that end, and random SYNs, handshakes, data and ICMP
// errors toward the announced endpoints; every pick must choose what the
// scan over all waiting channels chooses.
func TestPickIndexMatchesScan(t *testing.T) {
	// Endpoints listed (scanned) up to listed channels, indexed past it:
	// 0 indexes every endpoint, listedMax is the default, 2 mixes both.
	for _, listed := range []int{0, 2, listedMax} {
		for seed := range uint64(30) {
			t.Run(fmt.Sprintf("listed%d/%d", listed, seed), func(t *testing.T) {
				pickAgainstScan(t, seed, listed)
			})
		}
	}
}

func pickAgainstScan(t *testing.T, seed uint64, listed int) {
	r := rand.New(rand.NewPCG(seed, 7))
	a := New(Config{MaxChannelAttempts: 3, MaxChannels: 6}, Sink{})
	a.data.listedMax = listed
	picks := comparePicks(t, a)
	addrs := []netip.Addr{
		netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"),
		netip.MustParseAddr("::ffff:192.0.2.2"), netip.MustParseAddr("198.51.100.7"),
		netip.MustParseAddr("10.0.0.9"),
	}
	ap := func() netip.AddrPort {
		return netip.AddrPortFrom(addrs[r.IntN(len(addrs))], uint16(5000+r.IntN(3)))
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var keys []reassembly.ConnKey
	for step := range 3000 {
		now = now.Add(time.Duration(r.IntN(3)) * 100 * time.Millisecond) // often equal: ties
		switch k := r.IntN(20); {
		case k == 0 || len(keys) == 0:
			key := reassembly.ConnKey{
				Client: netip.AddrPortFrom(addrs[r.IntN(len(addrs))], uint16(40000+step)),
				Server: netip.AddrPortFrom(addrs[r.IntN(len(addrs))], 21),
			}
			a.Open(key, now, false)
			keys = append(keys, key)
		case k == 1:
			a.Close(keys[r.IntN(len(keys))], now, reassembly.CloseFIN)
		case k < 5:
			key := keys[r.IntN(len(keys))]
			ep := ap()
			var text string
			role := reassembly.RoleServer
			if r.IntN(2) == 0 {
				b := ep.Addr().Unmap().As4()
				text = fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).", b[0], b[1], b[2], b[3], ep.Port()>>8, ep.Port()&255)
				a.Line(reassembly.Line{Conn: key, From: reassembly.RoleClient, Time: now, Text: []byte("PASV")})
			} else {
				role = reassembly.RoleClient
				text = fmt.Sprintf("EPRT |2|%s|%d|", ep.Addr(), ep.Port())
			}
			a.Line(reassembly.Line{Conn: key, From: role, Time: now, Text: []byte(text)})
			if r.IntN(2) == 0 {
				a.Line(reassembly.Line{Conn: key, From: reassembly.RoleClient, Time: now, Text: []byte("RETR x")})
			}
		case k < 7:
			e := capture.ICMPError{From: addrs[0], Type: 3, Code: 13, Src: ap(), Dst: ap(), Flags: capture.SYN, HasFlags: true}
			a.Packet(&capture.Packet{Kind: capture.KindICMP, Time: now, ICMP: e})
		default:
			src, dst := ap(), ap()
			flags := []capture.TCPFlags{capture.SYN, capture.SYN, capture.SYN | capture.ACK, capture.ACK, capture.RST, capture.FIN | capture.ACK}[r.IntN(6)]
			p := &capture.Packet{Kind: capture.KindTCP, Time: now, Src: src, Dst: dst, Flags: flags, Seq: r.Uint32()}
			if flags == capture.ACK {
				p.PayloadLen = r.IntN(2) * 100
			}
			if r.IntN(3) == 0 { // the answer of an earlier SYN
				p.Src, p.Dst = dst, src
			}
			a.Packet(p)
		}
		a.Advance(now)
	}
	a.Finish(now)
	if *picks < 500 {
		t.Errorf("only %d picks compared", *picks)
	}
	if len(a.data.wait.ready)+len(a.data.wait.mine)+len(a.data.wait.busy)+len(a.data.wait.full)+len(a.data.expects) != 0 {
		t.Errorf("the wait index holds entries after Finish: %d %d %d %d, %d endpoints expected", len(a.data.wait.ready), len(a.data.wait.mine), len(a.data.wait.busy), len(a.data.wait.full), len(a.data.expects))
	}
}
