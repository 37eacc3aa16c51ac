package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// Reason writes why a judged channel got its verdict, in one sentence (with
// clauses for where the capture point sits and for a NAT): the text of the
// "reason" field of every output. It is "" for a channel not yet judged.
func Reason(c *analysis.Channel) string {
	w := c.Why
	if w == nil {
		return ""
	}
	var b strings.Builder
	b.Grow(256) // one allocation for a usual sentence, not one per doubling
	if w.Early {
		fmt.Fprintf(&b, "judged before its outcome was known, to keep memory bounded: more than %d channels of this session were waiting (--max-channels); so far: ", w.Limit)
	}
	verdictSentence(&b, c, w)
	if clause := whereClause(w); clause != "" {
		b.WriteString("; ")
		b.WriteString(clause)
	}
	if d := c.NATDiag; d != nil {
		b.WriteString("; ")
		b.WriteString(NATHypothesis(d))
		b.WriteString("; fix: ")
		b.WriteString(NATFix(d))
	}
	return b.String()
}

func peerName(p analysis.Peer) string { return p.Role() + " " + p.Addr.String() }

// verdictSentence writes the rule's sentence.
func verdictSentence(b *strings.Builder, c *analysis.Channel, w *analysis.Reason) {
	who, whose := peerName(w.Initiator), "the "+w.Initiator.Role()+"'s"
	then := replyClause(c, w)
	target := c.Announced.String()
	if c.Alternate != c.Announced {
		target += " (or " + c.Alternate.String() + ")"
	}
	switch w.Rule {
	case analysis.RuleConnected:
		if w.NoSYN {
			fmt.Fprintf(b, "a connection from %s to %s was seen without its SYN (it was opened before the capture began, or the capture missed the SYN)", w.From, w.To)
		} else {
			fmt.Fprintf(b, "%s connected from port %d to %s", who, w.From.Port(), w.To)
		}
		if w.Match == analysis.MatchControl {
			fmt.Fprintf(b, ", the %s's control address, not the announced %s (%s)", w.Acceptor.Role(), c.Announced, natWhy(c))
		} else if c.NAT {
			fmt.Fprintf(b, ", the announced endpoint, although it is not the %s's control address %s", w.Acceptor.Role(), c.Alternate.Addr())
		}
		if n := w.OtherAttempts; n > 0 {
			fmt.Fprintf(b, ", after %d other attempt%s", n, plural(n))
		}
		fmt.Fprintf(b, "; %d bytes", w.Bytes)
		if w.ResetLater {
			b.WriteString("; the connection was later reset")
		}
		b.WriteString(then)
	case analysis.RuleReset:
		fmt.Fprintf(b, "%s SYN from %s to %s was answered with a TCP reset %s later: nothing listens there, or a firewall rejects it with a reset%s",
			whose, w.From, w.To, dur(w.Span), then)
	case analysis.RuleICMP:
		sender := "the destination itself"
		if w.ICMP.From != w.To.Addr() {
			sender = "router or firewall " + w.ICMP.From.String()
		}
		fmt.Fprintf(b, "%s SYN from %s to %s was answered by %s with %s (%s)%s",
			whose, w.From, w.To, sender, icmpName(w.ICMP.V6), w.ICMP.Describe(), then)
	case analysis.RuleSYNsAtCaptureEnd:
		fmt.Fprintf(b, "%s sent %d SYN%s toward %s; the capture ended %s after the last one, before an answer or a reply could show the outcome",
			who, w.SYNs, plural(w.SYNs), w.To, dur(w.Span))
	case analysis.RuleSYNsUnanswered:
		fmt.Fprintf(b, "%s sent %d SYN%s from port %d to %s over %s; none was answered%s",
			who, w.SYNs, plural(w.SYNs), w.From.Port(), w.To, dur(w.Span), dropThen(w, then))
	case analysis.RuleCommandAtCaptureEnd:
		fmt.Fprintf(b, "%s was sent %s before the capture ended; no connection toward %s and no final reply are in the capture yet", c.Command, dur(w.Span), target)
	case analysis.RuleCommandInGap:
		fmt.Fprintf(b, "bytes missing from the control connection hide what became of %s; no connection toward %s is in the capture", c.Command, target)
	case analysis.RuleNoSYNAfter425:
		command := c.Command
		if command == "" {
			command = "a transfer"
		}
		fmt.Fprintf(b, "%s was asked for and the server replied 425, but no SYN toward %s is in this capture: the connection was blocked before reaching this capture point, or never tried", command, target)
	case analysis.RuleNoSYNCompleted:
		fmt.Fprintf(b, "the server replied %d to %s but no connection toward %s is in this capture: this capture point does not see the data path", w.Final, c.Command, target)
	case analysis.RuleNoSYNReplied:
		fmt.Fprintf(b, "the server replied %d (%s) to %s without a data connection toward %s", w.Final, w.ReplyText, c.Command, target)
	case analysis.RuleNoSYNNoReply:
		fmt.Fprintf(b, "%s was asked for but neither a connection toward %s nor a reply is in the capture", c.Command, target)
	case analysis.RuleAnnouncementInGap:
		fmt.Fprintf(b, "bytes missing from the control connection hide whether a transfer used %s", target)
	case analysis.RuleSetupRefused:
		fmt.Fprintf(b, "the server refused the %s with %d, so it announces no connection", c.Method, c.SetupCode)
	case analysis.RuleSuperseded:
		fmt.Fprintf(b, "superseded by a later announcement before any transfer used %s", target)
	case analysis.RuleAnnouncementAtCaptureEnd:
		fmt.Fprintf(b, "the capture ended %s after the announcement, before any transfer used it", dur(w.Span))
	case analysis.RuleNoTransfer:
		fmt.Fprintf(b, "no transfer command used %s before the session ended", target)
	}
}

// replyClause says how the transfer command was answered ("" without one).
func replyClause(c *analysis.Channel, w *analysis.Reason) string {
	switch {
	case c.Command == "":
		return ""
	case w.Final != 0:
		return fmt.Sprintf("; %s replied %d", c.Command, w.Final)
	case w.Last != 0:
		return fmt.Sprintf("; %s got %d and no final reply", c.Command, w.Last)
	}
	return ""
}

func dropThen(w *analysis.Reason, then string) string {
	switch {
	case w.Final == 425:
		return "; the server then replied 425"
	case w.Final != 0:
		return then
	case w.SessionEnded:
		return "; the session ended without a reply"
	}
	return then
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

// whereClause says where the capture point sits against the block ("" when
// the packets do not say).
func whereClause(w *analysis.Reason) string {
	at := w.Where
	switch at.Clause {
	case analysis.ClauseConnectFirst:
		return "no SYN toward it reached this capture point; clients such as lftp and curl send the transfer command only once the data connection is up, so a connection blocked before this capture point looks just like this"
	case analysis.ClauseDroppedAtHost:
		return fmt.Sprintf("the SYNs leave this capture point and get no answer; no router lies between here and %s (its control packets arrive with TTL %d), so %s's own firewall, or a bridging one in front of it, drops them",
			at.Addr, at.HostTTL, at.Addr)
	case analysis.ClauseDroppedBetween:
		return fmt.Sprintf("the SYNs leave this capture point and get no answer: something between here and %s drops them (or drops the answers)", at.Addr)
	case analysis.ClauseResetBetween:
		return fmt.Sprintf("the reset comes back through this capture point, so whatever sent it lies between here and %s (or is %s itself)", at.Addr, at.Addr)
	case analysis.ClauseResetFromHost:
		return fmt.Sprintf("the reset carries TTL %d like %s's control packets, so %s itself sent it: nothing listened on port %d, or its own firewall rejects with a reset",
			at.TTL, at.Addr, at.Addr, at.Port)
	case analysis.ClauseResetForged:
		where := fmt.Sprintf("about %d router%s from here", at.Hops, plural(at.Hops))
		if at.Hops == 0 {
			where = "a device on this capture point's own link"
		}
		s := fmt.Sprintf("the reset carries TTL %d but %s's control packets arrive with TTL %d: it was forged by a firewall between here and %s (%s), not sent by the host",
			at.TTL, at.Addr, at.HostTTL, at.Addr, where)
		if at.IPIDZero {
			s += ", and its IP ID 0 is one the host's packets never carry"
		}
		return s
	case analysis.ClauseICMPFromHost:
		return fmt.Sprintf("the error comes from %s itself, so the SYN got through to it and it refused the port", at.Addr)
	case analysis.ClauseICMPOnPath:
		return fmt.Sprintf("the error comes back through this capture point from %s, so the block sits at %s, between here and %s", at.Router, at.Router, at.Addr)
	case analysis.ClauseNeverSent:
		init := peerName(w.Initiator)
		return fmt.Sprintf("this capture point is on the %s's own link (its control packets arrive with TTL %d, before any router), so the %s never sent a SYN toward the announced endpoint",
			init, at.HostTTL, init)
	case analysis.ClauseAfterBlock:
		acc := peerName(w.Acceptor)
		where := ""
		if at.OnLink {
			where = fmt.Sprintf(", on its link (the %s's control packets arrive with TTL %d, not decremented by a router)", acc, at.HostTTL)
		}
		return fmt.Sprintf("if it was blocked, this capture point sits after the block, on the %s's side of it%s", acc, where)
	}
	return ""
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

// dur writes a capture-time duration for people: "7 s", "0.3 s", "45 ms".
func dur(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%d ms", int(math.Round(float64(d)/float64(time.Millisecond))))
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d s", int(math.Round(d.Seconds())))
}
