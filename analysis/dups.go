package analysis

import (
	"encoding/binary"

	"github.com/ftpscope/ftpscope/capture"
)

// The same packet can be in the input twice: a file given twice with -r, or
// a capture taken on two interfaces that both saw it (a bridge and its port,
// "tcpdump -i any"). Counted twice, it doubles SYN counts and tells of
// retransmissions that never happened. A copy is told from a
// retransmission by its header and its time:
//
//   - a copy has every field of the header the same, the IPv4
//     identification included, which a retransmission by an IPv4 stack
//     changes;
//   - a copy read twice has the same time stamp, while a retransmission
//     leaves at least a round trip later (one cannot come in the same
//     microsecond);
//   - a copy of a SYN or SYN-ACK on a second interface comes microseconds
//     later, while their retransmissions wait at least the initial
//     retransmission timeout, one second (RFC 6298 §2.1), so a SYN within
//     synCopyWindow of the same SYN is a copy too.
//
// Other segments copied on a second interface, a few microseconds apart,
// are not recognised (a fast retransmission on a LAN can be as quick, and
// IPv6 has no identification to tell them apart); their bytes still count
// once, since data connections count bytes in sequence space (seqspan.go).

// synCopyWindow is how far apart two identical SYNs are taken for copies of
// one packet rather than a retransmission.
const synCopyWindow = 10e6 // 10 ms, in nanoseconds

// dupBits sizes the duplicate filter: 1024 slots of 16 bytes, a fixed
// 16 KiB whatever the input, kept small because every FTP packet reads it
// (with 4096 slots the filter cost 3 % of a control-heavy run). Copies come
// within a few packets of each other (the merge of two inputs puts them side
// by side), so a small direct-mapped table finds them; a packet that takes
// the slot of one whose copy is still to come merely lets that copy go
// uncounted.
const dupBits = 10

type dupSlot struct {
	fp uint64 // the packet's fingerprint (0: empty)
	t  int64  // its capture time, in Unix nanoseconds
}

// dupFilter remembers the fingerprints of recent packets.
type dupFilter struct {
	slots [1 << dupBits]dupSlot
}

// copied reports whether p is a copy of a packet seen just before it, and
// otherwise remembers p.
func (f *dupFilter) copied(p *capture.Packet) bool {
	fp := fingerprint(p)
	s := &f.slots[fp>>(64-dupBits)]
	t := p.Time.UnixNano()
	if s.fp == fp {
		dt := t - s.t
		if dt < 0 {
			dt = -dt
		}
		if dt == 0 || p.Flags&capture.SYN != 0 && dt <= synCopyWindow {
			return true
		}
	}
	s.fp, s.t = fp, t
	return false
}

// fingerprint hashes every TCP and IP header field a copy shares with its
// original and a different packet usually does not (not the TTL, which a
// router on the way decrements between two interfaces). It is a fixed
// function, so that the report never depends on a random seed.
func fingerprint(p *capture.Packet) uint64 {
	src, dst := p.Src.Addr().As16(), p.Dst.Addr().As16()
	h := mix(0, uint64(p.Seq)<<32|uint64(p.Ack))
	h = mix(h, uint64(p.Src.Port())<<48|uint64(p.Dst.Port())<<32|uint64(p.Window)<<16|uint64(p.IPID))
	h = mix(h, uint64(p.Flags)<<32|uint64(uint32(p.PayloadLen)))
	h = mix(h, binary.LittleEndian.Uint64(src[:8]))
	h = mix(h, binary.LittleEndian.Uint64(src[8:]))
	h = mix(h, binary.LittleEndian.Uint64(dst[:8]))
	h = mix(h, binary.LittleEndian.Uint64(dst[8:]))
	return h | 1 // never 0, the empty slot
}

// mix folds v into h (a multiply-xorshift step, as in splitmix64).
func mix(h, v uint64) uint64 {
	h ^= v
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>31
}

// duplicate counts p if it is a copy of a packet already read (see
// dupFilter), naming the first such packet for the warning.
func (a *Analyzer) duplicate(p *capture.Packet) bool {
	if !a.dups.copied(p) {
		return false
	}
	if a.stats.DuplicatePackets == 0 {
		a.stats.FirstDuplicate = capture.Position{File: p.File, Num: p.Num, FileNum: p.FileNum}
	}
	a.stats.DuplicatePackets++
	return true
}
