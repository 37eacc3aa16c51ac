package report

import (
	"fmt"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// Reason writes why a judged channel got its verdict, in one sentence (with
// clauses for where the capture point sits and for a NAT): the text of the
// "reason" field of every output. It is "" for a channel not yet judged.
func Reason(c *analysis.Channel) string {
	if c.Why == nil {
		return ""
	}
	return string(appendReason(make([]byte, 0, 256), c))
}

// appendReason appends Reason(c) to b (the JSON writer builds every
// channel's in one reused buffer).
func appendReason(b []byte, c *analysis.Channel) []byte {
	w := c.Why
	if w == nil {
		return b
	}
	t := &sentence{b: b}
	if w.Early {
		t.str("judged before its outcome was known, to keep memory bounded: more than ").int(w.Limit).
			str(" channels of this session were waiting (--max-channels); so far: ")
	}
	verdictSentence(t, c, w)
	whereClause(t, w)
	if d := c.NATDiag; d != nil {
		t.str("; ").str(NATHypothesis(d)).str("; fix: ").str(NATFix(d))
	}
	return t.b
}

// peer appends a peer as the sentences name it: "server 192.0.2.1".
func (t *sentence) peer(p analysis.Peer) *sentence { return t.str(p.Role()).str(" ").addr(p.Addr) }

// target appends the endpoint a channel announced, and the same port on
// the announcer's control address when that differs.
func (t *sentence) target(c *analysis.Channel) *sentence {
	t.addrPort(c.Announced)
	if c.Alternate != c.Announced {
		t.str(" (or ").addrPort(c.Alternate).str(")")
	}
	return t
}

// whose appends "the server's" or "the client's".
func (t *sentence) whose(p analysis.Peer) *sentence { return t.str("the ").str(p.Role()).str("'s") }

// verdictSentence writes the rule's sentence.
func verdictSentence(t *sentence, c *analysis.Channel, w *analysis.Reason) {
	switch w.Rule {
	case analysis.RuleConnected:
		if w.NoSYN {
			t.str("a connection from ").addrPort(w.From).str(" to ").addrPort(w.To).
				str(" was seen without its SYN (it was opened before the capture began, or the capture missed the SYN)")
		} else {
			t.peer(w.Initiator).str(" connected from port ").uint(uint64(w.From.Port())).str(" to ").addrPort(w.To)
		}
		if w.Match == analysis.MatchControl {
			t.str(", the ").str(w.Acceptor.Role()).str("'s control address, not the announced ").addrPort(c.Announced).
				str(" (").str(natWhy(c)).str(")")
		} else if c.NAT {
			t.str(", the announced endpoint, although it is not the ").str(w.Acceptor.Role()).str("'s control address ").
				addr(c.Alternate.Addr())
		}
		if n := w.OtherAttempts; n > 0 {
			t.str(", after ").int(n).str(" other attempt").plural(n)
		}
		t.str("; ").uint(w.Bytes).str(" bytes")
		if w.ResetLater {
			t.str("; the connection was later reset")
		}
		replyClause(t, c, w)
	case analysis.RuleReset:
		t.whose(w.Initiator).str(" SYN from ").addrPort(w.From).str(" to ").addrPort(w.To).
			str(" was answered with a TCP reset ").dur(w.Span).str(" later: nothing listens there, or a firewall rejects it with a reset")
		replyClause(t, c, w)
	case analysis.RuleICMP:
		t.whose(w.Initiator).str(" SYN from ").addrPort(w.From).str(" to ").addrPort(w.To).str(" was answered by ")
		if w.ICMP.From != w.To.Addr() {
			t.str("router or firewall ").addr(w.ICMP.From)
		} else {
			t.str("the destination itself")
		}
		t.str(" with ").str(icmpName(w.ICMP.V6)).str(" (").str(w.ICMP.Describe()).str(")")
		replyClause(t, c, w)
	case analysis.RuleSYNsAtCaptureEnd:
		t.peer(w.Initiator).str(" sent ").int(w.SYNs).str(" SYN").plural(w.SYNs).str(" toward ").addrPort(w.To).
			str("; the capture ended ").dur(w.Span).str(" after the last one, before an answer or a reply could show the outcome")
	case analysis.RuleSYNsUnanswered:
		t.peer(w.Initiator).str(" sent ").int(w.SYNs).str(" SYN").plural(w.SYNs).str(" from port ").uint(uint64(w.From.Port())).
			str(" to ").addrPort(w.To).str(" over ").dur(w.Span).str("; none was answered")
		dropThen(t, c, w)
	case analysis.RuleCommandAtCaptureEnd:
		t.str(c.Command).str(" was sent ").dur(w.Span).str(" before the capture ended; no connection toward ").target(c).
			str(" and no final reply are in the capture yet")
	case analysis.RuleCommandInGap:
		t.str("bytes missing from the control connection hide what became of ").str(c.Command).
			str("; no connection toward ").target(c).str(" is in the capture")
	case analysis.RuleNoSYNAfter425:
		command := c.Command
		if command == "" {
			command = "a transfer"
		}
		t.str(command).str(" was asked for and the server replied 425, but no SYN toward ").target(c).
			str(" is in this capture: the connection was blocked before reaching this capture point, or never tried")
	case analysis.RuleNoSYNCompleted:
		t.str("the server replied ").uint(uint64(w.Final)).str(" to ").str(c.Command).str(" but no connection toward ").target(c).
			str(" is in this capture: this capture point does not see the data path")
	case analysis.RuleNoSYNReplied:
		t.str("the server replied ").uint(uint64(w.Final)).str(" (").str(w.ReplyText).str(") to ").str(c.Command).
			str(" without a data connection toward ").target(c)
	case analysis.RuleNoSYNNoReply:
		t.str(c.Command).str(" was asked for but neither a connection toward ").target(c).str(" nor a reply is in the capture")
	case analysis.RuleAnnouncementInGap:
		t.str("bytes missing from the control connection hide whether a transfer used ").target(c)
	case analysis.RuleSetupRefused:
		t.str("the server refused the ").str(c.Method.String()).str(" with ").uint(uint64(c.SetupCode)).str(", so it announces no connection")
	case analysis.RuleSuperseded:
		t.str("superseded by a later announcement before any transfer used ").target(c)
	case analysis.RuleAnnouncementAtCaptureEnd:
		t.str("the capture ended ").dur(w.Span).str(" after the announcement, before any transfer used it")
	case analysis.RuleNoTransfer:
		t.str("no transfer command used ").target(c).str(" before the session ended")
	}
}

// replyClause says how the transfer command was answered (nothing without one).
func replyClause(t *sentence, c *analysis.Channel, w *analysis.Reason) {
	switch {
	case c.Command == "":
	case w.Final != 0:
		t.str("; ").str(c.Command).str(" replied ").uint(uint64(w.Final))
	case w.Last != 0:
		t.str("; ").str(c.Command).str(" got ").uint(uint64(w.Last)).str(" and no final reply")
	}
}

// dropThen ends the sentence of SYNs nobody answered with what the server
// or the session did next.
func dropThen(t *sentence, c *analysis.Channel, w *analysis.Reason) {
	switch {
	case w.Final == 425:
		t.str("; the server then replied 425")
	case w.Final != 0:
		replyClause(t, c, w)
	case w.SessionEnded:
		t.str("; the session ended without a reply")
	default:
		replyClause(t, c, w)
	}
}

func natWhy(c *analysis.Channel) string {
	if c.Mode() == analysis.Passive {
		return "NAT in front of the server, or a client that ignores the 227 address"
	}
	return "a NAT in front of the client"
}

func icmpName(v6 bool) string {
	if v6 {
		return "ICMPv6 destination unreachable"
	}
	return "ICMP destination unreachable"
}

// whereClause appends "; " and where the capture point sits against the
// block (nothing when the packets do not say).
func whereClause(t *sentence, w *analysis.Reason) {
	at := w.Where
	if at.Clause == analysis.ClauseNone {
		return
	}
	n := len(t.b)
	t.str("; ")
	switch at.Clause {
	case analysis.ClauseConnectFirst:
		t.str("no SYN toward it reached this capture point; clients such as lftp and curl send the transfer command only once the data connection is up, so a connection blocked before this capture point looks just like this")
	case analysis.ClauseDroppedAtHost:
		t.str("the SYNs leave this capture point and get no answer; no router lies between here and ").addr(at.Addr).
			str(" (its control packets arrive with TTL ").uint(uint64(at.HostTTL)).str("), so ").addr(at.Addr).
			str("'s own firewall, or a bridging one in front of it, drops them")
	case analysis.ClauseDroppedBetween:
		t.str("the SYNs leave this capture point and get no answer: something between here and ").addr(at.Addr).
			str(" drops them (or drops the answers)")
	case analysis.ClauseResetBetween:
		t.str("the reset comes back through this capture point, so whatever sent it lies between here and ").addr(at.Addr).
			str(" (or is ").addr(at.Addr).str(" itself)")
	case analysis.ClauseResetFromHost:
		t.str("the reset carries TTL ").uint(uint64(at.TTL)).str(" like ").addr(at.Addr).str("'s control packets, so ").addr(at.Addr).
			str(" itself sent it: nothing listened on port ").uint(uint64(at.Port)).str(", or its own firewall rejects with a reset")
	case analysis.ClauseResetForged:
		t.str("the reset carries TTL ").uint(uint64(at.TTL)).str(" but ").addr(at.Addr).str("'s control packets arrive with TTL ").
			uint(uint64(at.HostTTL)).str(": it was forged by a firewall between here and ").addr(at.Addr).str(" (")
		if at.Hops == 0 {
			t.str("a device on this capture point's own link")
		} else {
			t.str("about ").int(at.Hops).str(" router").plural(at.Hops).str(" from here")
		}
		t.str("), not sent by the host")
		if at.IPIDZero {
			t.str(", and its IP ID 0 is one the host's packets never carry")
		}
	case analysis.ClauseICMPFromHost:
		t.str("the error comes from ").addr(at.Addr).str(" itself, so the SYN got through to it and it refused the port")
	case analysis.ClauseICMPOnPath:
		t.str("the error comes back through this capture point from ").addr(at.Router).str(", so the block sits at ").addr(at.Router).
			str(", between here and ").addr(at.Addr)
	case analysis.ClauseNeverSent:
		t.str("this capture point is on the ").peer(w.Initiator).str("'s own link (its control packets arrive with TTL ").
			uint(uint64(at.HostTTL)).str(", before any router), so the ").peer(w.Initiator).
			str(" never sent a SYN toward the announced endpoint")
	case analysis.ClauseAfterBlock:
		t.str("if it was blocked, this capture point sits after the block, on the ").peer(w.Acceptor).str("'s side of it")
		if at.OnLink {
			t.str(", on its link (the ").peer(w.Acceptor).str("'s control packets arrive with TTL ").uint(uint64(at.HostTTL)).
				str(", not decremented by a router)")
		}
	default:
		t.b = t.b[:n] // a clause this writer has no words for
	}
}

// announcement names the reply that carries a passive method's endpoint.
func announcement(m analysis.SetupMethod) ftp.ReplyCode { return ftp.Verb(m.String()).Announcement }

// NATHypothesis says in words which NAT hypothesis the packets support,
// naming both addresses.
func NATHypothesis(d *analysis.NATDiagnosis) string {
	x, ctl, port := d.Announced, d.Control, d.Port
	if d.Method.Mode() == analysis.Passive {
		rep := announcement(d.Method)
		if d.Kind == analysis.NATThirdParty {
			return fmt.Sprintf("the %d names %s, a public address other than the control server %s: the data comes from another host (a server farm, or a site-to-site FXP transfer), or from a NAT with public inside addresses", rep, x, ctl)
		}
		base := fmt.Sprintf("the %d names %s, a private address, while the control connection goes to %s: the server sits behind a NAT and announces its inside address; this capture point is outside that NAT (a capture inside it would show the %d matching the control address)", rep, x, ctl, rep)
		switch d.Supported {
		case "peer-ignored-announced":
			return base + fmt.Sprintf("; the client ignored the %d address and connected to %s:%d, which the NAT forwards, so only clients that follow the %d address (%s) fail", rep, ctl, port, rep, x)
		case "announced-reachable":
			return fmt.Sprintf("the %d names %s while the control connection goes to %s, and the client reached %s directly: client and server share that network or a route to it, so no NAT stands in this data path", rep, x, ctl, x)
		case "announced-unreachable":
			return base + fmt.Sprintf("; the client followed it to %s:%d, which is not reachable from the client's side", x, port)
		case "forwarding-blocked":
			return base + fmt.Sprintf("; the client tried the control address %s:%d instead and failed too: the NAT does not forward the passive port", ctl, port)
		}
		return base + "; no attempt shows which address the client would use"
	}
	m := d.Method
	if d.Kind == analysis.NATThirdParty {
		return fmt.Sprintf("%s names %s, a public address other than the client's control address %s: an FTP bounce or a site-to-site (FXP) transfer, or a NAT with public inside addresses", m, x, ctl)
	}
	base := fmt.Sprintf("%s names %s, but the client's control connection comes from %s: the client sits behind a NAT (%s is its outside address) that did not rewrite the %s, because no FTP helper (nf_nat_ftp) is attached to the control connection or it could not read it; this capture point is outside that NAT (a capture inside it would show the same %s matching the client)", m, x, ctl, ctl, m, m)
	switch d.Supported {
	case "peer-ignored-announced":
		return base + fmt.Sprintf("; the server connected to %s:%d instead and the NAT let it through", ctl, port)
	case "announced-reachable":
		return fmt.Sprintf("%s names %s while the client's control connection comes from %s, and the server reached %s directly: the server has a route into the client's network, so no NAT stands in this data path", m, x, ctl, x)
	case "announced-unreachable":
		return base + fmt.Sprintf("; the server's connection to the inside address %s:%d cannot get through", x, port)
	case "forwarding-blocked":
		return base + fmt.Sprintf("; the server tried %s:%d and failed too", ctl, port)
	case "refused-by-server":
		return base + fmt.Sprintf("; the server refused it (%d), as servers do with a %s naming an address other than the client's (vsftpd port_promiscuous=NO, proftpd AllowForeignAddress off)", d.SetupCode, m)
	}
	return base + "; no attempt shows where the server would connect"
}

// NATFix says what to change for a NAT diagnosis.
func NATFix(d *analysis.NATDiagnosis) string {
	x, ctl := d.Announced, d.Control
	if d.Method.Mode() == analysis.Passive {
		if d.Kind == analysis.NATThirdParty {
			return fmt.Sprintf("if %s is not meant to serve data, make the server announce %s (vsftpd pasv_address=%s, proftpd MasqueradeAddress %s, pure-ftpd -P %s), or use EPSV, whose reply carries no address", x, ctl, ctl, ctl, ctl)
		}
		fix := fmt.Sprintf("make the server announce %s (vsftpd pasv_address=%s, proftpd MasqueradeAddress %s, pure-ftpd -P %s), or let the NAT rewrite the %d with its FTP helper (nf_nat_ftp), or use EPSV, whose reply carries no address", ctl, ctl, ctl, ctl, announcement(d.Method))
		if d.Supported == "forwarding-blocked" {
			fix += fmt.Sprintf("; and forward the passive port range to %s on the NAT", x)
		}
		return fix
	}
	if d.Kind == analysis.NATThirdParty {
		return "if it is not intended, have the server refuse PORT to third parties (vsftpd port_promiscuous=NO and proftpd AllowForeignAddress off, both the default)"
	}
	return fmt.Sprintf("attach the FTP helper on the client's NAT so it rewrites %s (nftables: ct helper set \"ftp\" on the control port; iptables: -t raw ... -j CT --helper ftp; with nf_nat_ftp loaded), or use passive mode (PASV/EPSV)", d.Method)
}
