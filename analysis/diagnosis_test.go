package analysis

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/reassembly"
)

// ctl feeds a control packet of the harness's connection to Trace, as the
// command does after the assembler took it.
func (h *harness) ctl(sec float64, fromClient bool, ttl uint8, ipid uint16, payload string) {
	src, dst := h.key.Client, h.key.Server
	if !fromClient {
		src, dst = dst, src
	}
	p := &capture.Packet{Kind: capture.KindTCP, Num: uint64(sec * 1000), Time: h.at(sec), Src: src, Dst: dst,
		Flags: capture.ACK | capture.PSH, TTL: ttl, IPID: ipid, Payload: []byte(payload), PayloadLen: len(payload), Seq: 1000}
	h.a.Trace(p, true)
}

// seg is ctl with an explicit sequence number (retransmissions).
func (h *harness) seg(sec float64, fromClient bool, seq uint32, payload string) {
	src, dst := h.key.Client, h.key.Server
	if !fromClient {
		src, dst = dst, src
	}
	p := &capture.Packet{Kind: capture.KindTCP, Num: uint64(sec * 1000), Time: h.at(sec), Src: src, Dst: dst,
		Flags: capture.ACK | capture.PSH, TTL: 64, IPID: 7, Payload: []byte(payload), PayloadLen: len(payload), Seq: seq}
	h.a.Trace(p, true)
}

// traced is tcp plus Trace, with the IP header traits a reset carries.
func (h *harness) traced(sec float64, src, dst string, f capture.TCPFlags, ttl uint8, ipid uint16) {
	p := &capture.Packet{Kind: capture.KindTCP, Time: h.at(sec), Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst), Flags: f, TTL: ttl, IPID: ipid}
	h.a.Packet(p)
	h.a.Trace(p, false)
	h.a.Advance(p.Time)
}

// line feeds a control line with its segment facts.
func (h *harness) line(sec float64, fromClient bool, text string, segments int, atStart bool) {
	from := reassembly.RoleServer
	if fromClient {
		from = reassembly.RoleClient
	}
	h.feed(reassembly.Line{Conn: h.key, From: from, Time: h.at(sec), Packet: uint64(sec * 1000), Text: []byte(text), Segments: segments, AtSegmentStart: atStart})
}

// hops sets up the control traces: client TTL and server TTL as seen here.
func hops(h *harness, client, server uint8) {
	h.ctl(0.01, true, client, 100, "")
	h.ctl(0.02, false, server, 200, "")
}

func TestVantage(t *testing.T) {
	tests := []struct {
		name    string
		script  func(h *harness)
		verdict Verdict
		vantage Vantage
		reason  []string
		not     []string
	}{
		{
			name: "forged reset: TTL differs from the host's, IP ID 0",
			script: func(h *harness) {
				hops(h, 61, 64) // capture at the server; client 3 routers away
				h.cmd(1, "PORT 10,0,0,1,156,65")
				h.rep(1, "200 PORT command successful.")
				h.cmd(1.1, "LIST")
				h.traced(1.2, "10.0.0.2:20", "10.0.0.1:40001", capture.SYN, 64, 11)
				h.traced(1.2005, "10.0.0.1:40001", "10.0.0.2:20", capture.RST|capture.ACK, 63, 0)
				h.rep(1.3, "425 Failed to establish connection.")
			},
			verdict: Refused, vantage: VantageBefore,
			reason: []string{"the reset carries TTL 63 but 10.0.0.1's control packets arrive with TTL 61", "forged by a firewall between here and 10.0.0.1", "about 1 router from here", "IP ID 0"},
		},
		{
			name: "reset from the host itself",
			script: func(h *harness) {
				hops(h, 61, 64)
				h.cmd(1, "PORT 10,0,0,1,156,65")
				h.rep(1, "200 PORT command successful.")
				h.cmd(1.1, "LIST")
				h.traced(1.2, "10.0.0.2:20", "10.0.0.1:40001", capture.SYN, 64, 11)
				h.traced(1.21, "10.0.0.1:40001", "10.0.0.2:20", capture.RST|capture.ACK, 61, 0)
				h.rep(1.3, "425 Failed to establish connection.")
			},
			verdict: Refused, vantage: VantageBefore,
			reason: []string{"the reset carries TTL 61 like 10.0.0.1's control packets, so 10.0.0.1 itself sent it", "port 40001"},
			not:    []string{"forged"},
		},
		{
			name: "dropped on the acceptor's own link",
			script: func(h *harness) {
				hops(h, 64, 60) // capture on the client's link
				h.cmd(1, "PORT 10,0,0,1,156,65")
				h.rep(1, "200 PORT command successful.")
				h.cmd(1.1, "LIST")
				h.tcp(1.2, "10.0.0.2:20", "10.0.0.1:40001", capture.SYN, 0)
				h.tcp(2.2, "10.0.0.2:20", "10.0.0.1:40001", capture.SYN, 0)
				h.rep(40, "425 Failed to establish connection.")
			},
			verdict: Dropped, vantage: VantageBefore,
			reason: []string{"no router lies between here and 10.0.0.1", "10.0.0.1's own firewall"},
		},
		{
			name: "dropped further on",
			script: func(h *harness) {
				hops(h, 62, 60) // routers on both sides
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,10).")
				h.tcp(1.2, "10.0.0.1:50000", "10.0.0.2:51210", capture.SYN, 0)
				h.cmd(1.3, "LIST")
				h.rep(40, "425 Failed to establish connection.")
			},
			verdict: Dropped, vantage: VantageBefore,
			reason: []string{"the SYNs leave this capture point and get no answer: something between here and 10.0.0.2 drops them"},
		},
		{
			name: "no SYN, 425, capture on the acceptor's link: after the block",
			script: func(h *harness) {
				hops(h, 64, 63)
				h.cmd(1, "PORT 10,0,0,1,156,65")
				h.rep(1, "200 PORT command successful.")
				h.cmd(1.1, "LIST")
				h.rep(6, "425 Failed to establish connection.")
			},
			verdict: NotSeen, vantage: VantageAfter,
			reason: []string{"this capture point sits after the block, on the client 10.0.0.1's side of it, on its link", "TTL 64"},
		},
		{
			name: "no SYN, 425, capture on the initiator's link: it never tried",
			script: func(h *harness) {
				hops(h, 63, 64) // at the server, which initiates active connections
				h.cmd(1, "PORT 10,0,0,1,156,65")
				h.rep(1, "200 PORT command successful.")
				h.cmd(1.1, "LIST")
				h.rep(6, "425 Failed to establish connection.")
			},
			verdict: NotSeen, vantage: VantageUnknown,
			reason: []string{"this capture point is on the server 10.0.0.2's own link", "never sent a SYN"},
		},
		{
			name: "ICMP from a router",
			script: func(h *harness) {
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,10).")
				h.tcp(1.2, "10.0.0.1:50000", "10.0.0.2:51210", capture.SYN, 0)
				h.icmp(1.21, "10.0.0.254", "10.0.0.1:50000", "10.0.0.2:51210", false, 3, 13)
				h.cmd(1.3, "LIST")
			},
			verdict: ICMP, vantage: VantageBefore,
			reason: []string{"administratively prohibited", "the block sits at 10.0.0.254, between here and 10.0.0.2"},
		},
		{
			name: "ICMP from the destination",
			script: func(h *harness) {
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,10).")
				h.tcp(1.2, "10.0.0.1:50000", "10.0.0.2:51210", capture.SYN, 0)
				h.icmp(1.21, "10.0.0.2", "10.0.0.1:50000", "10.0.0.2:51210", false, 3, 3)
				h.cmd(1.3, "LIST")
			},
			verdict: ICMP, vantage: VantageBefore,
			reason: []string{"port unreachable", "the error comes from 10.0.0.2 itself"},
		},
		{
			name: "ok needs no vantage",
			script: func(h *harness) {
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,10).")
				h.connect(1.01, "10.0.0.1:50000", "10.0.0.2:51210", 100)
				h.cmd(1.02, "LIST")
				h.rep(1.05, "150 Here it comes.\n226 Done.")
			},
			verdict: OK, vantage: VantageNone,
		},
		{
			name: "unused PASV: a block upstream looks the same",
			script: func(h *harness) {
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,10).")
				h.cmd(2, "QUIT")
				h.rep(2, "221 Goodbye.")
				h.close(2.1)
			},
			verdict: Unused, vantage: VantageUnknown,
			reason: []string{"lftp and curl send the transfer command only once the data connection is up"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, cli, srv, Config{})
			tc.script(h)
			s := h.finish(100)
			if len(s.Channels) != 1 {
				t.Fatalf("%d channels", len(s.Channels))
			}
			c := s.Channels[0]
			if c.Verdict != tc.verdict || c.Vantage != tc.vantage {
				t.Errorf("verdict %s vantage %s, want %s %s\n  reason: %s", c.Verdict, c.Vantage, tc.verdict, tc.vantage, reasonText(c))
			}
			for _, sub := range tc.reason {
				if !strings.Contains(reasonText(c), sub) {
					t.Errorf("reason lacks %q:\n  %s", sub, reasonText(c))
				}
			}
			for _, sub := range tc.not {
				if strings.Contains(reasonText(c), sub) {
					t.Errorf("reason has %q:\n  %s", sub, reasonText(c))
				}
			}
		})
	}
}

func TestCapturePosition(t *testing.T) {
	tests := []struct {
		client, server uint8
		want           Position
	}{
		{64, 63, PositionClientLink},
		{126, 64, PositionServerLink},
		{62, 250, PositionBetween},
		{64, 128, PositionSameLink},
		{0, 0, PositionUnknown},
	}
	for _, tc := range tests {
		h := newHarness(t, cli, srv, Config{})
		if tc.client != 0 {
			hops(h, tc.client, tc.server)
		}
		s := h.finish(1)
		if got := s.CapturePosition(); got != tc.want {
			t.Errorf("TTL %d/%d: position %s, want %s", tc.client, tc.server, got, tc.want)
		}
	}
}

func TestNATDiagnosis(t *testing.T) {
	tests := []struct {
		name      string
		client    string
		server    string
		script    func(h *harness)
		kind      NATKind
		supported string
		reason    []string
	}{
		{
			name: "server behind NAT, client ignores the 227 address", client: "192.0.2.10:40000", server: "203.0.113.20:21",
			script: func(h *harness) {
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,1,1,20,200,14).")
				h.connect(1.01, "192.0.2.10:50000", "203.0.113.20:51214", 100)
				h.cmd(1.02, "LIST")
				h.rep(1.05, "150 Here.\n226 Done.")
			},
			kind: NATServerInside, supported: "peer-ignored-announced",
			reason: []string{"the 227 names 10.1.1.20, a private address, while the control connection goes to 203.0.113.20", "the client ignored the 227 address", "pasv_address=203.0.113.20", "MasqueradeAddress 203.0.113.20", "pure-ftpd -P 203.0.113.20", "EPSV"},
		},
		{
			name: "server behind NAT, client follows the 227 address", client: "192.0.2.10:40000", server: "203.0.113.20:21",
			script: func(h *harness) {
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,1,1,20,200,14).")
				h.tcp(1.01, "192.0.2.10:50000", "10.1.1.20:51214", capture.SYN, 0)
				h.cmd(1.02, "LIST")
				h.rep(40, "425 Failed to establish connection.")
			},
			kind: NATServerInside, supported: "announced-unreachable",
			reason: []string{"the client followed it to 10.1.1.20:51214, which is not reachable", "outside that NAT"},
		},
		{
			name: "client behind NAT without helper", client: "10.0.2.1:40000", server: "10.0.2.2:21",
			script: func(h *harness) {
				h.cmd(1, "PORT 10,0,1,2,156,65")
				h.rep(1, "200 PORT command successful.")
				h.cmd(1.1, "LIST")
				h.tcp(1.2, "10.0.2.2:20", "10.0.1.2:40001", capture.SYN, 0)
				h.rep(40, "425 Failed to establish connection.")
			},
			kind: NATClientInside, supported: "announced-unreachable",
			reason: []string{"PORT names 10.0.1.2, but the client's control connection comes from 10.0.2.1", "no FTP helper (nf_nat_ftp)", "a capture inside it would show the same PORT matching the client", "ct helper set", "passive mode"},
		},
		{
			name: "third party in PORT", client: "192.0.2.10:40000", server: "203.0.113.20:21",
			script: func(h *harness) {
				h.cmd(1, "PORT 198,51,100,7,0,25")
				h.rep(1, "200 PORT command successful.")
			},
			kind: NATThirdParty, supported: "undecided",
			reason: []string{"198.51.100.7, a public address other than the client's control address 192.0.2.10", "FTP bounce", "port_promiscuous=NO"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.client, tc.server, Config{})
			tc.script(h)
			s := h.finish(100)
			c := s.Channels[0]
			d := c.NATDiag
			if d == nil {
				t.Fatalf("no NAT diagnosis; reason %s", reasonText(c))
			}
			if d.Kind != tc.kind || d.Supported != tc.supported {
				t.Errorf("kind %s supported %s, want %s %s", d.Kind, d.Supported, tc.kind, tc.supported)
			}
			if d.Announced != c.Announced.Addr() || d.Control != c.Alternate.Addr() {
				t.Errorf("addresses %s %s", d.Announced, d.Control)
			}
			for _, sub := range tc.reason {
				if !strings.Contains(reasonText(c), sub) {
					t.Errorf("reason lacks %q:\n  %s", sub, reasonText(c))
				}
			}
		})
	}
	// EPSV never names an address: never NAT.
	h := newHarness(t, "192.0.2.10:40000", "203.0.113.20:21", Config{})
	h.cmd(1, "EPSV")
	h.rep(1, "229 Entering Extended Passive Mode (|||6446|)")
	if c := h.finish(100).Channels[0]; c.NAT || c.NATDiag != nil {
		t.Errorf("EPSV flagged as NAT: %s", reasonText(c))
	}
}

func lintCodes(s *Session) map[LintCode]int {
	m := map[LintCode]int{}
	for _, f := range s.Lint {
		m[f.Code] = f.Count
		if lintText(f) == "" || f.Time.IsZero() {
			m[0]++
		}
	}
	return m
}

func TestLintLines(t *testing.T) {
	h := newHarness(t, "10.0.0.1:40000", "10.0.0.2:2121", Config{})
	h.line(0, false, "220 ready", 1, true)
	h.line(1, true, "PASV", 1, true)
	h.line(1.01, false, "227 Entering Passive Mode (10,0,0,2,200,1).", 2, true) // split
	h.line(2, true, "PASV", 1, true)
	h.line(2.01, false, "227-Entering Passive Mode", 1, true)
	h.line(2.01, false, "227 (10,0,0,2,200,2)", 1, false) // multi-line, last line mid-segment
	h.line(3, true, "EPSV", 1, true)
	h.line(3.01, false, "229 Entering Extended Passive Mode |||6446|", 1, true)
	h.line(4, true, "PORT 10,0,0,1,156,65", 1, false) // after another command in its segment
	h.line(4.01, false, "200 ok", 1, true)
	h.line(5, true, "EPRT |2|2001:db8::1|40000|", 1, true)
	h.line(5.01, false, "200 ok", 1, true)
	h.line(6, true, "PASV", 1, true)
	h.line(6.01, false, "227 Entering Passive Mode 1 (10,0,0,2,200,3).", 1, true) // a number before the address
	h.line(7, true, "AUTH TLS", 1, true)
	h.line(7.01, false, "234 Proceed.", 1, true)
	s := h.finish(100)
	got := lintCodes(s)
	for _, code := range []LintCode{LintControlPort, LintSplit, LintMultiline227, LintEPSVNoParens, LintNotAtStart, LintEPRTFamily, LintEncrypted, LintSuperseded, LintHelperDrop} {
		if got[code] == 0 {
			t.Errorf("no %s finding", code)
		}
	}
	if got[0] > 0 {
		t.Errorf("findings without text or time")
	}
	f, _ := s.LintOf(LintEPSVNoParens)
	if !strings.Contains(lintText(f), "drops the segment") || f.Packet != 3010 {
		t.Errorf("229 finding: %+v", f)
	}
	f, _ = s.LintOf(LintMultiline227)
	if !strings.Contains(lintText(f), "does not start a TCP segment") {
		t.Errorf("multi-line finding: %s", lintText(f))
	}
	// Lines fed without segment facts (Segments 0) are not judged by position.
	h = newHarness(t, cli, srv, Config{})
	login(h)
	h.cmd(1, "PASV")
	h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,10).")
	if s := h.finish(100); len(s.Lint) != 0 {
		t.Errorf("findings on a clean session: %+v", s.Lint)
	}
}

func TestLintSegments(t *testing.T) {
	h := newHarness(t, cli, srv, Config{})
	h.seg(1, false, 5000, "227 Entering Pass")           // split 227: partial match
	h.seg(1.2, false, 5000, "227 Entering Pass")         // retransmitted
	h.seg(1.6, false, 5000, "227 Entering Pass")         // and again
	h.seg(2, false, 6000, "229 Extended (|||6446|)\r\n") // fine
	h.seg(3, true, 700, "PORT 10,0,0,1,156,65\n")        // bare LF: the helper wants \r
	s := h.finish(100)
	got := lintCodes(s)
	if got[LintHelperDrop] != 4 || got[LintRetransmitted] != 2 {
		t.Errorf("helper drops %d, retransmissions %d; want 4 and 2: %+v", got[LintHelperDrop], got[LintRetransmitted], s.Lint)
	}
	f, _ := s.LintOf(LintRetransmitted)
	if !strings.Contains(lintText(f), "pure-ftpd issue 175") {
		t.Errorf("retransmission text: %s", lintText(f))
	}
}

func TestHelperEmulation(t *testing.T) {
	tests := []struct {
		data    string
		fromCli bool
		v4      bool
		want    int
	}{
		{"227 Entering Passive Mode (10,0,0,2,200,1).\r\n", false, true, 1},
		{"227 =10,0,0,2,200,1\r\n", false, true, 1},
		{"227 Entering Passive Mode\r\n", false, true, -1},
		{"227 Entering Pass", false, true, -1},
		{"22", false, true, -1},
		{"226 Done\r\n", false, true, 0},
		{"229 Entering Extended Passive Mode (|||6446|)\r\n", false, true, 1},
		{"229 Entering Extended Passive Mode |||6446|\r\n", false, true, -1},
		{"229 Entering (!!!6446!)\r\n", false, true, 1},
		{"PORT 10,0,0,1,156,65\r\n", true, true, 1},
		{"PORT 10,0,0,1,156,65\n", true, true, -1},
		{"EPRT |1|10.0.0.1|40000|\r\n", true, true, 1},
		{"EPRT |2|2001:db8::1|40000|\r\n", true, true, -1},
		{"EPRT |2|2001:db8::1|40000|\r\n", true, false, 1},
		{"LIST\r\n", true, true, 0},
	}
	for _, tc := range tests {
		b := []byte(tc.data)
		var got int
		if tc.fromCli {
			if got = helperFind(b, "PORT", ' ', '\r', func(d []byte, term byte) int { return tryNumber(d, 6, ',', term) }); got == 0 {
				got = helperFind(b, "EPRT", ' ', '\r', func(d []byte, _ byte) int { return tryEPRT(d, tc.v4) })
			}
		} else if got = helperFind(b, "227 ", 0, 0, func(d []byte, _ byte) int { return tryRFC1123(d) }); got == 0 {
			got = helperFind(b, "229 ", '(', ')', func(d []byte, _ byte) int { return tryEPSV(d) })
		}
		if got != tc.want {
			t.Errorf("%q: %d, want %d", tc.data, got, tc.want)
		}
	}
}

func TestTimings(t *testing.T) {
	h := newHarness(t, cli, srv, Config{})
	login(h)
	h.cmd(1, "PASV")
	h.rep(1.01, "227 Entering Passive Mode (10,0,0,2,200,10).")
	h.tcp(1.05, "10.0.0.1:50000", "10.0.0.2:51210", capture.SYN, 0)
	h.tcp(2.05, "10.0.0.1:50000", "10.0.0.2:51210", capture.SYN, 0) // retransmitted, then answered
	h.tcp(2.07, "10.0.0.2:51210", "10.0.0.1:50000", capture.SYN|capture.ACK, 0)
	h.cmd(2.1, "RETR f")
	h.rep(2.15, "150 Opening BINARY mode data connection.")
	h.tcp(2.2, "10.0.0.2:51210", "10.0.0.1:50000", capture.ACK|capture.PSH, 500)
	h.rep(2.3, "226 Transfer complete.")
	h.cmd(3, "PORT 10,0,0,1,156,65")
	h.rep(3.004, "200 PORT command successful.")
	s := h.finish(100)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	near := func(name string, got time.Duration, want float64) {
		if g := ms(got); g < want-0.01 || g > want+0.01 {
			t.Errorf("%s = %.3f ms, want %.3f", name, g, want)
		}
	}
	tm := s.Channels[0].Timings()
	near("setup reply", tm.SetupReply, 10)
	near("announce to SYN", tm.AnnounceToSYN, 40)
	near("SYN to SYN-ACK", tm.SYNToSYNACK, 20)
	near("command to reply", tm.CommandToReply, 50)
	near("150 to data", tm.PrelimToData, 50)
	tp := s.Channels[1].Timings()
	near("PORT to 200", tp.SetupReply, 4)
	if tp.AnnounceToSYN != NoTiming || tp.CommandToReply != NoTiming {
		t.Errorf("unmeasurable timings set: %+v", tp)
	}
	// USER, PASS, PASV, RETR, PORT answered (the greeting answers nothing).
	if s.Latency.Count != 5 || ms(s.Latency.Max) < 49.9 || ms(s.Latency.Min) > 0.1 {
		t.Errorf("latency %+v", s.Latency)
	}
}
