package reassembly

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"
)

// TestConnTable: a flow between IPv4 addresses is kept under the short key,
// whichever end is named first and whether an address comes as IPv4 or
// IPv4-mapped IPv6 (they had one flowKey before the tables were split);
// every other flow under flowKey; and no two flows share an entry.
func TestConnTable(t *testing.T) {
	ap := netip.MustParseAddrPort
	cli, srv := ap("192.0.2.10:40000"), ap("198.51.100.20:21")
	for _, tc := range []struct {
		name     string
		a, b     netip.AddrPort
		v4       bool
		sameAsV4 bool // the same entry as cli-srv
	}{
		{"ipv4", cli, srv, true, true},
		{"ipv4 reversed", srv, cli, true, true},
		{"mapped client", ap("[::ffff:192.0.2.10]:40000"), srv, true, true},
		{"both mapped, reversed", ap("[::ffff:198.51.100.20]:21"), ap("[::ffff:192.0.2.10]:40000"), true, true},
		{"other client port", ap("192.0.2.10:40001"), srv, true, false},
		{"other server address", cli, ap("198.51.100.21:21"), true, false},
		{"ports swapped", ap("192.0.2.10:21"), ap("198.51.100.20:40000"), true, false},
		{"ipv6", ap("[2001:db8::10]:40000"), ap("[2001:db8::20]:21"), false, false},
		{"ipv6 ending like the ipv4 one", ap("[2001:db8::c000:20a]:40000"), ap("[2001:db8::c633:6414]:21"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tab connTable
			tab.init()
			base := &conn{}
			tab.set(makeFlowKey(cli, srv), base)
			fk := makeFlowKey(tc.a, tc.b)
			k4, v4 := fk.v4()
			if v4 != tc.v4 {
				t.Errorf("v4 key: %v, want %v", v4, tc.v4)
			}
			for _, ends := range [][2]netip.AddrPort{{tc.a, tc.b}, {tc.b, tc.a}} {
				if got, ok := makeFlowKey4(ends[0], ends[1]); got != k4 || ok != v4 {
					t.Errorf("makeFlowKey4(%v, %v) = %x, %v; flowKey.v4 %x, %v", ends[0], ends[1], got, ok, k4, v4)
				}
				if tab.lookup(ends[0], ends[1]) != tab.get(fk) {
					t.Errorf("lookup(%v, %v) differs from get", ends[0], ends[1])
				}
			}
			if got := tab.get(fk) == base; got != tc.sameAsV4 {
				t.Fatalf("found the ipv4 flow's entry: %v, want %v", got, tc.sameAsV4)
			}
			if tc.sameAsV4 {
				tab.delete(fk)
				if tab.len() != 0 {
					t.Fatalf("%d entries left after delete", tab.len())
				}
				return
			}
			c := &conn{}
			tab.set(fk, c)
			if tab.get(fk) != c || tab.get(makeFlowKey(tc.b, tc.a)) != c || tab.get(makeFlowKey(cli, srv)) != base || tab.len() != 2 {
				t.Fatalf("after set: entries %d, own found %v, ipv4 flow's kept %v", tab.len(), tab.get(fk) == c, tab.get(makeFlowKey(cli, srv)) == base)
			}
			if n := len(tab.v6); (n == 1) == tc.v4 {
				t.Errorf("%d entries under flowKey", n)
			}
			tab.delete(fk)
			if tab.get(fk) != nil || tab.len() != 1 {
				t.Fatalf("after delete: entries %d", tab.len())
			}
		})
	}
}

// TestHeldSizes: what every open control connection holds in reassembly
// stays in the allocator's size class it was packed for, and its map slot
// as small (issue 11 item 5: at most 1 KiB per open control connection,
// everything included). A field added to conn must find room, or this
// budget is revised on purpose: 160 is a size class, the next is 176.
func TestHeldSizes(t *testing.T) {
	for _, tc := range []struct {
		what      string
		size, max uintptr
	}{
		{"conn", unsafe.Sizeof(conn{}), 160},
		{"direction", unsafe.Sizeof(direction{}), 40},
		{"IPv4 map slot", unsafe.Sizeof(flowKey4{}) + unsafe.Sizeof((*conn)(nil)), 24},
		{"candidate", unsafe.Sizeof(candidate{}), 48}, // per greeting on a port nobody configured
	} {
		if tc.size > tc.max {
			t.Errorf("%s is %d bytes, more than its %d", tc.what, tc.size, tc.max)
		}
	}
}

// TestClock: capture times become offsets from the first one and come back
// exact, in order, whether before or after it and however far from 1970;
// times out of int64 range of the first saturate rather than wrap.
func TestClock(t *testing.T) {
	for _, first := range []time.Time{t0, time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 1, time.UTC)} {
		var k clock
		k.at(first)
		prev := int64(-1 << 63)
		for _, d := range []time.Duration{-2 * time.Hour, -1, 0, 1, time.Second, 100 * 24 * time.Hour} {
			tm := first.Add(d)
			n := k.at(tm)
			if back := k.time(n); !back.Equal(tm) {
				t.Errorf("first %v: %v came back as %v", first, tm, back)
			}
			if n <= prev {
				t.Errorf("first %v: %v gave %d, not after %d", first, tm, n, prev)
			}
			prev = n
		}
		if n := k.at(first.AddDate(400, 0, 0)); n != 1<<63-1 {
			t.Errorf("first %v: 400 years on gave %d, want the largest offset", first, n)
		}
		if n := k.at(first.AddDate(-400, 0, 0)); n != -1<<63 {
			t.Errorf("first %v: 400 years before gave %d, want the smallest offset", first, n)
		}
	}
}

// TestWithin: the tombstones' age test is exact at its edge and does not
// wrap for offsets far apart (saturated ones included).
func TestWithin(t *testing.T) {
	const maxOff, minOff = 1<<63 - 1, -1 << 63
	for _, tc := range []struct {
		now, t int64
		want   bool
	}{
		{int64(tombTTL) - 1, 0, true},
		{int64(tombTTL), 0, false},
		{0, 5, true}, // closed after now
		{maxOff, minOff, false},
		{minOff, maxOff, true},
		{maxOff, maxOff, true},
		{maxOff, maxOff - int64(tombTTL), false},
	} {
		if got := within(tc.now, tc.t, tombTTL); got != tc.want {
			t.Errorf("within(%d, %d) = %v, want %v", tc.now, tc.t, got, tc.want)
		}
	}
}

// TestTombstones: a tombstone holds for tombTTL from its close, IPv4 or
// not; a newer one on the same flow outlives the expiry of the older.
func TestTombstones(t *testing.T) {
	ap := netip.MustParseAddrPort
	v4 := makeFlowKey(cliAP, srvAP)
	v6 := makeFlowKey(ap("[2001:db8::10]:40000"), ap("[2001:db8::20]:21"))
	ttl := int64(tombTTL)
	var ts tombstones
	ts.init()
	ts.add(v4, 0)
	ts.add(v6, 10)
	ts.add(v4, 20) // the flow closed again
	for _, tc := range []struct {
		now    int64
		v4, v6 bool
	}{
		{5, true, true},
		{ttl + 5, true, true},   // v4's first tombstone expired, its second holds
		{ttl + 15, true, false}, // v6's expired
		{ttl + 25, false, false},
	} {
		ts.expire(tc.now)
		if got := ts.has(v4, tc.now); got != tc.v4 {
			t.Errorf("at %d: ipv4 flow held %v, want %v", tc.now, got, tc.v4)
		}
		if got := ts.has(v6, tc.now); got != tc.v6 {
			t.Errorf("at %d: ipv6 flow held %v, want %v", tc.now, got, tc.v6)
		}
	}
	if ts.m.len() != 0 || ts.head != len(ts.q) {
		t.Errorf("after every expiry: %d entries, %d queued", ts.m.len(), len(ts.q)-ts.head)
	}
}
