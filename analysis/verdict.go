package analysis

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// judge gives a channel its one verdict and the sentence that explains it.
// now is the capture time of judgement; captureEnd says the input ended, so
// an outcome still pending is unknowable rather than negative.
func (a *Analyzer) judge(ch *Channel, now time.Time, captureEnd bool) {
	ch.Verdict, ch.Reason = a.decide(ch, now, captureEnd)
	if ch.early {
		switch ch.Verdict {
		case OK, Refused, ICMP: // the packets already told
		default:
			ch.Verdict = Unknown
			ch.Reason = fmt.Sprintf("judged before its outcome was known, to keep memory bounded: more than %d channels of this session were waiting (--max-channels); so far: %s", a.cfg.MaxChannels, ch.Reason)
		}
	}
	ch.Blocked = false
	switch ch.Verdict {
	case Dropped, Refused, ICMP:
		ch.Blocked = true
	case NotSeen:
		ch.Blocked = ch.has425()
	}
	a.explain(ch)
}

func (ch *Channel) has425() bool {
	for _, c := range ch.Replies {
		if c == 425 {
			return true
		}
	}
	return false
}

// finalReply is the transfer's last non-preliminary reply (0 if none).
func (ch *Channel) finalReply() ftp.ReplyCode {
	for i := len(ch.Replies) - 1; i >= 0; i-- {
		if ch.Replies[i].Class() != ftp.Preliminary {
			return ch.Replies[i]
		}
	}
	return 0
}

func (a *Analyzer) decide(ch *Channel, now time.Time, captureEnd bool) (Verdict, string) {
	s := ch.session
	who, whose := "client "+s.Client.Addr().String(), "the client's"
	if ch.Mode() == Active {
		who, whose = "server "+s.Server.Addr().String(), "the server's"
	}
	final := ch.finalReply()
	then := replyClause(ch, final)

	var est, reset, icmpAt, tried *Attempt
	syns := 0
	var first, last time.Time
	for _, at := range ch.Attempts {
		switch {
		case at.Established():
			if est == nil {
				est = at
			}
		case !at.RST.IsZero():
			reset = at
		case at.ICMP != nil:
			icmpAt = at
		}
		if at.SYNs > 0 || at.ICMP != nil {
			tried = at
		}
		syns += at.SYNs
		if first.IsZero() || at.First.Before(first) {
			first = at.First
		}
		if at.Last.After(last) {
			last = at.Last
		}
	}

	if est != nil {
		var b strings.Builder
		if est.NoSYN {
			fmt.Fprintf(&b, "a connection from %s to %s was seen without its SYN (it was opened before the capture began, or the capture missed the SYN)", est.From, est.To)
		} else {
			fmt.Fprintf(&b, "%s connected from port %d to %s", who, est.From.Port(), est.To)
		}
		if est.Match == MatchControl {
			fmt.Fprintf(&b, ", the %s's control address, not the announced %s (%s)", acceptorRole(ch), ch.Announced, natWhy(ch))
		} else if ch.NAT {
			fmt.Fprintf(&b, ", the announced endpoint, although it is not the %s's control address %s", acceptorRole(ch), ch.Alternate.Addr())
		}
		if failed := len(ch.Attempts) - 1; failed > 0 {
			fmt.Fprintf(&b, ", after %d other attempt%s", failed, plural(failed))
		}
		fmt.Fprintf(&b, "; %d bytes", ch.Bytes())
		if est.ResetLater {
			b.WriteString("; the connection was later reset")
		}
		b.WriteString(then)
		return OK, b.String()
	}

	if reset != nil {
		return Refused, fmt.Sprintf("%s SYN from %s to %s was answered with a TCP reset %s later: nothing listens there, or a firewall rejects it with a reset%s",
			whose, reset.From, reset.To, dur(reset.RST.Sub(reset.First)), then)
	}
	if icmpAt != nil {
		i := icmpAt.ICMP
		sender := "the destination itself"
		if i.From != icmpAt.To.Addr() {
			sender = "router or firewall " + i.From.String()
		}
		return ICMP, fmt.Sprintf("%s SYN from %s to %s was answered by %s with %s (%s)%s",
			whose, icmpAt.From, icmpAt.To, sender, icmpName(i.V6), i.Describe(), then)
	}
	if syns > 0 {
		knowable := final != 0 || !captureEnd || now.Sub(last) >= a.cfg.DataTimeout || laterActivity(ch, last)
		if !knowable {
			return Unknown, fmt.Sprintf("%s sent %d SYN%s toward %s; the capture ended %s after the last one, before an answer or a reply could show the outcome",
				who, syns, plural(syns), tried.To, dur(now.Sub(last)))
		}
		return Dropped, fmt.Sprintf("%s sent %d SYN%s from port %d to %s over %s; none was answered%s",
			who, syns, plural(syns), tried.From.Port(), tried.To, dur(last.Sub(first)), dropThen(ch, final, then))
	}

	target := ch.Announced.String()
	if ch.Alternate != ch.Announced {
		target += " (or " + ch.Alternate.String() + ")"
	}
	if ch.Command != "" || ch.has425() {
		if final == 0 && captureEnd && now.Sub(ch.CommandTime) < a.cfg.DataTimeout {
			return Unknown, fmt.Sprintf("%s was sent %s before the capture ended; no connection toward %s and no final reply are in the capture yet", ch.Command, dur(now.Sub(ch.CommandTime)), target)
		}
		if ch.gap && final == 0 {
			return Unknown, fmt.Sprintf("bytes missing from the control connection hide what became of %s; no connection toward %s is in the capture", ch.Command, target)
		}
		switch {
		case ch.has425():
			return NotSeen, fmt.Sprintf("%s was asked for and the server replied 425, but no SYN toward %s is in this capture: the connection was blocked before reaching this capture point, or never tried", orDash(ch.Command), target)
		case final.Class() == ftp.Completion:
			return NotSeen, fmt.Sprintf("the server replied %d to %s but no connection toward %s is in this capture: this capture point does not see the data path", final, ch.Command, target)
		case final != 0:
			return NotSeen, fmt.Sprintf("the server replied %d (%s) to %s without a data connection toward %s", final, ch.ReplyText, ch.Command, target)
		default:
			return NotSeen, fmt.Sprintf("%s was asked for but neither a connection toward %s nor a reply is in the capture", ch.Command, target)
		}
	}
	if ch.gap {
		return Unknown, fmt.Sprintf("bytes missing from the control connection hide whether a transfer used %s", target)
	}
	if ch.SetupRefused {
		return Unused, fmt.Sprintf("the server refused the %s with %d, so it announces no connection", ch.Method, ch.SetupCode)
	}
	if ch.Superseded {
		return Unused, fmt.Sprintf("superseded by a later announcement before any transfer used %s", target)
	}
	if captureEnd && !s.closedByPeers() && now.Sub(ch.Time) < a.cfg.DataTimeout {
		return Unknown, fmt.Sprintf("the capture ended %s after the announcement, before any transfer used it", dur(now.Sub(ch.Time)))
	}
	return Unused, fmt.Sprintf("no transfer command used %s before the session ended", target)
}

// laterActivity reports whether the control connection moved on after the
// last SYN (a later announcement settled this one).
func laterActivity(ch *Channel, last time.Time) bool {
	for _, c := range ch.session.Channels {
		if c != ch && c.Time.After(last) {
			return true
		}
	}
	return ch.session.closedByPeers()
}

func replyClause(ch *Channel, final ftp.ReplyCode) string {
	if ch.Command == "" {
		return ""
	}
	if final == 0 {
		if len(ch.Replies) > 0 {
			return fmt.Sprintf("; %s got %d and no final reply", ch.Command, ch.Replies[len(ch.Replies)-1])
		}
		return ""
	}
	return fmt.Sprintf("; %s replied %d", ch.Command, final)
}

func dropThen(ch *Channel, final ftp.ReplyCode, then string) string {
	switch {
	case final == 425:
		return "; the server then replied 425"
	case final != 0:
		return then
	case ch.session.closedByPeers():
		return "; the session ended without a reply"
	}
	return then
}

func acceptorRole(ch *Channel) string {
	if ch.Mode() == Active {
		return "client"
	}
	return "server"
}

func natWhy(ch *Channel) string {
	if ch.Mode() == Passive {
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

// icmpText names ICMP destination-unreachable codes in words.
func icmpText(v6 bool, typ, code uint8) string {
	if v6 {
		if typ != 1 {
			return fmt.Sprintf("type %d code %d", typ, code)
		}
		switch code {
		case 0:
			return "no route to destination"
		case 1:
			return "administratively prohibited"
		case 2:
			return "beyond scope of source address"
		case 3:
			return "address unreachable"
		case 4:
			return "port unreachable"
		case 5:
			return "source address failed ingress/egress policy"
		case 6:
			return "reject route to destination"
		}
		return fmt.Sprintf("code %d", code)
	}
	if typ != 3 {
		return fmt.Sprintf("type %d code %d", typ, code)
	}
	switch code {
	case 0:
		return "network unreachable"
	case 1:
		return "host unreachable"
	case 2:
		return "protocol unreachable"
	case 3:
		return "port unreachable"
	case 4:
		return "fragmentation needed"
	case 9:
		return "network administratively prohibited"
	case 10:
		return "host administratively prohibited"
	case 13:
		return "administratively prohibited"
	}
	return fmt.Sprintf("code %d", code)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orDash(s string) string {
	if s == "" {
		return "a transfer"
	}
	return s
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
