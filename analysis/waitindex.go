package analysis

import (
	"net/netip"
	"slices"
)

// The waiting channels are indexed so that a new connection finds the
// channel it belongs to in a few steps, however many channels wait on its
// endpoint: servers reuse passive ports, and a hostile capture may have
// thousands of sessions announce one endpoint and then send a SYN flood to
// it. dataTracker.pick's rule (see there) ranks the eligible channels by a
// score of three bits (session open, connection from the expected
// initiator's address, announced endpoint rather than the control-address
// alternate), then by the newest announcement, then by the first indexed.
// Each channel is kept, per endpoint it may be reached at, in the sets of
// its score level, in binary heaps ordered by that rule:
//
//   - ready: channels that can take a connection from any source but the
//     announcer's own address (the source a channel never accepts), one
//     heap per announcer address ("partition"), the partitions themselves
//     in a heap by their best channel, so that the best channel outside one
//     partition is among the top three partitions' heads;
//   - mine: the same channels again by the address expected to connect (the
//     score's second bit);
//   - busy: channels whose data connection is established, which take only
//     further connections from that same initiator endpoint;
//   - full: channels following Config.MaxChannelAttempts attempts, which take
//     none but are asked for by unfollowed, first indexed first.
//
// A channel with established connections from two initiators takes no new
// one and is in no set. Every change of what decides a channel's place
// (an attempt claimed or established, its session ended) re-indexes it, in
// O(log n).

// member is one channel's place in one heap.
type member struct {
	ch *Channel
	h  *chanHeap
	i  int
	ps *partSet // the partitioned set holding h, if any
	pt *part
	e  *waitEntry
}

// chanHeap is a binary heap of channels, the best first: by newest
// announcement then first indexed, or (byAge) first indexed only.
type chanHeap struct {
	h     []*member
	byAge bool
	steps *uint64 // the index's comparison count
}

func (s *chanHeap) before(a, b *Channel) bool {
	*s.steps++
	if !s.byAge && !a.Time.Equal(b.Time) {
		return a.Time.After(b.Time)
	}
	return a.seq < b.seq
}

func (s *chanHeap) top() *Channel {
	if len(s.h) == 0 {
		return nil
	}
	return s.h[0].ch
}

func (s *chanHeap) swap(i, j int) {
	s.h[i], s.h[j] = s.h[j], s.h[i]
	s.h[i].i, s.h[j].i = i, j
}

func (s *chanHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.before(s.h[i].ch, s.h[p].ch) {
			return
		}
		s.swap(i, p)
		i = p
	}
}

func (s *chanHeap) down(i int) {
	for {
		l, best := 2*i+1, i
		if l < len(s.h) && s.before(s.h[l].ch, s.h[best].ch) {
			best = l
		}
		if r := l + 1; r < len(s.h) && s.before(s.h[r].ch, s.h[best].ch) {
			best = r
		}
		if best == i {
			return
		}
		s.swap(i, best)
		i = best
	}
}

func (s *chanHeap) push(m *member) {
	m.h, m.i = s, len(s.h)
	s.h = append(s.h, m)
	s.up(m.i)
}

func (s *chanHeap) remove(m *member) {
	i, last := m.i, len(s.h)-1
	if i != last {
		s.swap(i, last)
	}
	s.h[last] = nil
	s.h = s.h[:last]
	if i != last {
		s.down(i)
		s.up(i)
	}
	if len(s.h) == 0 {
		s.h = nil
	}
}

// part is one partition of a partSet: the channels of one announcer address.
type part struct {
	excl netip.Addr
	set  chanHeap
	i    int
}

// partSet holds channels partitioned by the one source address each refuses
// (the zero Addr for those that refuse none), the partitions in a heap by
// their best channel.
type partSet struct {
	byExcl map[netip.Addr]*part
	h      []*part
	byAge  bool
	steps  *uint64
}

func (p *partSet) before(a, b *part) bool { return a.set.before(a.set.h[0].ch, b.set.h[0].ch) }

func (p *partSet) swap(i, j int) {
	p.h[i], p.h[j] = p.h[j], p.h[i]
	p.h[i].i, p.h[j].i = i, j
}

func (p *partSet) fix(i int) {
	for i > 0 {
		q := (i - 1) / 2
		if !p.before(p.h[i], p.h[q]) {
			break
		}
		p.swap(i, q)
		i = q
	}
	for {
		l, best := 2*i+1, i
		if l < len(p.h) && p.before(p.h[l], p.h[best]) {
			best = l
		}
		if r := l + 1; r < len(p.h) && p.before(p.h[r], p.h[best]) {
			best = r
		}
		if best == i {
			return
		}
		p.swap(i, best)
		i = best
	}
}

func (p *partSet) add(m *member, excl netip.Addr) {
	pt := p.byExcl[excl]
	if pt == nil {
		if p.byExcl == nil {
			p.byExcl = make(map[netip.Addr]*part)
		}
		pt = &part{excl: excl, set: chanHeap{byAge: p.byAge, steps: p.steps}, i: len(p.h)}
		p.byExcl[excl] = pt
		p.h = append(p.h, pt)
	}
	pt.set.push(m)
	m.ps, m.pt = p, pt
	p.fix(pt.i)
}

func (p *partSet) remove(m *member) {
	pt := m.pt
	pt.set.remove(m)
	if len(pt.set.h) > 0 {
		p.fix(pt.i)
		return
	}
	delete(p.byExcl, pt.excl)
	i, last := pt.i, len(p.h)-1
	if i != last {
		p.swap(i, last)
	}
	p.h[last] = nil
	p.h = p.h[:last]
	if i != last {
		p.fix(i)
	}
}

// best returns the best channel that does not refuse a connection from src.
// At most one partition refuses src, so the answer is the head of the top
// partition or, when that one refuses src, of the better of its two children.
func (p *partSet) best(src netip.Addr) *Channel {
	if len(p.h) == 0 {
		return nil
	}
	if p.h[0].excl != src {
		return p.h[0].set.top()
	}
	var c *part
	for _, i := range []int{1, 2} {
		if i < len(p.h) && (c == nil || p.before(p.h[i], c)) {
			c = p.h[i]
		}
	}
	if c == nil {
		return nil
	}
	return c.set.top()
}

// waitEntry is one key's sets in one of the tracker's indexes; n counts its
// members, so that it leaves its map when the last one goes.
type waitEntry struct {
	n     int
	kind  entryKind
	key   flowKey
	parts []partSet
	heaps []chanHeap
}

type entryKind uint8

const (
	entryReady entryKind = iota // by endpoint: 4 partSets, by (open, announced)
	entryMine                   // by endpoint and initiator address: 4 heaps, by (open, announced)
	entryBusy                   // by initiator endpoint and endpoint: 8 heaps, by score
	entryFull                   // by endpoint: 1 partSet, first indexed first
)

// epAddr keys the mine index: an endpoint and the address expected to
// connect to it.
type epAddr struct {
	ep   netip.AddrPort
	addr netip.Addr
}

// waitIndex holds the waiting channels (see the top of this file).
type waitIndex struct {
	ready map[netip.AddrPort]*waitEntry
	mine  map[epAddr]*waitEntry
	busy  map[flowKey]*waitEntry
	full  map[netip.AddrPort]*waitEntry
	seq   uint64
	// steps counts the comparisons and score levels examined, so tests
	// can bound the cost of matching without timing it (Stats.MatchSteps).
	steps uint64
}

func (w *waitIndex) init() {
	w.ready = make(map[netip.AddrPort]*waitEntry)
	w.mine = make(map[epAddr]*waitEntry)
	w.busy = make(map[flowKey]*waitEntry)
	w.full = make(map[netip.AddrPort]*waitEntry)
}

func (w *waitIndex) newEntry(kind entryKind, key flowKey) *waitEntry {
	e := &waitEntry{kind: kind, key: key}
	switch kind {
	case entryReady:
		e.parts = make([]partSet, 4)
	case entryFull:
		e.parts = []partSet{{byAge: true}}
	case entryMine:
		e.heaps = make([]chanHeap, 4)
	case entryBusy:
		e.heaps = make([]chanHeap, 8)
	}
	for i := range e.parts {
		e.parts[i].steps = &w.steps
	}
	for i := range e.heaps {
		e.heaps[i].steps = &w.steps
	}
	return e
}

func (w *waitIndex) entry(kind entryKind, key flowKey) *waitEntry {
	var e *waitEntry
	switch kind {
	case entryReady:
		if e = w.ready[key.to]; e == nil {
			e = w.newEntry(kind, key)
			w.ready[key.to] = e
		}
	case entryFull:
		if e = w.full[key.to]; e == nil {
			e = w.newEntry(kind, key)
			w.full[key.to] = e
		}
	case entryMine:
		k := epAddr{key.to, key.from.Addr()}
		if e = w.mine[k]; e == nil {
			e = w.newEntry(kind, key)
			w.mine[k] = e
		}
	case entryBusy:
		if e = w.busy[key]; e == nil {
			e = w.newEntry(kind, key)
			w.busy[key] = e
		}
	}
	return e
}

func (w *waitIndex) release(e *waitEntry) {
	e.n--
	if e.n > 0 {
		return
	}
	switch e.kind {
	case entryReady:
		delete(w.ready, e.key.to)
	case entryFull:
		delete(w.full, e.key.to)
	case entryMine:
		delete(w.mine, epAddr{e.key.to, e.key.from.Addr()})
	case entryBusy:
		delete(w.busy, e.key)
	}
}

func (w *waitIndex) addHeap(ch *Channel, e *waitEntry, lv int) {
	m := &member{ch: ch, e: e}
	e.n++
	e.heaps[lv].push(m)
	ch.marks = append(ch.marks, m)
}

func (w *waitIndex) addPart(ch *Channel, e *waitEntry, lv int, excl netip.Addr) {
	m := &member{ch: ch, e: e}
	e.n++
	e.parts[lv].add(m, excl)
	ch.marks = append(ch.marks, m)
}

// unindex takes a channel out of every set.
func (w *waitIndex) unindex(ch *Channel) {
	for _, m := range ch.marks {
		if m.ps != nil {
			m.ps.remove(m)
		} else {
			m.h.remove(m)
		}
		w.release(m.e)
	}
	clear(ch.marks)
	ch.marks = ch.marks[:0]
}

// level is a channel's place among the four (open, announced) sets of an endpoint.
func level(open, ann bool) int {
	l := 0
	if open {
		l |= 2
	}
	if ann {
		l |= 1
	}
	return l
}

// listedMax is how many channels may wait on one endpoint before the
// endpoint is indexed. Nearly every endpoint has one waiting channel, and a
// pick then scans the endpoint's short list (no allocation, a few
// comparisons); past listedMax, the endpoint's channels move into the sets
// above for good, so that a hostile crowd on one endpoint still costs each
// SYN O(log n).
const listedMax = 8

// waiters are the channels that may be connected to one endpoint: listed in
// the order they were expected while they are few, only counted once the
// endpoint is indexed.
type waiters struct {
	n       int
	list    []*Channel
	indexed bool
}

// join adds a newly expected channel to the waiters on ep.
func (d *dataTracker) join(ch *Channel, ep netip.AddrPort) {
	ws := d.expects[epOf(ep)]
	if ws == nil {
		ws = &waiters{}
		d.expects[epOf(ep)] = ws
	}
	ws.n++
	switch {
	case ws.indexed:
		ch.indexed++
		d.index(ch, ep)
	case ws.n > d.listedMax:
		ws.indexed = true
		for _, c := range append(ws.list, ch) {
			c.indexed++
			d.index(c, ep)
		}
		ws.list = nil
	default:
		ws.list = append(ws.list, ch)
	}
}

// leave takes a channel that is no longer expected off the waiters on ep.
func (d *dataTracker) leave(ch *Channel, ep netip.AddrPort) {
	ws := d.expects[epOf(ep)]
	if ws == nil {
		return
	}
	if i := slices.Index(ws.list, ch); i >= 0 {
		ws.list = slices.Delete(ws.list, i, i+1)
	}
	if ws.n--; ws.n == 0 {
		delete(d.expects, epOf(ep))
	}
}

// pickListed is pick's rule (see there) over the listed waiters of ep.
func (d *dataTracker) pickListed(list []*Channel, ep, from netip.AddrPort) (*Channel, Match) {
	var (
		best      *Channel
		bestScore = -1
	)
	src := unmapped(from.Addr())
	for _, ch := range list {
		d.wait.steps++
		if ch.final || !d.initiatorFits(ch, from) || d.full(ch) {
			continue
		}
		if est, n := establishedFrom(ch); n > 1 || n == 1 && est != from {
			continue
		}
		s := score(!ch.session.ended, src == unmapped(d.initiator(ch)), ch.Announced == ep)
		if s > bestScore || s == bestScore && ch.Time.After(best.Time) {
			best, bestScore = ch, s
		}
	}
	switch {
	case best == nil:
		return nil, MatchNone
	case best.Announced == ep:
		return best, MatchAnnounced
	}
	return best, MatchControl
}

// firstFullListed is unfollowed's choice among the listed waiters: the
// first expected of the full channels that may take a connection from from.
func (d *dataTracker) firstFullListed(list []*Channel, from netip.AddrPort) *Channel {
	src := unmapped(from.Addr())
	for _, ch := range list {
		d.wait.steps++
		if !ch.final && d.full(ch) && d.refused(ch) != src {
			return ch
		}
	}
	return nil
}

// index puts a waiting channel in the sets its state calls for under ep,
// one of its endpoints that is indexed.
func (d *dataTracker) index(ch *Channel, ep netip.AddrPort) {
	w := &d.wait
	if ch.final || ch.seq == 0 || ch.unexpected {
		return
	}
	excl := d.refused(ch)
	if d.full(ch) {
		w.addPart(ch, w.entry(entryFull, flowKey{to: ep}), 0, excl)
		return
	}
	est, n := establishedFrom(ch)
	open := !ch.session.ended
	init := unmapped(d.initiator(ch))
	ann := ch.Announced == ep
	switch n {
	case 0:
		w.addPart(ch, w.entry(entryReady, flowKey{to: ep}), level(open, ann), excl)
		w.addHeap(ch, w.entry(entryMine, flowKey{from: netip.AddrPortFrom(init, 0), to: ep}), level(open, ann))
	case 1:
		w.addHeap(ch, w.entry(entryBusy, flowKey{from: est, to: ep}), score(open, unmapped(est.Addr()) == init, ann))
	}
}

// score is pick's rank of a channel: session open 4, connection from the
// expected initiator's address 2, announced endpoint 1.
func score(open, mine, ann bool) int {
	s := level(open, ann)
	if s&2 != 0 {
		s += 2
	}
	if mine {
		s += 2
	}
	return s
}

// reindex moves a channel to the sets of its present state. A channel on
// listed endpoints only has nothing to move: the scan reads its state.
func (d *dataTracker) reindex(ch *Channel) {
	if ch.indexed == 0 {
		return
	}
	d.wait.unindex(ch)
	for _, ep := range ch.endpoints() {
		if ws := d.expects[epOf(ep)]; ws != nil && ws.indexed {
			d.index(ch, ep)
		}
	}
}

// endpoints lists the endpoints a channel may be connected to.
func (ch *Channel) endpoints() []netip.AddrPort {
	if ch.Alternate != ch.Announced {
		return []netip.AddrPort{ch.Announced, ch.Alternate}
	}
	return []netip.AddrPort{ch.Announced}
}

// refused is the source address a channel never takes a connection from
// (see initiatorFits): the announcer's own, unless both ends share one
// address; the zero Addr then.
func (d *dataTracker) refused(ch *Channel) netip.Addr {
	s := ch.session
	if sameAddr(s.Client.Addr(), s.Server.Addr()) {
		return netip.Addr{}
	}
	if ch.Mode() == Active {
		return unmapped(s.Client.Addr())
	}
	return unmapped(s.Server.Addr())
}

// establishedFrom returns the initiator of the channel's established
// attempts and how many different ones there are (2: two or more).
func establishedFrom(ch *Channel) (netip.AddrPort, int) {
	var (
		from netip.AddrPort
		n    int
	)
	for _, at := range ch.Attempts {
		if !at.Established() {
			continue
		}
		switch {
		case n == 0:
			from, n = at.From, 1
		case at.From != from:
			return from, 2
		}
	}
	return from, n
}

// unmapped returns a with an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as
// the IPv4 address it stands for: the same host either way.
func unmapped(a netip.Addr) netip.Addr { return a.Unmap() }

// sameAddr reports whether two addresses name the same host, an
// IPv4-mapped IPv6 address being its IPv4 address.
func sameAddr(a, b netip.Addr) bool { return a.Unmap() == b.Unmap() }
