package analysis

import (
	"fmt"
	"time"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// judge gives a channel its one verdict and the facts that explain it.
// now is the capture time of judgement; captureEnd says the input ended, so
// an outcome still pending is unknowable rather than negative.
func (a *Analyzer) judge(ch *Channel, now time.Time, captureEnd bool) {
	why := &Reason{}
	ch.Verdict = a.decide(ch, now, captureEnd, why)
	ch.Why = why
	if ch.early {
		switch ch.Verdict {
		case OK, Refused, ICMP: // the packets already told
		default:
			ch.Verdict = Unknown
			why.Early, why.Limit = true, a.cfg.MaxChannels
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
	a.judgeTransfer(ch)
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

// peers returns a channel's initiator and acceptor.
func (ch *Channel) peers() (initiator, acceptor Peer) {
	s := ch.session
	cl, sv := Peer{Addr: s.Client.Addr()}, Peer{Server: true, Addr: s.Server.Addr()}
	if ch.Mode() == Active {
		return sv, cl
	}
	return cl, sv
}

// decide picks the verdict and fills why with the rule and its facts.
func (a *Analyzer) decide(ch *Channel, now time.Time, captureEnd bool, why *Reason) Verdict {
	s := ch.session
	why.Initiator, why.Acceptor = ch.peers()
	final := ch.finalReply()
	why.Final, why.ReplyText, why.Bytes, why.SessionEnded = final, ch.ReplyText, ch.Bytes(), s.closedByPeers()
	if n := len(ch.Replies); n > 0 {
		why.Last = ch.Replies[n-1]
	}

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
	why.SYNs = syns
	about := func(r Rule, at *Attempt) {
		why.Rule, why.From, why.To = r, at.From, at.To
	}

	if est != nil {
		about(RuleConnected, est)
		why.Match, why.NoSYN, why.ResetLater = est.Match, est.NoSYN, est.ResetLater
		why.OtherAttempts = len(ch.Attempts) - 1
		return OK
	}
	if reset != nil {
		about(RuleReset, reset)
		why.Span = reset.RST.Sub(reset.First)
		return Refused
	}
	if icmpAt != nil {
		about(RuleICMP, icmpAt)
		why.ICMP = *icmpAt.ICMP
		return ICMP
	}
	if syns > 0 {
		knowable := final != 0 || !captureEnd || now.Sub(last) >= a.cfg.DataTimeout || laterActivity(ch, last)
		if !knowable {
			about(RuleSYNsAtCaptureEnd, tried)
			why.Span = now.Sub(last)
			return Unknown
		}
		about(RuleSYNsUnanswered, tried)
		why.Span = last.Sub(first)
		return Dropped
	}

	rule := func(r Rule, v Verdict) Verdict {
		why.Rule = r
		return v
	}
	if ch.Command != "" || ch.has425() {
		if final == 0 && captureEnd && now.Sub(ch.CommandTime) < a.cfg.DataTimeout {
			why.Span = now.Sub(ch.CommandTime)
			return rule(RuleCommandAtCaptureEnd, Unknown)
		}
		if ch.gap && final == 0 {
			return rule(RuleCommandInGap, Unknown)
		}
		switch {
		case ch.has425():
			return rule(RuleNoSYNAfter425, NotSeen)
		case final.Class() == ftp.Completion:
			return rule(RuleNoSYNCompleted, NotSeen)
		case final != 0:
			return rule(RuleNoSYNReplied, NotSeen)
		default:
			return rule(RuleNoSYNNoReply, NotSeen)
		}
	}
	if ch.gap {
		return rule(RuleAnnouncementInGap, Unknown)
	}
	if ch.SetupRefused {
		return rule(RuleSetupRefused, Unused)
	}
	if ch.Superseded {
		return rule(RuleSuperseded, Unused)
	}
	if captureEnd && !s.closedByPeers() && now.Sub(ch.Time) < a.cfg.DataTimeout {
		why.Span = now.Sub(ch.Time)
		return rule(RuleAnnouncementAtCaptureEnd, Unknown)
	}
	return rule(RuleNoTransfer, Unused)
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
