package analysis

import (
	"time"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// NoTiming marks a delay the capture cannot measure.
const NoTiming time.Duration = -1

// Timings are a channel's delays, in capture time. Each is NoTiming when one
// of its two events is missing from the capture.
type Timings struct {
	// SetupReply: the setup command to its reply (PORT -> 200, PASV -> 227).
	SetupReply time.Duration
	// AnnounceToSYN: the announcement (PORT, or the 227/229 reply) to the
	// first SYN toward the endpoint.
	AnnounceToSYN time.Duration
	// SYNToSYNACK: the SYN that was answered to its SYN-ACK (the data
	// connection's handshake round trip as seen here).
	SYNToSYNACK time.Duration
	// CommandToReply: the transfer command (RETR, LIST ...) to its first reply.
	CommandToReply time.Duration
	// PrelimToData: the transfer's 150/125 reply to the first data byte
	// (negative when the data came first).
	PrelimToData time.Duration
}

func since(from, to time.Time) time.Duration {
	if from.IsZero() || to.IsZero() {
		return NoTiming
	}
	return to.Sub(from)
}

// Timings measures the channel's delays.
func (c *Channel) Timings() Timings {
	t := Timings{
		SetupReply:     since(c.Asked, c.SetupReplyTime),
		AnnounceToSYN:  NoTiming,
		SYNToSYNACK:    NoTiming,
		CommandToReply: NoTiming,
		PrelimToData:   NoTiming,
	}
	if !c.CommandTime.IsZero() {
		t.CommandToReply = since(c.CommandTime, c.FirstReply)
	}
	var first time.Time
	for _, at := range c.Attempts {
		if at.SYNs > 0 && (first.IsZero() || at.First.Before(first)) {
			first = at.First
		}
	}
	t.AnnounceToSYN = since(c.Time, first)
	if at := c.Connection(); at != nil && at.SYNs > 0 && !at.SYNACK.IsZero() {
		// Retransmitted SYNs: the answered one is the last before the SYN-ACK.
		syn := at.Last
		if syn.After(at.SYNACK) {
			syn = at.First
		}
		t.SYNToSYNACK = at.SYNACK.Sub(syn)
	}
	if at := c.Connection(); at != nil && !at.FirstData.IsZero() {
		t.PrelimToData = since(c.Prelim, at.FirstData)
	}
	return t
}

// Latency summarises the delays between the client's commands and the
// server's first reply to each, over one session.
type Latency struct {
	// Count is the number of commands answered; Total, Min and Max their delays.
	Count           int
	Total, Min, Max time.Duration
}

func (l *Latency) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if l.Count == 0 || d < l.Min {
		l.Min = d
	}
	if d > l.Max {
		l.Max = d
	}
	l.Count++
	l.Total += d
}

// Mean is the average delay (0 when nothing was answered).
func (l Latency) Mean() time.Duration {
	if l.Count == 0 {
		return 0
	}
	return l.Total / time.Duration(l.Count)
}

// observeReply times a reply against the command it answers: the session's
// command latency, and the channel's setup and transfer reply times.
func (a *Analyzer) observeReply(st *sessionState, p *pending, code int, t time.Time) {
	if !p.answered {
		p.answered = true
		st.s.Latency.add(t.Sub(p.when(st.s)))
	}
	ch := p.ch
	if ch == nil {
		return
	}
	switch ftp.Verb(p.verb).Class {
	case ftp.ActiveSetup:
		if ch.SetupReplyTime.IsZero() {
			ch.Asked, ch.SetupReplyTime = p.when(st.s), t
		}
		return
	case ftp.TransferVerb:
	default:
		return
	}
	if ch.Command == "" {
		return
	}
	if ch.FirstReply.IsZero() {
		ch.FirstReply = t
	}
	if code >= 100 && code < 200 && ch.Prelim.IsZero() {
		ch.Prelim = t
	}
}
