package analysis

// coverage records which bytes of one direction of a data connection the
// capture holds, so that a transfer can say how many bytes the capture
// lacks (MissingBytes): the sequence span (seqspan.go) says what the
// connection carried, coverage what of it was captured. Offsets are 64-bit
// positions from the first sequence number seen, unwrapped against the
// furthest end, so transfers over 4 GiB count right. It holds at most
// maxIntervals disjoint intervals: past that the two closest are merged and
// the bytes between them counted in merged, as missing (an error toward
// "not complete", never toward "complete").
type coverage struct {
	iv      []interval
	base    uint32
	seen    bool
	top     int64  // furthest end offset
	covered uint64 // bytes inside iv
	merged  uint64 // bytes inside iv that were never captured
}

type interval struct{ lo, hi int64 }

// maxIntervals bounds a direction's coverage: a lossy stream has a few
// holes at a time, each filled by a retransmission soon after.
const maxIntervals = 8

// add records n captured bytes at sequence number seq.
func (c *coverage) add(seq uint32, n int) {
	if n <= 0 {
		return
	}
	if !c.seen {
		c.base, c.seen = seq, true
	}
	d := int64(int32(seq - (c.base + uint32(c.top))))
	if d > maxSeqJump || d < -maxSeqJump {
		return // not this stream (seqspan.go ignores it too)
	}
	lo := c.top + d
	hi := lo + int64(n)
	if hi > c.top {
		c.top = hi
	}
	c.insert(lo, hi)
}

// insert merges [lo, hi) into the sorted, disjoint intervals.
func (c *coverage) insert(lo, hi int64) {
	iv := c.iv
	// Fast path: in-order data extends the last interval.
	if n := len(iv); n > 0 && lo <= iv[n-1].hi && lo >= iv[n-1].lo {
		if hi > iv[n-1].hi {
			c.covered += uint64(hi - iv[n-1].hi)
			iv[n-1].hi = hi
		}
		return
	}
	// i: first interval that ends at or after lo.
	i := 0
	for i < len(iv) && iv[i].hi < lo {
		i++
	}
	j := i
	nlo, nhi := lo, hi
	var inside uint64
	for j < len(iv) && iv[j].lo <= hi {
		nlo, nhi = min(nlo, iv[j].lo), max(nhi, iv[j].hi)
		inside += uint64(iv[j].hi - iv[j].lo)
		j++
	}
	c.covered += uint64(nhi-nlo) - inside
	switch {
	case j > i+1:
		iv[i] = interval{nlo, nhi}
		iv = append(iv[:i+1], iv[j:]...)
	case j == i+1:
		iv[i] = interval{nlo, nhi}
	default:
		iv = append(iv, interval{})
		copy(iv[i+1:], iv[i:])
		iv[i] = interval{nlo, nhi}
	}
	if len(iv) > maxIntervals {
		// Merge the two intervals with the narrowest hole between them.
		k := 0
		for m := 1; m+1 < len(iv); m++ {
			if iv[m+1].lo-iv[m].hi < iv[k+1].lo-iv[k].hi {
				k = m
			}
		}
		gap := uint64(iv[k+1].lo - iv[k].hi)
		c.covered += gap
		c.merged += gap
		iv[k].hi = iv[k+1].hi
		iv = append(iv[:k+1], iv[k+2:]...)
	}
	c.iv = iv
}

// captured is how many distinct bytes were captured.
func (c *coverage) captured() uint64 { return c.covered - c.merged }

// missing is how many of span's bytes the capture lacks.
func (c *coverage) missing(span uint64) uint64 {
	if got := c.captured(); got < span {
		return span - got
	}
	return 0
}
