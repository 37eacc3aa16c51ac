package flowid

import (
	"net/netip"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/1", Shard{0, 1}, true},
		{"2/4", Shard{2, 4}, true},
		{" 3 / 4 ", Shard{3, 4}, true},
		{"4/4", Shard{}, false},
		{"-1/4", Shard{}, false},
		{"0/0", Shard{}, false},
		{"1", Shard{}, false},
		{"x/2", Shard{}, false},
	} {
		got, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestShardOwnsOnce: every address pair belongs to exactly one shard, in
// both directions.
func TestShardOwnsOnce(t *testing.T) {
	for i := range 200 {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i % 250)})
		b := netip.MustParseAddr("2001:db8::21")
		for _, n := range []int{1, 2, 3, 7} {
			owners := 0
			for k := range n {
				s := Shard{k, n}
				if s.Owns(a, b) != s.Owns(b, a) {
					t.Fatalf("%v: %v-%v and %v-%v differ", s, a, b, b, a)
				}
				if s.Owns(a, b) {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("%v-%v: %d owners among %d shards", a, b, owners, n)
			}
		}
	}
	if !(Shard{}).Owns(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")) {
		t.Error("the zero Shard owns everything")
	}
}
