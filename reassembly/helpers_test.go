package reassembly

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// Documentation addresses (RFC 5737) only.
var (
	cliAP = netip.MustParseAddrPort("192.0.2.10:40000")
	srvAP = netip.MustParseAddrPort("198.51.100.20:21")
	t0    = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
)

// event is one recorded Handler call, with a copy of what it carried.
type event struct {
	kind string // open, line, gap, close, conflict
	conn ConnKey
	role Role
	t    time.Time
	mid  bool
	line Line // Text copied
	n    int
	why  CloseReason
	pkt  uint64
}

// String renders an event compactly for comparing with the tables:
// "open", "open mid", "C USER a", "S 220 hi [gap]", "gap S 5", "close fin",
// "conflict C".
func (e event) String() string {
	switch e.kind {
	case "open":
		if e.mid {
			return "open mid"
		}
		return "open"
	case "line":
		s := roleLetter(e.role) + " " + string(e.line.Text)
		var marks []string
		if e.line.AfterGap {
			marks = append(marks, "gap")
		}
		if e.line.Truncated {
			marks = append(marks, "trunc")
		}
		if e.line.Partial {
			marks = append(marks, "partial")
		}
		if len(marks) > 0 {
			s += " [" + strings.Join(marks, ",") + "]"
		}
		return s
	case "gap":
		return fmt.Sprintf("gap %s %d", roleLetter(e.role), e.n)
	case "close":
		return "close " + e.why.String()
	case "conflict":
		return "conflict " + roleLetter(e.role)
	}
	return e.kind
}

func roleLetter(r Role) string {
	switch r {
	case RoleClient:
		return "C"
	case RoleServer:
		return "S"
	}
	return "?"
}

// recorder is a Handler (and ConflictHandler) that records every call.
type recorder struct {
	events []event
}

func (r *recorder) Open(conn ConnKey, t time.Time, mid bool) {
	r.events = append(r.events, event{kind: "open", conn: conn, t: t, mid: mid})
}

func (r *recorder) Line(l Line) {
	l.Text = bytes.Clone(l.Text)
	r.events = append(r.events, event{kind: "line", conn: l.Conn, role: l.From, t: l.Time, line: l, pkt: l.Packet})
}

func (r *recorder) Gap(conn ConnKey, from Role, t time.Time, n int) {
	r.events = append(r.events, event{kind: "gap", conn: conn, role: from, t: t, n: n})
}

func (r *recorder) Close(conn ConnKey, t time.Time, why CloseReason) {
	r.events = append(r.events, event{kind: "close", conn: conn, t: t, why: why})
}

func (r *recorder) Conflict(conn ConnKey, from Role, t time.Time, packet uint64) {
	r.events = append(r.events, event{kind: "conflict", conn: conn, role: from, t: t, pkt: packet})
}

func (r *recorder) strings() []string {
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.String()
	}
	return out
}

func (r *recorder) lines() []Line {
	var out []Line
	for _, e := range r.events {
		if e.kind == "line" {
			out = append(out, e.line)
		}
	}
	return out
}

// plainHandler records like recorder but does not implement ConflictHandler.
type plainHandler struct{ r recorder }

func (p *plainHandler) Open(c ConnKey, t time.Time, mid bool)       { p.r.Open(c, t, mid) }
func (p *plainHandler) Line(l Line)                                 { p.r.Line(l) }
func (p *plainHandler) Gap(c ConnKey, f Role, t time.Time, n int)   { p.r.Gap(c, f, t, n) }
func (p *plainHandler) Close(c ConnKey, t time.Time, w CloseReason) { p.r.Close(c, t, w) }

// Flag shorthands.
const (
	fS  = capture.SYN
	fSA = capture.SYN | capture.ACK
	fA  = capture.ACK
	fPA = capture.PSH | capture.ACK
	fFA = capture.FIN | capture.ACK
	fR  = capture.RST
	fRA = capture.RST | capture.ACK
)

// makePacket builds a capture.Packet the way capture's decoder fills it:
// plain fields only, which is all reassembly reads.
func makePacket(num uint64, t time.Time, src, dst netip.AddrPort, seq, ack uint32, flags capture.TCPFlags, payload []byte) *capture.Packet {
	n := 54 + len(payload)
	return &capture.Packet{
		Num: num, File: "test", FileNum: num, Time: t, Len: n, CapLen: n, Kind: capture.KindTCP,
		Src: src, Dst: dst, Flags: flags, Seq: seq, Ack: ack, Window: 65535,
		Payload: payload, PayloadLen: len(payload), TTL: 64,
	}
}

// session writes packets of one TCP connection with sequence numbers
// relative to each side's first data byte, so tests read like tcpdump -S
// off. Offsets are relative; -1 is the ISN (the SYN's own number).
type session struct {
	cli, srv       netip.AddrPort
	cliISN, srvISN uint32
	num            uint64
	now            time.Time
}

func newSession(cli, srv netip.AddrPort) *session {
	return &session{cli: cli, srv: srv, cliISN: 1000, srvISN: 0xfffffff0, now: t0} // server ISN wraps
}

// pkt builds the next packet from role at relative offset off; dt advances
// capture time first.
func (s *session) pkt(from Role, off int, flags capture.TCPFlags, data string, dt time.Duration) *capture.Packet {
	s.now = s.now.Add(dt)
	s.num++
	src, dst, isn, peer := s.cli, s.srv, s.cliISN, s.srvISN
	if from == RoleServer {
		src, dst, isn, peer = s.srv, s.cli, s.srvISN, s.cliISN
	}
	return makePacket(s.num, s.now, src, dst, isn+1+uint32(off), peer+1, flags, []byte(data))
}

// step is one row of a scenario: a packet, or (adv > 0) a call to Advance at
// that capture time since the scenario's start.
type step struct {
	from  Role
	off   int
	flags capture.TCPFlags
	data  string
	adv   time.Duration
}

func C(off int, flags capture.TCPFlags, data string) step {
	return step{from: RoleClient, off: off, flags: flags, data: data}
}
func S(off int, flags capture.TCPFlags, data string) step {
	return step{from: RoleServer, off: off, flags: flags, data: data}
}
func advance(d time.Duration) step { return step{adv: d} }

// handshake is the three-way handshake of a session.
var handshake = []step{C(-1, fS, ""), S(-1, fSA, ""), C(0, fA, "")}

// run feeds steps (10 ms apart) into an assembler and returns it.
func run(t testing.TB, cfg Config, h Handler, s *session, steps []step) *Assembler {
	t.Helper()
	a := New(cfg, h)
	feed(a, s, steps)
	return a
}

func feed(a *Assembler, s *session, steps []step) []bool {
	var ctrl []bool
	for _, st := range steps {
		if st.adv > 0 {
			s.now = t0.Add(st.adv)
			a.Advance(s.now)
			continue
		}
		ctrl = append(ctrl, a.Packet(s.pkt(st.from, st.off, st.flags, st.data, 10*time.Millisecond)))
	}
	return ctrl
}

// concat joins step lists.
func concat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func diffEvents(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
