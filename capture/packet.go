// Package capture turns capture files (pcap, pcapng, gzip-compressed or not,
// several merged into one timeline) and live interfaces into decoded packets:
// TCP segments and the ICMP errors that quote them. It knows link types and file
// formats and nothing about FTP.
//
// Packets handed out by a Source alias the reader's buffers: every slice and
// pointer in a Packet is valid only until the next call to Next. Copy what you
// keep.
package capture

import (
	"net/netip"
	"strings"
	"time"
)

// Kind says what a Packet carries.
type Kind uint8

const (
	// KindOther is a frame that is neither TCP nor an ICMP error quoting TCP
	// (ARP, UDP, non-IP, undecodable). Only counted.
	KindOther Kind = iota
	// KindTCP is a TCP segment over IPv4 or IPv6.
	KindTCP
	// KindICMP is an ICMP or ICMPv6 error (destination unreachable, time
	// exceeded, ...) that quotes the header of a TCP segment.
	KindICMP
)

// String names the kind for messages.
func (k Kind) String() string {
	switch k {
	case KindTCP:
		return "tcp"
	case KindICMP:
		return "icmp"
	default:
		return "other"
	}
}

// TCPFlags is the set of TCP control bits of a segment.
type TCPFlags uint8

// The TCP control bits ftpscope looks at.
const (
	FIN TCPFlags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
)

// Has reports whether every bit of x is set in f.
func (f TCPFlags) Has(x TCPFlags) bool { return f&x == x }

// String writes the flags tcpdump-style: "S", "SA", "R", "FA", "." for none.
func (f TCPFlags) String() string {
	var b strings.Builder
	for _, c := range []struct {
		bit TCPFlags
		ch  byte
	}{{SYN, 'S'}, {FIN, 'F'}, {RST, 'R'}, {PSH, 'P'}, {URG, 'U'}, {ACK, 'A'}} {
		if f&c.bit != 0 {
			b.WriteByte(c.ch)
		}
	}
	if b.Len() == 0 {
		return "."
	}
	return b.String()
}

// ICMPError is an ICMP or ICMPv6 error message together with the TCP segment it
// quotes. Firewalls answer a blocked SYN with these (admin-prohibited, port
// unreachable); the quote says which connection attempt was refused.
type ICMPError struct {
	// From is the sender of the ICMP message: the destination host itself, or a
	// router or firewall on the way.
	From netip.Addr
	// To is where the ICMP message was sent (normally the quoted segment's source).
	To netip.Addr
	// V6 is true for ICMPv6.
	V6 bool
	// Type and Code are the raw ICMP (or ICMPv6) type and code.
	Type, Code uint8
	// Src and Dst are the endpoints of the quoted TCP segment.
	Src, Dst netip.AddrPort
	// Seq is the quoted segment's sequence number.
	Seq uint32
	// Flags are the quoted segment's flags when the quote is long enough to hold
	// them (RFC 792 promises only 8 bytes of the transport header); HasFlags says so.
	Flags    TCPFlags
	HasFlags bool
}

// Unreachable reports whether this is a destination-unreachable message
// (ICMP type 3, ICMPv6 type 1), the kind that kills a connection attempt.
func (e ICMPError) Unreachable() bool {
	if e.V6 {
		return e.Type == 1
	}
	return e.Type == 3
}

// Packet is one decoded frame. All slices and pointers alias the source's
// buffers and are valid until the next call to Source.Next.
type Packet struct {
	// The fields are in the order the per-packet path reads them, so that
	// a packet handed from one core to the other costs few cache lines:
	// what every segment needs first, what messages and rarer kinds need
	// last.

	// Kind says which of the fields below are meaningful.
	Kind Kind
	// Flags, Seq, Ack and Window are from the TCP header (KindTCP).
	Flags TCPFlags
	// TTL is the IPv4 TTL or IPv6 hop limit; IPID the IPv4 identification.
	// Middleboxes that forge RSTs often betray themselves through these.
	TTL uint8
	// notDecoded names the encapsulation a KindOther frame carried that
	// the decoder does not follow, for Stats.NotDecoded (in what would be
	// padding).
	notDecoded Undecoded
	IPID       uint16
	Window     uint16
	Seq, Ack   uint32
	// Time is the capture timestamp.
	Time time.Time
	// Src and Dst are the TCP endpoints (KindTCP).
	Src, Dst netip.AddrPort
	// PayloadLen is the TCP payload length computed from the IP header.
	PayloadLen int
	// Payload is the captured TCP payload (KindTCP). It can be shorter than
	// PayloadLen when the capture used a small snap length.
	Payload []byte
	// Num is the 1-based number of this frame in the merged timeline,
	// counting every frame read (IP fragments held for reassembly too, so
	// that for one file it is the frame number Wireshark shows).
	Num uint64
	// Len is the frame's original length on the wire, CapLen what was captured.
	Len, CapLen int
	// FileNum is the 1-based number of the frame within File, for messages.
	FileNum uint64
	// File is the input the frame came from ("-" for standard input, the
	// interface name for live capture).
	File string
	// Interface is the index of the capture interface within File (pcapng
	// interface description blocks; 0 for classic pcap and live capture).
	Interface int

	// ICMP describes the error message (KindICMP).
	ICMP ICMPError
}

// Source hands out packets in timestamp order.
type Source interface {
	// Next returns the next packet. It returns io.EOF when the input is
	// exhausted. Damage inside an input (a truncated file, a corrupt record) is
	// not returned as an error: the source stops reading that input, records
	// the damage in Stats, and goes on with the other inputs, so nothing
	// already learned is lost. A live source returns ErrTimeout when no packet
	// arrived within its read timeout, so callers can advance time.
	Next() (*Packet, error)
	// Stats describes what was read so far.
	Stats() Stats
	// Close releases the inputs.
	Close() error
}

// Damage records where and why an input could not be read to its end.
type Damage struct {
	// File is the input's name.
	File string
	// AfterPacket is the number (within File) of the last packet read intact.
	AfterPacket uint64
	// Offset is the byte offset of the damage in the (decompressed) input, when known (-1 otherwise):
	// where the first record after the last intact packet starts.
	Offset int64
	// Err says what was wrong.
	Err error
}

// Error formats the damage as one line naming the file and packet.
func (d Damage) Error() string {
	return "capture " + displayName(d.File) + " damaged after packet " + itoa(d.AfterPacket) + ": " + d.Err.Error()
}

// Unwrap returns the cause, so that errors.Is(d, io.ErrUnexpectedEOF) says
// whether the input was cut short.
func (d Damage) Unwrap() error { return d.Err }

// Position names one frame: its number in the merged timeline and within
// its input.
type Position struct {
	File         string
	Num, FileNum uint64
}

// String names the frame for messages: "packet 17 of trace.pcap", with the
// merged number too when it differs.
func (p Position) String() string {
	s := "packet " + itoa(p.FileNum) + " of " + displayName(p.File)
	if p.Num != p.FileNum {
		s += " (packet " + itoa(p.Num) + " of the merged input)"
	}
	return s
}

func positionOf(p *Packet) Position { return Position{File: p.File, Num: p.Num, FileNum: p.FileNum} }

// Stats counts what a Source read.
type Stats struct {
	// Packets and Bytes count the packets handed out (Bytes: their frames'
	// captured bytes): every frame read, except the IP fragments held for
	// reassembly, each datagram they made whole counting once (see
	// Fragments).
	Packets, Bytes uint64
	// TCP, ICMP and Other count frames by Kind.
	TCP, ICMP, Other uint64
	// Undecodable counts frames whose headers were malformed (bad IP or TCP
	// header length, unknown link type); they are also counted in Other.
	Undecodable uint64
	// Snapped counts TCP segments whose payload was cut by the snap length.
	Snapped uint64
	// BackwardsTime counts frames whose timestamp was earlier than the frame
	// before them (after merging).
	BackwardsTime uint64
	// FirstUndecodable, FirstSnapped and FirstBackwards name the first frame
	// of each count above, so that a warning can point at it (Num is 0 while
	// the count is).
	FirstUndecodable, FirstSnapped, FirstBackwards Position
	// Fragments counts the IP fragments read (IPv4 and IPv6, atomic IPv6
	// fragments included). They are not in Packets: each datagram they
	// make whole is handed out, and counted, as one packet (Reassembled),
	// numbered as the fragment that completed it. FragmentEvictions and
	// FragmentTimeouts count the datagrams given up incomplete because the
	// fragment table was full or their first fragment was a minute old;
	// FragmentsIncomplete those still incomplete when the input ended;
	// FragmentsInvalid the fragments that could not be used (cut by the
	// snap length, past 64 KiB, overlapping with different bytes), which
	// are handed out as they are (Other) or dropped with their datagram.
	Fragments, Reassembled                uint64
	FragmentEvictions, FragmentTimeouts   uint64
	FragmentsIncomplete, FragmentsInvalid uint64
	// NotDecoded counts, by kind, the frames that carried an encapsulation
	// or link protocol the decoder does not follow (IPsec, L2TP, GTP-U,
	// Geneve, ...); they are also counted in Other.
	NotDecoded UndecodedCounts
	// Suspended counts the times a capture file was closed mid-way to free
	// a file descriptor for another (more files overlap in time than the
	// open-file limit allows) and read again from its start when due.
	Suspended uint64
	// Damage lists the inputs that could not be read to their end.
	Damage []Damage
	// First and Last are the timestamps of the first and last frame.
	First, Last time.Time
	// Received, KernelDropped and InterfaceDropped are libpcap's counters
	// for live capture (zero for files).
	Received, KernelDropped, InterfaceDropped uint64
	// Live is true when the packets came from a live interface.
	Live bool
	// Rings are the kernel's counters of each ring of an AF_PACKET
	// capture read through MergeRings (nil otherwise); Received and
	// KernelDropped above are their sums.
	Rings []RingCounters
}

// RingCounters are one capture ring's kernel counters.
type RingCounters struct {
	Received, KernelDropped uint64
}

// Truncated reports whether any input ended early.
func (s Stats) Truncated() bool { return len(s.Damage) > 0 }

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
