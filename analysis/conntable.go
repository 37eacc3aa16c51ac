package analysis

import "net/netip"

// The followed connections are looked up for nearly every packet of a
// capture: every connection whose SYN was seen in the last AttemptWindow is
// followed, in case an announcement released late claims it, and that is
// most of the background traffic. Two map lookups per packet (one per
// direction) were the largest cost of a whole run, so a small direct-mapped
// cache of four-tuples sits in front of the map. It is written through on
// every change of the map, so an entry is never stale; a miss falls back to
// the map and fills the entry.

// connCacheSize is the number of cache entries: about 200 KiB, enough for
// the connections a busy link has open at once.
const (
	connCacheBits = 11
	connCacheSize = 1 << connCacheBits
)

// connSlot caches both directions of one four-tuple: ab is the map's entry
// for a -> b, ba the one for b -> a (nil: none).
type connSlot struct {
	a, b   netip.AddrPort
	ab, ba *conn
	used   bool
}

type connCache [connCacheSize]connSlot

// slotOf returns the cache index of the four-tuple of x and y, the same in
// both directions. It mixes the ports only: reading an address out of a
// netip.Addr costs more than the rest of the lookup, and two connections
// with the same pair of ports at once merely share a slot.
func slotOf(x, y netip.AddrPort) int {
	lo, hi := x.Port(), y.Port()
	if lo > hi {
		lo, hi = hi, lo
	}
	return int((uint32(lo)<<16 | uint32(hi)) * 0x9e3779b1 >> (32 - connCacheBits))
}

// lookupConn finds the followed connection of a packet from src to dst: the
// one opened by src if any, else the one opened by dst (fwd false).
func (d *dataTracker) lookupConn(src, dst netip.AddrPort) (c *conn, fwd bool) {
	s := &d.cache[slotOf(src, dst)]
	if !s.used || !(s.a == src && s.b == dst || s.a == dst && s.b == src) {
		*s = connSlot{a: src, b: dst, ab: d.conns[flowKey{src, dst}], ba: d.conns[flowKey{dst, src}], used: true}
	}
	fc, rc := s.ab, s.ba
	if s.a != src {
		fc, rc = rc, fc
	}
	if fc != nil {
		return fc, true
	}
	return rc, false
}

// setConn and delConn change the map and the cache entry of the key, if
// the cache holds its four-tuple.
func (d *dataTracker) setConn(k flowKey, c *conn) {
	d.conns[k] = c
	d.cacheConn(k, c)
}

func (d *dataTracker) delConn(k flowKey) {
	delete(d.conns, k)
	d.cacheConn(k, nil)
}

func (d *dataTracker) cacheConn(k flowKey, c *conn) {
	s := &d.cache[slotOf(k.from, k.to)]
	if !s.used {
		return
	}
	// Both hold for a connection from an endpoint to itself.
	if s.a == k.from && s.b == k.to {
		s.ab = c
	}
	if s.a == k.to && s.b == k.from {
		s.ba = c
	}
}
