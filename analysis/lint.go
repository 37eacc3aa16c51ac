package analysis

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/reassembly"
)

// LintCode names something in a session that defeats a connection-tracking
// FTP helper. Linux nf_conntrack_ftp is the reference: it reads a segment
// only when the segment starts right after a line end, looks there for
// "PORT", "EPRT", "227 " or "229 ", drops the segment when the pattern
// starts but cannot be completed inside it ("partial matching"), keeps one
// expectation per control connection, and ignores an address that is not
// the sender's unless loaded with loose=1.
type LintCode uint8

// The lint codes.
const (
	// LintSplit: an announcement whose line spans several TCP segments.
	LintSplit LintCode = iota + 1
	// LintNotAtStart: an announcement that does not begin its segment.
	LintNotAtStart
	// LintMultiline227: a multi-line 227 reply.
	LintMultiline227
	// LintEPSVNoParens: a 229 reply without the parenthesised (|||port|).
	LintEPSVNoParens
	// LintSuperseded: a new announcement before the previous one was used.
	LintSuperseded
	// LintEPRTFamily: an EPRT whose address family is not the control connection's.
	LintEPRTFamily
	// LintControlPort: a control connection on a port other than 21.
	LintControlPort
	// LintEncrypted: AUTH TLS/SSL accepted; the helper cannot read anything after it.
	LintEncrypted
	// LintAddressMismatch: an announced address that is not the announcer's.
	LintAddressMismatch
	// LintUnknownCommand: LPRT/LPSV, which the helper does not know.
	LintUnknownCommand
	// LintHelperDrop: a segment the helper would drop (partial match).
	LintHelperDrop
	// LintRetransmitted: such a segment sent again and again.
	LintRetransmitted
)

var lintNames = [...]string{"", "split-across-segments", "not-at-segment-start", "multiline-227",
	"229-without-parentheses", "superseded-before-use", "eprt-family-mismatch", "control-port-not-21",
	"encrypted-control", "address-not-announcer", "command-unknown-to-helper", "helper-would-drop",
	"retransmitted-unparseable"}

// String names the code as used in JSON and tables.
func (c LintCode) String() string {
	if int(c) < len(lintNames) && c != 0 {
		return lintNames[c]
	}
	return "unknown"
}

// LintFinding is one kind of helper-defeating traffic in a session: where it
// first appeared, how often, and what it does to a helper.
type LintFinding struct {
	Code LintCode
	// Time and Packet locate the first occurrence (Packet 0 when unknown).
	Time   time.Time
	Packet uint64
	// Count is how many times it occurred.
	Count int
	// The facts of the first occurrence, as the code needs them (report
	// writes them in words):
	// What is the announcement concerned ("PORT", "EPRT", "227", "229") or
	// the helper's pattern ("227 ", "229 ", "PORT", "EPRT").
	What string
	// Segments is how many TCP segments the line spans.
	Segments int
	// AtStart: the multi-line 227's last line starts a TCP segment.
	AtStart bool
	// Segment: a helper drop found in a segment (else in a 227 line).
	Segment bool
	// Wire is the line or segment quoted (redacted; its first 64 bytes, Cut
	// when there was more).
	Wire string
	Cut  bool
	// FromServer: the segment, or the announcement, came from the server.
	FromServer bool
	// Port is the control port; Endpoint the announced endpoint; Method
	// its setup method; Control the announcer's control address.
	Port     uint16
	Endpoint netip.AddrPort
	Method   SetupMethod
	Control  netip.Addr
	// IPv4 is the control connection's family.
	IPv4 bool
}

// lintState is the per-session memory the lint needs.
type lintState struct {
	started bool
	// multi227 is set inside a "227-" multi-line reply.
	multi227 bool
	// drops remembers the last segments a helper would drop, to spot their
	// retransmissions. Few sessions have any, so it is allocated at the
	// first one rather than held by every open session.
	drops *dropRing
}

// dropRing is a small ring of segments a helper would drop: the same
// segment comes back within seconds.
type dropRing struct {
	seen [4]dropSeen
	next uint8
}

// dropSeen is one segment a helper would drop.
type dropSeen struct {
	seq        uint32
	copies     int32
	fromClient bool
	used       bool
}

func (a *Analyzer) addLint(s *Session, f LintFinding) {
	for i := range s.Lint {
		if s.Lint[i].Code == f.Code {
			s.Lint[i].Count++
			return
		}
	}
	// One entry per code: the list is bounded by the number of codes.
	f.Count = 1
	s.Lint = append(s.Lint, f)
	a.charge(s, lintCost+strCost(f.Wire))
}

// LintOf returns the session's finding of one code, and whether there is one.
func (s *Session) LintOf(code LintCode) (LintFinding, bool) {
	for _, f := range s.Lint {
		if f.Code == code {
			return f, true
		}
	}
	return LintFinding{}, false
}

// quotedLint sets a finding's quoted wire text.
func quotedLint(f LintFinding, w wireText) LintFinding {
	f.Wire, f.Cut = quotedWire(w)
	return f
}

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && bytes.EqualFold(b[:len(p)], []byte(p))
}

// lintLine checks one control line, before it is parsed.
func (a *Analyzer) lintLine(st *sessionState, l reassembly.Line, w wireText) {
	s := st.s
	if !st.lint.started {
		st.lint.started = true
		if p := s.Server.Port(); p != 21 {
			a.addLint(s, LintFinding{Code: LintControlPort, Time: l.Time, Packet: l.Packet, Port: p})
		}
	}
	text := w.b
	switch l.From {
	case reassembly.RoleClient:
		switch {
		case hasPrefixFold(text, "PORT "):
			a.lintPosition(s, l, "PORT")
		case hasPrefixFold(text, "EPRT "):
			a.lintPosition(s, l, "EPRT")
			ep, err := ftp.ParseEPRT(string(text[5:]))
			if err == nil && ep.Addr().Unmap().Is4() != s.Client.Addr().Unmap().Is4() {
				a.addLint(s, LintFinding{Code: LintEPRTFamily, Time: l.Time, Packet: l.Packet, Endpoint: ep, IPv4: s.Client.Addr().Unmap().Is4()})
			}
		}
	case reassembly.RoleServer:
		switch {
		case bytes.HasPrefix(text, []byte("227-")):
			if !st.lint.multi227 {
				st.lint.multi227 = true
			}
		case bytes.HasPrefix(text, []byte("227 ")):
			if st.lint.multi227 {
				st.lint.multi227 = false
				// Only a last line that starts its segment is seen by nf_conntrack_ftp.
				atStart := l.Segments == 1 && l.AtSegmentStart
				a.addLint(s, LintFinding{Code: LintMultiline227, Time: l.Time, Packet: l.Packet, AtStart: atStart})
				return
			}
			a.lintPosition(s, l, "227")
			if l.Segments == 1 && l.AtSegmentStart && tryRFC1123(append(append([]byte(nil), text[4:]...), '\r')) == 0 {
				a.addLint(s, quotedLint(LintFinding{Code: LintHelperDrop, Time: l.Time, Packet: l.Packet, What: "227"}, w))
			}
		case bytes.HasPrefix(text, []byte("229 ")):
			a.lintPosition(s, l, "229")
			if r, err := ftp.ParseEPSVReply(string(text)); err == nil && !r.Parens {
				a.addLint(s, quotedLint(LintFinding{Code: LintEPSVNoParens, Time: l.Time, Packet: l.Packet, What: "229"}, w))
			}
		case bytes.HasPrefix(text, []byte("234")):
			a.addLint(s, LintFinding{Code: LintEncrypted, Time: l.Time, Packet: l.Packet})
		}
	}
}

// lintPosition flags an announcement line that a per-segment reader cannot
// see whole. Lines fed without segment information (Segments 0) are skipped.
func (a *Analyzer) lintPosition(s *Session, l reassembly.Line, what string) {
	switch {
	case l.Segments == 0:
	case l.Segments > 1:
		a.addLint(s, LintFinding{Code: LintSplit, Time: l.Time, Packet: l.Packet, What: what, Segments: l.Segments})
	case !l.AtSegmentStart:
		a.addLint(s, LintFinding{Code: LintNotAtStart, Time: l.Time, Packet: l.Packet, What: what})
	}
}

// lintChannel adds the findings a judged channel shows.
func (a *Analyzer) lintChannel(ch *Channel) {
	s := ch.session
	if ch.Superseded {
		a.addLint(s, LintFinding{Code: LintSuperseded, Time: ch.Time, Packet: ch.Packet, Method: ch.Method, Endpoint: ch.Announced})
	}
	switch ch.Method {
	case LPRT, LPSV:
		a.addLint(s, LintFinding{Code: LintUnknownCommand, Time: ch.Time, Packet: ch.Packet, Method: ch.Method})
	default:
		// A PORT the server refused opens nothing anyway.
		if ch.NAT && !ch.SetupRefused {
			a.addLint(s, LintFinding{Code: LintAddressMismatch, Time: ch.Time, Packet: ch.Packet, Method: ch.Method, Endpoint: ch.Announced, FromServer: ch.Mode() == Passive, Control: ch.Alternate.Addr()})
		}
	}
}

// lintSegment runs the helper's per-segment pattern search on a control
// segment and notes segments it would drop, and their retransmissions.
func (a *Analyzer) lintSegment(st *sessionState, p *capture.Packet, fromClient bool) {
	b := p.Payload
	if len(b) < p.PayloadLen {
		return // snapped: the helper saw bytes this capture does not have
	}
	// Most control segments start with nothing the helper looks for.
	switch b[0] {
	case '2', 'P', 'p', 'E', 'e':
	default:
		return
	}
	var res int
	var pattern string
	if fromClient {
		v4 := p.Src.Addr().Unmap().Is4()
		if res = helperFind(b, "PORT", ' ', '\r', func(d []byte, term byte) int { return tryNumber(d, 6, ',', term) }); res == 0 {
			res = helperFind(b, "EPRT", ' ', '\r', func(d []byte, _ byte) int { return tryEPRT(d, v4) })
			pattern = "EPRT"
		} else {
			pattern = "PORT"
		}
	} else {
		if res = helperFind(b, "227 ", 0, 0, func(d []byte, _ byte) int { return tryRFC1123(d) }); res == 0 {
			res = helperFind(b, "229 ", '(', ')', func(d []byte, _ byte) int { return tryEPSV(d) })
			pattern = "229 "
		} else {
			pattern = "227 "
		}
	}
	if res >= 0 {
		return
	}
	s := st.s
	if len(b) < 5 {
		return // a tiny segment (keep-alive, a lone byte) says nothing useful
	}
	a.addLint(s, quotedLint(LintFinding{Code: LintHelperDrop, Time: p.Time, Packet: p.Num, Segment: true, FromServer: !fromClient, What: pattern}, a.wireSegment(st, b, fromClient)))
	if st.lint.drops == nil {
		st.lint.drops = new(dropRing)
		a.charge(st.s, dropRingCost)
	}
	ls := st.lint.drops
	for i := range ls.seen {
		d := &ls.seen[i]
		if d.used && d.seq == p.Seq && d.fromClient == fromClient {
			d.copies++
			a.addLint(s, LintFinding{Code: LintRetransmitted, Time: p.Time, Packet: p.Num, FromServer: !fromClient, What: pattern})
			return
		}
	}
	ls.seen[ls.next] = dropSeen{seq: p.Seq, fromClient: fromClient, copies: 1, used: true}
	ls.next = (ls.next + 1) % uint8(len(ls.seen))
}

// The functions below re-implement, from its documented behaviour, the
// pattern search of Linux nf_conntrack_ftp, so the lint says exactly what the
// helper does with a segment: 1 match, 0 no match, -1 partial match (dropped).

func helperFind(data []byte, pattern string, skip, term byte, getnum func([]byte, byte) int) int {
	plen := len(pattern)
	if len(data) <= plen {
		if bytes.EqualFold(data, []byte(pattern[:len(data)])) {
			return -1
		}
		return 0
	}
	if !bytes.EqualFold(data[:plen], []byte(pattern)) {
		return 0
	}
	i := plen
	if skip != 0 {
		for ; data[i] != skip; i++ {
			if i == len(data)-1 {
				return -1
			}
		}
		i++
	}
	if getnum(data[i:], term) == 0 {
		return -1
	}
	return 1
}

// tryNumber reads n numbers separated by sep and ended by term (any
// character when term is 0); it returns the length read, 0 on failure.
func tryNumber(data []byte, n int, sep, term byte) int {
	i := 0
	for l := 0; l < len(data) && i < n; l++ {
		c := data[l]
		switch {
		case c >= '0' && c <= '9':
		case c == sep:
			i++
		default:
			if (c == term || term == 0) && i == n-1 {
				return l
			}
			return 0
		}
	}
	return 0
}

func tryRFC1123(data []byte) int {
	i := bytes.IndexFunc(data, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return 0
	}
	return tryNumber(data[i:], 6, ',', 0)
}

func helperPort(data []byte, start int, delim byte) int {
	port := 0
	for i := start; i < len(data); i++ {
		c := data[i]
		switch {
		case c == delim:
			if port == 0 {
				return 0
			}
			return i + 1
		case c >= '0' && c <= '9':
			port = (port*10 + int(c-'0')) & 0xffff
		default:
			return 0
		}
	}
	return 0
}

func tryEPSV(data []byte) int {
	if len(data) <= 3 {
		return 0
	}
	d := data[0]
	if (d >= '0' && d <= '9') || d < 33 || d > 126 || data[1] != d || data[2] != d {
		return 0
	}
	return helperPort(data, 3, d)
}

func tryEPRT(data []byte, v4 bool) int {
	if len(data) <= 3 {
		return 0
	}
	d := data[0]
	if (d >= '0' && d <= '9') || d < 33 || d > 126 || data[2] != d {
		return 0
	}
	if (v4 && data[1] != '1') || (!v4 && data[1] != '2') {
		return 0
	}
	end := bytes.IndexByte(data[3:], d)
	if end <= 0 {
		return 0
	}
	if v4 {
		if tryNumber(data[3:3+end+1], 4, '.', d) == 0 {
			return 0
		}
	} else if _, err := netip.ParseAddr(string(data[3 : 3+end])); err != nil {
		return 0
	}
	return helperPort(data, 3+end+1, d)
}
