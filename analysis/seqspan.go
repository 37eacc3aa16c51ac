package analysis

// A data connection's byte count is measured in TCP sequence space, not by
// adding up payloads: a retransmitted, repacketized or duplicated segment
// covers sequence numbers already counted and adds nothing, a keepalive
// probe repeating the last byte adds nothing, and a segment the capture
// missed but the receiver got is counted once the stream goes past it. The
// comparisons are serial-number arithmetic (RFC 1982): sequence numbers wrap
// every 4 GiB, so each one is compared with the stream's current edge, and
// the span itself is kept in 64 bits for transfers of more than 4 GiB.

// maxSeqJump is the largest step a segment may move a span's edge. A
// receiver accepts nothing beyond its window, which is at most 2^30 bytes
// (RFC 7323 §2.3), so a segment further away is not part of this stream
// (a stray or hostile packet) and must not add a gigabyte to the count.
const maxSeqJump = 1 << 30

// seqSpan is how far one direction of a TCP connection got: from its first
// byte (the SYN's sequence number plus one, or the lowest sequence number
// seen when the SYN is not in the capture) to the end of the furthest
// segment.
type seqSpan struct {
	// start is the sequence number of the first byte; n the bytes from it
	// to the furthest end seen.
	start uint32
	n     uint64
	// seen says start is set; anchored says it came from the SYN, so no
	// byte can come before it.
	seen, anchored bool
}

// syn anchors the span at the SYN's initial sequence number isn: the first
// data byte is isn+1. Data seen before the SYN (the capture reordered them)
// lies after it, and the span grows back to cover the bytes in between.
func (s *seqSpan) syn(isn uint32) {
	if s.anchored {
		return
	}
	first := isn + 1
	switch back := s.start - first; {
	case !s.seen:
		s.start, s.n, s.seen = first, 0, true
	case int32(back) >= 0 && back <= maxSeqJump:
		s.start = first
		s.n += uint64(back)
	default:
		// A SYN whose ISN lies after the data seen is not this stream's.
		return
	}
	s.anchored = true
}

// add counts the segment of n payload bytes at sequence number seq: only the
// part beyond the furthest end seen adds to the span (or, before the SYN is
// known, the part before the lowest start seen).
func (s *seqSpan) add(seq uint32, n int) {
	if n <= 0 {
		return
	}
	end := seq + uint32(n)
	if !s.seen {
		s.start, s.n, s.seen = seq, uint64(n), true
		return
	}
	if fwd := end - (s.start + uint32(s.n)); int32(fwd) > 0 && fwd <= maxSeqJump {
		s.n += uint64(fwd)
	}
	if !s.anchored {
		if back := s.start - seq; int32(back) > 0 && back <= maxSeqJump {
			s.start = seq
			s.n += uint64(back)
		}
	}
}

// fin counts a FIN at sequence number seq after n payload bytes: the stream
// ends at seq+n, so the bytes before it were sent even where the capture
// missed them (a one-segment transfer whose segment was lost).
func (s *seqSpan) fin(seq uint32, n int) {
	if !s.seen {
		if n > 0 {
			s.add(seq, n)
		}
		return
	}
	s.add(seq, n)
	if fwd := seq + uint32(n) - (s.start + uint32(s.n)); int32(fwd) > 0 && fwd <= maxSeqJump {
		s.n += uint64(fwd)
	}
}

// bytes is the number of sequence numbers the span covers.
func (s *seqSpan) bytes() uint64 { return s.n }
