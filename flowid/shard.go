package flowid

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Shard is one of Count runs that split the control connections between
// them by the hash of their unordered address pair (PairHash): run
// Index (0-based, as Kubernetes numbers an Indexed Job's pods in
// JOB_COMPLETION_INDEX) follows the control connections whose hash modulo
// Count is Index and leaves the others to the other runs. Every run still
// hands every other TCP segment and ICMP error to its analysis, which
// matches them against its own sessions' expectations only: a NAT'd data
// connection, whose addresses hash elsewhere, is still found by the run
// that owns its session. The zero Shard (or Count 1) is the whole input.
type Shard struct {
	Index, Count int
}

// ParseShard reads "K/N" (0 <= K < N).
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("%q is not K/N (shard K of N, K from 0)", s)
	}
	ki, err1 := strconv.Atoi(strings.TrimSpace(k))
	ni, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%q is not K/N (two whole numbers)", s)
	}
	if ni < 1 || ki < 0 || ki >= ni {
		return Shard{}, fmt.Errorf("%q: K must be at least 0 and below N (0/%d to %d/%d)", s, max(ni, 1), max(ni, 1)-1, max(ni, 1))
	}
	return Shard{Index: ki, Count: ni}, nil
}

// Split reports whether the input is split at all (Count > 1).
func (s Shard) Split() bool { return s.Count > 1 }

// Owns reports whether connections between a and b are this run's.
func (s Shard) Owns(a, b netip.Addr) bool {
	if !s.Split() {
		return true
	}
	return PairHash(a, b)%uint64(s.Count) == uint64(s.Index)
}

// String writes the shard as ParseShard reads it.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }
