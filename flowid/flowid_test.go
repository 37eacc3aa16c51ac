package flowid

import (
	"net/netip"
	"regexp"
	"testing"
	"time"
)

// TestCommunityIDSpecVectors: the published baseline of community-id-spec
// (baseline/baseline_deflt.json: seed 0, base64), every TCP, UDP, SCTP,
// ICMP and ICMPv6 row and the port-less one. ICMP rows carry the type and
// code mapped to port equivalents as the spec's reference script does; the
// rows whose ICMP type has no counterpart are one-way.
func TestCommunityIDSpecVectors(t *testing.T) {
	for _, tc := range []struct {
		proto         uint8
		saddr, daddr  string
		sport, dport  uint16
		ports, oneWay bool
		want          string
	}{
		{6, "128.232.110.120", "66.35.250.204", 34855, 80, true, false, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{6, "66.35.250.204", "128.232.110.120", 80, 34855, true, false, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, true, false, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, true, false, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{17, "192.168.1.52", "8.8.8.8", 54585, 53, true, false, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
		{17, "8.8.8.8", "192.168.1.52", 53, 54585, true, false, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
		{132, "192.168.170.8", "192.168.170.56", 7, 7, true, false, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
		{132, "192.168.170.56", "192.168.170.8", 7, 7, true, false, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
		// ICMP echo (8) and reply (0) are counterparts.
		{1, "192.168.0.89", "192.168.0.1", 8, 0, true, false, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		{1, "192.168.0.1", "192.168.0.89", 0, 8, true, false, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		// ICMP time exceeded (11, code 0) is one-way.
		{1, "10.0.0.1", "10.0.0.2", 11, 0, true, true, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
		// ICMPv6 neighbour solicitation (135) and advertisement (136).
		{58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, true, false, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, true, false, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, true, false, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
		// ICMPv6 destination unreachable (1, code 4) is one-way.
		{58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, true, true, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
		// RSVP (46) has no ports.
		{46, "10.1.12.1", "10.1.12.2", 0, 0, false, false, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
		{46, "10.1.12.2", "10.1.12.1", 0, 0, false, false, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
	} {
		a := netip.AddrPortFrom(netip.MustParseAddr(tc.saddr), tc.sport)
		b := netip.AddrPortFrom(netip.MustParseAddr(tc.daddr), tc.dport)
		if got := CommunityIDPorts(0, a, b, tc.proto, tc.ports, tc.oneWay); got != tc.want {
			t.Errorf("%d %s -> %s: %s, want %s", tc.proto, a, b, got, tc.want)
		}
		if tc.proto == ProtoTCP {
			if got := CommunityID(a, b, ProtoTCP); got != tc.want {
				t.Errorf("CommunityID(%s, %s) = %s, want %s", a, b, got, tc.want)
			}
		}
	}
}

// TestCommunityIDSeed: the seed is hashed (baseline/baseline_seed1.json).
func TestCommunityIDSeed(t *testing.T) {
	a := netip.MustParseAddrPort("128.232.110.120:34855")
	b := netip.MustParseAddrPort("66.35.250.204:80")
	if got, want := CommunityIDPorts(1, b, a, ProtoTCP, true, false), "1:3V71V58M3Ksw/yuFALMcW0LAHvc="; got != want {
		t.Errorf("seed 1: %s, want %s", got, want)
	}
	u := netip.MustParseAddrPort("192.168.1.52:54585")
	d := netip.MustParseAddrPort("8.8.8.8:53")
	if got, want := CommunityIDPorts(1, u, d, ProtoUDP, true, false), "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="; got != want {
		t.Errorf("seed 1 udp: %s, want %s", got, want)
	}
}

// TestUID: a uid has Zeek's form, is the same for the same connection and
// start, and differs when either differs.
func TestUID(t *testing.T) {
	c := netip.MustParseAddrPort("192.0.2.10:40000")
	s := netip.MustParseAddrPort("203.0.113.20:21")
	t0 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	u := UID(c, s, t0)
	if !regexp.MustCompile(`^C[0-9a-zA-Z]{11,17}$`).MatchString(u) {
		t.Errorf("uid %q is not Zeek's form", u)
	}
	if UID(c, s, t0) != u {
		t.Error("same connection, two uids")
	}
	if UID(c, s, t0.Add(time.Microsecond)) == u || UID(netip.MustParseAddrPort("192.0.2.10:40001"), s, t0) == u {
		t.Error("different connections, one uid")
	}
}

// TestFUID: a file id has Zeek's form, is the same for the same data
// connection and direction, and differs for another direction, start or
// endpoint; it never equals the connection's uid after its first letter.
func TestFUID(t *testing.T) {
	o := netip.MustParseAddrPort("192.0.2.10:40000")
	r := netip.MustParseAddrPort("203.0.113.20:20000")
	t0 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	f := FUID(o, r, t0, false)
	if !regexp.MustCompile(`^F[0-9a-zA-Z]{11,17}$`).MatchString(f) {
		t.Errorf("fuid %q is not Zeek's form", f)
	}
	for _, tc := range []struct {
		name string
		got  string
		same bool
	}{
		{"same", FUID(o, r, t0, false), true},
		{"other direction", FUID(o, r, t0, true), false},
		{"other start", FUID(o, r, t0.Add(time.Microsecond), false), false},
		{"other port", FUID(netip.MustParseAddrPort("192.0.2.10:40001"), r, t0, false), false},
		{"swapped", FUID(r, o, t0, false), false},
	} {
		if (tc.got == f) != tc.same {
			t.Errorf("%s: %q vs %q", tc.name, tc.got, f)
		}
	}
	if UID(o, r, t0)[1:] == f[1:] {
		t.Error("the fuid is the uid with another letter")
	}
}

func TestPairHash(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.2")
	for _, tc := range []struct {
		name string
		x, y netip.Addr
		same bool
	}{
		{"reversed", b, a, true},
		{"mapped", netip.MustParseAddr("::ffff:192.0.2.1"), b, true},
		{"other host", netip.MustParseAddr("192.0.2.3"), b, false},
		{"v6", netip.MustParseAddr("2001:db8::1"), b, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PairHash(tc.x, tc.y) == PairHash(a, b); got != tc.same {
				t.Errorf("PairHash(%v, %v) == PairHash(%v, %v) is %v, want %v", tc.x, tc.y, a, b, got, tc.same)
			}
		})
	}
	// Pinned: shards of one archive may be run by different builds.
	// The value is FNV-1a over c0000201 04 c6336402 04, computed once.
	if got, want := PairHash(a, b), uint64(8513114829964434387); got != want {
		t.Errorf("PairHash(%v, %v) = %d, want %d: a change splits archives differently from older runs", a, b, got, want)
	}
}
