package reassembly

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// The fast path (in-order segments straight to the framer) must be
// invisible: on any segmentation, the Handler hears exactly what it hears
// when gopacket handles every segment. These tests feed the same packets to
// two assemblers, one with the fast path off, and compare every call with
// every field (times, packet numbers, segment counts, AtSegmentStart, gaps,
// conflicts, close reasons) and the counters.

// fastSeg is one packet of a generated scenario, or (adv) an Advance call.
type fastSeg struct {
	conn    int
	from    Role
	off     int
	flags   capture.TCPFlags
	payload string
	adv     time.Duration
}

// genFastScenario builds a few connections whose segments come mostly in
// order, as on a real link, with now and then a reordering, a retransmission
// (identical, repacketized into an overlap, or with different bytes), a lost
// segment, a keepalive, a pause long enough for the gap timeout (or, for
// some, none of these), and an end (see genFastEnding).
func genFastScenario(rng *rand.Rand) (conns int, handshakes []bool, segs []fastSeg) {
	conns = 1 + rng.Intn(3)
	var all [][]fastSeg
	for ci := range conns {
		hs := rng.Intn(3) != 0
		handshakes = append(handshakes, hs)
		var list []fastSeg
		if hs {
			list = append(list, fastSeg{conn: ci, from: RoleClient, off: -1, flags: fS},
				fastSeg{conn: ci, from: RoleServer, off: -1, flags: fSA},
				fastSeg{conn: ci, from: RoleClient, off: 0, flags: fA})
		}
		text := map[Role]string{RoleClient: joinLines(propClient, rng), RoleServer: joinLines(propServer, rng)}
		offs := map[Role]int{}
		// Some connections run clean, as most do, so that their ends (below)
		// meet a connection gopacket does not hold.
		calm := rng.Intn(3) == 0
		// Alternate the directions a line or so at a time, as a dialogue.
		for offs[RoleClient] < len(text[RoleClient]) || offs[RoleServer] < len(text[RoleServer]) {
			r := RoleServer
			if rng.Intn(2) == 0 {
				r = RoleClient
			}
			s, off := text[r], offs[r]
			if off >= len(s) {
				continue
			}
			n := min(len(s)-off, 1+rng.Intn(40))
			seg := fastSeg{conn: ci, from: r, off: off, flags: fPA, payload: s[off : off+n]}
			k := rng.Intn(40)
			if calm {
				k = -1
			}
			switch {
			case k == 0: // lost
			case k == 1 && len(list) > 0: // arrives before the previous one
				list = append(list[:len(list)-1], seg, list[len(list)-1])
			case k == 2: // retransmitted, maybe repacketized over its neighbours
				lo, hi := max(0, off-rng.Intn(6)), min(len(s), off+n+rng.Intn(6))
				list = append(list, seg, fastSeg{conn: ci, from: r, off: lo, flags: fPA, payload: s[lo:hi]})
			case k == 3: // retransmitted with other bytes (an evasion)
				alt := []byte(seg.payload)
				alt[rng.Intn(len(alt))] ^= 0x20
				list = append(list, seg, fastSeg{conn: ci, from: r, off: off, flags: fPA, payload: string(alt)})
			case k == 4 && off > 0: // a keepalive: one old byte
				list = append(list, fastSeg{conn: ci, from: r, off: off - 1, flags: fA, payload: s[off-1 : off]}, seg)
			case k == 5: // a pure ACK
				list = append(list, seg, fastSeg{conn: ci, from: other(r), off: offs[other(r)], flags: fA})
			default:
				list = append(list, seg)
			}
			if rng.Intn(60) == 0 {
				list = append(list, fastSeg{adv: time.Duration(1+rng.Intn(8)) * time.Second})
			}
			offs[r] = off + n
		}
		list = genFastEnding(rng, ci, list, offs)
		all = append(all, list)
	}
	// Interleave the connections, keeping each one's order.
	for {
		var left []int
		for i, l := range all {
			if len(l) > 0 {
				left = append(left, i)
			}
		}
		if len(left) == 0 {
			return conns, handshakes, segs
		}
		i := left[rng.Intn(len(left))]
		segs, all[i] = append(segs, all[i][0]), all[i][1:]
	}
}

// finPayloads are what a FIN may carry: a whole line, or the tail of one
// (delivered as Partial when the direction ends).
var finPayloads = []string{"221 Goodbye.\r\n", "QUIT\r\n", "bye", "\n"}

// genFastEnding appends how connection ci ends: by nothing, a RST, or FINs
// in the ways real captures show them: from one side or both, in either
// order, with data, retransmitted, out of order (before the last data
// segment), followed by data, a keepalive, a RST or the final ACK, or one
// side's only and then a pause past HalfCloseTimeout or the capture's end.
func genFastEnding(rng *rand.Rand, ci int, list []fastSeg, offs map[Role]int) []fastSeg {
	first := RoleClient
	if rng.Intn(2) == 0 {
		first = RoleServer
	}
	second := other(first)
	// fin makes r's FIN, maybe with data; the direction's bytes then end
	// one past offs[r] (the FIN's own sequence number).
	fin := func(r Role) fastSeg {
		f := fastSeg{conn: ci, from: r, off: offs[r], flags: fFA}
		if rng.Intn(4) == 0 {
			f.payload = finPayloads[rng.Intn(len(finPayloads))]
			f.flags |= capture.PSH
			offs[r] += len(f.payload)
		}
		return f
	}
	// after makes something r sends once its FIN is out: its FIN again,
	// data past it, a keepalive at the FIN's number, or a pure ACK.
	after := func(r Role, finned bool) fastSeg {
		end := offs[r]
		if finned {
			end++
		}
		switch rng.Intn(5) {
		case 0:
			if finned {
				return fastSeg{conn: ci, from: r, off: offs[r], flags: fFA}
			}
		case 1:
			return fastSeg{conn: ci, from: r, off: end, flags: fPA, payload: "NOOP\r\n"}
		case 2:
			return fastSeg{conn: ci, from: r, off: end - 1, flags: fA}
		case 3:
			if offs[r] > 0 {
				return fastSeg{conn: ci, from: r, off: offs[r] - 1, flags: fA, payload: "\n"}
			}
		}
		return fastSeg{conn: ci, from: r, off: end, flags: fA}
	}
	pause := func() fastSeg {
		return fastSeg{adv: DefaultHalfCloseTimeout + time.Duration(rng.Intn(3))*time.Second}
	}
	switch k := rng.Intn(12); k {
	case 0: // nothing: capture end
	case 1:
		list = append(list, fastSeg{conn: ci, from: RoleClient, off: offs[RoleClient], flags: fRA})
	case 2, 3: // both FINs, maybe the last ACK
		list = append(list, fin(first), fin(second))
		if rng.Intn(2) == 0 {
			list = append(list, fastSeg{conn: ci, from: first, off: offs[first] + 1, flags: fA})
		}
	case 4: // one side's FIN, the other keeps talking, then its FIN
		list = append(list, fin(first))
		for range rng.Intn(3) {
			seg := fastSeg{conn: ci, from: second, off: offs[second], flags: fPA, payload: "226 Done.\r\n"}
			offs[second] += len(seg.payload)
			list = append(list, seg)
		}
		list = append(list, fin(second))
	case 5: // one side's FIN only, then a pause or the capture's end
		list = append(list, fin(first))
		if rng.Intn(2) == 0 {
			list = append(list, pause())
			if rng.Intn(2) == 0 {
				list = append(list, after(second, false))
			}
		}
	case 6: // something after the first FIN, then the second
		list = append(list, fin(first))
		for range 1 + rng.Intn(2) {
			list = append(list, after(first, true))
		}
		list = append(list, fin(second))
		if rng.Intn(2) == 0 {
			list = append(list, after(first, true))
		}
	case 7: // something after both FINs
		list = append(list, fin(first), fin(second))
		for range 1 + rng.Intn(2) {
			r := first
			if rng.Intn(2) == 0 {
				r = second
			}
			list = append(list, after(r, true))
		}
	case 8: // a RST after one FIN, from either side
		list = append(list, fin(first))
		r := first
		if rng.Intn(2) == 0 {
			r = second
		}
		off := offs[r]
		if r == first {
			off++
		}
		list = append(list, fastSeg{conn: ci, from: r, off: off, flags: fRA})
	case 9: // a FIN overtakes its direction's last data segment
		f := fin(first)
		at := -1
		for i := len(list) - 1; i >= 0; i-- {
			if list[i].adv == 0 && list[i].from == first && list[i].payload != "" && list[i].flags == fPA {
				at = i
				break
			}
		}
		if at < 0 {
			list = append(list, f)
		} else {
			list = append(list[:at], append([]fastSeg{f}, list[at:]...)...)
		}
		list = append(list, fin(second))
	case 10: // a FIN retransmitted, maybe after the other's
		f := fin(first)
		list = append(list, f)
		if rng.Intn(2) == 0 {
			list = append(list, f, fin(second))
		} else {
			list = append(list, fin(second), f)
		}
	case 11: // a FIN in a pause: the other's comes after HalfCloseTimeout or a shorter wait
		list = append(list, fin(first))
		if rng.Intn(2) == 0 {
			list = append(list, pause())
		} else {
			list = append(list, fastSeg{adv: time.Duration(1+rng.Intn(8)) * time.Second})
		}
		list = append(list, fin(second))
	}
	return list
}

// replayFast feeds a scenario to a new assembler and returns what its
// Handler heard, one string per call with every field, and its counters.
func replayFast(conns int, segs []fastSeg, slow bool) ([]string, Stats) {
	var r recorder
	a := New(Config{}, &r)
	a.slowOnly = slow
	ss := make([]*session, conns)
	for i := range ss {
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i)}), uint16(40000+i))
		ss[i] = newSession(cli, srvAP)
		ss[i].cliISN += uint32(i) * 7777
	}
	now := t0
	for _, sg := range segs {
		if sg.adv > 0 {
			now = now.Add(sg.adv)
			for _, s := range ss {
				s.now = now
			}
			a.Advance(now)
			continue
		}
		s := ss[sg.conn]
		s.now = now
		p := s.pkt(sg.from, sg.off, sg.flags, sg.payload, time.Millisecond)
		now = s.now
		a.Packet(p)
		a.Advance(now)
	}
	a.Close(now.Add(time.Second))
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = fmt.Sprintf("%s %s %s pkt=%d n=%d seg=%d start=%v", e, e.conn, e.t.Sub(t0), e.pkt, e.n,
			e.line.Segments, e.line.AtSegmentStart)
	}
	return out, a.Stats()
}

func checkFastSlow(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	conns, _, segs := genFastScenario(rng)
	fast, fs := replayFast(conns, segs, false)
	slow, ss := replayFast(conns, segs, true)
	if strings.Join(fast, "\n") != strings.Join(slow, "\n") {
		for i := range max(len(fast), len(slow)) {
			var f, s string
			if i < len(fast) {
				f = fast[i]
			}
			if i < len(slow) {
				s = slow[i]
			}
			if f != s {
				t.Fatalf("seed %d: call %d differs:\nfast: %s\nslow: %s", seed, i, f, s)
			}
		}
	}
	if fs != ss {
		t.Fatalf("seed %d: stats differ:\nfast: %+v\nslow: %+v", seed, fs, ss)
	}
}

func TestFastPathMatchesGopacket(t *testing.T) {
	n := int64(2000)
	if testing.Short() {
		n = 200
	}
	var lines, gaps, conflicts int
	for seed := range n {
		checkFastSlow(t, seed)
		if t.Failed() {
			return
		}
		if seed < 200 {
			rng := rand.New(rand.NewSource(seed))
			conns, _, segs := genFastScenario(rng)
			ev, _ := replayFast(conns, segs, false)
			for _, e := range ev {
				switch {
				case strings.HasPrefix(e, "gap "):
					gaps++
				case strings.HasPrefix(e, "conflict "):
					conflicts++
				case strings.HasPrefix(e, "C ") || strings.HasPrefix(e, "S "):
					lines++
				}
			}
		}
	}
	// The scenarios must exercise what they claim to.
	if lines < 1000 || gaps < 20 || conflicts < 20 {
		t.Errorf("scenarios too tame: %d lines, %d gaps, %d conflicts in 200 seeds", lines, gaps, conflicts)
	}
}

// FuzzFastPath explores more seeds of the same property.
func FuzzFastPath(f *testing.F) {
	f.Add(int64(1))
	f.Fuzz(checkFastSlow)
}

// TestFastPathTakesInOrderSegments: a clean session never creates a
// gopacket connection, so the fast path is really taken.
func TestFastPathTakesInOrderSegments(t *testing.T) {
	var r recorder
	s := newSession(cliAP, srvAP)
	a := run(t, Config{}, &r, s, concat(handshake, []step{
		S(0, fPA, "220 ready\r\n"), C(0, fPA, "USER u\r\n"), S(11, fPA, "331 pw\r\n"),
	}))
	c := a.conns.get(makeFlowKey(cliAP, srvAP))
	if c == nil || c.has(cfGP) {
		t.Fatalf("conn %v: gopacket holds it (gp) after in-order segments only", c)
	}
	a.Close(s.now)
	diffEvents(t, r.strings(), []string{"open", "S 220 ready", "C USER u", "S 331 pw", "close capture-end"})
}

// TestFastPathFIN: a connection closed cleanly, each FIN in order, ends on
// the fast path (no gopacket connection, ever), by FIN at the later FIN,
// with the unfinished line a FIN cuts delivered as Partial.
func TestFastPathFIN(t *testing.T) {
	var r recorder
	s := newSession(cliAP, srvAP)
	a := run(t, Config{}, &r, s, concat(handshake, []step{
		S(0, fPA, "220 ready\r\n"), C(0, fPA, "QUIT\r\n"), S(11, fPA|fFA, "221 bye"),
	}))
	c := a.conns.get(makeFlowKey(cliAP, srvAP))
	if c == nil || c.has(cfGP) || !c.dir(RoleServer).ended() {
		t.Fatalf("conn %v after the server's FIN: want it open, ended by the server, without gopacket", c)
	}
	feed(a, s, []step{C(6, fFA, ""), S(19, fA, "")})
	if a.conns.get(makeFlowKey(cliAP, srvAP)) != nil || a.Open() != 0 {
		t.Fatal("conn still tracked after both FINs")
	}
	a.Close(s.now)
	diffEvents(t, r.strings(), []string{"open", "S 220 ready", "C QUIT", "S 221 bye [partial]", "close fin"})
	if c := r.events[len(r.events)-1]; c.t != t0.Add(70*time.Millisecond) {
		t.Errorf("closed at %v, want at the client's FIN", c.t.Sub(t0))
	}
	if st := a.Stats(); st.Stray != 1 || st.PartialLines != 1 {
		t.Errorf("stats %+v: want the last ACK stray, one partial line", st)
	}
}
