package reassembly

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestScenarios(t *testing.T) {
	ftp2121 := netip.MustParseAddrPort("198.51.100.20:2121")
	smtp := netip.MustParseAddrPort("198.51.100.20:25")
	alt := netip.MustParseAddrPort("198.51.100.20:2100")
	tests := []struct {
		name  string
		cfg   Config
		srv   netip.AddrPort // default srvAP
		steps []step
		end   bool // call Close after the steps
		want  []string
		check func(t *testing.T, a *Assembler, r *recorder, ctrl []bool)
	}{{
		name: "in-order session with SYN, closed by FINs",
		steps: concat(handshake, []step{
			S(0, fPA, "220 ready\r\n"),
			C(0, fPA, "USER anon\r\n"),
			S(11, fPA, "331 pass\r\n"),
			C(11, fPA, "PASS x\r\n"),
			S(21, fPA, "230 ok\r\n"),
			C(19, fFA, ""),
			S(29, fFA, ""),
			C(20, fA, ""), // last ACK after the close: stray, opens nothing
		}),
		want: []string{"open", "S 220 ready", "C USER anon", "S 331 pass", "C PASS x", "S 230 ok", "close fin"},
		check: func(t *testing.T, a *Assembler, r *recorder, ctrl []bool) {
			if a.Open() != 0 {
				t.Errorf("Open() = %d after both FINs, want 0", a.Open())
			}
			if st := a.Stats(); st.Streams != 1 || st.Midstream != 0 || st.Lines != 5 || st.Stray != 1 {
				t.Errorf("stats = %+v", st)
			}
			for i, c := range ctrl {
				if !c {
					t.Errorf("packet %d: Packet() = false on the control port", i+1)
				}
			}
			if k := r.events[0].conn; k.Client != cliAP || k.Server != srvAP {
				t.Errorf("conn = %v", k)
			}
		},
	}, {
		name: "line split across three segments",
		steps: concat(handshake, []step{
			S(0, fPA, "220 he"),
			S(6, fPA, "llo wor"),
			S(13, fPA, "ld\r\n"),
		}),
		end:  true,
		want: []string{"open", "S 220 hello world", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			l := r.lines()[0]
			if l.Segments != 3 || !l.AtSegmentStart || l.Packet != 4 || !l.Time.Equal(t0.Add(40*time.Millisecond)) {
				t.Errorf("line = segments %d, at start %v, packet %d, time %v; want 3, true, 4, +40ms",
					l.Segments, l.AtSegmentStart, l.Packet, l.Time.Sub(t0))
			}
		},
	}, {
		name: "two lines in one segment, bare LF accepted",
		steps: concat(handshake, []step{
			S(0, fPA, "220-a\r\n220 b\n"),
		}),
		end:  true,
		want: []string{"open", "S 220-a", "S 220 b", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			ls := r.lines()
			if !ls[0].AtSegmentStart || ls[1].AtSegmentStart || ls[0].Packet != 4 || ls[1].Packet != 4 || ls[1].Segments != 1 {
				t.Errorf("lines = %+v", ls)
			}
		},
	}, {
		// Issue 12 item 7: a client ending lines with CR alone had USER and
		// PASS glued into one user name. A CR at a segment's end waits for
		// the next segment: an LF there finishes the same line.
		name: "bare CR ends a line, also across segments",
		steps: concat(handshake, []step{
			C(0, fPA, "USER alice\rPASS x\r"),
			C(18, fPA, "\nPASV\r"),
			C(24, fPA, "QUIT\r\n"),
		}),
		end:  true,
		want: []string{"open", "C USER alice", "C PASS x", "C PASV", "C QUIT", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			ls := r.lines()
			if ls[1].Segments != 2 || ls[2].Segments != 1 || ls[3].Segments != 1 || !ls[3].AtSegmentStart {
				t.Errorf("lines = %+v", ls)
			}
		},
	}, {
		name: "reordered client segments",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			C(8, fPA, "PASS y\r\n"), // before the segment it follows
			C(0, fPA, "USER u\r\n"),
		}),
		end:  true,
		want: []string{"open", "S 220 x", "C USER u", "C PASS y", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			ls := r.lines()
			// The PASS line's first byte came from packet 5, captured before
			// packet 6 that released it: its time and number must be 5's.
			if ls[2].Packet != 5 || !ls[2].Time.Equal(t0.Add(50*time.Millisecond)) || !ls[2].AtSegmentStart {
				t.Errorf("PASS line: packet %d time +%v at start %v, want 5 +50ms true", ls[2].Packet, ls[2].Time.Sub(t0), ls[2].AtSegmentStart)
			}
			if ls[1].Packet != 6 {
				t.Errorf("USER line packet = %d, want 6", ls[1].Packet)
			}
		},
	}, {
		name: "retransmissions delivered once",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			C(0, fPA, "USER u\r\n"),
			C(0, fPA, "USER u\r\n"),
			S(0, fPA, "220 x\r\n"),
			C(8, fPA, "QUIT\r\n"),
			C(0, fPA, "USER u\r\nQUIT\r\n"), // repacketized retransmission
		}),
		end:  true,
		want: []string{"open", "S 220 x", "C USER u", "C QUIT", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if a.Stats().Conflicts != 0 {
				t.Errorf("conflicts = %d on identical retransmissions", a.Stats().Conflicts)
			}
		},
	}, {
		name: "overlap with new bytes",
		steps: concat(handshake, []step{
			C(0, fPA, "USER u"),
			C(3, fPA, "R u\r\nPASS p\r\n"),
		}),
		end:  true,
		want: []string{"open", "C USER u", "C PASS p", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			ls := r.lines()
			if ls[0].Segments != 2 || ls[1].AtSegmentStart {
				t.Errorf("USER segments %d, PASS at start %v; want 2, false", ls[0].Segments, ls[1].AtSegmentStart)
			}
		},
	}, {
		name: "lost segment: partial line dropped, gap reported after GapTimeout",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			C(0, fPA, "USER u\r\n"),
			C(8, fPA, "PA"),
			// C(10, "SS p\r\n") was lost
			C(16, fPA, "QUIT\r\n"),
			advance(3 * time.Second), // not yet
			advance(10 * time.Second),
		}),
		end:  true,
		want: []string{"open", "S 220 x", "C USER u", "gap C 6", "C QUIT [gap]", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			for _, e := range r.events {
				if e.kind == "gap" && !e.t.Equal(t0.Add(70*time.Millisecond)) {
					t.Errorf("gap time = +%v, want the time of the segment after the hole (+70ms)", e.t.Sub(t0))
				}
			}
			if st := a.Stats(); st.Gaps != 1 || st.GapBytes != 6 || st.PagesEvicted != 0 {
				t.Errorf("stats = %+v", st)
			}
		},
	}, {
		name: "capture starts mid-session with the server (no SYN)",
		steps: []step{
			S(100, fPA, "200 ok\r\n"),
			C(50, fPA, "NOOP\r\n"),
			S(108, fPA, "200 again\r\n"),
		},
		end:  true,
		want: []string{"open mid", "S 200 ok", "C NOOP", "S 200 again", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if k := r.events[0].conn; k.Client != cliAP || k.Server != srvAP {
				t.Errorf("conn = %v, want roles from port 21", k)
			}
			if a.Stats().Midstream != 1 {
				t.Errorf("midstream = %d", a.Stats().Midstream)
			}
		},
	}, {
		name: "mid-session capture starting with keepalives: no phantom gap",
		steps: []step{
			S(99, fA, ""), // keepalive: one before the next byte; opens nothing
			S(100, fPA, "200 ok\r\n"),
			C(49, fA, ""), // keepalive in the direction not started yet
			C(50, fPA, "NOOP\r\n"),
			advance(30 * time.Second),
		},
		end:  true,
		want: []string{"open mid", "S 200 ok", "C NOOP", "close capture-end"},
	}, {
		name: "SYN-less capture whose first packet is client to server",
		steps: []step{
			C(50, fPA, "NOOP\r\n"),
			S(100, fPA, "200 ok\r\n"),
			C(56, fPA, "QUIT\r\n"),
		},
		end:  true,
		want: []string{"open mid", "C NOOP", "S 200 ok", "C QUIT", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if k := r.events[0].conn; k.Client != cliAP || k.Server != srvAP {
				t.Errorf("conn = %v, want roles from port 21", k)
			}
		},
	}, {
		name: "RST closes at once",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			C(0, fRA, ""),
		}),
		want: []string{"open", "S 220 x", "close rst"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if a.Open() != 0 {
				t.Errorf("Open() = %d after RST", a.Open())
			}
		},
	}, {
		name: "RST after a hole still closes, queued data first",
		steps: concat(handshake, []step{
			C(0, fPA, "USER u\r\n"),
			C(20, fPA, "QUIT\r\n"),
			C(26, fR, ""),
		}),
		want: []string{"open", "C USER u", "gap C 12", "C QUIT [gap]", "close rst"},
	}, {
		name: "out-of-window RST is ignored",
		steps: concat(handshake, []step{
			C(0, fPA, "USER u\r\n"),
			C(-5000, fR, ""),
			C(8, fPA, "QUIT\r\n"),
		}),
		end:  true,
		want: []string{"open", "C USER u", "C QUIT", "close capture-end"},
	}, {
		name: "FIN ahead of a hole ends the direction after the gap",
		steps: concat(handshake, []step{
			C(0, fPA, "USER u\r\n"),
			C(20, fPA, "QUIT\r\n"),
			C(26, fFA, ""),
			S(0, fFA, ""),
			advance(10 * time.Second),
		}),
		want: []string{"open", "C USER u", "gap C 12", "C QUIT [gap]", "close fin"},
	}, {
		name: "FIN after a hole with nothing queued: tail gap, closed after GapTimeout",
		steps: concat(handshake, []step{
			C(0, fPA, "USER u\r\nPA"),
			// C(10, "SS p\r\n") was lost
			C(16, fFA, ""),
			S(0, fFA, ""),
			advance(3 * time.Second), // not yet
			advance(10 * time.Second),
		}),
		want: []string{"open", "C USER u", "gap C 6", "close fin"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if c := r.events[len(r.events)-1]; !c.t.Equal(t0.Add(60 * time.Millisecond)) {
				t.Errorf("close time +%v, want the later FIN's (+60ms)", c.t.Sub(t0))
			}
			if g := r.events[2]; !g.t.Equal(t0.Add(50 * time.Millisecond)) {
				t.Errorf("gap time +%v, want the FIN's (+50ms)", g.t.Sub(t0))
			}
		},
	}, {
		name: "RST after a hole with nothing queued reports the tail gap",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			S(27, fRA, ""),
		}),
		want: []string{"open", "S 220 x", "gap S 20", "close rst"},
	}, {
		name: "unterminated line at FIN delivered as partial",
		steps: concat(handshake, []step{
			S(0, fPA, "221 bye"),
			S(7, fFA, ""),
			C(0, fFA, ""),
		}),
		want: []string{"open", "S 221 bye [partial]", "close fin"},
	}, {
		name: "late retransmission after close opens nothing",
		steps: concat(handshake, []step{
			S(0, fPA, "221 bye\r\n"),
			S(9, fFA, ""),
			C(0, fFA, ""),
			S(0, fPA, "221 bye\r\n"),
		}),
		want: []string{"open", "S 221 bye", "close fin"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if a.Stats().Stray != 1 || a.Open() != 0 {
				t.Errorf("stray = %d open = %d, want 1 0", a.Stats().Stray, a.Open())
			}
		},
	}, {
		name: "configured control port 2100",
		cfg:  Config{ControlPorts: []uint16{2100}, NoDetect: true},
		srv:  alt,
		steps: concat(handshake, []step{
			S(0, fPA, "220 alt\r\n"),
			C(0, fPA, "USER u\r\n"),
		}),
		end:  true,
		want: []string{"open", "S 220 alt", "C USER u", "close capture-end"},
	}, {
		name: "port 21 is not control when not configured",
		cfg:  Config{ControlPorts: []uint16{2100}, NoDetect: true},
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			C(0, fPA, "USER u\r\n"),
		}),
		end:  true,
		want: []string{},
		check: func(t *testing.T, a *Assembler, r *recorder, ctrl []bool) {
			if slices.Contains(ctrl, true) {
				t.Errorf("Packet() = %v", ctrl)
			}
		},
	}, {
		name: "FTP recognised on port 2121 with its greeting",
		srv:  ftp2121,
		steps: concat(handshake, []step{
			S(0, fPA, "220-Welcome\r\n"),
			S(13, fPA, "220 ready\r\n"),
			C(0, fPA, "USER anon\r\n"),
			S(24, fPA, "331 pass\r\n"),
			C(11, fPA, "QUIT\r\n"),
		}),
		end: true,
		want: []string{"open mid", "S 220-Welcome", "S 220 ready", "C USER anon", "S 331 pass", "C QUIT",
			"close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, ctrl []bool) {
			want := []bool{false, false, false, false, false, true, true, true}
			if !slices.Equal(ctrl, want) {
				t.Errorf("Packet() = %v, want %v", ctrl, want)
			}
			if k := r.events[0].conn; k.Client != cliAP || k.Server != ftp2121 {
				t.Errorf("conn = %v", k)
			}
			if l := r.lines()[0]; l.Packet != 4 || !l.Time.Equal(t0.Add(40*time.Millisecond)) {
				t.Errorf("greeting line packet %d time +%v, want 4 +40ms", l.Packet, l.Time.Sub(t0))
			}
			if st := a.Stats(); st.Detected != 1 || st.Streams != 1 {
				t.Errorf("stats = %+v", st)
			}
		},
	}, {
		name: "SMTP's 220 answered by EHLO is never reported",
		srv:  smtp,
		steps: concat(handshake, []step{
			S(0, fPA, "220 mail ESMTP\r\n"),
			C(0, fPA, "EHLO x\r\n"),
			S(16, fPA, "250 ok\r\n"),
			C(8, fPA, "USER not-ftp\r\n"),
		}),
		end:  true,
		want: []string{},
		check: func(t *testing.T, a *Assembler, r *recorder, ctrl []bool) {
			if slices.Contains(ctrl, true) || a.cands.Len() != 0 || a.Stats().Streams != 0 {
				t.Errorf("Packet() = %v, candidates %d, streams %d", ctrl, a.cands.Len(), a.Stats().Streams)
			}
			if a.hot.has(25) || a.hot.has(40000) {
				t.Errorf("ports still marked busy after the candidate was dropped")
			}
		},
	}, {
		name: "NoDetect ignores FTP on other ports",
		cfg:  Config{NoDetect: true},
		srv:  ftp2121,
		steps: []step{
			S(0, fPA, "220 ready\r\n"),
			C(0, fPA, "USER anon\r\n"),
		},
		end:  true,
		want: []string{},
	}, {
		name: "MaxLineLen cuts long lines and discards up to the LF",
		cfg:  Config{MaxLineLen: 10},
		steps: concat(handshake, []step{
			S(0, fPA, "220 this line"),
			S(13, fPA, " is long\r\n"),
			S(23, fPA, "200 exactly\r\n"), // 11 bytes: cut
			S(36, fPA, "200 exacts\r\n"),  // 10 bytes: kept whole
		}),
		end:  true,
		want: []string{"open", "S 220 this l [trunc]", "S 200 exactl [trunc]", "S 200 exacts", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if a.Stats().LongLines != 2 {
				t.Errorf("long lines = %d, want 2", a.Stats().LongLines)
			}
			if l := r.lines()[0]; l.Segments != 2 {
				t.Errorf("segments = %d, want 2", l.Segments)
			}
		},
	}, {
		name: "idle connection closed on capture time",
		cfg:  Config{IdleTimeout: time.Minute},
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			advance(30 * time.Second),
			advance(61 * time.Second),
		}),
		want: []string{"open", "S 220 x", "close idle"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if a.Stats().IdleClosed != 1 || a.Open() != 0 {
				t.Errorf("idle closed %d, open %d", a.Stats().IdleClosed, a.Open())
			}
			if c := r.events[len(r.events)-1]; !c.t.Equal(t0.Add(61 * time.Second)) {
				t.Errorf("close time +%v", c.t.Sub(t0))
			}
		},
	}, {
		name: "retransmission with different bytes is a conflict; first copy kept",
		steps: concat(handshake, []step{
			C(0, fPA, "PORT 192,0,2,10,1,1\r\n"),
			C(0, fPA, "PORT 10,0,0,1,1,1\r\n\r\n"),
		}),
		end:  true,
		want: []string{"open", "C PORT 192,0,2,10,1,1", "conflict C", "close capture-end"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if a.Stats().Conflicts != 1 {
				t.Errorf("conflicts = %d", a.Stats().Conflicts)
			}
			for _, e := range r.events {
				if e.kind == "conflict" && e.pkt != 5 {
					t.Errorf("conflict packet = %d, want 5", e.pkt)
				}
			}
		},
	}, {
		name: "conflicting copies while out of order: last copy wins",
		steps: concat(handshake, []step{
			C(8, fPA, "PASS p\r\n"),
			C(8, fPA, "PASS q\r\n"),
			C(0, fPA, "USER u\r\n"),
		}),
		end:  true,
		want: []string{"open", "conflict C", "C USER u", "C PASS q", "close capture-end"},
	}, {
		name: "Close delivers queued data with its gap",
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			S(20, fPA, "200 after\r\n"),
		}),
		end:  true,
		want: []string{"open", "S 220 x", "gap S 13", "S 200 after [gap]", "close capture-end"},
	}, {
		name: "page limit flushes out-of-order data early",
		cfg:  Config{MaxPagesPerConn: 2},
		steps: concat(handshake, []step{
			S(0, fPA, "220 x\r\n"),
			S(10, fPA, "200 a\r\n"),
			S(20, fPA, "200 b\r\n"),
			S(30, fPA, "200 c\r\n"),
		}),
		want: []string{"open", "S 220 x", "gap S 3", "S 200 a [gap]", "gap S 3", "S 200 b [gap]"},
		check: func(t *testing.T, a *Assembler, r *recorder, _ []bool) {
			if a.Stats().PagesEvicted == 0 {
				t.Errorf("page-limit flushes not counted")
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv
			if !srv.IsValid() {
				srv = srvAP
			}
			var r recorder
			s := newSession(cliAP, srv)
			a := New(tc.cfg, &r)
			ctrl := feed(a, s, tc.steps)
			if tc.end {
				a.Close(s.now.Add(time.Second))
			}
			diffEvents(t, r.strings(), tc.want)
			if tc.check != nil {
				tc.check(t, a, &r, ctrl)
			}
			checkOrder(t, r.events, a.cfg.MaxLineLen)
			if tc.end {
				checkEmpty(t, a)
			}
		})
	}
}

// checkOrder asserts the Handler contract: per connection Open, then lines
// and gaps, then Close; line text never holds an LF and respects the cap.
func checkOrder(t testing.TB, evs []event, maxLine int) {
	t.Helper()
	open := map[ConnKey]bool{}
	for i, e := range evs {
		switch e.kind {
		case "open":
			if open[e.conn] {
				t.Fatalf("event %d: Open of %v while open", i, e.conn)
			}
			open[e.conn] = true
		case "close":
			if !open[e.conn] {
				t.Fatalf("event %d: Close of %v not open", i, e.conn)
			}
			delete(open, e.conn)
		default:
			if !open[e.conn] {
				t.Fatalf("event %d: %s for %v not open", i, e, e.conn)
			}
		}
		if e.kind == "line" {
			if strings.ContainsRune(string(e.line.Text), '\n') {
				t.Fatalf("event %d: line with LF %q", i, e.line.Text)
			}
			if len(e.line.Text) > maxLine {
				t.Fatalf("event %d: line of %d bytes over %d", i, len(e.line.Text), maxLine)
			}
			if e.line.Segments < 1 {
				t.Fatalf("event %d: segments %d", i, e.line.Segments)
			}
		}
	}
}

// checkEmpty asserts that after Close nothing is left anywhere.
func checkEmpty(t testing.TB, a *Assembler) {
	t.Helper()
	if a.Open() != 0 || a.conns.len() != 0 || a.cands.Len() != 0 || len(a.pending) != 0 || a.leaked != 0 {
		t.Fatalf("after Close: open %d, conns %d, candidates %d, pending %d, gopacket connections left %d",
			a.Open(), a.conns.len(), a.cands.Len(), len(a.pending), a.leaked)
	}
	if len(a.refs) != 0 {
		t.Fatalf("after Close: ports still referenced: %v", a.refs)
	}
	if a.hot != a.ctrl {
		t.Fatalf("after Close: ports other than the control ports still marked hot")
	}
}

func TestConflictWithoutConflictHandler(t *testing.T) {
	var h plainHandler
	s := newSession(cliAP, srvAP)
	a := run(t, Config{}, &h, s, concat(handshake, []step{
		C(0, fPA, "USER u\r\n"),
		C(0, fPA, "USER v\r\n"),
	}))
	if a.Stats().Conflicts != 1 {
		t.Errorf("conflicts = %d, want 1", a.Stats().Conflicts)
	}
	diffEvents(t, h.r.strings(), []string{"open", "C USER u"})
}

func TestMaxStreamsEvictsLeastRecentlyActive(t *testing.T) {
	var r recorder
	a := New(Config{MaxStreams: 2}, &r)
	var sessions []*session
	for i := range 3 {
		s := newSession(netip.AddrPortFrom(cliAP.Addr(), uint16(40000+i)), srvAP)
		s.now = t0.Add(time.Duration(i) * time.Second)
		sessions = append(sessions, s)
	}
	feed(a, sessions[0], []step{S(0, fPA, "220 a\r\n")})
	feed(a, sessions[1], []step{S(0, fPA, "220 b\r\n")})
	feed(a, sessions[0], []step{C(0, fPA, "USER a\r\n")}) // 0 is now more recent than 1
	feed(a, sessions[2], []step{S(0, fPA, "220 c\r\n")})
	var got []string
	for _, e := range r.events {
		got = append(got, e.String()+" "+e.conn.Client.String())
	}
	diffEvents(t, got, []string{
		"open mid 192.0.2.10:40000", "S 220 a 192.0.2.10:40000",
		"open mid 192.0.2.10:40001", "S 220 b 192.0.2.10:40001",
		"C USER a 192.0.2.10:40000",
		"close evicted 192.0.2.10:40001",
		"open mid 192.0.2.10:40002", "S 220 c 192.0.2.10:40002",
	})
	if a.Stats().EvictedStreams != 1 || a.Open() != 2 {
		t.Errorf("evicted %d open %d, want 1 2", a.Stats().EvictedStreams, a.Open())
	}
	a.Close(t0.Add(time.Minute))
	checkOrder(t, r.events, DefaultMaxLineLen)
	checkEmpty(t, a)
}

func TestPortReuseOpensNewConnection(t *testing.T) {
	var r recorder
	s := newSession(cliAP, srvAP)
	a := run(t, Config{}, &r, s, concat(handshake, []step{
		S(0, fPA, "220 one\r\n"),
		C(0, fFA, ""), // only one FIN: the connection stays open
	}))
	// The same four-tuple again, with a new ISN.
	s.cliISN, s.srvISN = 555000, 777000
	feed(a, s, concat(handshake, []step{S(0, fPA, "220 two\r\n")}))
	a.Close(s.now)
	diffEvents(t, r.strings(), []string{"open", "S 220 one", "close reused", "open", "S 220 two", "close capture-end"})
	if a.Stats().Reused != 1 {
		t.Errorf("reused = %d", a.Stats().Reused)
	}
	checkOrder(t, r.events, DefaultMaxLineLen)
}

func TestRepeatedSYNIsNotReuse(t *testing.T) {
	var r recorder
	s := newSession(cliAP, srvAP)
	a := run(t, Config{}, &r, s, concat(handshake, []step{
		C(-1, fS, ""), // retransmitted SYN
		S(0, fPA, "220 x\r\n"),
	}))
	a.Close(s.now)
	diffEvents(t, r.strings(), []string{"open", "S 220 x", "close capture-end"})
}

func TestSYNACKFirstSetsRoles(t *testing.T) {
	var r recorder
	s := newSession(cliAP, netip.MustParseAddrPort("198.51.100.20:21"))
	// Capture starts at the SYN-ACK; then the data.
	a := run(t, Config{}, &r, s, []step{S(-1, fSA, ""), C(0, fA, ""), S(0, fPA, "220 x\r\n"), C(0, fPA, "USER u\r\n")})
	a.Close(s.now)
	diffEvents(t, r.strings(), []string{"open", "S 220 x", "C USER u", "close capture-end"})
	if k := r.events[0].conn; k.Client != cliAP {
		t.Errorf("conn = %v", k)
	}
}

func TestNonTCPAndStrayPackets(t *testing.T) {
	var r recorder
	a := New(Config{}, &r)
	s := newSession(cliAP, srvAP)
	p := s.pkt(RoleClient, 0, fA, "", 0)
	if !a.Packet(p) {
		t.Errorf("pure ACK on port 21: Packet() = false, want true (it is control traffic)")
	}
	p = s.pkt(RoleClient, 0, fR, "", 0)
	a.Packet(p)
	p.Kind = 0
	if a.Packet(p) {
		t.Errorf("non-TCP packet taken")
	}
	if len(r.events) != 0 || a.Stats().Stray != 2 {
		t.Errorf("events %v stray %d", r.strings(), a.Stats().Stray)
	}
}

func TestCandidatesBounded(t *testing.T) {
	var r recorder
	a := New(Config{MaxCandidates: 3, CandidateTimeout: time.Minute}, &r)
	srv := netip.MustParseAddrPort("198.51.100.20:2121")
	for i := range 5 {
		s := newSession(netip.AddrPortFrom(cliAP.Addr(), uint16(50000+i)), srv)
		feed(a, s, []step{S(0, fPA, "220 x\r\n")})
	}
	if a.cands.Len() != 3 || a.Stats().CandidatesEvicted != 2 {
		t.Fatalf("candidates %d evicted %d, want 3 2", a.cands.Len(), a.Stats().CandidatesEvicted)
	}
	// The oldest were evicted: client 50000 answering now proves nothing.
	s := newSession(netip.AddrPortFrom(cliAP.Addr(), 50000), srv)
	if feed(a, s, []step{C(0, fPA, "USER u\r\n")})[0] {
		t.Errorf("evicted candidate promoted")
	}
	// The newest is still there.
	s = newSession(netip.AddrPortFrom(cliAP.Addr(), 50004), srv)
	if !feed(a, s, []step{C(0, fPA, "USER u\r\n")})[0] {
		t.Errorf("kept candidate not promoted")
	}
	a.Advance(t0.Add(2 * time.Minute))
	if a.cands.Len() != 0 {
		t.Errorf("candidates %d after CandidateTimeout", a.cands.Len())
	}
	a.Close(t0.Add(3 * time.Minute))
	checkEmpty(t, a)
	diffEvents(t, r.strings(), []string{"open mid", "S 220 x", "C USER u", "close capture-end"})
}

func TestPacketWithoutGopacketView(t *testing.T) {
	// Hand-made packets may lack the layers.TCP view: it is built from the fields.
	var r recorder
	a := New(Config{}, &r)
	s := newSession(cliAP, srvAP)
	for _, st := range []step{S(0, fPA, "220 x\r\n"), C(0, fPA, "USER u\r\n")} {
		a.Packet(s.pkt(st.from, st.off, st.flags, st.data, time.Millisecond))
	}
	a.Close(s.now)
	diffEvents(t, r.strings(), []string{"open mid", "S 220 x", "C USER u", "close capture-end"})
}

func TestIPv6(t *testing.T) {
	var r recorder
	cli := netip.MustParseAddrPort("[2001:db8::10]:40000")
	srv := netip.MustParseAddrPort("[2001:db8::20]:21")
	a := New(Config{}, &r)
	s := newSession(cli, srv)
	for _, st := range concat(handshake, []step{S(0, fPA, "220 v6\r\n"), C(0, fPA, "EPSV\r\n")}) {
		p := s.pkt(st.from, st.off, st.flags, st.data, time.Millisecond)
		a.Packet(p)
	}
	a.Close(s.now)
	diffEvents(t, r.strings(), []string{"open", "S 220 v6", "C EPSV", "close capture-end"})
}

func TestCloseReasonString(t *testing.T) {
	for r, want := range map[CloseReason]string{CloseFIN: "fin", CloseRST: "rst", CloseIdle: "idle",
		CloseEvicted: "evicted", CloseCaptureEnd: "capture-end", CloseReused: "reused", 99: "unknown"} {
		if got := r.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", r, got, want)
		}
	}
}

func TestIdleClosedConnectionMayResume(t *testing.T) {
	var r recorder
	s := newSession(cliAP, srvAP)
	a := run(t, Config{IdleTimeout: time.Minute}, &r, s, concat(handshake, []step{
		S(0, fPA, "220 x\r\n"),
		advance(2 * time.Minute),
		C(0, fPA, "NOOP\r\n"), // the connection was only quiet
	}))
	a.Close(s.now)
	diffEvents(t, r.strings(), []string{"open", "S 220 x", "close idle", "open mid", "C NOOP", "close capture-end"})
	checkOrder(t, r.events, DefaultMaxLineLen)
}

// TestManyConnectionsStayFlat runs thousands of short sessions ended by FIN
// or RST (some with a hole, some detected on another port) and checks that
// nothing is kept for them: tables empty after each, gopacket empty at the end.
func TestManyConnectionsStayFlat(t *testing.T) {
	h := &countHandler{}
	a := New(Config{GapTimeout: time.Second}, h)
	now := t0
	const n = 3000
	for i := range n {
		srv := srvAP
		if i%3 == 2 {
			srv = netip.MustParseAddrPort("198.51.100.20:2121")
		}
		s := newSession(netip.AddrPortFrom(cliAP.Addr(), uint16(1024+i)), srv)
		s.now = now
		steps := concat(handshake, []step{S(0, fPA, "220 x\r\n"), C(0, fPA, "USER u\r\n")})
		switch i % 4 {
		case 0:
			steps = append(steps, C(8, fFA, ""), S(7, fFA, ""), C(9, fA, ""))
		case 1:
			steps = append(steps, C(8, fRA, ""))
		case 2:
			steps = append(steps, S(20, fPA, "200 late\r\n"), S(30, fRA, "")) // hole, then RST
		case 3:
			steps = append(steps, S(7, fFA, ""), C(8, fPA, "QUIT\r\n"), C(14, fFA, ""))
		}
		feed(a, s, steps)
		now = s.now.Add(time.Second)
		a.Advance(now)
		if a.Open() != 0 || a.conns.len() != 0 || len(a.refs) != 0 {
			t.Fatalf("session %d: open %d conns %d refs %d after it ended", i, a.Open(), a.conns.len(), len(a.refs))
		}
	}
	if len(a.pending) > 1 {
		t.Errorf("pending list holds %d connections", len(a.pending))
	}
	a.Close(now)
	checkEmpty(t, a)
	if h.opens != n || h.closes != n {
		t.Errorf("opens %d closes %d, want %d", h.opens, h.closes, n)
	}
}

func TestDetectionPredicates(t *testing.T) {
	for _, tc := range []struct {
		in             string
		greeting, user bool
	}{
		{"220 ready\r\n", true, false},
		{"220-multi", true, false},
		{"220\r\n", true, false},
		{"220", true, false},
		{"2200 x", false, false},
		{"22", false, false},
		{"230 ok", false, false},
		{"USER anon\r\n", false, true},
		{"user anon", false, true},
		{"AUTH TLS", false, true},
		{"auth ssl", false, true},
		{"FEAT\r\n", false, true},
		{"opts utf8 on", false, true},
		{"USERS", false, false},
		{"USE", false, false},
		{"EHLO x", false, false},
		{"GET / HTTP/1.1", false, false},
		{"\x75\x73\x65\x72 x", false, true}, // "user" as bytes
		{"U\x13ER x", false, false},         // case folding must not map controls to letters
	} {
		if got := isGreeting([]byte(tc.in)); got != tc.greeting {
			t.Errorf("isGreeting(%q) = %v, want %v", tc.in, got, tc.greeting)
		}
		if got := isClientCommand([]byte(tc.in)); got != tc.user {
			t.Errorf("isClientCommand(%q) = %v, want %v", tc.in, got, tc.user)
		}
	}
}

// TestHalfClosedConnectionCloses: the server's FIN is in the capture, the
// client's was lost. The connection must not wait for IdleTimeout (hours) to
// be released: HalfCloseTimeout closes it, so a lossy link stays flat.
func TestHalfClosedConnectionCloses(t *testing.T) {
	var r recorder
	s := newSession(cliAP, srvAP)
	a := run(t, Config{HalfCloseTimeout: 30 * time.Second}, &r, s, concat(handshake, []step{
		S(0, fPA, "220 x\r\n"),
		C(0, fPA, "QUIT\r\n"),
		S(7, fPA, "221 bye\r\n"),
		S(16, fFA, ""),
		advance(10 * time.Second),
	}))
	if a.Open() != 1 {
		t.Fatalf("closed too early: %d open", a.Open())
	}
	s.now = s.now.Add(30 * time.Second)
	a.Advance(s.now)
	if a.Open() != 0 {
		t.Fatalf("half-closed connection still open after HalfCloseTimeout")
	}
	diffEvents(t, r.strings(), []string{"open", "S 220 x", "C QUIT", "S 221 bye", "close idle"})
}
