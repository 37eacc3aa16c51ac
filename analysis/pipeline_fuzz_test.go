package analysis

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/reassembly"
)

// The pipeline fuzz target drives reassembly and analysis together, as
// cmd/ftpscope does, from a little program of operations decoded from the
// fuzz input: control segments (in order, with holes, retransmitted,
// overlapping with other bytes), control flags, data-connection packets
// toward the endpoints the control lines announce, ICMP errors quoting them,
// and the passing of capture time.

// Control connections: two FTP sessions on port 21 (one IPv4 client on two
// ports), one over IPv6, and one on port 2121 that must be recognised from
// its conversation.
var pipeConns = [][2]netip.AddrPort{
	{netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.1:21")},
	{netip.MustParseAddrPort("192.0.2.1:40001"), netip.MustParseAddrPort("198.51.100.1:21")},
	{netip.MustParseAddrPort("[2001:db8::1]:40002"), netip.MustParseAddrPort("[2001:db8::2]:21")},
	{netip.MustParseAddrPort("192.0.2.2:40003"), netip.MustParseAddrPort("198.51.100.1:2121")},
}

// pipeClientLines and pipeServerLines are the vocabulary; the endpoints they
// announce are in pipeData, so data packets can hit them.
var pipeClientLines = []string{
	"USER anonymous\r\n", "PASS secret\r\n", "PASV\r\n", "EPSV\r\n", "LPSV\r\n",
	"PORT 192,0,2,1,4,1\r\n", "PORT 203,0,113,9,0,25\r\n", "EPRT |2|2001:db8::1|1025|\r\n",
	"EPRT |1|192.0.2.1|1026|\r\n", "LPRT 4,4,192,0,2,1,2,4,2\r\n", "RETR file\r\n", "LIST\r\n",
	"STOR up\r\n", "AUTH TLS\r\n", "EPSV ALL\r\n", "QUIT\r\n", "ABOR\r\n", "NOOP\r\n",
	"RE", "TR f\r\nLIST\r\n", "PORT 1,2,3\r\n", "\x00\xff\r\n", "PORT 192,0,2,2,4,1\r\n",
}

var pipeServerLines = []string{
	"220 ready\r\n", "331 password\r\n", "230 in\r\n",
	"227 Entering Passive Mode (198,51,100,1,4,2).\r\n", "227 =10,0,0,1,4,3\r\n",
	"229 Entering Extended Passive Mode (|||1027|)\r\n", "228 Long Passive Mode (4,4,198,51,100,1,2,4,4)\r\n",
	"200 PORT ok\r\n", "500 no\r\n", "150 here it comes\r\n", "226 done\r\n", "425 cannot open\r\n",
	"426 aborted\r\n", "234 go ahead\r\n", "227-multi\r\n", "221 bye\r\n",
	"229 (!!!1028!)\r\n227 (2001", "227 Entering Passive Mode (198,51,100,1,4,5).\r\n",
	"229 Entering Extended Passive Mode (|||1027|)\r\n226 done\r\n", "550 no file\r\n",
}

// pipeData are the ends of data-connection packets: the announced endpoints,
// the control addresses on other ports, a third party, and port 20.
var pipeData = []netip.AddrPort{
	netip.MustParseAddrPort("192.0.2.1:1025"), netip.MustParseAddrPort("192.0.2.1:1026"),
	netip.MustParseAddrPort("198.51.100.1:1026"), netip.MustParseAddrPort("198.51.100.1:1027"),
	netip.MustParseAddrPort("198.51.100.1:1028"), netip.MustParseAddrPort("10.0.0.1:1027"),
	netip.MustParseAddrPort("198.51.100.1:20"), netip.MustParseAddrPort("192.0.2.1:50000"),
	netip.MustParseAddrPort("[2001:db8::1]:1025"), netip.MustParseAddrPort("[2001:db8::2]:1027"),
	netip.MustParseAddrPort("[2001:db8::2]:20"), netip.MustParseAddrPort("203.0.113.9:25"),
	netip.MustParseAddrPort("192.0.2.2:1025"), netip.MustParseAddrPort("198.51.100.1:1029"),
	netip.MustParseAddrPort("[2001:db8::1]:50001"), netip.MustParseAddrPort("192.0.2.1:50002"),
}

var pipeCtrlFlags = []capture.TCPFlags{
	capture.SYN, capture.SYN | capture.ACK, capture.FIN | capture.ACK, capture.RST, capture.RST | capture.ACK, capture.ACK,
}

var pipeDataFlags = []capture.TCPFlags{
	capture.SYN, capture.SYN | capture.ACK, capture.RST | capture.ACK, capture.ACK | capture.PSH, capture.FIN | capture.ACK, capture.RST,
}

// pipeLimits are small, so that every table reaches its limit.
var pipeLimits = Config{
	MaxSessions: 3, MaxChannels: 3, MaxPending: 3, MaxAttempts: 4, MaxChannelAttempts: 3, MaxExchanges: 8, MaxNotes: 5, MaxReplyLines: 4,
	DataTimeout: 5 * time.Second, AttemptWindow: 2 * time.Second,
}

var pipeReasm = reassembly.Config{
	ControlPorts: []uint16{21}, MaxLineLen: 64, MaxStreams: 3, MaxCandidates: 2, MaxPagesPerConn: 4, MaxPagesTotal: 8,
	GapTimeout: time.Second, IdleTimeout: time.Minute, CandidateTimeout: 10 * time.Second,
}

// pipeCheck records what the sink and the handler see and checks the
// contracts as it goes.
type pipeCheck struct {
	t        *testing.T
	an       *Analyzer
	chCalls  map[*Channel]int
	perSess  map[*Session]int
	emitted  map[*Session]bool
	inSess   map[*Channel]*Session
	sessions int
	trace    func(format string, args ...any)
}

// Line, Open, Gap, Close and Conflict check the reassembly contract on the
// way into the analyzer.
func (c *pipeCheck) Open(k reassembly.ConnKey, t time.Time, mid bool) { c.an.Open(k, t, mid) }
func (c *pipeCheck) Gap(k reassembly.ConnKey, r reassembly.Role, t time.Time, n int) {
	c.an.Gap(k, r, t, n)
}
func (c *pipeCheck) Close(k reassembly.ConnKey, t time.Time, why reassembly.CloseReason) {
	c.an.Close(k, t, why)
}
func (c *pipeCheck) Line(l reassembly.Line) {
	if c.trace != nil {
		c.trace("line %s %s %q", l.Conn, l.From, l.Text)
	}
	if bytes.IndexByte(l.Text, '\n') >= 0 {
		c.t.Fatalf("control line %q contains LF", l.Text)
	}
	if len(l.Text) > pipeReasm.MaxLineLen {
		c.t.Fatalf("control line of %d bytes, limit %d", len(l.Text), pipeReasm.MaxLineLen)
	}
	c.an.Line(l)
}
func (c *pipeCheck) Conflict(k reassembly.ConnKey, r reassembly.Role, t time.Time, pkt uint64) {
	if ch, ok := any(c.an).(reassembly.ConflictHandler); ok {
		ch.Conflict(k, r, t, pkt)
	}
}

func (c *pipeCheck) channel(s *Session, ch *Channel) {
	c.chCalls[ch]++
	if c.chCalls[ch] > 1 {
		c.t.Fatalf("Sink.Channel called %d times for channel %s %s", c.chCalls[ch], ch.Method, ch.Announced)
	}
	if c.emitted[s] {
		c.t.Fatalf("Sink.Channel for %s %s after its session was emitted", ch.Method, ch.Announced)
	}
	if ch.Session() != s || !ch.final {
		c.t.Fatalf("Sink.Channel: channel of another session, or not final (final=%v)", ch.final)
	}
	if int(ch.Verdict) >= len(verdictNames) || reasonText(ch) == "" {
		c.t.Fatalf("channel %s %s: verdict %d, reason %q", ch.Method, ch.Announced, ch.Verdict, reasonText(ch))
	}
	wantBlocked := ch.Verdict == Dropped || ch.Verdict == Refused || ch.Verdict == ICMP || ch.Verdict == NotSeen && ch.has425()
	if ch.Blocked != wantBlocked {
		c.t.Fatalf("channel %s %s: verdict %s with blocked=%v", ch.Method, ch.Announced, ch.Verdict, ch.Blocked)
	}
	c.perSess[s]++
}

func (c *pipeCheck) session(s *Session) {
	if c.emitted[s] {
		c.t.Fatalf("session %s -> %s emitted twice", s.Client, s.Server)
	}
	c.emitted[s] = true
	c.sessions++
	for _, ch := range s.Channels {
		if c.chCalls[ch] != 1 {
			c.t.Fatalf("session %s -> %s lists channel %s %s that Sink.Channel saw %d times", s.Client, s.Server, ch.Method, ch.Announced, c.chCalls[ch])
		}
		if prev := c.inSess[ch]; prev != nil {
			c.t.Fatalf("channel %s %s listed in two sessions", ch.Method, ch.Announced)
		}
		c.inSess[ch] = s
	}
	if got, want := c.perSess[s], len(s.Channels)+s.ChannelsDropped; got != want {
		c.t.Fatalf("session %s -> %s: Sink.Channel called %d times, session lists %d channels and dropped %d", s.Client, s.Server, got, len(s.Channels), s.ChannelsDropped)
	}
	noLF := func(what, s string) {
		if strings.Contains(s, "\n") {
			c.t.Fatalf("%s %q contains LF", what, s)
		}
	}
	noLF("user", s.User)
	noLF("greeting", s.Greeting)
	for _, e := range s.Exchanges {
		noLF("exchange", e.Text)
	}
	for _, n := range s.Notes {
		noLF("note", noteText(n))
	}
	for _, ch := range s.Channels {
		noLF("command", ch.Command)
		noLF("argument", ch.Argument)
		noLF("reply text", ch.ReplyText)
		noLF("reason", reasonText(ch))
	}
}

// bounds checks every table against its configured limit.
func (c *pipeCheck) bounds(asm *reassembly.Assembler) {
	a, cfg := c.an, c.an.cfg
	if n := asm.Open(); n > pipeReasm.MaxStreams {
		c.t.Fatalf("%d control connections held, limit %d", n, pipeReasm.MaxStreams)
	}
	if n := a.sessions.len(); n > cfg.MaxSessions {
		c.t.Fatalf("%d sessions held, limit %d", n, cfg.MaxSessions)
	}
	// The activity list holds exactly the sessions of the map.
	n := 0
	for st := a.lru.Front(); st != nil && n <= a.sessions.len(); st = a.lru.Next(st) {
		if a.sessions.get(st.key()) != st {
			c.t.Fatalf("activity list holds session %s that the map does not", st.key())
		}
		n++
	}
	if n != a.sessions.len() {
		c.t.Fatalf("activity list holds %d sessions, the map %d", n, a.sessions.len())
	}
	for _, st := range a.sessions.appendAll(nil) {
		s := st.s
		switch {
		case len(s.Channels) > cfg.MaxChannels:
			c.t.Fatalf("session %s -> %s holds %d channels, limit %d", s.Client, s.Server, len(s.Channels), cfg.MaxChannels)
		case len(st.pending) > cfg.MaxPending:
			c.t.Fatalf("%d pending commands, limit %d", len(st.pending), cfg.MaxPending)
		case len(s.Notes) > cfg.MaxNotes:
			c.t.Fatalf("%d notes, limit %d", len(s.Notes), cfg.MaxNotes)
		case len(s.Exchanges) > cfg.MaxExchanges:
			c.t.Fatalf("%d exchanges, limit %d", len(s.Exchanges), cfg.MaxExchanges)
		}
		for _, ch := range s.Channels {
			if len(ch.Replies) > maxReplies {
				c.t.Fatalf("channel %s %s holds %d reply codes, limit %d", ch.Method, ch.Announced, len(ch.Replies), maxReplies)
			}
			if len(ch.Attempts) > cfg.MaxChannelAttempts {
				c.t.Fatalf("channel %s %s holds %d attempts, limit %d", ch.Method, ch.Announced, len(ch.Attempts), cfg.MaxChannelAttempts)
			}
		}
	}
	d := &a.data
	if n := len(d.unmatched) - d.unmatchedHead; n > cfg.MaxAttempts {
		c.t.Fatalf("%d unmatched attempts held, limit %d", n, cfg.MaxAttempts)
	}
	// Every followed connection is an unmatched attempt or an attempt of a
	// channel still waiting for its verdict.
	limit := cfg.MaxAttempts + cfg.MaxSessions*cfg.MaxChannels*cfg.MaxChannelAttempts
	if len(d.conns) > limit || len(d.byDst) > cfg.MaxAttempts || len(d.expects) > 2*cfg.MaxSessions*cfg.MaxChannels {
		c.t.Fatalf("data tracker holds %d connections, %d destinations, %d expected endpoints", len(d.conns), len(d.byDst), len(d.expects))
	}
}

// pipeFeeder turns the fuzz program into packets.
type pipeFeeder struct {
	asm   *reassembly.Assembler
	an    *Analyzer
	now   time.Time
	num   uint64
	seq   [4][2]uint32
	last  *capture.Packet
	trace func(format string, args ...any)
}

func (f *pipeFeeder) send(p *capture.Packet) {
	f.num++
	p.Num = f.num
	p.Time = f.now
	p.CapLen = 54 + len(p.Payload)
	p.Len = p.CapLen
	if f.trace != nil {
		f.trace("packet %d %s %s -> %s %s seq %d len %d", p.Num, p.Kind, p.Src, p.Dst, p.Flags, p.Seq, len(p.Payload))
	}
	if p.Kind == capture.KindTCP {
		p.PayloadLen = len(p.Payload)
		if !f.asm.Packet(p) {
			f.an.Packet(p)
		}
	} else {
		f.an.Packet(p)
	}
	f.asm.Advance(f.now)
	f.an.Advance(f.now)
	f.last = p
}

func (f *pipeFeeder) ctrl(conn, side int, flags capture.TCPFlags, seq uint32, payload []byte) {
	src, dst := pipeConns[conn][0], pipeConns[conn][1]
	if side == 1 {
		src, dst = dst, src
	}
	ack := f.seq[conn][1-side]
	f.send(&capture.Packet{Kind: capture.KindTCP, Src: src, Dst: dst, Flags: flags, Seq: seq, Ack: ack, Payload: payload})
}

// FuzzPipeline: no panic; every channel gets exactly one verdict
// (Sink.Channel once per channel, with a reason and a consistent blocked
// flag, before its session); every session is emitted once, after all its
// channels, and lists each of its channels once (those beyond MaxChannels
// counted as dropped); no control line, exchange, note or reason holds a
// line end; every table stays within its configured limit after every
// packet; at the end nothing is held and the counters add up.
func FuzzPipeline(f *testing.F) {
	// Seeds: a passive session with a transfer, an active one refused, a
	// detected session on 2121 with a gap, and an SYN-dropped EPSV.
	f.Add([]byte{
		1, 0, 0, 0, 1, 4, 1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 2, 0, 0, 4, 3, 0,
		2, 7, 2, 0, 2, 2, 7, 1, 0, 0, 10, 0, 0, 4, 9, 0, 2, 7, 2, 27, 0, 4, 10, 0, 4, 0, 0, 100,
	})
	f.Add([]byte{
		1, 1, 0, 0, 1, 5, 1, 0, 0, 5, 0, 0, 0, 1, 5, 0, 0, 5, 8, 0, 0, 1, 10, 0, 2, 6, 0, 0,
		3, 6, 0, 13, 4, 0, 1, 50, 7, 0, 0, 0,
	})
	f.Add([]byte{
		0, 7, 0, 0, 0, 3, 0, 0, 0, 7, 1, 0, 0, 3, 1, 8, 0, 3, 2, 3, 0, 7, 3, 0, 0, 3, 12, 0,
		0, 7, 5, 0, 6, 3, 8, 'R', 'E', 'T', 'R', 10, 4, 0, 0, 200,
	})
	f.Add([]byte{
		1, 2, 0, 0, 1, 6, 1, 0, 0, 2, 3, 0, 0, 6, 5, 0, 2, 14, 9, 0, 4, 0, 0, 20, 2, 14, 9, 0,
		0, 2, 10, 0, 4, 1, 1, 40, 0, 6, 11, 0, 5, 0, 0, 0, 0, 2, 3, 6, 0, 2, 3, 7,
	})
	f.Fuzz(func(t *testing.T, prog []byte) { runPipeline(t, prog, pipeLimits, nil) })
}

// runPipeline runs one fuzz program with the given analysis limits; trace,
// when set, hears every line and packet (for debugging a corpus entry).
func runPipeline(t *testing.T, prog []byte, limits Config, trace func(format string, args ...any)) *pipeCheck {
	{
		c := &pipeCheck{t: t, chCalls: map[*Channel]int{}, perSess: map[*Session]int{},
			emitted: map[*Session]bool{}, inSess: map[*Channel]*Session{}}
		c.an = New(limits, Sink{Channel: c.channel, Session: c.session})
		comparePicks(t, c.an) // the indexed match agrees with the scan
		// Endpoints listed, indexed, or moved from one to the other.
		c.an.data.listedMax = []int{0, 1, listedMax}[len(prog)%3]
		c.trace = trace
		asm := reassembly.New(pipeReasm, c)
		fd := &pipeFeeder{asm: asm, an: c.an, now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), trace: trace}
		for i := range fd.seq {
			fd.seq[i] = [2]uint32{1000 * uint32(i+1), 0xfffff000 + uint32(i)} // one side wraps around
		}
		for len(prog) >= 4 {
			op, x, y, z := prog[0], prog[1], prog[2], prog[3]
			prog = prog[4:]
			fd.now = fd.now.Add(time.Duration(z&7) * 10 * time.Millisecond)
			conn, side := int(x)%len(pipeConns), int(x>>2)&1
			switch op % 8 {
			case 0, 6: // control payload: vocabulary, or raw bytes from the program
				var payload []byte
				switch {
				case op%8 == 6:
					n := min(int(y%24), len(prog))
					payload, prog = bytes.Clone(prog[:n]), prog[n:]
				case side == 0:
					payload = []byte(pipeClientLines[int(y)%len(pipeClientLines)])
				default:
					payload = []byte(pipeServerLines[int(y)%len(pipeServerLines)])
				}
				seq := &fd.seq[conn][side]
				shift := uint32(z >> 5)
				switch (z >> 3) & 3 {
				case 0: // in order
					fd.ctrl(conn, side, capture.ACK|capture.PSH, *seq, payload)
					*seq += uint32(len(payload))
				case 1: // after a hole
					*seq += shift
					fd.ctrl(conn, side, capture.ACK|capture.PSH, *seq, payload)
					*seq += uint32(len(payload))
				case 2: // retransmitted or overlapping the bytes before
					fd.ctrl(conn, side, capture.ACK|capture.PSH, *seq-shift, payload)
					if end := *seq - shift + uint32(len(payload)); int32(end-*seq) > 0 {
						*seq = end
					}
				case 3: // ahead of the next byte, filled later
					fd.ctrl(conn, side, capture.ACK|capture.PSH, *seq+shift, payload)
				}
			case 1: // control flags
				fl := pipeCtrlFlags[int(y)%len(pipeCtrlFlags)]
				seq := &fd.seq[conn][side]
				s := *seq
				if fl.Has(capture.SYN) {
					s--
				}
				fd.ctrl(conn, side, fl, s, nil)
				if fl.Has(capture.FIN) {
					*seq++
				}
			case 2, 3: // data-connection packet
				src, dst := pipeData[int(x)%len(pipeData)], pipeData[int(y)%len(pipeData)]
				fl := pipeDataFlags[int(z>>3)%len(pipeDataFlags)]
				var payload []byte
				if fl.Has(capture.PSH) {
					payload = make([]byte, int(z>>5)*100)
				}
				fd.send(&capture.Packet{Kind: capture.KindTCP, Src: src, Dst: dst, Flags: fl, Seq: 7, Payload: payload})
			case 4: // ICMP error quoting a SYN from src to dst
				src, dst := pipeData[int(x)%len(pipeData)], pipeData[int(y)%len(pipeData)]
				v6 := src.Addr().Is6()
				typ := uint8(3)
				if v6 {
					typ = 1
				}
				fd.send(&capture.Packet{Kind: capture.KindICMP, ICMP: capture.ICMPError{
					From: dst.Addr(), To: src.Addr(), V6: v6, Type: typ, Code: z % 14, Src: src, Dst: dst,
					Seq: 7, Flags: capture.SYN, HasFlags: true}})
			case 5: // capture time passes
				if y&1 != 0 {
					fd.now = fd.now.Add(time.Duration(z) * time.Second)
				} else {
					fd.now = fd.now.Add(time.Duration(z) * 10 * time.Millisecond)
				}
				fd.asm.Advance(fd.now)
				fd.an.Advance(fd.now)
			case 7: // the previous packet again (retransmission, duplicate capture)
				if fd.last != nil {
					p := *fd.last
					fd.send(&p)
				}
			}
			c.bounds(asm)
		}
		asm.Close(fd.now)
		c.an.Finish(fd.now)
		c.bounds(asm)

		if n := c.an.sessions.len(); n != 0 {
			t.Fatalf("%d sessions still held after Finish", n)
		}
		st := c.an.Stats()
		if st.Sessions != uint64(c.sessions) {
			t.Fatalf("stats count %d sessions, %d were emitted", st.Sessions, c.sessions)
		}
		var verdicts uint64
		for _, n := range st.Verdicts {
			verdicts += n
		}
		if st.Channels != uint64(len(c.chCalls)) || verdicts != st.Channels {
			t.Fatalf("stats count %d channels and %d verdicts, Sink.Channel saw %d", st.Channels, verdicts, len(c.chCalls))
		}
		for ch := range c.chCalls {
			if s := ch.Session(); !c.emitted[s] {
				t.Fatalf("channel %s %s judged, but its session was never emitted", ch.Method, ch.Announced)
			}
		}
		if n := len(c.an.data.expects); n != 0 {
			t.Fatalf("%d endpoints still expected after Finish", n)
		}
		return c
	}
}
