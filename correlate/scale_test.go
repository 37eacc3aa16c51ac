package correlate

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// bruteForce returns n sessions with the same transcript, 1 ms apart, from
// distinct client ports, and the same seen at a second point through SNAT
// with a clock 3 s ahead.
func bruteForce(n int) (a, b []*analysis.Session) {
	lines := []string{"<220 hi", ">USER root", "<331 pw", ">PASS <hidden>", "<530 no", ">QUIT", "<221 bye"}
	for i := range n {
		start := t0.Add(time.Duration(i) * time.Millisecond)
		port := uint16(1024 + i%60000)
		s := session(netip.AddrPortFrom(netip.MustParseAddr("10.0.1.2"), port).String(), "10.0.2.2:21", start, lines...)
		a = append(a, s)
		b = append(b, shift(s, netip.AddrPortFrom(netip.MustParseAddr("10.0.2.1"), port).String(), "10.0.2.2:21", 3*time.Second, 200*time.Microsecond))
	}
	return a, b
}

// TestJoinBruteForce: thousands of sessions with one transcript, starting
// a millisecond apart, are each joined with their own sighting (the
// client port and the time tell them apart), in bounded work.
func TestJoinBruteForce(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	a, b := bruteForce(n)
	r := Join([]*Store{store("client", a...), store("server", b...)}, Config{})
	if len(r.Sessions) != n {
		t.Fatalf("%d records, want %d", len(r.Sessions), n)
	}
	for _, g := range r.Sessions {
		if g.Seen[1] == nil || g.Seen[0].Client.Port() != g.Seen[1].Client.Port() {
			t.Fatalf("%v joined with %v", g.Seen[0].Client, g.Seen[1])
		}
	}
	if o := r.Offsets[1]; (o.Offset - 3*time.Second).Abs() > time.Microsecond {
		t.Errorf("offset %v", o.Offset)
	}
}

func BenchmarkJoinBruteForce(b *testing.B) {
	x, y := bruteForce(20000)
	for b.Loop() {
		Join([]*Store{store("client", x...), store("server", y...)}, Config{})
	}
}
