package analysis

import (
	"sort"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// Packet takes every TCP segment that is not part of a control connection and
// every ICMP error, in capture order.
func (a *Analyzer) Packet(p *capture.Packet) {
	a.clock(p.Time)
	a.data.packet(p)
	if a.overBudget() {
		a.shed()
	}
}

// Advance tells the Analyzer that capture time has reached now. It settles the
// channels whose outcome can no longer change, emits sessions that ended, and
// forgets old unmatched attempts. It does real work at most once per
// capture-second, so calling it for every packet is cheap.
func (a *Analyzer) Advance(now time.Time) {
	a.clock(now)
	if now.Before(a.nextTick) {
		return
	}
	a.nextTick = now.Add(time.Second)
	a.data.expire(now)
	a.settle(now)
	var done []*sessionState
	for st := a.ending.PopDue(now); st != nil; st = a.ending.PopDue(now) {
		done = append(done, st)
	}
	sortStates(done)
	for _, st := range done {
		a.emitSession(st)
	}
	if a.overBudget() {
		a.shed()
	}
}

// settle finalises channels whose transfer got its final reply long enough ago.
func (a *Analyzer) settle(now time.Time) {
	keep := a.data.settling[:0]
	for _, ch := range a.data.settling {
		switch {
		case ch.final:
		case now.Before(ch.settleAt):
			keep = append(keep, ch)
		case ch.finalReply() != 0:
			a.finalize(ch, now, false)
		default:
			// Scheduled by a connection attempt (Config.Stream): judge it once
			// its SYNs have gone unanswered for DataTimeout; an established
			// connection waits for the transfer's reply or the session's end.
			last, est := lastAttempt(ch)
			switch {
			case est:
				ch.settleAt = time.Time{}
			case now.Sub(last) >= a.cfg.DataTimeout:
				a.finalize(ch, now, false)
			default:
				ch.settleAt = last.Add(a.cfg.DataTimeout)
				keep = append(keep, ch)
			}
		}
	}
	clear(a.data.settling[len(keep):])
	a.data.settling = keep
}

// Finish ends the input at capture time now: every channel is judged with
// what was seen, every session is emitted, in start order.
func (a *Analyzer) Finish(now time.Time) {
	a.clock(now)
	all := a.sessions.appendAll(make([]*sessionState, 0, a.sessions.len()))
	sortStates(all)
	a.ending.Reset()
	for _, st := range all {
		if !st.s.ended {
			a.stats.OpenAtEnd++
			a.note(st, Note{Time: now, Kind: NoteCaptureEnd, What: NoteOpenAtEnd})
			st.s.ended = true
			st.s.Closed = "capture-end"
			a.sessionEnded(st)
		}
		a.emitSessionAt(st, now, true)
	}
}

func sortStates(list []*sessionState) {
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i].s, list[j].s
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if c := a.Client.Compare(b.Client); c != 0 {
			return c < 0
		}
		return a.Server.Compare(b.Server) < 0
	})
}

func (a *Analyzer) emitSession(st *sessionState) { a.emitSessionAt(st, a.now, false) }

// emitSessionAt finalises the session's channels and hands it to the sink.
func (a *Analyzer) emitSessionAt(st *sessionState, now time.Time, captureEnd bool) {
	for _, ch := range st.s.Channels {
		if !ch.final {
			a.finalize(ch, now, captureEnd)
		}
	}
	a.forgetSession(st)
	a.unhost(st.key())
	a.lru.Remove(st)
	a.ending.Remove(st)
	// The session leaves the Analyzer: what it held is given back, and its
	// channels leave the queue of judged ones (which must not keep them).
	for _, ch := range st.s.Channels {
		a.judged.remove(ch)
		ch.cost = 0
	}
	a.used -= st.s.cost
	st.s.cost = 0
	if a.sink.Session != nil {
		a.sink.Session(st.s)
	}
}

// finalize judges a channel, stops following its connections and reports it.
func (a *Analyzer) finalize(ch *Channel, now time.Time, captureEnd bool) {
	if ch.final {
		return
	}
	ch.final = true
	a.judge(ch, now, captureEnd)
	a.data.unexpect(ch)
	if !ch.unlisted && !ch.session.ended {
		a.recost(ch)
		a.judged.push(ch)
	}
	a.stats.Verdicts[ch.Verdict]++
	if ch.Blocked {
		a.stats.Blocked++
	}
	if a.sink.Channel != nil {
		a.sink.Channel(ch.session, ch)
	}
}

// lastAttempt returns the time of the channel's latest SYN (or attempt
// activity) and whether any attempt got through.
func lastAttempt(ch *Channel) (last time.Time, established bool) {
	for _, at := range ch.Attempts {
		if at.Established() {
			established = true
		}
		if at.Last.After(last) {
			last = at.Last
		}
		if !at.RST.IsZero() && at.RST.After(last) {
			last = at.RST
		}
		if at.ICMP != nil && at.ICMP.Time.After(last) {
			last = at.ICMP.Time
		}
	}
	return last, established
}
