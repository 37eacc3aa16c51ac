package reassembly

import (
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/deadline"
	"github.com/ftpscope/ftpscope/lru"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	tcpreasm "github.com/gopacket/gopacket/reassembly"
)

// conn is one tracked connection: a candidate (cand != nil) waiting to prove
// it speaks FTP, or a control connection, whose gopacket connection (once
// it has one) has a stream for it.
//
// It is laid out to take 160 bytes, a size class of Go's allocator: its key
// is packed, its flags are bits, its last activity an int64, its directions
// 40 bytes each, and the Assembler that gopacket's callbacks need is in the
// stream.
type conn struct {
	lru.Links[conn] // in Assembler.lru or Assembler.cands
	// last is when the connection was last active, as Assembler.clock
	// keeps it (8 bytes, not a time.Time's 24).
	last int64
	cand *candidate
	// dirs are the client's and the server's (see dir): a direction that
	// has carried nothing costs its 40 bytes here, and one whose segments
	// come in order nothing more than its history's bytes.
	dirs [2]direction

	synSeq       uint32 // the client's ISN, to tell a repeated SYN from port reuse
	deadline.Pos        // in Assembler.ending
	// addr is the key (see key); for a candidate, the greeting's receiver
	// is the client.
	addr    packedKey
	flags   connFlags
	gpFirst Role // sender of the first packet gopacket saw (its "client->server")
}

// connFlags are a conn's yes-or-no facts, a bit each: as bools they took
// 8 bytes, and conn fits its size class by 2.
type connFlags uint8

const (
	cfDetected  connFlags = 1 << iota // recognised by detection, not by its port
	cfGP                              // gopacket holds a connection for it
	cfSynKnown                        // synSeq is known
	cfRSTSeen                         // a plausible RST: close at once
	cfRSTEnded                        // gopacket ended a direction on a RST
	cfInPending                       // in Assembler.pending
	cfDone                            // finished: nothing more for it
)

// has reports whether c has all of f.
func (c *conn) has(f connFlags) bool { return c.flags&f == f }

// packedKey is a ConnKey in 38 bytes rather than 64 (a netip.Addr carries a
// zone handle, an AddrPort padding). Captured addresses never have a zone.
type packedKey struct {
	client, server [16]byte // netip.Addr.As16: IPv4 mapped
	cport, sport   uint16
	ckind, skind   addrKind
}

// addrKind says which netip.Addr a packedKey address is.
type addrKind uint8

const (
	addrInvalid addrKind = iota // the zero netip.Addr
	addrV4
	addrV6
)

func kindOf(a netip.Addr) addrKind {
	switch {
	case a.Is4():
		return addrV4
	case a.IsValid():
		return addrV6
	}
	return addrInvalid
}

func (k addrKind) addr(b [16]byte) netip.Addr {
	switch k {
	case addrV4:
		return netip.AddrFrom4([4]byte(b[12:]))
	case addrV6:
		return netip.AddrFrom16(b)
	}
	return netip.Addr{}
}

func packKey(k ConnKey) packedKey {
	return packedKey{
		client: k.Client.Addr().As16(), server: k.Server.Addr().As16(),
		cport: k.Client.Port(), sport: k.Server.Port(),
		ckind: kindOf(k.Client.Addr()), skind: kindOf(k.Server.Addr()),
	}
}

// key returns the connection's key.
func (c *conn) key() ConnKey {
	k := &c.addr
	return ConnKey{
		Client: netip.AddrPortFrom(k.ckind.addr(k.client), k.cport),
		Server: netip.AddrPortFrom(k.skind.addr(k.server), k.sport),
	}
}

// direction is the state of one direction of a control connection. It is
// laid out to take 40 bytes: sequence numbers never exceed 32 bits, the
// history is a pointer and two sizes, and what only some directions need (a
// line split across segments, gopacket's state) is allocated when first
// needed.
type direction struct {
	// next mirrors gopacket's next expected sequence number, so that every
	// delivered byte has a known sequence number (for AtSegmentStart). Before
	// the direction starts, with preKnown, it is just after the SYN seen
	// before gopacket's connection existed: replayed into gopacket when that
	// is created, so that the direction starts where it would have (a
	// segment reordered before the first one is then queued, not dropped).
	next      uint32
	nextKnown bool
	preKnown  bool
	fr        framer
	hist      history
	// sl is what only gopacket's path fills: allocated at the first segment
	// gopacket sees, so that a direction on the fast path stays small.
	sl *slowDir
}

// seq returns the next expected sequence number.
func (d *direction) seq() tcpreasm.Sequence { return tcpreasm.Sequence(d.next) }

// setSeq sets the next expected sequence number.
func (d *direction) setSeq(s tcpreasm.Sequence) { d.next = uint32(s) }

// slowDir is the part of a direction's state that only a connection
// gopacket holds needs.
type slowDir struct {
	// queued records the segments gopacket holds out of order, to know
	// without walking all of gopacket's connections which ones wait and how
	// old their data is.
	queued []queuedSeg
	// endSeq is where a plausible FIN or RST said this direction ends; bytes
	// between next and endSeq never arrived.
	endSeq   tcpreasm.Sequence
	endAt    time.Time
	endKnown bool
	fin      bool // the end was a FIN
}

// ended reports whether the fast path saw d's FIN (on a connection gopacket
// does not hold, only inOrderFIN records an end).
func (d *direction) ended() bool { return d.sl != nil && d.sl.endKnown }

// slow returns d's slow-path state, allocating it.
func (d *direction) slow() *slowDir {
	if d.sl == nil {
		d.sl = new(slowDir)
	}
	return d.sl
}

// nqueued returns how many segments gopacket holds out of order for d.
func (d *direction) nqueued() int {
	if d.sl == nil {
		return 0
	}
	return len(d.sl.queued)
}

// fin reports whether d ended with a FIN, and when.
func (d *direction) fin() (bool, time.Time) {
	if d.sl == nil || !d.sl.fin {
		return false, time.Time{}
	}
	return true, d.sl.endAt
}

type queuedSeg struct {
	end  tcpreasm.Sequence
	seen time.Time
}

// queuedBefore reports whether some queued segment was seen before t.
func (d *direction) queuedBefore(t time.Time) bool {
	if d.sl == nil {
		return false
	}
	for _, q := range d.sl.queued {
		if q.seen.Before(t) {
			return true
		}
	}
	return false
}

// prune forgets queued segments whose bytes are all behind next.
func (d *direction) prune() {
	if d.sl == nil {
		return
	}
	keep := d.sl.queued[:0]
	for _, q := range d.sl.queued {
		if d.seq().Difference(q.end) > 0 {
			keep = append(keep, q)
		}
	}
	d.sl.queued = keep
}

// flowKey returns c's key in Assembler.conns.
func (c *conn) flowKey() flowKey {
	k := c.key()
	return makeFlowKey(k.Client, k.Server)
}

// flow returns the network flow of the packets r sends, as gopacket keys
// them. Computed rather than stored: connections are many, packets of
// control connections few.
func (c *conn) flow(r Role) gopacket.Flow {
	k := c.key()
	if r == RoleClient {
		return netFlow(k.Client.Addr(), k.Server.Addr())
	}
	return netFlow(k.Server.Addr(), k.Client.Addr())
}

// dir returns the state of the direction sent by r.
func (c *conn) dir(r Role) *direction { return &c.dirs[r-1] }

func (c *conn) queued() bool {
	return c.dirs[0].nqueued() > 0 || c.dirs[1].nqueued() > 0
}

// finBoth reports whether both directions sent a FIN. gopacket completes
// such a connection by itself unless a hole precedes a FIN; then the
// assembler closes it once GapTimeout has passed since the later FIN.
func (c *conn) finBoth() (bool, time.Time) {
	af, at := c.dirs[0].fin()
	bf, bt := c.dirs[1].fin()
	if !af || !bf {
		return false, time.Time{}
	}
	if at.After(bt) {
		return true, at
	}
	return true, bt
}

// waiting reports whether Advance has something to do for c.
func (c *conn) waiting() bool {
	fin, _ := c.finBoth()
	return !c.has(cfDone) && (c.queued() || fin)
}

func (c *conn) roleOf(src netip.AddrPort) Role {
	// As the flow key does, an address is compared as 16 bytes: the two
	// ends of one connection are of one family.
	if src.Port() == c.addr.cport && src.Addr().As16() == c.addr.client {
		return RoleClient
	}
	return RoleServer
}

func (c *conn) dirRole(dir tcpreasm.TCPFlowDirection) Role {
	if dir == tcpreasm.TCPDirClientToServer {
		return c.gpFirst
	}
	return other(c.gpFirst)
}

func other(r Role) Role {
	if r == RoleClient {
		return RoleServer
	}
	return RoleClient
}

// pktInfo is the gopacket AssemblerContext of one segment. Its CaptureInfo
// carries the pktInfo itself in AncillaryData, so that ScatterGather's
// CaptureInfo(offset) tells which segment each delivered byte came from.
type pktInfo struct {
	ci      gopacket.CaptureInfo
	anc     [1]any
	num     uint64
	id      uint64
	dataSeq tcpreasm.Sequence // sequence number of the first payload byte
	n       int               // payload length
}

// GetCaptureInfo implements tcpreasm.AssemblerContext.
func (pi *pktInfo) GetCaptureInfo() gopacket.CaptureInfo { return pi.ci }

// fill sets the context of one segment. The interface index is left out:
// gopacket's assembler never reads it, and the lines do not name it.
func (pi *pktInfo) fill(t time.Time, capLen, length int, num, id uint64, tcp *layers.TCP) {
	pi.ci = gopacket.CaptureInfo{Timestamp: t, CaptureLength: capLen, Length: length, AncillaryData: pi.anc[:]}
	pi.num, pi.id = num, id
	pi.dataSeq = tcpreasm.Sequence(tcp.Seq)
	if tcp.SYN {
		pi.dataSeq = pi.dataSeq.Add(1)
	}
	pi.n = len(tcp.Payload)
}

func (pi *pktInfo) ref() segRef { return segRef{id: pi.id, packet: pi.num, time: pi.ci.Timestamp} }

// factory hands gopacket the conn being fed; it returns nil (the fork allows
// it) for anything else, so gopacket never tracks a connection on its own.
type factory struct{ a *Assembler }

// New implements tcpreasm.StreamFactory.
func (f factory) New(_, _ gopacket.Flow, _ *layers.TCP, _ tcpreasm.AssemblerContext) tcpreasm.Stream {
	a := f.a
	c := a.cur
	if c == nil || c.has(cfDone) || a.synth != synthNone {
		return nil
	}
	c.gpFirst, c.flags = a.curRole, c.flags|cfGP
	return &stream{a: a, c: c}
}

// stream is the gopacket Stream of a control connection gopacket holds.
type stream struct {
	a *Assembler
	c *conn
}

// Accept implements tcpreasm.Stream (see conn.accept).
func (s *stream) Accept(tcp *layers.TCP, _ gopacket.CaptureInfo, dir tcpreasm.TCPFlowDirection, nextSeq tcpreasm.Sequence, start *bool, ac tcpreasm.AssemblerContext) bool {
	return s.c.accept(s.a, tcp, dir, nextSeq, start, ac)
}

// ReassembledSG implements tcpreasm.Stream (see conn.reassembled).
func (s *stream) ReassembledSG(sg tcpreasm.ScatterGather, _ tcpreasm.AssemblerContext) {
	s.c.reassembled(s.a, sg)
}

// ReassemblyComplete implements tcpreasm.Stream: both directions ended in
// gopacket (FIN, RST, or the made-up RSTs of closeConn).
func (s *stream) ReassemblyComplete(_ tcpreasm.AssemblerContext) bool {
	s.c.flags &^= cfGP
	s.a.finish(s.c)
	return true
}

// accept is gopacket's Accept for c. It sees every packet of the connection
// with gopacket's next expected sequence number before gopacket acts on it,
// which is where the assembler forces the start of a capture that missed the
// SYN, checks overlaps for conflicting bytes, places the made-up packets and
// notices RSTs.
func (c *conn) accept(a *Assembler, tcp *layers.TCP, dir tcpreasm.TCPFlowDirection, nextSeq tcpreasm.Sequence, start *bool, ac tcpreasm.AssemblerContext) bool {
	if c.has(cfDone) {
		return false
	}
	const invalid = tcpreasm.Sequence(-1)
	d := c.dir(c.dirRole(dir))
	switch a.synth {
	case synthFlush:
		if nextSeq == invalid {
			return false
		}
		// Ahead of everything queued, so gopacket takes it for out-of-order
		// data and, over the page limit, skips to its first queued page.
		tcp.Seq = uint32(nextSeq.Add(1 << 30))
		return true
	case synthRST:
		if nextSeq == invalid {
			*start = true
		} else {
			tcp.Seq = uint32(nextSeq)
		}
		return true
	}
	if nextSeq == invalid {
		if !tcp.SYN && len(tcp.Payload) == 0 && !tcp.FIN && !tcp.RST {
			// A pure ACK never starts a direction: a keepalive's sequence
			// number is one before the next byte, and would make a
			// one-byte hole.
			return false
		}
		// Without this gopacket waits for a SYN that a capture started
		// mid-session never shows, and delivers nothing until a flush.
		// With a SYN its own SYN handling takes precedence.
		*start = true
	}
	if a.second {
		return true
	}
	seq := tcpreasm.Sequence(tcp.Seq)
	dataSeq := seq
	if tcp.SYN {
		dataSeq = dataSeq.Add(1)
	}
	if nextSeq != invalid {
		d.setSeq(nextSeq)
	} else {
		// gopacket starts the direction here (at the SYN or forced).
		d.setSeq(dataSeq)
	}
	d.nextKnown = true
	if tcp.FIN || tcp.RST {
		// Plausible when at or ahead of the bytes delivered so far (a RST
		// may sit one before, after a FIN), within a window: gopacket itself
		// honours only one exactly at the next byte.
		end, lo := dataSeq.Add(len(tcp.Payload)), 0
		if tcp.RST {
			end, lo = seq, -1
		}
		if nextSeq == invalid || inRange(nextSeq.Difference(end), lo, rstWindow) {
			if sl := d.slow(); !sl.endKnown {
				sl.endSeq, sl.endKnown, sl.endAt, sl.fin = end, true, a.curTime, !tcp.RST
				a.ending.Push(c, a.clock.time(c.last))
			}
			if tcp.RST {
				c.flags |= cfRSTSeen
			}
		}
	}
	if len(tcp.Payload) == 0 || (tcp.SYN && nextSeq != invalid) {
		return true
	}
	conflict, covered := d.hist.check(dataSeq, tcp.Payload)
	if conflict {
		a.stats.Conflicts++
		if a.ch != nil {
			a.ch.Conflict(c.key(), c.dirRole(dir), a.curTime, a.curNum)
		}
	}
	if !covered {
		d.hist.add(dataSeq, tcp.Payload)
	}
	if nextSeq != invalid && nextSeq.Difference(dataSeq) > 0 {
		// gopacket will queue this segment until the hole before it fills.
		sl := d.slow()
		if len(sl.queued) >= maxQueuedSegs {
			sl.queued = append(sl.queued[:0], sl.queued[1:]...)
		}
		sl.queued = append(sl.queued, queuedSeg{end: dataSeq.Add(len(tcp.Payload)), seen: a.curTime})
		if ac == tcpreasm.AssemblerContext(&a.live) {
			a.retry = true
			return false
		}
	}
	return true
}

func inRange(v, lo, hi int) bool { return v >= lo && v <= hi }

// reassembled is gopacket's ReassembledSG for c: in-order bytes of one
// direction, possibly after a hole (skip > 0).
func (c *conn) reassembled(a *Assembler, sg tcpreasm.ScatterGather) {
	if c.has(cfDone) {
		return
	}
	a.got = true
	n, _ := sg.Lengths()
	dir, _, end, skip := sg.Info()
	role := c.dirRole(dir)
	d := c.dir(role)
	if skip < 0 {
		// gopacket had no start for this direction; it cannot happen with
		// the start forced in Accept, but never guess sequence numbers.
		d.nextKnown = false
	}
	if skip > 0 {
		if a.synth == synthNone {
			// Only gopacket's page limits skip ahead on their own.
			a.stats.PagesEvicted++
		}
		t := a.curTime
		if n > 0 {
			if pi := infoAt(sg, 0); pi != nil {
				t = pi.ci.Timestamp
			}
		}
		d.fr.gap()
		if d.nextKnown {
			d.setSeq(d.seq().Add(skip))
		}
		a.stats.Gaps++
		a.stats.GapBytes += uint64(skip)
		a.h.Gap(c.key(), role, t, skip)
		if c.has(cfDone) {
			return
		}
	}
	if n > 0 {
		a.deliver(c, role, d, sg, n)
		if c.has(cfDone) {
			return
		}
		if d.nextKnown {
			d.setSeq(d.seq().Add(n))
		}
	}
	if end {
		if a.curRST && a.synth == synthNone && role == a.curRole {
			c.flags |= cfRSTEnded
		}
		a.partial(c, role)
	}
	d.prune()
}

// deliver frames the n in-order bytes of sg into lines.
func (a *Assembler) deliver(c *conn, role Role, d *direction, sg tcpreasm.ScatterGather, n int) {
	data := sg.Fetch(n)
	fallback := &a.live
	if a.synth != synthNone {
		fallback = &a.synInfo
	}
	for o := 0; o < n; {
		pi := infoAt(sg, o)
		if pi == nil {
			pi = fallback
		}
		end := n
		bseq := d.seq().Add(o)
		atStart := false
		if d.nextKnown {
			off := pi.dataSeq.Difference(bseq) // bytes of this segment before offset o
			atStart = off == 0
			if off >= 0 && off < pi.n {
				end = min(end, o+pi.n-off)
			}
		}
		if end-o > 1 {
			// Another segment may have replaced this one's tail (gopacket
			// trims overlapped queued pages): find where this one's bytes end.
			if q := infoAt(sg, end-1); q == nil || q.id != pi.id {
				lo, hi := o+1, end-1 // the run ends somewhere in [lo, hi]
				for lo < hi {
					mid := (lo + hi) / 2
					if q := infoAt(sg, mid); q != nil && q.id == pi.id {
						lo = mid + 1
					} else {
						hi = mid
					}
				}
				end = lo
			}
		}
		a.frame(c, role, d, data[o:end], pi.ref(), atStart)
		if c.has(cfDone) {
			return
		}
		o = end
	}
}

// infoAt returns the segment that the byte at offset came from.
func infoAt(sg tcpreasm.ScatterGather, offset int) *pktInfo {
	ci := sg.CaptureInfo(offset)
	if len(ci.AncillaryData) == 0 {
		return nil
	}
	pi, _ := ci.AncillaryData[0].(*pktInfo)
	return pi
}

// frame cuts data (all from one segment) into lines and emits them.
func (a *Assembler) frame(c *conn, role Role, d *direction, data []byte, seg segRef, atStart bool) {
	for len(data) > 0 {
		n, l, done := d.fr.take(data, seg, atStart, a.cfg.MaxLineLen)
		data = data[n:]
		atStart = atStart && n == 0 // a CR ending the previous segment consumed nothing here
		if done {
			a.emit(c, role, l, false)
			if c.has(cfDone) {
				return
			}
		}
	}
}

// partial emits the unfinished line of one direction, which ended.
func (a *Assembler) partial(c *conn, role Role) {
	if l, ok := c.dir(role).fr.unfinished(); ok {
		a.emit(c, role, l, true)
	}
}

func (a *Assembler) emit(c *conn, role Role, fl line, partial bool) {
	l := Line{
		Conn: c.key(), From: role, Time: fl.start, Packet: fl.packet, Text: fl.text,
		Truncated: fl.truncated, AtSegmentStart: fl.atSegStart, Segments: fl.segments,
		AfterGap: fl.afterGap, Partial: partial,
	}
	a.stats.Lines++
	if fl.truncated {
		a.stats.LongLines++
	}
	if partial {
		a.stats.PartialLines++
	}
	a.h.Line(l)
}
