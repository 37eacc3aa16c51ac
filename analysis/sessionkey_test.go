package analysis

import (
	"net/netip"
	"testing"

	"github.com/ftpscope/ftpscope/reassembly"
)

// TestSessionKeyDistinct: keys differ whenever the connections differ (a
// swapped direction, another port, an IPv4 address and the same address
// IPv4-mapped in IPv6) and are equal for equal connections.
func TestSessionKeyDistinct(t *testing.T) {
	ck := func(c, s string) reassembly.ConnKey {
		return reassembly.ConnKey{Client: netip.MustParseAddrPort(c), Server: netip.MustParseAddrPort(s)}
	}
	conns := []reassembly.ConnKey{
		ck("192.0.2.1:40000", "198.51.100.2:21"),
		ck("198.51.100.2:21", "192.0.2.1:40000"),
		ck("192.0.2.1:40001", "198.51.100.2:21"),
		ck("192.0.2.1:40000", "198.51.100.2:2121"),
		ck("[::ffff:192.0.2.1]:40000", "198.51.100.2:21"),
		ck("192.0.2.1:40000", "[::ffff:198.51.100.2]:21"),
		ck("[2001:db8::1]:40000", "[2001:db8::2]:21"),
		ck("[2001:db8::2]:40000", "[2001:db8::1]:21"),
		ck("[2001:db8::1]:21", "[2001:db8::2]:40000"),
	}
	seen := map[sessionKey]reassembly.ConnKey{}
	for _, c := range conns {
		k := keyOf(c)
		if prev, ok := seen[k]; ok {
			t.Fatalf("%v and %v have the same key", prev, c)
		}
		seen[k] = c
		if keyOf(ck(c.Client.String(), c.Server.String())) != k {
			t.Fatalf("%v: equal connections, different keys", c)
		}
	}
}

// TestEndpointKeyDistinct: endpoint keys differ for another port, another
// address, and an IPv4 address against the same address IPv4-mapped.
func TestEndpointKeyDistinct(t *testing.T) {
	seen := map[epKey]string{}
	for _, s := range []string{"192.0.2.1:20", "192.0.2.1:21", "192.0.2.2:20", "[::ffff:192.0.2.1]:20", "[2001:db8::1]:20", "[2001:db8::1]:21"} {
		k := epOf(netip.MustParseAddrPort(s))
		if prev, ok := seen[k]; ok {
			t.Fatalf("%s and %s have the same key", prev, s)
		}
		seen[k] = s
	}
}
