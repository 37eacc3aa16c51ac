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

// connList orders conns, front = most recently active. A conn is in at
// most one list (control connections or candidates).
type connList = lru.List[conn, *conn]

// tombstones remember recently closed control connections for tombTTL of
// capture time, oldest first out.
type tombstones struct {
	m    map[flowKey]time.Time
	q    []tomb
	head int
}

type tomb struct {
	fk flowKey
	t  time.Time
}

func (ts *tombstones) init() { ts.m = make(map[flowKey]time.Time) }

func (ts *tombstones) has(fk flowKey, now time.Time) bool {
	t, ok := ts.m[fk]
	return ok && now.Sub(t) < tombTTL
}

func (ts *tombstones) add(fk flowKey, t time.Time) {
	if len(ts.q)-ts.head >= maxTombs {
		ts.pop()
	}
	ts.q = append(ts.q, tomb{fk, t})
	ts.m[fk] = t
}

func (ts *tombstones) pop() {
	old := ts.q[ts.head]
	ts.q[ts.head] = tomb{}
	ts.head++
	if t, ok := ts.m[old.fk]; ok && t.Equal(old.t) {
		delete(ts.m, old.fk)
	}
	if ts.head > 1024 && ts.head*2 > len(ts.q) {
		// Reclaim the consumed front so the queue does not grow forever.
		ts.q = append(ts.q[:0], ts.q[ts.head:]...)
		ts.head = 0
	}
}

func (ts *tombstones) expire(now time.Time) {
	for ts.head < len(ts.q) && now.Sub(ts.q[ts.head].t) >= tombTTL {
		ts.pop()
	}
}
