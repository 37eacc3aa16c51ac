package analysis

import (
	"math"

	"github.com/ftpscope/ftpscope/capture"
)

// HostTrace is what the capture shows of one control-connection end's IP
// headers. Packets of one host reach one capture point along one path, so
// their TTL is constant; a packet claiming to come from that host with
// another TTL was made by something else on the way (a firewall forging a
// reset). The TTL also tells how many routers lie between the host and the
// capture point, which places the capture point on the path.
type HostTrace struct {
	// Packets counts the host's control packets seen. The counts here are
	// 32 bits and stop at their largest value: what they tell is whether
	// any, and whether all, which a count that stops still tells, and two
	// HostTraces fit a held Session in 40 bytes, not 64.
	Packets uint32
	// TTLMin and TTLMax bound their IPv4 TTL or IPv6 hop limit.
	TTLMin, TTLMax uint8
	// SYN says the host's SYN (or SYN-ACK) was seen, ISN its initial
	// sequence number: NAT leaves it as it is, so that two capture points
	// can tell one control connection by it (in the struct's padding).
	SYN bool
	ISN uint32
	// IPv4 counts IPv4 packets, IPIDZero those whose identification was 0.
	IPv4, IPIDZero uint32
}

func (h *HostTrace) add(ttl uint8, ipid uint16, v4 bool) {
	if h.Packets == 0 || ttl < h.TTLMin {
		h.TTLMin = ttl
	}
	if h.Packets == 0 || ttl > h.TTLMax {
		h.TTLMax = ttl
	}
	h.Packets = inc32(h.Packets)
	if v4 {
		h.IPv4 = inc32(h.IPv4)
		if ipid == 0 {
			h.IPIDZero = inc32(h.IPIDZero)
		}
	}
}

// inc32 adds one to n unless it is at its largest.
func inc32(n uint32) uint32 {
	if n == math.MaxUint32 {
		return n
	}
	return n + 1
}

// initialTTL guesses the TTL a packet left its sender with: the smallest of
// the values operating systems use (32, 64, 128, 255) that is not below ttl.
func initialTTL(ttl uint8) int {
	for _, v := range []int{32, 64, 128} {
		if int(ttl) <= v {
			return v
		}
	}
	return 255
}

// hopsFor estimates the routers a packet with this TTL crossed.
func hopsFor(ttl uint8) int { return initialTTL(ttl) - int(ttl) }

// Hops estimates how many routers lie between the host and the capture
// point; ok is false when none of its packets was seen.
func (h HostTrace) Hops() (n int, ok bool) {
	if h.Packets == 0 {
		return 0, false
	}
	return hopsFor(h.TTLMax), true
}

// Has reports whether ttl is one the host's control packets arrived with.
func (h HostTrace) Has(ttl uint8) bool {
	return h.Packets > 0 && ttl >= h.TTLMin && ttl <= h.TTLMax
}

// Position is where the capture point sits on the control connection's path,
// judged from the hop counts of both ends' packets.
type Position uint8

// The capture positions.
const (
	// PositionUnknown: the control packets' TTLs were not seen.
	PositionUnknown Position = iota
	// PositionClientLink: no router between the client and the capture point
	// (the capture was taken on the client or its LAN), routers toward the server.
	PositionClientLink
	// PositionServerLink: no router between the server and the capture point.
	PositionServerLink
	// PositionBetween: routers on both sides (a capture on a router or span port in the middle).
	PositionBetween
	// PositionSameLink: no router on either side (client and server share a LAN,
	// or TTLs were rewritten).
	PositionSameLink
)

var positionNames = [...]string{"unknown", "client-link", "server-link", "between", "same-link"}

// String names the position as used in JSON.
func (p Position) String() string {
	if int(p) < len(positionNames) {
		return positionNames[p]
	}
	return "unknown"
}

// CapturePosition places the capture point on the control path.
func (s *Session) CapturePosition() Position {
	ch, cok := s.ClientTrace.Hops()
	sh, sok := s.ServerTrace.Hops()
	switch {
	case !cok || !sok:
		return PositionUnknown
	case ch == 0 && sh == 0:
		return PositionSameLink
	case ch == 0:
		return PositionClientLink
	case sh == 0:
		return PositionServerLink
	}
	return PositionBetween
}

// Trace takes every TCP segment after it went to the assembler (control
// true) or to Packet (control false). It records the IP-level traits the
// explanations compare: TTL and IP ID of each control connection's ends, and
// of resets answering data-connection attempts; and it runs the segment-level
// part of the helper lint on control segments. Cheap for data packets: one
// flag test unless the segment is a reset.
func (a *Analyzer) Trace(p *capture.Packet, control bool) {
	if p.Kind != capture.KindTCP {
		return
	}
	if control {
		// A copy of a control segment has nothing new for reassembly, but
		// a second interface's copy could widen the TTL range the
		// vantage reads, and the helper lint would take it for a
		// retransmission.
		if !a.duplicate(p) {
			a.traceControl(p)
		}
		return
	}
	if p.Flags&capture.RST == 0 {
		return
	}
	// A reset answering an attempt travels from its acceptor to its initiator.
	c := a.data.conns[flowKey{p.Dst, p.Src}]
	if c == nil || !c.att.RST.Equal(p.Time) || c.att.RSTTTL != 0 {
		return
	}
	c.att.RSTTTL, c.att.RSTIPID = p.TTL, p.IPID
}

func (a *Analyzer) traceControl(p *capture.Packet) {
	st := a.sessionOf(p.Src, p.Dst)
	if st == nil {
		return
	}
	fromClient := st.s.Client == p.Src && st.s.Server == p.Dst
	h := &st.s.ServerTrace
	if fromClient {
		h = &st.s.ClientTrace
	}
	h.add(p.TTL, p.IPID, p.Src.Addr().Unmap().Is4())
	if p.Flags&capture.SYN != 0 && !h.SYN {
		h.SYN, h.ISN = true, p.Seq
	}
	if len(p.Payload) > 0 && !st.opaque {
		a.lintSegment(st, p, fromClient)
	}
}

// Vantage says where the capture point sits relative to whatever stopped a
// data connection, along the direction the connection was opened (the SYN's
// direction, from the connecting peer to the listening one).
type Vantage uint8

// The vantages.
const (
	// VantageNone: nothing stopped the connection (ok, unused), so there is
	// no block to place the capture point against.
	VantageNone Vantage = iota
	// VantageBefore: the capture point lies between the connecting peer and
	// the block: it sees the attempts leave and die (unanswered SYNs, a reset
	// or an ICMP error coming back). The block may be the listening host itself.
	VantageBefore
	// VantageAfter: the capture point lies between the block and the
	// listening peer: the attempts never reach it, though the control
	// connection shows a transfer was asked for and failed (425).
	VantageAfter
	// VantageUnknown: the packets do not place the capture point (unknown
	// verdict, or a data path this capture point does not see).
	VantageUnknown
)

var vantageNames = [...]string{"none", "before-block", "after-block", "unknown"}

// String names the vantage as used in JSON.
func (v Vantage) String() string {
	if int(v) < len(vantageNames) {
		return vantageNames[v]
	}
	return "unknown"
}

// traces returns the control traces of a channel's initiator and acceptor.
func (ch *Channel) traces() (initiator, acceptor HostTrace) {
	s := ch.session
	if ch.Mode() == Active {
		return s.ServerTrace, s.ClientTrace
	}
	return s.ClientTrace, s.ServerTrace
}

// vantage places the capture point for a judged channel and returns what
// the packets say about where (ClauseNone when there is nothing to add).
func (a *Analyzer) vantage(ch *Channel) (Vantage, Where) {
	init, acc := ch.traces()
	ih, iok := init.Hops()
	ah, aok := acc.Hops()
	var reset, icmpAt, tried *Attempt
	for _, at := range ch.Attempts {
		if !at.RST.IsZero() && !at.Established() {
			reset = at
		}
		if at.ICMP != nil {
			icmpAt = at
		}
		if at.SYNs > 0 {
			tried = at
		}
	}
	switch ch.Verdict {
	case OK:
		return VantageNone, Where{}
	case Unused:
		if ch.Mode() != Passive || ch.Superseded || len(ch.Attempts) > 0 {
			return VantageNone, Where{}
		}
		// lftp and curl open a passive data connection before they send the
		// transfer command: a blocked one leaves only an unused PASV here.
		return VantageUnknown, Where{Clause: ClauseConnectFirst}
	case Dropped:
		to := tried.To.Addr()
		if aok && iok && ah == 0 && ih > 0 && to == ch.Alternate.Addr() {
			return VantageBefore, Where{Clause: ClauseDroppedAtHost, Addr: to, HostTTL: acc.TTLMax}
		}
		return VantageBefore, Where{Clause: ClauseDroppedBetween, Addr: to}
	case Refused:
		if reset == nil {
			return VantageBefore, Where{}
		}
		return VantageBefore, resetOrigin(ch, reset, acc)
	case ICMP:
		if icmpAt == nil {
			return VantageBefore, Where{}
		}
		i := icmpAt.ICMP
		if i.From == icmpAt.To.Addr() {
			return VantageBefore, Where{Clause: ClauseICMPFromHost, Addr: i.From}
		}
		return VantageBefore, Where{Clause: ClauseICMPOnPath, Router: i.From, Addr: icmpAt.To.Addr()}
	case NotSeen:
		if !ch.has425() {
			return VantageUnknown, Where{}
		}
		if iok && aok && ih == 0 && ah > 0 {
			return VantageUnknown, Where{Clause: ClauseNeverSent, HostTTL: init.TTLMax}
		}
		w := Where{Clause: ClauseAfterBlock}
		if aok && iok && ah == 0 && ih > 0 {
			w.OnLink, w.HostTTL = true, acc.TTLMax
		}
		return VantageAfter, w
	}
	return VantageUnknown, Where{}
}

// resetOrigin says whether a reset came from the listening host or was forged
// on the way, comparing its TTL with the host's control packets.
func resetOrigin(ch *Channel, reset *Attempt, acc HostTrace) Where {
	to := reset.To.Addr()
	if reset.RSTTTL == 0 || acc.Packets == 0 || to != ch.Alternate.Addr() {
		return Where{Clause: ClauseResetBetween, Addr: to}
	}
	if acc.Has(reset.RSTTTL) {
		return Where{Clause: ClauseResetFromHost, Addr: to, TTL: reset.RSTTTL, Port: reset.To.Port()}
	}
	return Where{Clause: ClauseResetForged, Addr: to, TTL: reset.RSTTTL, HostTTL: acc.TTLMax, Hops: hopsFor(reset.RSTTTL),
		IPIDZero: to.Unmap().Is4() && reset.RSTIPID == 0 && acc.IPv4 > 0 && acc.IPIDZero == 0}
}

// explain completes a judged channel: where the capture point sits, the NAT
// hypothesis the packets support, and the helper-lint findings the channel
// shows. It runs once, right after the verdict.
func (a *Analyzer) explain(ch *Channel) {
	ch.Vantage, ch.Why.Where = a.vantage(ch)
	ch.NATDiag = diagnoseNAT(ch)
	a.lintChannel(ch)
}
