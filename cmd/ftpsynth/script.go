package main

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// A flow (an FTP session with its data connections, or one background
// conversation) is built in full when it starts, as a script of steps in
// time order, and then played out one packet at a time, interleaved with
// the other open flows by packet time. Bulk transfers stay one step and are
// expanded while they play, so a flow's memory does not grow with its size.

// pktKind says what a packet descriptor holds.
type pktKind uint8

const (
	pkTCP pktKind = iota
	pkUDP
	pkICMP
)

// pkt describes one packet to write.
type pkt struct {
	t    time.Time
	kind pktKind
	seg  craft.Segment // TCP and UDP (ports, payload); for ICMP the quoted segment
	// icmpFrom and icmpCode describe an ICMP unreachable (pkICMP).
	icmpFrom netip.Addr
	icmpCode uint8
	// ch is the index of the FTP data channel the packet belongs to, -1 for
	// control or background packets; ctl marks FTP control packets.
	ch  int16
	ctl bool
}

// step is one packet, or (bulkN > 0) a bulk transfer of bulkN bytes from
// p.seg.Src to p.seg.Dst starting at p.t with sequence p.seg.Seq, the other
// side acknowledging every second segment, packets gap apart.
type step struct {
	p     pkt
	bulkN int
	mss   int
	gap   time.Duration
}

// flow is a script being played.
type flow struct {
	steps []step
	i     int // next step
	// Bulk cursor within steps[i].
	off    int  // bytes of the bulk already sent
	segs   int  // segments of the bulk already sent
	ackDue bool // an ACK is the next packet of the bulk
	bt     time.Time
	// held is a packet delayed by reordering: it goes out right after the
	// next packet in the same direction of its connection, right before
	// one in the other direction, or at heldUntil, whichever comes first.
	held      pkt
	holding   bool
	heldUntil time.Time
	// last is the time of the flow's latest packet.
	last time.Time

	id    int         // start order, to break ties between flows
	ftp   *ftpSession // nil for background flows
	bytes int64       // estimated capture bytes, for the size budget
	// at caches peek() in Unix nanoseconds for the scheduler's comparisons.
	at int64
}

// refresh updates the cached time of the next packet (or of the release
// of the held one, if earlier).
func (f *flow) refresh() {
	switch {
	case f.holding && (f.done() || f.heldUntil.Before(f.peek())):
		f.at = f.heldUntil.UnixNano()
	case !f.done():
		f.at = f.peek().UnixNano()
	}
}

// done reports whether the flow has no packet left.
func (f *flow) done() bool { return f.i >= len(f.steps) }

// peek returns the time of the next packet; the flow must not be done.
func (f *flow) peek() time.Time {
	s := &f.steps[f.i]
	if s.bulkN > 0 && (f.off > 0 || f.ackDue) {
		return f.bt
	}
	return s.p.t
}

// next returns the next packet; the flow must not be done. payload is the
// shared pattern bulk segments carry.
func (f *flow) next(pattern []byte) pkt {
	s := &f.steps[f.i]
	if s.bulkN == 0 {
		f.i++
		return s.p
	}
	if f.off == 0 && !f.ackDue {
		f.bt = s.p.t
	}
	p := s.p
	p.t = f.bt
	f.bt = f.bt.Add(s.gap)
	if f.ackDue {
		// The receiver acknowledges everything so far.
		p.seg = craft.Segment{Src: s.p.seg.Dst, Dst: s.p.seg.Src, Flags: craft.ACK,
			Seq: s.p.seg.Ack, Ack: s.p.seg.Seq + uint32(f.off)}
		f.ackDue = false
		if f.off >= s.bulkN {
			f.off, f.segs = 0, 0
			f.i++
		}
		return p
	}
	k := min(s.mss, s.bulkN-f.off)
	p.seg.Seq = s.p.seg.Seq + uint32(f.off)
	p.seg.Flags = craft.ACK
	p.seg.Payload = pattern[:k]
	f.off += k
	f.segs++
	if f.off >= s.bulkN {
		p.seg.Flags |= craft.PSH
	}
	if f.segs%2 == 0 || f.off >= s.bulkN {
		f.ackDue = true
	}
	return p
}

// builder writes a flow's script.
type builder struct {
	f        *flow
	now      time.Time
	rng      *rand.Rand
	overhead int // capture bytes per packet besides IP payload: record header and link header
	packets  int
	ctl      int // control packets (FTP)
}

// add appends one packet at b.now.
func (b *builder) add(p pkt) {
	p.t = b.now
	b.f.steps = append(b.f.steps, step{p: p})
	b.f.bytes += int64(b.overhead + ipHeaderLen(p.seg.Src.Addr()) + 20 + len(p.seg.Payload))
	b.packets++
	if p.ctl {
		b.ctl++
	}
}

// wait advances the script's clock.
func (b *builder) wait(d time.Duration) { b.now = b.now.Add(d) }

// jitter returns d scaled by a random factor in [0.5, 1.5).
func (b *builder) jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.5 + b.rng.Float64()))
}

func ipHeaderLen(a netip.Addr) int {
	if a.Is4() {
		return 20
	}
	return 40
}

// segUDP describes a UDP datagram.
func segUDP(src, dst netip.AddrPort, payload []byte) craft.Segment {
	return craft.Segment{Src: src, Dst: dst, Payload: payload}
}

// tconn is a TCP connection in a script, with sequence bookkeeping.
type tconn struct {
	b    *builder
	ends [2]netip.AddrPort // client, server
	seq  [2]uint32
	mss  int
	rtt  time.Duration
	ch   int16
	ctl  bool
}

const (
	cli = 0
	srv = 1
)

// dial writes a handshake (SYN, SYN-ACK after rtt/2, ACK after rtt) and
// leaves the clock after it.
func (b *builder) dial(client, server netip.AddrPort, rtt time.Duration, ch int16, ctl bool) *tconn {
	c := b.conn(client, server, rtt, ch, ctl)
	syn := craft.SYNSegment(client, server)
	b.add(pkt{seg: syn, ch: ch, ctl: ctl})
	b.wait(rtt / 2)
	sa := craft.SYNSegment(server, client)
	sa.Flags |= craft.ACK
	sa.Ack = syn.Seq + 1
	b.add(pkt{seg: sa, ch: ch, ctl: ctl})
	b.wait(rtt / 2)
	c.ack(cli)
	return c
}

// conn returns an established connection without writing anything.
func (b *builder) conn(client, server netip.AddrPort, rtt time.Duration, ch int16, ctl bool) *tconn {
	return &tconn{
		b:    b,
		ends: [2]netip.AddrPort{client, server},
		seq:  [2]uint32{craft.ISN(client, server) + 1, craft.ISN(server, client) + 1},
		mss:  int(craft.MSSFor(server.Addr())),
		rtt:  rtt,
		ch:   ch,
		ctl:  ctl,
	}
}

func (c *tconn) seg(side int, fl craft.Flags, payload []byte) craft.Segment {
	return craft.Segment{Src: c.ends[side], Dst: c.ends[1-side], Flags: fl,
		Seq: c.seq[side], Ack: c.seq[1-side], Payload: payload}
}

// send writes payload from side in one segment at the current time.
func (c *tconn) send(side int, payload []byte) {
	c.b.add(pkt{seg: c.seg(side, craft.PSH|craft.ACK, payload), ch: c.ch, ctl: c.ctl})
	c.seq[side] += uint32(len(payload))
}

// sendSplit writes payload from side in segments of at most mss bytes,
// 10 µs apart.
func (c *tconn) sendSplit(side int, payload []byte) {
	for len(payload) > 0 {
		k := min(len(payload), c.mss)
		c.send(side, payload[:k])
		payload = payload[k:]
		if len(payload) > 0 {
			c.b.wait(10 * time.Microsecond)
		}
	}
}

// ack writes a pure ACK from side.
func (c *tconn) ack(side int) {
	c.b.add(pkt{seg: c.seg(side, craft.ACK, nil), ch: c.ch, ctl: c.ctl})
}

// bulk sends n bytes from side as full-size segments gap apart and leaves
// the clock after the last ACK.
func (c *tconn) bulk(side, n int, gap time.Duration) {
	if n <= 0 {
		return
	}
	b := c.b
	p := pkt{t: b.now, seg: c.seg(side, craft.ACK, nil), ch: c.ch, ctl: c.ctl}
	b.f.steps = append(b.f.steps, step{p: p, bulkN: n, mss: c.mss, gap: gap})
	nseg := (n + c.mss - 1) / c.mss
	nack := (nseg + 1) / 2
	hdr := b.overhead + ipHeaderLen(c.ends[0].Addr()) + 20
	b.f.bytes += int64((nseg+nack)*hdr + n)
	b.packets += nseg + nack
	if c.ctl {
		b.ctl += nseg + nack
	}
	c.seq[side] += uint32(n)
	b.wait(time.Duration(nseg+nack) * gap)
}

// close writes the FIN exchange started by side.
func (c *tconn) close(side int) {
	c.b.add(pkt{seg: c.seg(side, craft.FIN|craft.ACK, nil), ch: c.ch, ctl: c.ctl})
	c.seq[side]++
	c.b.wait(c.rtt / 2)
	c.b.add(pkt{seg: c.seg(1-side, craft.FIN|craft.ACK, nil), ch: c.ch, ctl: c.ctl})
	c.seq[1-side]++
	c.b.wait(c.rtt / 2)
	c.ack(side)
}

// reset writes a RST-ACK from side.
func (c *tconn) reset(side int) {
	c.b.add(pkt{seg: c.seg(side, craft.RST|craft.ACK, nil), ch: c.ch, ctl: c.ctl})
}
