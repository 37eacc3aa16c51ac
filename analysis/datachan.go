package analysis

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/reassembly"
)

// flowKey names a data connection from its initiator to its acceptor.
type flowKey struct {
	from, to netip.AddrPort
}

// conn is one TCP connection the tracker follows: either claimed by a channel,
// or an unmatched attempt remembered for AttemptWindow in case its
// announcement is released later.
type conn struct {
	key     flowKey
	att     *Attempt
	ch      *Channel
	created time.Time
	// first is the number of the packet that began following it
	// (capture.Packet.Num): its name for Config.Claims.
	first uint64
	// prevByDst chains unmatched attempts toward the same endpoint.
	prevByDst *conn
	dead      bool
	// refd says the connection's ports are counted in portRefs. Only
	// claimed connections are: an unmatched attempt needs just its SYN,
	// SYN-ACK, RST and ICMP packets, which bypass the port filter anyway, so
	// the bulk of background traffic never leaves the fast path. An
	// unmatched attempt between two hosts that hold an FTP session is the
	// exception: it may be a data connection whose announcement is released
	// later, and its payload and FIN must be counted meanwhile.
	refd bool
	// span measures each direction in sequence space (seqspan.go): [0]
	// from the initiator, [1] from the acceptor.
	span [2]seqSpan
	// os puts the data in order for Config.Payload (payload.go);
	// noStream says the consumer wanted none of this connection.
	os       *orderedStream
	noStream bool
}

// epKey is an endpoint as three words, the key of the per-endpoint maps
// (dataTracker.expects, byDst): plain memory a map hashes in one pass, where
// a netip.AddrPort is hashed field by field. The third word holds the port
// and whether the address is IPv4 (As16 writes it IPv4-mapped, which a real
// IPv6 address can be too).
type epKey [3]uint64

func epOf(ep netip.AddrPort) epKey {
	a := ep.Addr().As16()
	last := uint64(ep.Port())
	if ep.Addr().Is4() {
		last |= 1 << 16
	}
	return epKey{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:]), last}
}

// hostPair is an unordered pair of host addresses, the lower first, as
// four words: 32 bytes of plain memory a map hashes in one pass (two
// netip.Addrs are 48 bytes hashed field by field). Addresses are unmapped
// first, so As16 tells IPv4 from IPv6 without a flag.
type hostPair [4]uint64

func hostPairOf(x, y netip.Addr) hostPair {
	x, y = unmapped(x), unmapped(y)
	if y.Less(x) {
		x, y = y, x
	}
	a, b := x.As16(), y.As16()
	return hostPair{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:]),
		binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// unhost forgets a session in Analyzer.hosts.
func (a *Analyzer) unhost(k reassembly.ConnKey) {
	a.hosts.remove(k.Client.Addr(), k.Server.Addr())
}

// dataTracker follows data connections by counters, never buffers. Most
// packets of a large capture are not FTP: they are rejected by two lookups in
// a port reference table before any map is touched.
type dataTracker struct {
	a *Analyzer
	// expects holds, per endpoint, the channels that may be connected to
	// it: a short list that pick scans, or (for a crowded endpoint) only
	// their count, wait then indexing them.
	expects map[epKey]*waiters
	wait    waitIndex
	// conns holds the followed connections by initiator -> acceptor. It is
	// changed only through setConn and delConn, which keep cache in step.
	conns map[flowKey]*conn
	cache *connCache
	// byDst indexes unmatched attempts by their destination.
	byDst map[epKey]*conn
	// unmatched lists unmatched attempts in creation order, for expiry.
	unmatched     []*conn
	unmatchedHead int
	// portRefs counts, per TCP port, the expected endpoints and followed
	// connections using it: a packet with neither port referenced cannot
	// matter, unless it is a SYN or RST.
	portRefs [65536]uint32
	// settling lists channels with a settle deadline, for Advance.
	settling []*Channel
	// checkPick, set by tests, sees every pick's question and answer.
	checkPick func(ep, from netip.AddrPort, ch *Channel, m Match)
	// listedMax is the constant listedMax; tests lower it to drive the
	// wait index with few channels.
	listedMax int
}

func (d *dataTracker) init(a *Analyzer) {
	d.a = a
	d.expects = make(map[epKey]*waiters)
	d.listedMax = listedMax
	d.wait.init()
	d.conns = make(map[flowKey]*conn)
	d.cache = new(connCache)
	d.byDst = make(map[epKey]*conn)
}

func (d *dataTracker) ref(ap netip.AddrPort, n int) {
	d.portRefs[ap.Port()] = uint32(int(d.portRefs[ap.Port()]) + n)
}

// expect indexes a new channel under its announced and alternate endpoints,
// and claims attempts toward them that were seen before the announcement.
func (d *dataTracker) expect(ch *Channel) {
	eps := ch.endpoints()
	d.wait.seq++
	ch.seq = d.wait.seq
	for _, ep := range eps {
		d.ref(ep, 1)
		d.join(ch, ep)
	}
	for _, ep := range eps {
		for c := d.byDst[epOf(ep)]; c != nil && !d.full(ch); c = c.prevByDst {
			if c.ch == nil && !c.dead && !c.created.Before(ch.Time.Add(-d.a.cfg.AttemptWindow)) && d.initiatorFits(ch, c.key.from) && d.mayClaim(c) {
				d.claim(c, ch)
			}
		}
	}
}

// unexpect removes a channel from the index (refused PORT, final verdict).
func (d *dataTracker) unexpect(ch *Channel) {
	if ch.seq == 0 || ch.unexpected {
		return // never expected, or already removed
	}
	ch.unexpected = true
	d.wait.unindex(ch)
	for _, ep := range ch.endpoints() {
		d.leave(ch, ep)
		d.ref(ep, -1)
	}
	for _, at := range ch.Attempts {
		k := flowKey{at.From, at.To}
		if c := d.conns[k]; c != nil && c.ch == ch {
			d.delConn(k)
			d.unrefConn(c)
		}
	}
}

// initiatorFits checks that a connection comes from the side that should open
// it: the server's address in active mode, the client's in passive mode. A
// different source is still accepted when it is the only explanation (NAT on
// the far side rewrites sources), so this only rules out the announcer itself.
func (d *dataTracker) initiatorFits(ch *Channel, from netip.AddrPort) bool {
	s := ch.session
	if ch.Mode() == Active {
		return !sameAddr(from.Addr(), s.Client.Addr()) || sameAddr(s.Client.Addr(), s.Server.Addr())
	}
	return !sameAddr(from.Addr(), s.Server.Addr()) || sameAddr(s.Client.Addr(), s.Server.Addr())
}

// pick chooses the channel a new connection toward ep belongs to. Servers
// reuse passive ports, so several sessions may wait on one endpoint: prefer a
// session still open, then a connection from the expected initiator's address,
// then the announced endpoint over the control-address alternate, and among
// equals the most recent announcement (the older ones were usually given up),
// and among those the first announced. A channel is eligible when it is not
// final, not full, the connection comes from a side that may open it
// (initiatorFits), and no connection from another initiator is established
// on it. The waiting channels are indexed by that rule (waitindex.go), so a
// pick costs a few steps however many channels wait.
func (d *dataTracker) pick(ep, from netip.AddrPort) (*Channel, Match) {
	var (
		ch *Channel
		m  = MatchNone
	)
	if ws := d.expects[epOf(ep)]; ws != nil {
		if ws.indexed {
			ch, m = d.pickIndexed(ep, from)
		} else {
			ch, m = d.pickListed(ws.list, ep, from)
		}
	}
	if d.checkPick != nil {
		d.checkPick(ep, from, ch, m)
	}
	return ch, m
}

func (d *dataTracker) pickIndexed(ep, from netip.AddrPort) (*Channel, Match) {
	w := &d.wait
	src := unmapped(from.Addr())
	ready, mine, busy := w.ready[ep], w.mine[epAddr{ep, src}], w.busy[flowKey{from, ep}]
	if ready == nil && busy == nil {
		return nil, MatchNone
	}
	for s := 7; s >= 0; s-- {
		w.steps++
		open, own, ann := s&4 != 0, s&2 != 0, s&1 != 0
		lv := level(open, ann)
		var best *Channel
		switch {
		case own && mine != nil:
			best = mine.heaps[lv].top()
		case !own && ready != nil:
			best = ready.parts[lv].best(src)
		}
		if busy != nil {
			if c := busy.heaps[s].top(); c != nil && (best == nil || busy.heaps[s].before(c, best)) {
				best = c
			}
		}
		if best != nil {
			if best.Announced == ep {
				return best, MatchAnnounced
			}
			return best, MatchControl
		}
	}
	return nil, MatchNone
}

// initiator is the address expected to open a channel's data connection.
func (d *dataTracker) initiator(ch *Channel) netip.Addr {
	if ch.Mode() == Active {
		return ch.session.Server.Addr()
	}
	return ch.session.Client.Addr()
}

// mayClaim asks Config.Claims, when set, whether c may go to a channel of
// this analyzer (another one sharing the input may have it).
func (d *dataTracker) mayClaim(c *conn) bool {
	return d.a.cfg.Claims == nil || d.a.cfg.Claims.Claim(c.first)
}

func (d *dataTracker) claim(c *conn, ch *Channel) {
	c.ch = ch
	if ch.Announced == c.key.to {
		c.att.Match = MatchAnnounced
	} else {
		c.att.Match = MatchControl
	}
	ch.Attempts = append(ch.Attempts, c.att)
	d.a.recost(ch)
	d.a.stats.Attempts++
	d.reindex(ch)
	d.refConn(c)
	d.unlinkDst(c)
	if d.a.cfg.Stream && ch.settleAt.IsZero() {
		// Live: check back once the SYNs could have gone unanswered long enough.
		ch.settleAt = c.att.Last.Add(d.a.cfg.DataTimeout)
		d.settleLater(ch)
	}
}

// full reports whether ch follows as many attempts as it may.
func (d *dataTracker) full(ch *Channel) bool { return len(ch.Attempts) >= d.a.cfg.MaxChannelAttempts }

// unfollowed counts a SYN toward ep that a channel would have claimed had it
// not been full, and says so once in the channel's session.
func (d *dataTracker) unfollowed(ep, from netip.AddrPort, t time.Time, first uint64) {
	var ch *Channel
	ws := d.expects[epOf(ep)]
	switch {
	case ws == nil:
	case ws.indexed:
		if e := d.wait.full[ep]; e != nil {
			ch = e.parts[0].best(unmapped(from.Addr()))
		}
	default:
		ch = d.firstFullListed(ws.list, from)
	}
	if ch == nil {
		return
	}
	if d.a.cfg.Claims == nil {
		d.capped(ch, ep, t)
		return
	}
	// With other analyzers on the input, the attempt is unfollowed only
	// if none of them claimed it: asked before the next packet.
	d.a.cfg.Claims.Unclaimed(first, func(unclaimed bool) {
		if unclaimed {
			d.capped(ch, ep, t)
		}
	})
}

// capped counts an attempt toward ep that ch, already following
// MaxChannelAttempts of them, does not follow, and notes it once.
func (d *dataTracker) capped(ch *Channel, ep netip.AddrPort, t time.Time) {
	d.a.stats.UnfollowedAttempts++
	if !ch.capped {
		ch.capped = true
		if st := d.a.session(reassembly.ConnKey{Client: ch.session.Client, Server: ch.session.Server}); st != nil {
			d.a.note(st, Note{Time: t, Kind: NoteEviction, What: NoteAttemptsCapped, N: uint64(d.a.cfg.MaxChannelAttempts), Endpoint: ep})
		}
	}
}

// keepUnmatched remembers c, an attempt no channel of this analyzer
// claimed, for AttemptWindow (within the attempt table's bound).
func (d *dataTracker) keepUnmatched(c *conn, p *capture.Packet) {
	if len(d.unmatched)-d.unmatchedHead >= d.a.cfg.MaxAttempts {
		d.expireOne()
		d.a.stats.EvictedAttempts++
	}
	c.prevByDst = d.byDst[epOf(p.Dst)]
	d.byDst[epOf(p.Dst)] = c
	d.unmatched = append(d.unmatched, c)
}

// forget drops anything known about a connection that turned out to be a
// control connection.
// It reports whether the connection's SYN was seen.
func (d *dataTracker) forget(x, y netip.AddrPort) (sawSYN bool) {
	for _, k := range []flowKey{{x, y}, {y, x}} {
		if c := d.conns[k]; c != nil && c.ch == nil {
			sawSYN = sawSYN || c.att.SYNs > 0
			c.dead = true
			d.delConn(k)
			d.unrefConn(c)
		}
	}
	return sawSYN
}

// packet follows one non-control TCP segment or ICMP error.
func (d *dataTracker) packet(p *capture.Packet) {
	if p.Kind == capture.KindICMP {
		d.icmp(p)
		return
	}
	f := p.Flags
	if f&(capture.SYN|capture.RST) == 0 && d.portRefs[p.Src.Port()] == 0 && d.portRefs[p.Dst.Port()] == 0 {
		return
	}
	if d.a.duplicate(p) {
		return
	}
	c, fwd := d.lookupConn(p.Src, p.Dst)
	if f.Has(capture.SYN) && !f.Has(capture.ACK) {
		if c != nil && fwd && (c.att.FIN || !c.att.RST.IsZero()) && p.Time.Sub(c.att.Last) > time.Second {
			// The four-tuple is reused by a new connection.
			c = nil
		}
		if c == nil {
			c = d.newAttempt(p)
			if c == nil {
				return
			}
		} else if fwd {
			was := c.att.Established()
			c.att.SYNs++
			c.att.Last = p.Time
			// Its SYN-ACK (or data) came first, out of order: the
			// connection did not begin before the capture after all.
			c.att.NoSYN = false
			d.settled(c, was)
		}
		if c.key.from == p.Src {
			c.span[0].syn(p.Seq)
			c.count()
		}
		return
	}
	if c == nil {
		// A connection whose SYN is not in the capture (it began earlier, or
		// the SYN was lost): worth following only toward an expected endpoint.
		if f.Has(capture.RST) && p.PayloadLen == 0 {
			return
		}
		c = d.midFlow(p)
		if c == nil {
			return
		}
		fwd = c.key.from == p.Src
	}
	at := c.att
	defer d.settled(c, at.Established())
	if c.ch != nil {
		c.ch.session.dataAt = p.Time.Sub(c.ch.session.Start)
	}
	switch {
	case f.Has(capture.SYN | capture.ACK):
		if !fwd && at.SYNACK.IsZero() {
			at.SYNACK = p.Time
		}
		if !fwd {
			c.span[1].syn(p.Seq)
			c.count()
		}
	case f.Has(capture.RST):
		if at.Established() {
			at.ResetLater = true
		} else if !fwd && at.RST.IsZero() {
			at.RST = p.Time
		}
	}
	if f.Has(capture.FIN) {
		at.FIN = true
	}
	// A reset's payload, if any, is a diagnostic text, not stream data.
	if (p.PayloadLen > 0 || f.Has(capture.FIN)) && !f.Has(capture.RST) {
		if at.FirstData.IsZero() && p.PayloadLen > 0 {
			at.FirstData = p.Time
		}
		sp := &c.span[0]
		if !fwd {
			sp = &c.span[1]
		}
		if f.Has(capture.FIN) {
			sp.fin(p.Seq, p.PayloadLen)
		} else {
			sp.add(p.Seq, p.PayloadLen)
		}
		if p.PayloadLen > 0 {
			c.cover(fwd, p)
			d.payload(c, fwd, p)
		}
		c.count()
	}
	at.Packets++
}

// bytes counts the connection's payload bytes in both directions, each
// sequence number once.
func (c *conn) bytes() uint64 { return c.span[0].bytes() + c.span[1].bytes() }

// count brings the attempt's byte counts in step with the spans.
func (c *conn) count() {
	at := c.att
	at.Bytes = c.bytes()
	at.Sent = [2]uint64{c.span[0].bytes(), c.span[1].bytes()}
}

// cover records a payload segment's captured bytes and time, from the
// initiator when fwd.
func (c *conn) cover(fwd bool, p *capture.Packet) {
	d := c.att.data
	if d == nil {
		d = new(dataFacts)
		c.att.data = d
	}
	i := 0
	if !fwd {
		i = 1
	}
	d.cov[i].add(p.Seq, min(len(p.Payload), p.PayloadLen))
	if d.first[i].IsZero() {
		d.first[i] = p.Time
	}
	d.last[i] = p.Time
}

// settled re-indexes the channel of c when c's establishment changed (from
// was): an established connection makes its channel busy for others.
func (d *dataTracker) settled(c *conn, was bool) {
	if c.ch != nil && c.att.Established() != was {
		d.reindex(c.ch)
	}
}

// newAttempt starts following a SYN: claimed by a waiting channel, or kept
// unmatched for AttemptWindow.
func (d *dataTracker) newAttempt(p *capture.Packet) *conn {
	k := flowKey{p.Src, p.Dst}
	c := &conn{key: k, created: p.Time, first: p.Num, att: &Attempt{From: p.Src, To: p.Dst, SYNs: 1, First: p.Time, Last: p.Time, Packets: 1}}
	pending := false
	if ch, _ := d.pick(p.Dst, p.Src); ch != nil && d.mayClaim(c) {
		d.claim(c, ch)
	} else if ch != nil {
		// Another analyzer's channel has it (Config.Claims).
		pending = d.a.hosts.held(p.Src.Addr(), p.Dst.Addr())
		d.keepUnmatched(c, p)
	} else {
		// Its announcement may be still to come (reassembly releases it
		// later, or the capture put the SYN first): between the hosts of
		// a session, follow its payload meanwhile. The attempt table's
		// limit bounds these too.
		pending = d.a.hosts.held(p.Src.Addr(), p.Dst.Addr())
		d.unfollowed(p.Dst, p.Src, p.Time, c.first)
		d.keepUnmatched(c, p)
	}
	if old := d.conns[k]; old != nil {
		d.closeStream(old)
		old.dead = true
		d.unrefConn(old)
	}
	d.setConn(k, c)
	if pending {
		d.refConn(c)
	}
	return c
}

// midFlow adopts a connection seen without its SYN when one of its ends is an
// expected endpoint.
func (d *dataTracker) midFlow(p *capture.Packet) *conn {
	for _, k := range []flowKey{{p.Src, p.Dst}, {p.Dst, p.Src}} {
		ch, _ := d.pick(k.to, k.from)
		if ch == nil {
			continue
		}
		c := &conn{key: k, created: p.Time, first: p.Num, att: &Attempt{From: k.from, To: k.to, NoSYN: true, First: p.Time, Last: p.Time}}
		if !d.mayClaim(c) {
			return nil
		}
		d.claim(c, ch)
		d.setConn(k, c)
		return c
	}
	return nil
}

// icmp attributes an ICMP error to the attempt whose SYN it quotes.
func (d *dataTracker) icmp(p *capture.Packet) {
	e := p.ICMP
	if !e.Unreachable() {
		return
	}
	k := flowKey{e.Src, e.Dst}
	c := d.conns[k]
	if c == nil {
		// The SYN itself is not in the capture (taken behind the firewall
		// that answered), but the quote proves it was sent.
		ch, _ := d.pick(e.Dst, e.Src)
		if ch == nil {
			return
		}
		c = &conn{key: k, created: p.Time, first: p.Num, att: &Attempt{From: e.Src, To: e.Dst, First: p.Time, Last: p.Time}}
		if !d.mayClaim(c) {
			return
		}
		d.claim(c, ch)
		d.setConn(k, c)
	}
	if c.att.ICMP == nil {
		c.att.ICMP = &ICMPInfo{From: e.From, V6: e.V6, Type: e.Type, Code: e.Code, Time: p.Time}
	}
}

// expireOne forgets the oldest unmatched attempt.
func (d *dataTracker) expireOne() {
	for d.unmatchedHead < len(d.unmatched) {
		c := d.unmatched[d.unmatchedHead]
		d.unmatched[d.unmatchedHead] = nil
		d.unmatchedHead++
		if c.ch != nil || c.dead {
			continue
		}
		d.drop(c)
		return
	}
}

func (d *dataTracker) drop(c *conn) {
	c.dead = true
	if d.conns[c.key] == c {
		d.delConn(c.key)
		d.unrefConn(c)
	}
	d.unlinkDst(c)
}

// unlinkDst moves the byDst head past c and any dead or claimed links.
func (d *dataTracker) unlinkDst(c *conn) {
	if d.byDst[epOf(c.key.to)] != c {
		return
	}
	p := c.prevByDst
	for p != nil && (p.dead || p.ch != nil) {
		p = p.prevByDst
	}
	if p == nil {
		delete(d.byDst, epOf(c.key.to))
	} else {
		d.byDst[epOf(c.key.to)] = p
	}
}

// expire forgets unmatched attempts older than the window.
func (d *dataTracker) expire(now time.Time) {
	limit := now.Add(-d.a.cfg.AttemptWindow)
	for d.unmatchedHead < len(d.unmatched) {
		c := d.unmatched[d.unmatchedHead]
		if c.created.After(limit) {
			break
		}
		d.unmatched[d.unmatchedHead] = nil
		d.unmatchedHead++
		if c.ch == nil && !c.dead {
			d.drop(c)
		}
	}
	// Compact the queue once its dead head dominates.
	if d.unmatchedHead > 1024 && d.unmatchedHead*2 > len(d.unmatched) {
		n := copy(d.unmatched, d.unmatched[d.unmatchedHead:])
		clear(d.unmatched[n:])
		d.unmatched = d.unmatched[:n]
		d.unmatchedHead = 0
	}
}

func (d *dataTracker) settleLater(ch *Channel) { d.settling = append(d.settling, ch) }

// refConn counts a followed connection's ports in portRefs, once.
func (d *dataTracker) refConn(c *conn) {
	if !c.refd {
		c.refd = true
		d.ref(c.key.from, 1)
		d.ref(c.key.to, 1)
	}
}

// unrefConn undoes refConn.
func (d *dataTracker) unrefConn(c *conn) {
	if c.refd {
		c.refd = false
		d.ref(c.key.from, -1)
		d.ref(c.key.to, -1)
	}
}
