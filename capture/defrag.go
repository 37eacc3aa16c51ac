package capture

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// IP fragments are put back together in the file source, before frames
// are handed out, so that the one reassembly state sees every fragment in
// capture order, whichever goroutine decodes what (the read-ahead decodes
// on two). A fragment is kept (copied) until its datagram is whole; the
// datagram is then handed out as a raw-IP frame in place of the fragment
// that completed it, numbered as that frame, and decoded like any other.
//
// gopacket's ip4defrag is not used: it is IPv4 only, keeps a container/list
// per datagram and returns a new gopacket.Packet, and its only bound is a
// fragment count per datagram; here IPv4 and IPv6 (atomic fragments
// included) share one table bounded in datagrams, bytes and capture time.

// Limits of the fragment table. A datagram is at most 64 KiB; the table
// holds up to maxFragBytes of fragments at once, in at most maxFragDatagrams
// datagrams of at most maxFragPieces fragments each; a datagram still
// incomplete fragTimeout of capture time after its first fragment is given
// up (RFC 8200's 60 seconds; Linux waits 30 for IPv4).
const (
	maxFragDatagrams = MaxFragmentDatagrams
	maxFragBytes     = MaxFragmentBytes
	maxFragPieces    = 1024
	fragTimeout      = FragmentTimeout
	maxDatagram      = 65535
)

// The fragment table's limits, for messages: datagrams being reassembled
// at once, their fragments' bytes, and how long (in capture time) an
// incomplete datagram is waited for.
const (
	MaxFragmentDatagrams = 1024
	MaxFragmentBytes     = 4 << 20
	FragmentTimeout      = 60 * time.Second
)

// fragKey identifies the datagram a fragment belongs to (RFC 791: source,
// destination, protocol and identification; RFC 8200: source, destination
// and identification).
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
}

// fragment is one parsed IP fragment.
type fragment struct {
	key     fragKey
	v6      bool
	hdr     []byte // IPv4 header; IPv6 header and the extension headers before the fragment header
	nhPos   int    // IPv6: the byte of hdr that names the fragment header
	nh      uint8  // IPv6: the fragment header's next header
	off     int    // where payload goes in the datagram's payload
	more    bool
	payload []byte
}

// fragParse is what parseFragment found.
type fragParse uint8

const (
	notFragment fragParse = iota
	isFragment
	badFragment // a fragment that cannot be used: cut by the snap length, misaligned, too long
)

type fragPiece struct {
	off  int
	data []byte
}

// fragFlow is a datagram being reassembled.
type fragFlow struct {
	first  time.Time
	hdr    []byte // from the first fragment (offset 0), once seen
	nhPos  int
	nh     uint8
	total  int // payload length, once the last fragment was seen (-1 before)
	have   int // payload bytes held
	pieces []fragPiece
}

// defragmenter is the fragment table of one source.
type defragmenter struct {
	flows map[fragKey]*fragFlow
	order []fragKey // by first fragment, oldest first; keys of finished datagrams are skipped
	bytes int
	out   []byte // the last datagram handed out
}

func newDefragmenter() *defragmenter {
	return &defragmenter{flows: map[fragKey]*fragFlow{}}
}

// quickNotFragment tells from a few header bytes that a frame is no IP
// fragment and carries no tunnel that could hold one: the test every frame
// pays. Frames it cannot rule out go to the decoder's parser
// (frameDecoder.fragmentOf). A frame too short for the headers it names is
// ruled out here and judged by the decoder.
func quickNotFragment(data []byte, lt layers.LinkType) bool {
	var et uint16
	off := 0
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return true
		}
		et, off = binary.BigEndian.Uint16(data[12:14]), 14
		for range 4 {
			if et != 0x8100 && et != 0x88a8 && et != 0x9100 {
				break
			}
			if len(data) < off+4 {
				return true
			}
			et, off = binary.BigEndian.Uint16(data[off+2:off+4]), off+4
		}
	case layers.LinkTypeLinuxSLL:
		if len(data) < 16 {
			return true
		}
		et, off = binary.BigEndian.Uint16(data[14:16]), 16
	case layers.LinkTypeLinuxSLL2:
		if len(data) < 20 {
			return true
		}
		et, off = binary.BigEndian.Uint16(data[0:2]), 20
	case layers.LinkTypeRaw, linkTypeRawDLT12, linkTypeRawDLT14, layers.LinkTypeIPv4, layers.LinkTypeIPv6,
		layers.LinkTypeNull, layers.LinkTypeLoop:
		if lt == layers.LinkTypeNull || lt == layers.LinkTypeLoop {
			off = 4
		}
		if len(data) <= off {
			return true
		}
		switch data[off] >> 4 {
		case 4:
			et = 0x0800
		case 6:
			et = 0x86dd
		default:
			return true
		}
	default:
		return true
	}
	switch et {
	case 0x0800:
		if len(data) < off+20 {
			return true
		}
		ip := data[off:]
		if binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 {
			return false
		}
		switch ip[9] {
		case 6, 1:
			return true
		case 17:
			u := int(ip[0]&0x0f) * 4
			return len(ip) < u+4 || binary.BigEndian.Uint16(ip[u+2:u+4]) != vxlanPort
		case 4, 41, 47:
			return false
		}
		return true
	case 0x86dd:
		if len(data) < off+40 {
			return true
		}
		switch data[off+6] {
		case 6, 58:
			return true
		case 17:
			return len(data) < off+44 || binary.BigEndian.Uint16(data[off+42:off+44]) != vxlanPort
		}
		return false
	case 0x8847, 0x8848, 0x8864:
		return false
	}
	return true
}

// fragmentOf decodes frame as far as its innermost IP header and parses
// that header as a fragment. It uses (and overwrites) the decoder's
// layers.
func (d *frameDecoder) fragmentOf(f *fragment, frame []byte, lt layers.LinkType) fragParse {
	parser := d.parserFor(lt, frame)
	if parser == nil {
		return notFragment
	}
	_ = parser.DecodeLayers(frame, &d.decoded)
	for i := len(d.decoded) - 1; i >= 0; i-- {
		switch d.decoded[i] {
		case layers.LayerTypeIPv4:
			return parseFragment4(f, frame[offsetIn(frame, d.ip4.Contents):])
		case layers.LayerTypeIPv6:
			return parseFragment6(f, frame[offsetIn(frame, d.ip6.Contents):])
		}
	}
	return notFragment
}

// parseFragment4 parses the IPv4 datagram that starts ip.
func parseFragment4(f *fragment, ip []byte) fragParse {
	if len(ip) < 20 || ip[0]>>4 != 4 {
		return notFragment
	}
	flags := binary.BigEndian.Uint16(ip[6:8])
	if flags&0x3fff == 0 {
		return notFragment
	}
	ihl, total := int(ip[0]&0x0f)*4, int(binary.BigEndian.Uint16(ip[2:4]))
	if ihl < 20 || total < ihl || total > len(ip) {
		return badFragment
	}
	*f = fragment{
		key: fragKey{src: netip.AddrFrom4([4]byte(ip[12:16])), dst: netip.AddrFrom4([4]byte(ip[16:20])),
			id: uint32(binary.BigEndian.Uint16(ip[4:6])), proto: ip[9]},
		hdr:     ip[:ihl],
		off:     int(flags&0x1fff) * 8,
		more:    flags&0x2000 != 0,
		payload: ip[ihl:total],
	}
	return f.check()
}

// parseFragment6 parses the IPv6 packet that starts ip, stepping over the
// extension headers that may precede a fragment header.
func parseFragment6(f *fragment, ip []byte) fragParse {
	if len(ip) < 40 || ip[0]>>4 != 6 {
		return notFragment
	}
	plen := int(binary.BigEndian.Uint16(ip[4:6]))
	nh, nhPos, pos := ip[6], 6, 40
	for range 8 {
		switch nh {
		case 44:
			if plen == 0 || 40+plen > len(ip) {
				return badFragment // a jumbogram, or cut by the snap length
			}
			ip = ip[:40+plen]
			if len(ip) < pos+8 {
				return badFragment
			}
			fh := ip[pos : pos+8]
			offField := binary.BigEndian.Uint16(fh[2:4])
			*f = fragment{
				key: fragKey{src: netip.AddrFrom16([16]byte(ip[8:24])), dst: netip.AddrFrom16([16]byte(ip[24:40])),
					id: binary.BigEndian.Uint32(fh[4:8])},
				v6:      true,
				hdr:     ip[:pos],
				nhPos:   nhPos,
				nh:      fh[0],
				off:     int(offField &^ 7),
				more:    offField&1 != 0,
				payload: ip[pos+8:],
			}
			return f.check()
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(ip) < pos+2 {
				return notFragment
			}
			nh, nhPos, pos = ip[pos], pos, pos+(int(ip[pos+1])+1)*8
		default:
			return notFragment
		}
	}
	return notFragment
}

// check rejects a fragment that no datagram can be built from.
func (f *fragment) check() fragParse {
	size := f.off + len(f.payload) // IPv6: the payload length field's part
	if !f.v6 {
		size += len(f.hdr) // IPv4: the total length
	}
	if f.more && len(f.payload)%8 != 0 || size > maxDatagram {
		return badFragment
	}
	return isFragment
}

// add takes a fragment seen at capture time now. When it completes its
// datagram, add returns the datagram (valid until the next add) and true.
func (d *defragmenter) add(f *fragment, now time.Time, st *Stats) ([]byte, bool) {
	d.expire(now, st)
	fl := d.flows[f.key]
	if fl == nil {
		for len(d.flows) >= maxFragDatagrams || len(d.flows) > 0 && d.bytes+len(f.payload) > maxFragBytes {
			d.evictOldest()
			st.FragmentEvictions++
		}
		fl = &fragFlow{first: now, total: -1}
		d.flows[f.key] = fl
		d.order = append(d.order, f.key)
		if len(d.order) > 4*maxFragDatagrams {
			d.compactOrder()
		}
	} else if d.bytes+len(f.payload) > maxFragBytes {
		// Room for this datagram's fragment at the others' expense.
		for d.bytes+len(f.payload) > maxFragBytes && len(d.order) > 0 && d.order[0] != f.key {
			d.evictOldest()
			st.FragmentEvictions++
		}
	}
	end := f.off + len(f.payload)
	switch {
	case !f.more && fl.total >= 0 && fl.total != end,
		!f.more && slices.ContainsFunc(fl.pieces, func(p fragPiece) bool { return p.off+len(p.data) > end }),
		fl.total >= 0 && end > fl.total,
		len(fl.pieces) >= maxFragPieces:
		d.drop(f.key, fl)
		st.FragmentsInvalid++
		return nil, false
	}
	for _, p := range fl.pieces {
		lo, hi := max(p.off, f.off), min(p.off+len(p.data), end)
		if lo >= hi {
			continue
		}
		// Overlapping fragments: a copy of one already held (a
		// retransmission) is ignored; different bytes for the same
		// place make the datagram ambiguous, and it is dropped, as
		// RFC 5722 requires for IPv6 and Linux does for both.
		if lo == f.off && hi == end && bytes.Equal(p.data[lo-p.off:hi-p.off], f.payload) {
			return nil, false
		}
		d.drop(f.key, fl)
		st.FragmentsInvalid++
		return nil, false
	}
	if !f.more {
		fl.total = end
	}
	if f.off == 0 {
		fl.hdr, fl.nhPos, fl.nh = bytes.Clone(f.hdr), f.nhPos, f.nh
	}
	fl.pieces = append(fl.pieces, fragPiece{off: f.off, data: bytes.Clone(f.payload)})
	fl.have += len(f.payload)
	d.bytes += len(f.payload)
	if fl.total < 0 || fl.hdr == nil || fl.have != fl.total {
		return nil, false
	}
	// The pieces are disjoint and within the total: they cover it.
	slices.SortFunc(fl.pieces, func(a, b fragPiece) int { return a.off - b.off })
	out := append(d.out[:0], fl.hdr...)
	for _, p := range fl.pieces {
		out = append(out, p.data...)
	}
	if f.v6 {
		out[fl.nhPos] = fl.nh
		binary.BigEndian.PutUint16(out[4:6], uint16(len(out)-40))
	} else {
		binary.BigEndian.PutUint16(out[2:4], uint16(len(out)))
		out[6] &= 0x40 // keep DF, clear MF and the offset
		out[7] = 0
		binary.BigEndian.PutUint16(out[10:12], 0)
		binary.BigEndian.PutUint16(out[10:12], ipv4Checksum(out[:len(fl.hdr)]))
	}
	d.out = out
	d.drop(f.key, fl)
	st.Reassembled++
	return out, true
}

// expire gives up the datagrams whose first fragment is fragTimeout old.
func (d *defragmenter) expire(now time.Time, st *Stats) {
	for len(d.order) > 0 {
		fl := d.flows[d.order[0]]
		if fl != nil && now.Sub(fl.first) < fragTimeout {
			return
		}
		if fl != nil {
			d.drop(d.order[0], fl)
			st.FragmentTimeouts++
		}
		d.popOrder()
	}
}

// evictOldest gives up the oldest datagram to make room.
func (d *defragmenter) evictOldest() {
	for len(d.order) > 0 {
		k := d.order[0]
		d.popOrder()
		if fl := d.flows[k]; fl != nil {
			d.drop(k, fl)
			return
		}
	}
}

func (d *defragmenter) popOrder() {
	d.order = d.order[1:]
	if cap(d.order) > 2*maxFragDatagrams && len(d.order) < cap(d.order)/4 {
		d.order = slices.Clone(d.order)
	}
}

// drop forgets a datagram. Its key stays in order until it reaches the
// front (a datagram with the same key started again later is found there
// by its own, later, first time).
func (d *defragmenter) drop(k fragKey, fl *fragFlow) {
	d.bytes -= fl.have
	delete(d.flows, k)
}

// compactOrder drops the keys of finished datagrams from order, which
// otherwise wait behind an older live one until it reaches the front.
func (d *defragmenter) compactOrder() {
	order := make([]fragKey, 0, len(d.flows))
	for k := range d.flows {
		order = append(order, k)
	}
	slices.SortFunc(order, func(a, b fragKey) int {
		if c := d.flows[a].first.Compare(d.flows[b].first); c != 0 {
			return c
		}
		if c := a.src.Compare(b.src); c != 0 {
			return c
		}
		if c := a.dst.Compare(b.dst); c != 0 {
			return c
		}
		return int(a.id) - int(b.id) + (int(a.proto)-int(b.proto))<<33
	})
	d.order = order
}

// pending is the number of datagrams still incomplete.
func (d *defragmenter) pending() int { return len(d.flows) }

// ipv4Checksum is the header checksum of RFC 791.
func ipv4Checksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i : i+2]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
