package reassembly

import (
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/deadline"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	tcpreasm "github.com/gopacket/gopacket/reassembly"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxLineLen       = 4096
	DefaultMaxStreams       = 100000
	DefaultMaxCandidates    = 65536
	DefaultMaxPagesTotal    = 65536
	DefaultMaxPagesPerConn  = 256
	DefaultGapTimeout       = 5 * time.Second
	DefaultHalfCloseTimeout = time.Minute
	DefaultIdleTimeout      = 2 * time.Hour
	DefaultCandidateTimeout = 30 * time.Second
)

const (
	// tombTTL is how long a closed control connection's four-tuple keeps
	// late packets (the last ACK, a retransmitted FIN or reply) from opening
	// a phantom mid-session connection. Two minutes covers TIME_WAIT (2 MSL)
	// on common stacks.
	tombTTL = 2 * time.Minute
	// maxTombs bounds the tombstones; the oldest go first.
	maxTombs = 65536
	// rstWindow is how far ahead of the bytes delivered so far a RST may
	// point and still be taken as ending the connection. gopacket honours
	// only a RST exactly at the next expected byte (RFC 5961); after a hole
	// in the capture the sender's position is ahead of ours, and a real RST
	// there must still end the connection rather than leave it open for
	// hours.
	rstWindow = 1 << 20
	// maxQueuedSegs bounds the per-direction record of segments gopacket
	// holds out of order (its own page limit flushes long before).
	maxQueuedSegs = 512
)

// Assembler reassembles FTP control connections out of the TCP packets of a
// capture and hands their lines to a Handler. It is not safe for concurrent
// use: one goroutine feeds it, in capture order.
type Assembler struct {
	cfg    Config
	h      Handler
	ch     ConflictHandler // h, when it implements ConflictHandler
	act    ActivityHandler // h, when it implements ActivityHandler
	detect bool

	// ctrl marks the control ports; hot marks them too, and the ports used
	// by a candidate or a connection recognised elsewhere. hot lets Packet
	// reject a data-connection packet with two bit tests and no map lookup.
	ctrl portSet
	hot  portSet
	refs map[uint16]uint32 // per port: candidates and recognised connections using it

	conns connTable // control connections and candidates
	lru   connList  // control connections, most recently active first
	cands connList  // candidates, newest first
	tombs tombstones

	pool *tcpreasm.StreamPool
	asm  *tcpreasm.Assembler

	// The packet being fed to gopacket, for the Stream callbacks.
	cur     *conn
	curRole Role
	curTime time.Time
	curNum  uint64
	curRST  bool
	synth   synthKind
	second  bool // feeding the same packet again with its own context
	retry   bool // Accept asked for the packet to be fed again with its own context
	live    pktInfo
	liveTCP layers.TCP
	liveHdr [20]byte
	synInfo pktInfo
	synTCP  layers.TCP
	synHdr  [20]byte
	ids     uint64
	got     bool // a synthetic packet made gopacket deliver something
	pending []*conn
	// closing is the connection closeConn is ending, and why: kept here
	// rather than in every conn.
	closing closing
	// ending holds connections one side has ended, for HalfCloseTimeout.
	ending   deadline.Queue[conn, *conn]
	lastTick time.Time
	// clock holds the conns' last activity times.
	clock  clock
	leaked int // gopacket connections Close found still open (tests assert 0)
	// slowOnly turns the fast path off, so that tests can compare it with
	// gopacket's handling of the same segments.
	slowOnly bool

	stats Stats
}

// closing is why and when a connection is being closed.
type closing struct {
	c   *conn
	why CloseReason
	at  time.Time
}

// synthKind says what a packet the assembler made up is for.
type synthKind uint8

const (
	synthNone  synthKind = iota
	synthFlush           // out of order, empty: makes gopacket skip to its first queued page
	synthRST             // RST at the next expected byte: closes one direction in gopacket
)

// New returns an Assembler that reports to h. Zero fields of cfg take the
// defaults above.
func New(cfg Config, h Handler) *Assembler {
	if len(cfg.ControlPorts) == 0 {
		cfg.ControlPorts = []uint16{21}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.MaxLineLen, DefaultMaxLineLen)
	def(&cfg.MaxStreams, DefaultMaxStreams)
	def(&cfg.MaxCandidates, DefaultMaxCandidates)
	def(&cfg.MaxPagesTotal, DefaultMaxPagesTotal)
	def(&cfg.MaxPagesPerConn, DefaultMaxPagesPerConn)
	defDur(&cfg.GapTimeout, DefaultGapTimeout)
	defDur(&cfg.HalfCloseTimeout, DefaultHalfCloseTimeout)
	defDur(&cfg.IdleTimeout, DefaultIdleTimeout)
	defDur(&cfg.CandidateTimeout, DefaultCandidateTimeout)

	a := &Assembler{
		cfg:    cfg,
		h:      h,
		detect: !cfg.NoDetect,
	}
	a.ch, _ = h.(ConflictHandler)
	a.act, _ = h.(ActivityHandler)
	for _, p := range cfg.ControlPorts {
		a.ctrl.set(p)
		a.hot.set(p)
	}
	a.refs = make(map[uint16]uint32)
	a.conns.init()
	a.tombs.init()
	a.live.anc[0] = &a.live
	a.synInfo.anc[0] = &a.synInfo
	a.pool = tcpreasm.NewStreamPool(factory{a})
	a.asm = tcpreasm.NewAssembler(a.pool)
	a.asm.MaxBufferedPagesTotal = cfg.MaxPagesTotal
	a.asm.MaxBufferedPagesPerConnection = cfg.MaxPagesPerConn
	return a
}

// Packet takes every TCP packet of the capture (KindTCP) in capture order and
// returns true when it belongs to an FTP control connection, so the caller
// does not also treat it as a data-connection packet.
//
// A connection recognised as FTP on a non-control port is control from the
// packet that proves it (the client's first command) on: its handshake and
// greeting were returned false before, and the caller may have taken them
// for a data-connection attempt (Handler.Open is the cue to forget it).
//
// Packets of other connections cost two bit tests, plus a map lookup when
// one of their ports is in use by a candidate or a recognised connection.
func (a *Assembler) Packet(p *capture.Packet) bool {
	if p.Kind != capture.KindTCP {
		return false
	}
	sp, dp := p.Src.Port(), p.Dst.Port()
	if !a.hot.has(sp) && !a.hot.has(dp) {
		if a.detect && isGreeting(p.Payload) {
			a.newCandidate(p, makeFlowKey(p.Src, p.Dst))
		}
		return false
	}
	if a.ctrl.has(sp) || a.ctrl.has(dp) {
		a.control(p)
		return true
	}
	return a.tracked(p)
}

// ControlPort reports whether the packet is on one of Config.ControlPorts.
func (a *Assembler) ControlPort(p *capture.Packet) bool {
	return a.ctrl.has(p.Src.Port()) || a.ctrl.has(p.Dst.Port())
}

// control handles a packet on a control port.
func (a *Assembler) control(p *capture.Packet) {
	c := a.conns.lookup(p.Src, p.Dst)
	if c != nil && a.reused(c, p) {
		a.stats.Reused++
		a.closeConn(c, CloseReused, p.Time)
		c = nil
	}
	if c == nil {
		syn := p.Flags.Has(capture.SYN)
		if !syn && len(p.Payload) == 0 {
			// A pure ACK, FIN or RST opens nothing: there is no line to
			// deliver and no way to tell it from the tail of a connection
			// that ended before the capture.
			a.stats.Stray++
			return
		}
		fk := makeFlowKey(p.Src, p.Dst)
		if !(syn && !p.Flags.Has(capture.ACK)) && a.tombs.has(fk, a.clock.at(p.Time)) {
			a.stats.Stray++
			return
		}
		var client, server netip.AddrPort
		switch {
		case syn && !p.Flags.Has(capture.ACK):
			client, server = p.Src, p.Dst
		case syn:
			client, server = p.Dst, p.Src
		case a.ctrl.has(p.Dst.Port()):
			client, server = p.Src, p.Dst
		default:
			client, server = p.Dst, p.Src
		}
		c = a.open(fk, ConnKey{Client: client, Server: server}, p.Time, !syn, false)
	}
	a.feedPacket(c, p)
}

// tracked handles a packet on a port in use by a candidate or a connection
// recognised as FTP on a non-control port.
func (a *Assembler) tracked(p *capture.Packet) bool {
	c := a.conns.lookup(p.Src, p.Dst)
	if c == nil {
		if a.detect && isGreeting(p.Payload) {
			a.newCandidate(p, makeFlowKey(p.Src, p.Dst))
		}
		return false
	}
	if c.cand != nil {
		return a.candidatePacket(c, p)
	}
	if a.reused(c, p) {
		// The new connection on this four-tuple must prove to be FTP again.
		a.stats.Reused++
		a.closeConn(c, CloseReused, p.Time)
		return false
	}
	a.feedPacket(c, p)
	return true
}

// reused reports whether p, a SYN, starts a new connection on c's
// four-tuple rather than repeating c's own SYN.
func (a *Assembler) reused(c *conn, p *capture.Packet) bool {
	if !p.Flags.Has(capture.SYN) || p.Flags.Has(capture.ACK) {
		return false
	}
	return !c.has(cfSynKnown) || p.Seq != c.synSeq
}

// open starts tracking a control connection and announces it.
func (a *Assembler) open(fk flowKey, key ConnKey, t time.Time, mid, detected bool) *conn {
	for a.lru.Len() >= a.cfg.MaxStreams && a.lru.Back() != nil {
		a.stats.EvictedStreams++
		a.closeConn(a.lru.Back(), CloseEvicted, t)
	}
	c := &conn{addr: packKey(key), last: a.clock.at(t)}
	if detected {
		c.flags |= cfDetected
	}
	a.conns.set(fk, c)
	a.lru.PushFront(c)
	a.stats.Streams++
	if mid {
		a.stats.Midstream++
	}
	if detected {
		a.stats.Detected++
	}
	a.h.Open(key, t, mid)
	return c
}

// feedPacket hands one captured packet of control connection c to gopacket.
func (a *Assembler) feedPacket(c *conn, p *capture.Packet) {
	role := c.roleOf(p.Src)
	c.last = a.clock.at(p.Time)
	a.lru.Touch(c)
	if p.Flags.Has(capture.SYN) {
		switch {
		case !p.Flags.Has(capture.ACK) && role == RoleClient:
			c.synSeq, c.flags = p.Seq, c.flags|cfSynKnown
		case p.Flags.Has(capture.ACK) && role == RoleServer && !c.has(cfSynKnown):
			c.synSeq, c.flags = p.Ack-1, c.flags|cfSynKnown
		}
	}
	if !c.has(cfGP) && len(p.Payload) == 0 && p.Flags&(capture.FIN|capture.RST) == 0 {
		// Nothing for gopacket yet: remember where a SYN starts the direction.
		if d := c.dir(role); !d.preKnown && !d.nextKnown && p.Flags.Has(capture.SYN) {
			d.next, d.preKnown = p.Seq+1, true
		}
		return
	}
	if !c.has(cfGP) {
		if a.inOrder(c, role, p) || a.inOrderFIN(c, role, p) {
			return
		}
		a.takeOver(c, p.Time)
	}
	// gopacket's view of the segment is built from the packet's plain
	// fields: capture.Packet carries no gopacket types. gopacket keeps
	// neither the layer nor its header (it copies what it queues), so one
	// pair is reused for every packet.
	buildTCP(&a.liveTCP, &a.liveHdr, p.Src.Port(), p.Dst.Port(), p.Seq, p.Ack, p.Flags, p.Payload)
	a.ids++
	a.live.fill(p.Time, p.CapLen, p.Len, p.Num, a.ids, &a.liveTCP)
	a.assemble(c, role, &a.liveTCP, &a.live)
}

// inOrder is the fast path: a segment that carries the next bytes of its
// direction, and nothing else, goes straight to the line framer. It returns
// false for anything gopacket must see (having at most fixed where the
// direction starts, as gopacket would): a segment
// out of order, a retransmission or overlap, a FIN (see inOrderFIN), RST or
// SYN with it, anything on a direction that ended, or any segment once
// gopacket holds the connection.
//
// In order, gopacket would deliver the segment at once and whole, so the
// lines, their metadata and the conflict record (history) are the same
// either way; a connection leaves the fast path for good at its first
// segment that is not in order (takeOver), since whatever made it so (a loss,
// a retransmission, a segment after a FIN) is what gopacket handles well,
// and handing back would need gopacket's view of the stream mirrored here.
func (a *Assembler) inOrder(c *conn, role Role, p *capture.Packet) bool {
	if a.slowOnly || len(p.Payload) == 0 || p.Flags&^(capture.ACK|capture.PSH) != 0 {
		return false
	}
	d := c.dir(role)
	if d.ended() {
		// Only gopacket knows what a segment past a FIN does.
		return false
	}
	if !d.nextKnown {
		// The direction starts here: after its SYN, or, without one, at its
		// first segment with data (gopacket's forced start, see Accept).
		if !d.preKnown {
			d.next = p.Seq
		}
		d.nextKnown = true
	}
	if p.Seq != d.next {
		return false
	}
	a.ids++
	// No remembered segment reaches past next, so an in-order one overlaps
	// none of them: nothing to compare, only to remember (as Accept does).
	d.hist.add(d.seq(), p.Payload)
	d.next += uint32(len(p.Payload))
	a.frame(c, role, d, p.Payload, segRef{id: a.ids, packet: p.Num, time: p.Time}, true)
	return true
}

// inOrderFIN is the fast path's end of a direction: a FIN (maybe with the
// direction's last bytes) at its next byte, on a connection gopacket does not
// hold. It does what gopacket's path does with it (Accept records the end,
// the bytes are delivered, the unfinished line flushed), and when both
// directions have ended so, what ReassemblyComplete does: the connection
// closes by FIN at this packet. A cleanly closed connection thus never
// creates gopacket state. Anything later on an ended direction goes to
// gopacket, which takeOver tells of the FIN.
func (a *Assembler) inOrderFIN(c *conn, role Role, p *capture.Packet) bool {
	if a.slowOnly || p.Flags&^(capture.ACK|capture.PSH) != capture.FIN {
		return false
	}
	d := c.dir(role)
	if d.ended() || p.Seq != d.next || (!d.nextKnown && !d.preKnown) {
		// A direction that starts at its FIN (no SYN, no data before) is
		// left to gopacket, which forces its start there.
		return false
	}
	d.nextKnown = true
	a.ids++
	if len(p.Payload) > 0 {
		d.hist.add(d.seq(), p.Payload)
		d.next += uint32(len(p.Payload))
		a.frame(c, role, d, p.Payload, segRef{id: a.ids, packet: p.Num, time: p.Time}, true)
	}
	// As Accept records a plausible FIN.
	sl := d.slow()
	sl.endSeq, sl.endKnown, sl.endAt, sl.fin = d.seq(), true, p.Time, true
	a.ending.Push(c, a.clock.time(c.last))
	a.partial(c, role)
	if c.dir(other(role)).ended() {
		// As ReassemblyComplete, at this packet.
		a.curTime = p.Time
		a.finish(c)
	}
	return true
}

// takeOver creates c's gopacket connection where the fast path left each
// direction: a direction that started gets a made-up SYN just before its next
// byte, one that only sent a SYN gets that SYN replayed, and one that ended
// (inOrderFIN) then gets its FIN. The framers keep
// their unfinished lines; gopacket's deliveries continue them.
func (a *Assembler) takeOver(c *conn, t time.Time) {
	for r := RoleClient; r <= RoleServer; r++ {
		d := c.dir(r)
		if !d.nextKnown && !d.preKnown {
			continue
		}
		seq := d.next - 1 // the direction started, or the SYN seen before
		src, dst := c.addr.cport, c.addr.sport
		if r == RoleServer {
			src, dst = dst, src
		}
		buildTCP(&a.synTCP, &a.synHdr, src, dst, seq, 0, capture.SYN, nil)
		a.synInfo.fill(t, 0, 0, 0, 0, &a.synTCP)
		a.assemble(c, r, &a.synTCP, &a.synInfo)
	}
	// A direction the fast path ended gets its FIN replayed (without the
	// bytes, delivered already), so that gopacket closes it as it would
	// have: Accept finds the end recorded and the framer has nothing left.
	for r := RoleClient; r <= RoleServer; r++ {
		d := c.dir(r)
		if !d.ended() {
			continue
		}
		src, dst := c.addr.cport, c.addr.sport
		if r == RoleServer {
			src, dst = dst, src
		}
		buildTCP(&a.synTCP, &a.synHdr, src, dst, d.next, 0, capture.FIN|capture.ACK, nil)
		a.synInfo.fill(t, 0, 0, 0, 0, &a.synTCP)
		a.assemble(c, r, &a.synTCP, &a.synInfo)
	}
}

// assemble feeds one packet, with its context, to gopacket and then acts on
// what the Stream callbacks noticed.
func (a *Assembler) assemble(c *conn, role Role, tcp *layers.TCP, info *pktInfo) {
	a.cur, a.curRole = c, role
	a.curTime, a.curNum, a.curRST = info.ci.Timestamp, info.num, tcp.RST
	a.retry, a.second = false, false
	a.asm.AssembleWithContext(c.flow(role), tcp, info)
	if a.retry {
		// The segment is going to wait out of order: gopacket keeps the
		// context with its pages, so it needs one of its own rather than the
		// reused a.live.
		own := new(pktInfo)
		*own = *info
		own.anc[0] = own
		own.ci.AncillaryData = own.anc[:]
		a.second = true
		a.asm.AssembleWithContext(c.flow(role), tcp, own)
		a.second = false
	}
	a.cur = nil
	if c.has(cfDone) {
		return
	}
	if c.has(cfRSTSeen) {
		a.closeConn(c, CloseRST, info.ci.Timestamp)
		return
	}
	if c.waiting() && !c.has(cfInPending) {
		c.flags |= cfInPending
		a.pending = append(a.pending, c)
	}
}

// synthetic feeds gopacket a packet the assembler made up for one direction
// of c (see synthKind). Accept gives it its sequence number.
func (a *Assembler) synthetic(c *conn, from Role, kind synthKind, t time.Time) {
	var flags capture.TCPFlags
	if kind == synthRST {
		flags = capture.RST
	}
	src, dst := c.addr.cport, c.addr.sport
	if from == RoleServer {
		src, dst = dst, src
	}
	buildTCP(&a.synTCP, &a.synHdr, src, dst, 0, 0, flags, nil)
	a.synInfo.fill(t, 0, 0, 0, 0, &a.synTCP)
	a.synth = kind
	a.got = false
	a.cur, a.curRole, a.curTime, a.curNum, a.curRST = c, from, t, 0, false
	a.asm.AssembleWithContext(c.flow(from), &a.synTCP, &a.synInfo)
	a.cur = nil
	a.synth = synthNone
}

// flushDir makes gopacket give up waiting for the hole at the head of one
// direction's out-of-order data, as its own FlushWithOptions does, but for
// this connection only. With all set it delivers everything queued; otherwise
// only while some queued segment was seen before olderThan (gopacket's rule:
// a page is as old as the oldest one queued behind it).
func (a *Assembler) flushDir(c *conn, r Role, olderThan time.Time, all bool, t time.Time) {
	d := c.dir(r)
	if d.nqueued() == 0 {
		return
	}
	saved := a.asm.MaxBufferedPagesPerConnection
	a.asm.MaxBufferedPagesPerConnection = 1
	for i := 0; i < maxQueuedSegs && d.nqueued() > 0 && !c.has(cfDone); i++ {
		if !all && !d.queuedBefore(olderThan) {
			break
		}
		a.synthetic(c, r, synthFlush, t)
		if !a.got {
			// gopacket holds nothing more: our record was stale.
			d.sl.queued = d.sl.queued[:0]
		}
	}
	a.asm.MaxBufferedPagesPerConnection = saved
}

// closeConn ends c: everything gopacket still holds for it is delivered
// (holes reported as gaps), unfinished lines are delivered as Partial, the
// handler hears Close, and both gopacket and the tables forget it.
func (a *Assembler) closeConn(c *conn, why CloseReason, t time.Time) {
	if c.has(cfDone) {
		return
	}
	if c.cand != nil {
		a.dropCandidate(c)
		return
	}
	// finish runs from here or from gopacket's ReassemblyComplete, called
	// by the made-up RSTs below: it takes the reason from a.closing.
	saved := a.closing
	a.closing = closing{c: c, why: why, at: t}
	defer func() { a.closing = saved }()
	if c.has(cfGP) {
		for r := RoleClient; r <= RoleServer && !c.has(cfDone); r++ {
			a.flushDir(c, r, time.Time{}, true, t)
			a.tailGap(c, r)
			if !c.has(cfDone) {
				a.synthetic(c, r, synthRST, t)
			}
		}
	}
	if !c.has(cfDone) {
		// gopacket never held it (or did not complete it): finish by hand.
		a.finish(c)
	}
}

// tailGap reports the bytes a direction lost between what was delivered and
// the FIN or RST that ended it, which no later segment will ever reveal.
func (a *Assembler) tailGap(c *conn, r Role) {
	d := c.dir(r)
	if c.has(cfDone) || d.sl == nil || !d.sl.endKnown || !d.nextKnown {
		return
	}
	n := d.seq().Difference(d.sl.endSeq)
	if n <= 0 {
		return
	}
	d.fr.gap()
	d.setSeq(d.sl.endSeq)
	a.stats.Gaps++
	a.stats.GapBytes += uint64(n)
	a.h.Gap(c.key(), r, d.sl.endAt, n)
}

// finish delivers c's unfinished lines, reports Close and forgets c. It runs
// from gopacket's ReassemblyComplete or from closeConn.
func (a *Assembler) finish(c *conn) {
	if c.has(cfDone) {
		return
	}
	c.flags |= cfDone
	for r := RoleClient; r <= RoleServer; r++ {
		a.partial(c, r)
	}
	why, t := a.closing.why, a.closing.at
	if a.closing.c != c {
		why, t = CloseFIN, a.curTime
		if c.has(cfRSTEnded) {
			why = CloseRST
		}
	}
	a.h.Close(c.key(), t, why)
	a.ending.Remove(c)
	fk := c.flowKey()
	a.conns.delete(fk)
	a.lru.Remove(c)
	if c.has(cfDetected) {
		a.unref(fk)
	} else if why == CloseFIN || why == CloseRST {
		// Only a connection that really ended: an idle or evicted one may
		// still be alive and must be able to come back (as mid-session).
		a.tombs.add(fk, a.clock.at(t))
	}
	c.dirs = [2]direction{}
}

// Advance tells the assembler capture time has reached now: out-of-order data
// waiting longer than GapTimeout is declared lost (Gap), connections idle
// longer than IdleTimeout are closed (CloseIdle), stale candidates and
// tombstones are dropped. It acts at most once per second of capture time, so
// calling it after every packet is cheap.
func (a *Assembler) Advance(now time.Time) {
	if !a.lastTick.IsZero() && now.Sub(a.lastTick) < time.Second {
		return
	}
	a.lastTick = now
	if len(a.pending) > 0 {
		gapBefore := now.Add(-a.cfg.GapTimeout)
		keep := a.pending[:0]
		for _, c := range a.pending {
			if c.has(cfDone) {
				c.flags &^= cfInPending
				continue
			}
			if fin, at := c.finBoth(); fin && at.Before(gapBefore) {
				a.closeConn(c, CloseFIN, at)
			}
			for r := RoleClient; r <= RoleServer && !c.has(cfDone); r++ {
				a.flushDir(c, r, gapBefore, false, now)
			}
			if c.waiting() {
				keep = append(keep, c)
			} else {
				c.flags &^= cfInPending
			}
		}
		clear(a.pending[len(keep):])
		a.pending = keep
	}
	// Connections one side has ended, whose last packet is older than
	// HalfCloseTimeout; one active since goes back with its new time.
	halfBefore := now.Add(-a.cfg.HalfCloseTimeout)
	for c := a.ending.PopBefore(halfBefore); c != nil; c = a.ending.PopBefore(halfBefore) {
		switch {
		case c.has(cfDone):
		case c.last < a.clock.at(halfBefore):
			a.stats.IdleClosed++
			a.closeConn(c, CloseIdle, now)
		default:
			a.ending.Push(c, a.clock.time(c.last))
		}
	}
	// The recency list is ordered by last activity, so idle connections
	// are at its back: the walk stops at the first one still active and
	// costs what it closes.
	idleBefore := now.Add(-a.cfg.IdleTimeout)
	idle := a.clock.at(idleBefore)
	for c := a.lru.Back(); c != nil && c.last < idle; c = a.lru.Back() {
		if a.act != nil {
			if t := a.clock.at(a.act.LastActivity(c.key())); t >= idle && t > c.last {
				// Its data connection is still busy: not idle.
				c.last = t
				a.lru.Touch(c)
				continue
			}
		}
		a.stats.IdleClosed++
		a.closeConn(c, CloseIdle, now)
	}
	candBefore := a.clock.at(now.Add(-a.cfg.CandidateTimeout))
	for c := a.cands.Back(); c != nil && c.last < candBefore; c = a.cands.Back() {
		a.dropCandidate(c)
	}
	a.tombs.expire(a.clock.at(now))
}

// Close ends the input: everything still buffered is delivered (holes
// reported as gaps, unfinished lines as Partial), then every open connection
// is closed with CloseCaptureEnd, least recently active first; one whose ends
// both sent a FIN, kept open only by a hole before one of them, is closed
// with CloseFIN at the later FIN.
func (a *Assembler) Close(now time.Time) {
	for c := a.lru.Back(); c != nil; c = a.lru.Back() {
		why, t := CloseCaptureEnd, now
		if fin, at := c.finBoth(); fin {
			// Both ends sent their FIN, but a hole before one of them kept
			// the connection waiting for GapTimeout, which the capture did
			// not last: it ended all the same, by FIN, when the later one
			// was sent.
			why, t = CloseFIN, at
		}
		a.closeConn(c, why, t)
	}
	for c := a.cands.Back(); c != nil; c = a.cands.Back() {
		a.dropCandidate(c)
	}
	// Every gopacket connection was closed above; this only guards against
	// one left behind, which would otherwise keep its pages forever.
	a.leaked += a.asm.FlushAll()
	a.pending = a.pending[:0]
	a.ending.Reset()
}

// Stats returns the counters so far.
func (a *Assembler) Stats() Stats { return a.stats }

// Open returns how many control connections are tracked right now.
func (a *Assembler) Open() int { return a.lru.Len() }

// netFlow builds the network flow gopacket keys connections by. It is built
// from the endpoints rather than taken from the packet so that the packets
// the assembler makes up land in the same gopacket connection.
func netFlow(src, dst netip.Addr) gopacket.Flow {
	if src.Is4() && dst.Is4() {
		s, d := src.As4(), dst.As4()
		return gopacket.NewFlow(layers.EndpointIPv4, s[:], d[:])
	}
	s, d := src.As16(), dst.As16()
	return gopacket.NewFlow(layers.EndpointIPv6, s[:], d[:])
}

// buildTCP fills t as if decoded from a header with these fields, so that
// its transport flow (kept in unexported fields) is right. hdr backs it and
// must live as long as t is used.
func buildTCP(t *layers.TCP, hdr *[20]byte, src, dst uint16, seq, ack uint32, flags capture.TCPFlags, payload []byte) {
	*hdr = [20]byte{}
	hdr[0], hdr[1] = byte(src>>8), byte(src)
	hdr[2], hdr[3] = byte(dst>>8), byte(dst)
	hdr[4], hdr[5], hdr[6], hdr[7] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
	hdr[8], hdr[9], hdr[10], hdr[11] = byte(ack>>24), byte(ack>>16), byte(ack>>8), byte(ack)
	hdr[12] = 5 << 4
	// capture.TCPFlags follows the bit order of the TCP header's byte 13.
	hdr[13] = byte(flags)
	// A 20-byte header without options always decodes.
	_ = t.DecodeFromBytes(hdr[:], gopacket.NilDecodeFeedback)
	t.Payload = payload
}
