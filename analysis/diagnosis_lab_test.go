package analysis_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/reassembly"
	"github.com/ftpscope/ftpscope/report"
)

// runCapture runs capture -> reassembly -> analysis over files, as the command
// does (Trace included), and returns the sessions in emission order.
func runCapture(t *testing.T, files ...string) []*analysis.Session {
	t.Helper()
	src, err := capture.OpenFiles(files, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out report.Memory
	cfg := pipeline.Config{Reassembly: reassembly.Config{ControlPorts: []uint16{21}}}
	if _, err := pipeline.Run(context.Background(), src, cfg, &out); err != nil {
		t.Fatal(err)
	}
	return out.Sessions
}

func labCapture(scenario, vantage string) string {
	return filepath.Join("..", "pcaps", scenario, vantage+".pcap")
}

// channelWant is what the lab says about every blocked (or every) channel
// of one capture.
type channelWant struct {
	verdict analysis.Verdict
	vantage analysis.Vantage
	reason  []string // each must appear in the reason (see checkReason)
}

// TestLabVantage checks, on real captures of both sides of the lab's
// router, that every channel the router blocked is placed correctly: before
// the block on the connecting side, after it on the other; and that the
// control packets' TTLs place each capture on its host's link.
func TestLabVantage(t *testing.T) {
	tests := []struct {
		scenario, side string
		want           channelWant
	}{
		{"04-active-drop", "server", channelWant{analysis.Dropped, analysis.VantageBefore, []string{"the SYNs leave this capture point and get no answer: something between here and {10.0.1.2|2001:db8:1::2} drops them"}}},
		{"04-active-drop", "client", channelWant{analysis.NotSeen, analysis.VantageAfter, []string{"this capture point sits after the block, on the client {10.0.1.2|2001:db8:1::2}'s side of it, on its link"}}},
		{"05-active-reset", "server", channelWant{analysis.Refused, analysis.VantageBefore, []string{"the reset carries TTL 64 but", "control packets arrive with TTL 63: it was forged by a firewall between here and {10.0.1.2|2001:db8:1::2}"}}},
		{"05-active-reset", "client", channelWant{analysis.NotSeen, analysis.VantageAfter, []string{"after the block"}}},
		{"06-active-icmp", "server", channelWant{analysis.ICMP, analysis.VantageBefore, []string{"administratively prohibited", "the block sits at {10.0.2.1|2001:db8:2::1}, between here and {10.0.1.2|2001:db8:1::2}"}}},
		{"06-active-icmp", "client", channelWant{analysis.NotSeen, analysis.VantageAfter, []string{"after the block"}}},
		{"07-passive-drop", "client", channelWant{analysis.Dropped, analysis.VantageBefore, []string{"something between here and {10.0.2.2|2001:db8:2::2} drops them"}}},
		{"07-passive-drop", "server", channelWant{analysis.Unused, analysis.VantageUnknown, []string{"a connection blocked before this capture point looks just like this"}}},
		{"08-passive-reset", "client", channelWant{analysis.Refused, analysis.VantageBefore, []string{"forged by a firewall between here and {10.0.2.2|2001:db8:2::2}", "not sent by the host"}}},
		{"08-passive-reset", "server", channelWant{analysis.Unused, analysis.VantageUnknown, nil}},
		{"09-passive-icmp", "client", channelWant{analysis.ICMP, analysis.VantageBefore, []string{"the block sits at {10.0.1.1|2001:db8:1::1}"}}},
		{"09-passive-icmp", "server", channelWant{analysis.Unused, analysis.VantageUnknown, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.scenario+"/"+tc.side, func(t *testing.T) {
			sessions := runCapture(t, labCapture(tc.scenario, tc.side))
			if len(sessions) == 0 {
				t.Fatal("no session")
			}
			n := 0
			for _, s := range sessions {
				wantPos := analysis.PositionClientLink
				if tc.side == "server" {
					wantPos = analysis.PositionServerLink
				}
				if got := s.CapturePosition(); got != wantPos {
					t.Errorf("%s: capture position %s, want %s", s.Client, got, wantPos)
				}
				for _, c := range s.Channels {
					n++
					if c.Verdict != tc.want.verdict || c.Vantage != tc.want.vantage {
						t.Errorf("%s %s: %s/%s, want %s/%s\n  %s", c.Method, c.Announced, c.Verdict, c.Vantage, tc.want.verdict, tc.want.vantage, report.Reason(c))
						continue
					}
					checkReason(t, report.Reason(c), tc.want.reason)
				}
			}
			if n == 0 {
				t.Error("no channel")
			}
		})
	}
}

// checkReason checks that every wanted fragment appears, where "{a|b}" in a
// fragment means either (an address of either family).
func checkReason(t *testing.T, reason string, want []string) {
	t.Helper()
	for _, w := range want {
		ok := false
		for _, alt := range expand(w) {
			if strings.Contains(reason, alt) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("reason lacks %q:\n  %s", w, reason)
		}
	}
}

// expand turns "x {10.0.1.2|2001:db8:1::2}'s y" into both readings.
func expand(w string) []string {
	i := strings.IndexByte(w, '{')
	j := strings.IndexByte(w, '}')
	if i < 0 || j < i {
		return []string{w}
	}
	var out []string
	for _, alt := range strings.Split(w[i+1:j], "|") {
		for _, rest := range expand(w[j+1:]) {
			out = append(out, w[:i]+alt+rest)
		}
	}
	return out
}

// TestLabNAT checks the NAT hypotheses on the lab's DNAT and SNAT captures
// from both sides: outside the NAT the announced and control addresses are
// both named and the supported hypothesis matches what the clients did;
// inside (or with the FTP helper rewriting PORT) nothing is flagged.
func TestLabNAT(t *testing.T) {
	// 10: server 10.0.2.2 DNATed as 203.0.113.10 announces 10.0.2.2. curl
	// and lftp (default) ignore or fix the address; lftp with
	// ftp:fix-pasv-address off follows it and is dropped.
	kinds := map[string]int{}
	for _, s := range runCapture(t, labCapture("10-dnat-pasv-private", "client")) {
		for _, c := range s.Channels {
			d := c.NATDiag
			if d == nil || d.Kind != analysis.NATServerInside || d.Announced.String() != "10.0.2.2" || d.Control.String() != "203.0.113.10" {
				t.Fatalf("10 client: diagnosis %+v\n  %s", d, report.Reason(c))
			}
			kinds[d.Supported]++
			switch d.Supported {
			case "peer-ignored-announced":
				if c.Verdict != analysis.OK {
					t.Errorf("ignored the 227 address but %s", c.Verdict)
				}
			case "announced-unreachable":
				if c.Verdict != analysis.Dropped {
					t.Errorf("followed the 227 address but %s", c.Verdict)
				}
			}
			checkReason(t, report.Reason(c), []string{"the 227 names 10.0.2.2, a private address, while the control connection goes to 203.0.113.10", "pasv_address=203.0.113.10", "MasqueradeAddress 203.0.113.10"})
		}
		if _, ok := s.LintOf(analysis.LintAddressMismatch); !ok {
			t.Errorf("10 client %s: no address-not-announcer lint", s.Client)
		}
	}
	if kinds["peer-ignored-announced"] != 3 || kinds["announced-unreachable"] != 3 {
		t.Errorf("10 client: hypotheses %v, want 3 ignored and 3 unreachable", kinds)
	}
	for _, s := range runCapture(t, labCapture("10-dnat-pasv-private", "server")) {
		for _, c := range s.Channels {
			if c.NATDiag != nil {
				t.Errorf("10 server (inside the NAT): flagged %s", report.Reason(c))
			}
		}
	}
	// 11: client 10.0.1.2 SNATed to 10.0.2.1 without the helper.
	n := 0
	for _, s := range runCapture(t, labCapture("11-snat-no-helper", "server")) {
		for _, c := range s.Channels {
			if c.Mode() != analysis.Active {
				continue
			}
			n++
			d := c.NATDiag
			if d == nil || d.Kind != analysis.NATClientInside || d.Announced.String() != "10.0.1.2" || d.Control.String() != "10.0.2.1" {
				t.Fatalf("11 server: diagnosis %+v\n  %s", d, report.Reason(c))
			}
			if c.Verdict == analysis.Dropped && d.Supported != "announced-unreachable" {
				t.Errorf("11 server: dropped but %s", d.Supported)
			}
			checkReason(t, report.Reason(c), []string{"names 10.0.1.2, but the client's control connection comes from 10.0.2.1", "this capture point is outside that NAT"})
		}
	}
	if n < 5 {
		t.Errorf("11 server: %d active channels", n)
	}
	for _, side := range []string{"client", "server"} {
		for _, sc := range []string{"11-snat-no-helper", "12-snat-ftp-helper"} {
			if sc == "11-snat-no-helper" && side == "server" {
				continue
			}
			for _, s := range runCapture(t, labCapture(sc, side)) {
				for _, c := range s.Channels {
					if c.NATDiag != nil {
						t.Errorf("%s %s: flagged %s", sc, side, report.Reason(c))
					}
				}
			}
		}
	}
}

// TestLabLint checks the helper lint on real captures: clean sessions give
// no finding; the port-2121 and AUTH TLS scenarios give theirs.
func TestLabLint(t *testing.T) {
	for _, side := range []string{"client", "server"} {
		for _, sc := range []string{"01-basic-v4", "02-extended-v4-v6", "03-proftpd", "12-snat-ftp-helper", "15-long-session-abort-kill"} {
			for _, s := range runCapture(t, labCapture(sc, side)) {
				if len(s.Lint) != 0 {
					t.Errorf("%s %s %s: findings on clean traffic: %+v", sc, side, s.Client, s.Lint)
				}
			}
		}
		for _, s := range runCapture(t, labCapture("13-control-port-2121", side)) {
			if f, ok := s.LintOf(analysis.LintControlPort); !ok || !strings.Contains(report.LintText(f), "ports=2121") {
				t.Errorf("13 %s %s: control-port finding %+v", side, s.Client, f)
			}
		}
		tls := 0
		for _, s := range runCapture(t, labCapture("14-ftps-helper-firewall", side)) {
			_, ok := s.LintOf(analysis.LintEncrypted)
			if ok != s.TLS {
				t.Errorf("14 %s %s: tls %v, encrypted-control finding %v", side, s.Client, s.TLS, ok)
			}
			if s.TLS {
				tls++
			}
		}
		if tls != 3 {
			t.Errorf("14 %s: %d TLS sessions, want 3", side, tls)
		}
	}
}

// TestLabFirewallAndTimings checks the per-server profile on real captures
// and that the timings of real transfers are measured and plausible.
func TestLabFirewallAndTimings(t *testing.T) {
	book := analysis.NewFirewallBook(0)
	for _, s := range runCapture(t, labCapture("03-proftpd", "server")) {
		book.Add(s)
	}
	ps := book.Profiles()
	if len(ps) != 2 || ps[0].Server.String() != "10.0.2.2" {
		t.Fatalf("profiles %v", ps)
	}
	if got := ps[0].ActiveSource(); got != "ephemeral" {
		t.Errorf("proftpd active source %q, want ephemeral", got)
	}
	book = analysis.NewFirewallBook(0)
	for _, s := range runCapture(t, labCapture("01-basic-v4", "client")) {
		book.Add(s)
		for _, c := range s.Channels {
			tm := c.Timings()
			for name, d := range map[string]time.Duration{"setup": tm.SetupReply, "announce->SYN": tm.AnnounceToSYN, "SYN->SYN-ACK": tm.SYNToSYNACK} {
				if d < 0 || d > 5*time.Second {
					t.Errorf("%s %s: %s = %v", c.Method, c.Announced, name, d)
				}
			}
			if c.Command != "" && (tm.CommandToReply < 0 || tm.CommandToReply > 5*time.Second) {
				t.Errorf("%s %s: command->reply = %v", c.Method, c.Announced, tm.CommandToReply)
			}
		}
		if s.Latency.Count == 0 || s.Latency.Max > 5*time.Second {
			t.Errorf("%s: latency %+v", s.Client, s.Latency)
		}
	}
	p := book.Profiles()[0]
	if p.ActiveSource() != "20" || p.PassiveChannels != 5 || p.ActiveChannels != 3 || p.Sessions != 4 {
		t.Errorf("vsftpd profile: source %q, %d passive, %d active, %d sessions", p.ActiveSource(), p.PassiveChannels, p.ActiveChannels, p.Sessions)
	}
	book = analysis.NewFirewallBook(0)
	for _, s := range runCapture(t, labCapture("16-passive-range-firewall", "client")) {
		book.Add(s)
	}
	for _, p := range book.Profiles() {
		if !p.Server.Is4() {
			continue
		}
		if p.BlockedRange() != "40003-40008" || p.PassiveRange() != "30001-40008" {
			t.Errorf("16: passive %s, blocked %s", p.PassiveRange(), p.BlockedRange())
		}
	}
}

func handmade(name string) string { return filepath.Join("..", "pcaps", "handmade", name) }

// TestHandmadeDiagnosis checks the findings on hand-made captures of what the
// lab's real software does not produce: split, retransmitted and malformed
// announcements, a reset from the host next to a forged one, LPRT/LPSV.
func TestHandmadeDiagnosis(t *testing.T) {
	lint := map[string][]analysis.LintCode{
		"helper-lint.pcap": {analysis.LintHelperDrop, analysis.LintSplit, analysis.LintRetransmitted,
			analysis.LintEPSVNoParens, analysis.LintNotAtStart, analysis.LintEPRTFamily},
		"multiline-split-227.pcap":   {analysis.LintMultiline227, analysis.LintSplit, analysis.LintHelperDrop},
		"auth-tls.pcap":              {analysis.LintEncrypted},
		"detected-port-2121.pcap":    {analysis.LintControlPort},
		"lprt-lpsv.pcap":             {analysis.LintUnknownCommand},
		"nat-227.pcap":               {analysis.LintAddressMismatch},
		"not-seen-unused.pcap":       {analysis.LintSuperseded},
		"odd-227-forms.pcap":         nil,
		"refused-port-epsv-all.pcap": nil,
	}
	for file, want := range lint {
		sessions := runCapture(t, handmade(file))
		if len(sessions) != 1 {
			t.Fatalf("%s: %d sessions", file, len(sessions))
		}
		s := sessions[0]
		got := map[analysis.LintCode]bool{}
		for _, f := range s.Lint {
			got[f.Code] = true
		}
		for _, code := range want {
			if !got[code] {
				t.Errorf("%s: no %s finding: %+v", file, code, s.Lint)
			}
			delete(got, code)
		}
		for code := range got {
			t.Errorf("%s: unexpected %s finding", file, code)
		}
	}
	s := runCapture(t, handmade("helper-lint.pcap"))[0]
	if f, _ := s.LintOf(analysis.LintRetransmitted); f.Count != 2 {
		t.Errorf("retransmissions of the split 227 counted %d, want 2", f.Count)
	}
	if c := s.Channels[3]; c.NATDiag != nil {
		t.Errorf("an EPRT of the other family is not NAT: %s", report.Reason(c))
	}

	s = runCapture(t, handmade("reset-origin.pcap"))[0]
	checkReason(t, report.Reason(s.Channels[0]), []string{"the reset carries TTL 64 like 192.0.2.10's control packets, so 192.0.2.10 itself sent it"})
	checkReason(t, report.Reason(s.Channels[1]), []string{"the reset carries TTL 62 but 192.0.2.10's control packets arrive with TTL 64: it was forged by a firewall between here and 192.0.2.10 (about 2 routers from here)"})
	for _, c := range s.Channels {
		if c.Vantage != analysis.VantageBefore {
			t.Errorf("%s: vantage %s", c.Announced, c.Vantage)
		}
	}

	s = runCapture(t, handmade("nat-227.pcap"))[0]
	if d := s.Channels[0].NATDiag; d == nil || d.Supported != "announced-unreachable" {
		t.Errorf("nat-227 #1: %+v", d)
	}
	if d := s.Channels[1].NATDiag; d == nil || d.Supported != "peer-ignored-announced" {
		t.Errorf("nat-227 #2: %+v", d)
	}
}
