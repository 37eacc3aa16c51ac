package reassembly

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/lru"
)

// portSet is a set of TCP ports as a bitmap: 8 KiB, so that the per-packet
// test stays in cache on captures of millions of connections.
type portSet [1 << 10]uint64

func (s *portSet) has(p uint16) bool { return s[p>>6]&(1<<(p&63)) != 0 }
func (s *portSet) set(p uint16)      { s[p>>6] |= 1 << (p & 63) }
func (s *portSet) clear(p uint16)    { s[p>>6] &^= 1 << (p & 63) }

// flowKey names a connection independently of direction: the lower endpoint
// first. It is plain integers without padding, so the map hashes it in one
// pass (netip.AddrPort fields, with their zone handles, cost several).
type flowKey struct {
	loHi, loLo, hiHi, hiLo uint64 // the two addresses as 16 bytes (IPv4 mapped)
	ports                  uint64 // lo port << 16 | hi port
}

func makeFlowKey(a, b netip.AddrPort) flowKey {
	a16, b16 := a.Addr().As16(), b.Addr().As16()
	ah, al := binary.BigEndian.Uint64(a16[:8]), binary.BigEndian.Uint64(a16[8:])
	bh, bl := binary.BigEndian.Uint64(b16[:8]), binary.BigEndian.Uint64(b16[8:])
	ap, bp := uint64(a.Port()), uint64(b.Port())
	if ah > bh || ah == bh && (al > bl || al == bl && ap > bp) {
		ah, al, ap, bh, bl, bp = bh, bl, bp, ah, al, ap
	}
	return flowKey{ah, al, bh, bl, ap<<16 | bp}
}

// portPair returns the two ports of the connection.
func (k flowKey) portPair() [2]uint16 { return [2]uint16{uint16(k.ports >> 16), uint16(k.ports)} }

// flowKey4 is a flowKey between two IPv4 addresses: the addresses (lower
// endpoint's in the high half) and the ports, in 16 bytes rather than 40.
type flowKey4 [2]uint64

// v4 returns k as a flowKey4 when both its addresses are IPv4 (as
// netip.Addr.As16 maps them: ::ffff:a.b.c.d).
func (k flowKey) v4() (flowKey4, bool) {
	const mapped = 0xffff // the high half of an IPv4-mapped address's low 8 bytes
	if k.loHi != 0 || k.hiHi != 0 || k.loLo>>32 != mapped || k.hiLo>>32 != mapped {
		return flowKey4{}, false
	}
	return flowKey4{k.loLo<<32 | k.hiLo&0xffffffff, k.ports}, true
}

// flowTable maps flows to V. Each entry costs its whole slot (key and
// value) over the map's fill, so the IPv4 flows, nearly all of them, have a
// map of their own with the 16-byte key (a 24-byte slot for a pointer or an
// int64, not 48), and only the others pay for flowKey. A flow between an
// IPv4 address and its IPv4-mapped IPv6 form lands in the IPv4 map, as both
// had the same flowKey.
type flowTable[V any] struct {
	v4 map[flowKey4]V
	v6 map[flowKey]V
}

// connTable holds the tracked connections (control connections and
// candidates): one entry per open connection.
type connTable = flowTable[*conn]

func (t *flowTable[V]) init() {
	t.v4 = make(map[flowKey4]V)
	t.v6 = make(map[flowKey]V)
}

// lookup returns the entry of the flow between a and b, as
// get(makeFlowKey(a, b)) does, but builds the short key straight from the
// endpoints: this is the lookup of every packet on a port in use.
func (t *flowTable[V]) lookup(a, b netip.AddrPort) V {
	if k, ok := makeFlowKey4(a, b); ok {
		return t.v4[k]
	}
	return t.v6[makeFlowKey(a, b)]
}

// makeFlowKey4 is makeFlowKey(a, b).v4().
func makeFlowKey4(a, b netip.AddrPort) (flowKey4, bool) {
	aa, ba := a.Addr().Unmap(), b.Addr().Unmap()
	if !aa.Is4() || !ba.Is4() {
		return flowKey4{}, false
	}
	a4, b4 := aa.As4(), ba.As4()
	ax, bx := uint64(binary.BigEndian.Uint32(a4[:])), uint64(binary.BigEndian.Uint32(b4[:]))
	ap, bp := uint64(a.Port()), uint64(b.Port())
	if ax > bx || ax == bx && ap > bp {
		ax, ap, bx, bp = bx, bp, ax, ap
	}
	return flowKey4{ax<<32 | bx, ap<<16 | bp}, true
}

// get returns fk's entry, or the zero V.
func (t *flowTable[V]) get(fk flowKey) V {
	v, _ := t.find(fk)
	return v
}

// find returns fk's entry and whether there is one.
func (t *flowTable[V]) find(fk flowKey) (V, bool) {
	if k, ok := fk.v4(); ok {
		v, ok := t.v4[k]
		return v, ok
	}
	v, ok := t.v6[fk]
	return v, ok
}

func (t *flowTable[V]) set(fk flowKey, v V) {
	if k, ok := fk.v4(); ok {
		t.v4[k] = v
		return
	}
	t.v6[fk] = v
}

func (t *flowTable[V]) delete(fk flowKey) {
	if k, ok := fk.v4(); ok {
		delete(t.v4, k)
		return
	}
	delete(t.v6, fk)
}

// len is how many entries the table holds.
func (t *flowTable[V]) len() int { return len(t.v4) + len(t.v6) }

// connList orders conns, front = most recently active. A conn is in at
// most one list (control connections or candidates).
type connList = lru.List[conn, *conn]

// clock turns capture times into int64 nanoseconds since the first one it
// was given, and back: a conn keeps its last activity in 8 bytes rather than
// a time.Time's 24. An offset, not Unix nanoseconds, so that every capture
// time within 292 years of the first is exact (and any other saturates, as
// time.Time.Sub does) however far from 1970 the capture's clock is.
type clock struct {
	base time.Time
	set  bool
}

// at returns t as an offset.
func (k *clock) at(t time.Time) int64 {
	if !k.set {
		k.base, k.set = t, true
	}
	return int64(t.Sub(k.base))
}

// time returns the capture time of an offset at returned.
func (k *clock) time(n int64) time.Time { return k.base.Add(time.Duration(n)) }

// tombstones remember recently closed control connections for tombTTL of
// capture time, oldest first out. Times are Assembler.clock offsets, and
// the table is a flowTable: a tombstone costs about 130 B, where a
// time.Time and a plain flowKey map made it 230.
type tombstones struct {
	m    flowTable[int64]
	q    []tomb
	head int
}

type tomb struct {
	fk flowKey
	t  int64
}

// within reports whether now - t < d, also when the difference of two
// offsets would overflow.
func within(now, t int64, d time.Duration) bool {
	return now < t || uint64(now-t) < uint64(d)
}

func (ts *tombstones) init() { ts.m.init() }

func (ts *tombstones) has(fk flowKey, now int64) bool {
	t, ok := ts.m.find(fk)
	return ok && within(now, t, tombTTL)
}

func (ts *tombstones) add(fk flowKey, t int64) {
	if len(ts.q)-ts.head >= maxTombs {
		ts.pop()
	}
	ts.q = append(ts.q, tomb{fk, t})
	ts.m.set(fk, t)
}

func (ts *tombstones) pop() {
	old := ts.q[ts.head]
	ts.q[ts.head] = tomb{}
	ts.head++
	if t, ok := ts.m.find(old.fk); ok && t == old.t {
		ts.m.delete(old.fk)
	}
	if ts.head > 1024 && ts.head*2 > len(ts.q) {
		// Reclaim the consumed front so the queue does not grow forever.
		ts.q = append(ts.q[:0], ts.q[ts.head:]...)
		ts.head = 0
	}
}

func (ts *tombstones) expire(now int64) {
	for ts.head < len(ts.q) && !within(now, ts.q[ts.head].t, tombTTL) {
		ts.pop()
	}
}
