package report

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestScratchStamp: the JSON writer's stamps, written through its minute
// cache, are stamp's, across minute and year boundaries, in any order.
func TestScratchStamp(t *testing.T) {
	var x jsonScratch
	check := func(tm time.Time) {
		t.Helper()
		if got, want := x.stamp(tm), stamp(tm); got != want {
			t.Fatalf("%v: %q, want %q", tm, got, want)
		}
	}
	check(time.Time{})
	base := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	for _, tm := range []time.Time{
		base, base.Add(time.Nanosecond), base.Add(100 * time.Millisecond), base.Add(59*time.Second + 999999999),
		base.Add(time.Minute), base.Add(time.Minute + 120*time.Microsecond), base.Add(-time.Nanosecond),
		time.Unix(0, 0), time.Unix(0, 1), time.Unix(-1, 5), time.Unix(-61, 0),
		time.Date(9999, 12, 31, 23, 59, 59, 10, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 10, time.UTC),
		time.Date(2024, 6, 1, 12, 0, 0, 5, time.FixedZone("x", 3600)), time.Date(2024, 6, 1, 12, 0, 0, 5, time.FixedZone("x", 3600)),
	} {
		check(tm)
		check(tm) // the second time from the cache
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		tm := base.Add(time.Duration(r.Int64N(int64(10 * time.Minute))))
		if r.IntN(4) == 0 {
			tm = tm.Truncate(time.Duration(r.IntN(7)) * time.Millisecond)
		}
		check(tm)
	}
}
