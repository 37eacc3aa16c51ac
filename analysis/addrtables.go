package analysis

import (
	"encoding/binary"
	"net/netip"

	"github.com/ftpscope/ftpscope/reassembly"
)

// sessionTable maps control connections to their sessions. Nearly every
// control connection joins two IPv4 hosts, and its four-tuple fits two
// words: such connections get a map of their own with a 16-byte key, a
// 24-byte slot against the general key's 48. On 100 000 open connections
// that is about 40 bytes less per session. The rest (IPv6, IPv4-mapped
// addresses) keep the general sessionKey.
type sessionTable struct {
	v4 map[[2]uint64]*sessionState
	v6 map[sessionKey]*sessionState
}

func newSessionTable() sessionTable {
	return sessionTable{v4: make(map[[2]uint64]*sessionState), v6: make(map[sessionKey]*sessionState)}
}

// key4 is k's key in the IPv4 map, when both ends are IPv4.
func key4(k reassembly.ConnKey) ([2]uint64, bool) {
	c, s := k.Client.Addr(), k.Server.Addr()
	if !c.Is4() || !s.Is4() {
		return [2]uint64{}, false
	}
	c4, s4 := c.As4(), s.As4()
	return [2]uint64{
		uint64(binary.BigEndian.Uint32(c4[:]))<<32 | uint64(binary.BigEndian.Uint32(s4[:])),
		uint64(k.Client.Port())<<16 | uint64(k.Server.Port()),
	}, true
}

func (t *sessionTable) get(k reassembly.ConnKey) *sessionState {
	if k4, ok := key4(k); ok {
		return t.v4[k4]
	}
	return t.v6[keyOf(k)]
}

func (t *sessionTable) put(k reassembly.ConnKey, st *sessionState) {
	if k4, ok := key4(k); ok {
		t.v4[k4] = st
		return
	}
	t.v6[keyOf(k)] = st
}

func (t *sessionTable) del(k reassembly.ConnKey) {
	if k4, ok := key4(k); ok {
		delete(t.v4, k4)
		return
	}
	delete(t.v6, keyOf(k))
}

func (t *sessionTable) len() int { return len(t.v4) + len(t.v6) }

// appendAll appends every session to list, in no order.
func (t *sessionTable) appendAll(list []*sessionState) []*sessionState {
	for _, st := range t.v4 {
		list = append(list, st)
	}
	for _, st := range t.v6 {
		list = append(list, st)
	}
	return list
}

// hostCounts counts the sessions held per unordered pair of host
// addresses. Like sessionTable it keeps IPv4 pairs, nearly all of them, in
// a map with a one-word key (a 16-byte slot against hostPair's 40).
type hostCounts struct {
	v4 map[uint64]int32
	v6 map[hostPair]int32
}

func newHostCounts() hostCounts {
	return hostCounts{v4: make(map[uint64]int32), v6: make(map[hostPair]int32)}
}

// pair4 is the IPv4 key of the pair x, y (unmapped first), when both are
// IPv4: the lower address in the high half.
func pair4(x, y netip.Addr) (uint64, bool) {
	x, y = unmapped(x), unmapped(y)
	if !x.Is4() || !y.Is4() {
		return 0, false
	}
	a, b := x.As4(), y.As4()
	u, v := binary.BigEndian.Uint32(a[:]), binary.BigEndian.Uint32(b[:])
	if v < u {
		u, v = v, u
	}
	return uint64(u)<<32 | uint64(v), true
}

// add counts one more session between x and y.
func (h *hostCounts) add(x, y netip.Addr) {
	if k, ok := pair4(x, y); ok {
		h.v4[k]++
		return
	}
	h.v6[hostPairOf(x, y)]++
}

// remove counts one session fewer between x and y.
func (h *hostCounts) remove(x, y netip.Addr) {
	if k, ok := pair4(x, y); ok {
		if n := h.v4[k] - 1; n > 0 {
			h.v4[k] = n
		} else {
			delete(h.v4, k)
		}
		return
	}
	hp := hostPairOf(x, y)
	if n := h.v6[hp] - 1; n > 0 {
		h.v6[hp] = n
	} else {
		delete(h.v6, hp)
	}
}

// held reports whether some session joins x and y.
func (h *hostCounts) held(x, y netip.Addr) bool {
	if k, ok := pair4(x, y); ok {
		return h.v4[k] > 0
	}
	return h.v6[hostPairOf(x, y)] > 0
}
