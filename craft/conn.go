package craft

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Step is the time between the packets of one exchange that the helpers write
// on their own (handshake, FIN exchange, SYN then RST): a LAN round trip.
const Step = 100 * time.Microsecond

// Side names an end of a TCP connection.
type Side uint8

// The two ends of a connection.
const (
	FromClient Side = iota
	FromServer
)

// String returns "client" or "server".
func (s Side) String() string {
	if s == FromServer {
		return "server"
	}
	return "client"
}

// other returns the opposite side.
func (s Side) other() Side { return 1 - s }

// ISN is the deterministic initial sequence number craft uses for a
// connection's from side: a hash of both endpoints, so the two directions
// differ and a test can predict every sequence number.
func ISN(from, to netip.AddrPort) uint32 {
	var b [36]byte
	a, c := from.Addr().As16(), to.Addr().As16()
	copy(b[0:], a[:])
	binary.BigEndian.PutUint16(b[16:], from.Port())
	copy(b[18:], c[:])
	binary.BigEndian.PutUint16(b[34:], to.Port())
	return fnv32(b[:])
}

// MSSFor returns the MSS craft announces and fills for a connection to a:
// 1460 over IPv4, 1440 over IPv6 (Ethernet MTU 1500).
func MSSFor(a netip.Addr) uint16 {
	if a.Unmap().Is4() {
		return 1460
	}
	return 1440
}

// SYNSegment returns the SYN segment craft writes from `from` to `to` (MSS option,
// deterministic ISN), for quoting in ICMP errors or comparing in tests.
func SYNSegment(from, to netip.AddrPort) Segment {
	return Segment{Src: from, Dst: to, Flags: SYN, Seq: ISN(from, to), MSS: MSSFor(to.Addr())}
}

// Conn is one TCP connection with its own sequence bookkeeping: each send
// advances the sender's sequence number and acknowledges everything the other
// side sent. Methods return nothing; the first error is kept by the Writer
// (see Writer.Flush).
type Conn struct {
	w    *Writer
	ends [2]netip.AddrPort // indexed by Side
	seq  [2]uint32         // next sequence number each side sends
	mss  int
}

// Dial writes a three-way handshake from client to server (SYN at t, SYN-ACK
// at t+Step, ACK at t+2*Step) and returns the established connection.
func (w *Writer) Dial(t time.Time, client, server netip.AddrPort) *Conn {
	c := w.Established(client, server)
	syn := SYNSegment(client, server)
	_ = w.Segment(t, syn)
	synack := SYNSegment(server, client)
	synack.Flags = SYN | ACK
	synack.Ack = syn.Seq + 1
	_ = w.Segment(t.Add(Step), synack)
	c.Ack(t.Add(2*Step), FromClient)
	return c
}

// Established returns a connection that is already open, writing nothing: a
// capture that starts in the middle of a session. Sequence numbers continue
// from the same ISNs Dial would use.
func (w *Writer) Established(client, server netip.AddrPort) *Conn {
	return &Conn{
		w:    w,
		ends: [2]netip.AddrPort{client, server},
		seq:  [2]uint32{ISN(client, server) + 1, ISN(server, client) + 1},
		mss:  int(MSSFor(server.Addr())),
	}
}

// ClientAddr returns the endpoint that opened the connection.
func (c *Conn) ClientAddr() netip.AddrPort { return c.ends[FromClient] }

// ServerAddr returns the endpoint that accepted the connection.
func (c *Conn) ServerAddr() netip.AddrPort { return c.ends[FromServer] }

// NextSeq returns the sequence number side will use for its next byte.
func (c *Conn) NextSeq(side Side) uint32 { return c.seq[side] }

// Writer returns the Writer the connection writes to.
func (c *Conn) Writer() *Writer { return c.w }

// Send writes payload from side in one PSH-ACK segment, whatever its size.
func (c *Conn) Send(t time.Time, side Side, payload []byte) {
	c.segment(t, side, PSH|ACK, payload)
	c.seq[side] += uint32(len(payload))
}

// Client writes one segment from the client carrying s (include the CR LF).
func (c *Conn) Client(t time.Time, s string) { c.Send(t, FromClient, []byte(s)) }

// Server writes one segment from the server carrying s (include the CR LF).
func (c *Conn) Server(t time.Time, s string) { c.Send(t, FromServer, []byte(s)) }

// Segments writes each part as its own segment from side, Step apart starting
// at t: one logical message split over several segments.
func (c *Conn) Segments(t time.Time, side Side, parts ...string) {
	for i, p := range parts {
		c.Send(t.Add(time.Duration(i)*Step), side, []byte(p))
	}
}

// ClientSegments is Segments from the client.
func (c *Conn) ClientSegments(t time.Time, parts ...string) { c.Segments(t, FromClient, parts...) }

// ServerSegments is Segments from the server.
func (c *Conn) ServerSegments(t time.Time, parts ...string) { c.Segments(t, FromServer, parts...) }

// SendAt writes payload from side at an explicit sequence number without
// touching the bookkeeping: retransmissions, overlaps and out-of-order
// delivery (write a later segment first, then the earlier one).
func (c *Conn) SendAt(t time.Time, side Side, seq uint32, payload []byte) {
	_ = c.w.Segment(t, Segment{
		Src: c.ends[side], Dst: c.ends[side.other()], Flags: PSH | ACK,
		Seq: seq, Ack: c.seq[side.other()], Payload: payload,
	})
}

// Skip advances side's sequence number by n bytes without writing them: the
// capture lost a segment, and the next one starts after a gap.
func (c *Conn) Skip(side Side, n int) { c.seq[side] += uint32(n) }

// Ack writes a pure ACK from side acknowledging everything the other side sent.
func (c *Conn) Ack(t time.Time, side Side) { c.segment(t, side, ACK, nil) }

// Bulk writes n bytes from side as full-size segments spaced by gap, the
// receiver acknowledging every second segment (delayed ACK) and the last one,
// and returns the time after the last packet. The bytes are a fixed pattern.
func (c *Conn) Bulk(t time.Time, side Side, n int, gap time.Duration) time.Time {
	buf := c.w.pattern(c.mss)
	for i := 0; n > 0; i++ {
		k := min(n, c.mss)
		n -= k
		fl := ACK
		if n == 0 {
			fl |= PSH
		}
		c.segment(t, side, fl, buf[:k])
		c.seq[side] += uint32(k)
		t = t.Add(gap)
		if i%2 == 1 || n == 0 {
			c.Ack(t, side.other())
			t = t.Add(gap)
		}
	}
	return t
}

// Close writes the FIN exchange started by the client: FIN-ACK at t, the
// server's FIN-ACK at t+Step, the client's ACK at t+2*Step.
func (c *Conn) Close(t time.Time) { c.CloseFrom(t, FromClient) }

// CloseFrom writes the FIN exchange started by side (servers close the data
// connection of a RETR or LIST).
func (c *Conn) CloseFrom(t time.Time, side Side) {
	c.Fin(t, side)
	c.Fin(t.Add(Step), side.other())
	c.Ack(t.Add(2*Step), side)
}

// Fin writes a single FIN-ACK from side (half close).
func (c *Conn) Fin(t time.Time, side Side) {
	c.segment(t, side, FIN|ACK, nil)
	c.seq[side]++
}

// Reset writes a RST-ACK from side.
func (c *Conn) Reset(t time.Time, side Side) { c.segment(t, side, RST|ACK, nil) }

func (c *Conn) segment(t time.Time, side Side, fl Flags, payload []byte) {
	_ = c.w.Segment(t, Segment{
		Src: c.ends[side], Dst: c.ends[side.other()], Flags: fl,
		Seq: c.seq[side], Ack: c.seq[side.other()], Payload: payload,
	})
}

// pattern returns n bytes of a fixed, printable pattern, reused across calls.
func (w *Writer) pattern(n int) []byte {
	if len(w.pat) < n {
		w.pat = make([]byte, n)
		for i := range w.pat {
			w.pat[i] = "abcdefghijklmnopqrstuvwxyz0123456789\n"[i%37]
		}
	}
	return w.pat[:n]
}

// SYNUnanswered writes tries SYNs from `from` to `to` with the Linux
// retransmission backoff (t, t+1s, t+3s, t+7s, ...): a data connection a
// firewall silently drops. It returns the time of the last SYN.
func (w *Writer) SYNUnanswered(t time.Time, from, to netip.AddrPort, tries int) time.Time {
	syn := SYNSegment(from, to)
	backoff := time.Second
	last := t
	for i := 0; i < tries; i++ {
		_ = w.Segment(t, syn)
		last = t
		t = t.Add(backoff)
		backoff *= 2
	}
	return last
}

// Refused writes a SYN from `from` to `to` at t and the RST-ACK answering it
// at t+Step: nothing listens, or a firewall rejects with a TCP reset.
func (w *Writer) Refused(t time.Time, from, to netip.AddrPort) {
	syn := SYNSegment(from, to)
	_ = w.Segment(t, syn)
	_ = w.Segment(t.Add(Step), Segment{Src: to, Dst: from, Flags: RST | ACK, Ack: syn.Seq + 1})
}

// Unreachable writes a SYN from `from` to `to` at t and, at t+Step, an ICMP
// destination-unreachable message from icmpFrom (a firewall, or the
// destination) with the given code quoting it. Use AdminProhibited for the
// code nftables' reject sends.
func (w *Writer) Unreachable(t time.Time, from, to netip.AddrPort, icmpFrom netip.Addr, code uint8) {
	syn := SYNSegment(from, to)
	_ = w.Segment(t, syn)
	_ = w.ICMPUnreachable(t.Add(Step), icmpFrom, code, syn)
}
