package analysis

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// TestReasonFacts checks the facts behind verdicts, not their wording: the
// rule, who tried what from where to where, how many SYNs over how long,
// the replies, and the capture point's place.
func TestReasonFacts(t *testing.T) {
	ap := netip.MustParseAddrPort
	client := Peer{Addr: netip.MustParseAddr("10.0.0.1")}
	server := Peer{Server: true, Addr: netip.MustParseAddr("10.0.0.2")}
	tests := []struct {
		name    string
		script  func(h *harness)
		end     float64
		verdict Verdict
		want    Reason
	}{
		{
			name: "active dropped then 425",
			script: func(h *harness) {
				login(h)
				h.cmd(1, "PORT 10,0,0,1,156,65")
				h.rep(1, "200 PORT command successful.")
				h.cmd(1.1, "LIST")
				for _, at := range []float64{1.2, 2.2, 4.2, 8.2} {
					h.tcp(at, "10.0.0.2:20", "10.0.0.1:40001", capture.SYN, 0)
				}
				h.rep(61, "425 Failed to establish connection.")
				h.close(62)
			},
			end: 63, verdict: Dropped,
			want: Reason{Rule: RuleSYNsUnanswered, Initiator: server, Acceptor: client, From: ap("10.0.0.2:20"), To: ap("10.0.0.1:40001"),
				SYNs: 4, Span: 7 * time.Second, Final: 425, Last: 425, ReplyText: "Failed to establish connection.", SessionEnded: true,
				Where: Where{Clause: ClauseDroppedBetween, Addr: netip.MustParseAddr("10.0.0.1")}},
		},
		{
			name: "passive refused by reset",
			script: func(h *harness) {
				login(h)
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,10).")
				h.tcp(1.1, "10.0.0.1:50000", "10.0.0.2:51210", capture.SYN, 0)
				h.tcp(1.1003, "10.0.0.2:51210", "10.0.0.1:50000", capture.RST|capture.ACK, 0)
				h.cmd(1.2, "RETR x")
				h.rep(1.3, "425 Failed to establish connection.")
			},
			end: 5, verdict: Refused,
			want: Reason{Rule: RuleReset, Initiator: client, Acceptor: server, From: ap("10.0.0.1:50000"), To: ap("10.0.0.2:51210"),
				SYNs: 1, Span: 300 * time.Microsecond, Final: 425, Last: 425, ReplyText: "Failed to establish connection.",
				Where: Where{Clause: ClauseResetBetween, Addr: netip.MustParseAddr("10.0.0.2")}},
		},
		{
			name: "passive ICMP from a router",
			script: func(h *harness) {
				login(h)
				h.cmd(1, "EPSV")
				h.rep(1, "229 Entering Extended Passive Mode (|||6446|)")
				h.tcp(1.1, "10.0.0.1:50001", "10.0.0.2:6446", capture.SYN, 0)
				h.icmp(1.1002, "10.0.0.254", "10.0.0.1:50001", "10.0.0.2:6446", false, 3, 13)
				h.cmd(1.2, "NLST")
			},
			end: 40, verdict: ICMP,
			want: Reason{Rule: RuleICMP, Initiator: client, Acceptor: server, From: ap("10.0.0.1:50001"), To: ap("10.0.0.2:6446"), SYNs: 1,
				ICMP:  ICMPInfo{From: netip.MustParseAddr("10.0.0.254"), Type: 3, Code: 13, Time: time.Date(2026, 11, 24, 10, 0, 1, 100200000, time.UTC)},
				Where: Where{Clause: ClauseICMPOnPath, Router: netip.MustParseAddr("10.0.0.254"), Addr: netip.MustParseAddr("10.0.0.2")}},
		},
		{
			name: "not seen, 226",
			script: func(h *harness) {
				login(h)
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,11)")
				h.cmd(1.1, "RETR a")
				h.rep(1.2, "150 Here comes the data.")
				h.rep(1.3, "226 Transfer complete.")
				h.close(2)
			},
			end: 3, verdict: NotSeen,
			want: Reason{Rule: RuleNoSYNCompleted, Initiator: client, Acceptor: server, Final: 226, Last: 226, ReplyText: "Transfer complete.", SessionEnded: true},
		},
		{
			name: "refused PORT",
			script: func(h *harness) {
				login(h)
				h.cmd(1, "PORT 10,0,0,1,156,70")
				h.rep(1, "500 Illegal PORT command.")
				h.close(2)
			},
			end: 3, verdict: Unused,
			want: Reason{Rule: RuleSetupRefused, Initiator: server, Acceptor: client},
		},
		{
			name: "announcement at capture end",
			script: func(h *harness) {
				login(h)
				h.cmd(1, "PASV")
				h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,12)")
			},
			end: 4, verdict: Unknown,
			want: Reason{Rule: RuleAnnouncementAtCaptureEnd, Initiator: client, Acceptor: server, Span: 3 * time.Second},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, cli, srv, Config{})
			tc.script(h)
			s := h.finish(tc.end)
			if len(s.Channels) != 1 {
				t.Fatalf("%d channels", len(s.Channels))
			}
			c := s.Channels[0]
			if c.Verdict != tc.verdict || c.Why == nil {
				t.Fatalf("verdict %s, why %+v; want %s", c.Verdict, c.Why, tc.verdict)
			}
			got := *c.Why
			got.Span = got.Span.Round(100 * time.Microsecond)
			if got != tc.want {
				t.Errorf("facts\n got %+v\nwant %+v", got, tc.want)
			}
			if tc.want.Rule.String() == "none" || reasonText(c) == "" {
				t.Errorf("rule %s renders %q", tc.want.Rule, reasonText(c))
			}
		})
	}
}

// TestReasonEarly: a channel judged early to keep memory bounded says so,
// with the limit, and keeps what was known.
func TestReasonEarly(t *testing.T) {
	h := newHarness(t, cli, srv, Config{})
	var judged []*Channel
	h.a = New(Config{MaxChannels: 1}, Sink{
		Channel: func(_ *Session, c *Channel) { judged = append(judged, c) },
		Session: func(s *Session) { h.sessions = append(h.sessions, s) },
	})
	h.a.Open(h.key, h.t0, false)
	login(h)
	h.cmd(1, "PASV")
	h.rep(1, "227 Entering Passive Mode (10,0,0,2,200,12)")
	h.cmd(1.1, "LIST")
	h.cmd(2, "PASV")
	h.rep(2, "227 Entering Passive Mode (10,0,0,2,200,13)")
	h.finish(100)
	if len(judged) != 2 {
		t.Fatalf("%d channels judged", len(judged))
	}
	early := judged[0]
	if early.Verdict != Unknown || early.Why == nil || !early.Why.Early || early.Why.Limit != 1 || early.Why.Rule != RuleNoSYNNoReply {
		t.Errorf("early channel: %s %+v", early.Verdict, early.Why)
	}
}
