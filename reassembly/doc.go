// Package reassembly turns the TCP segments of FTP control connections into
// ordered, role-tagged text lines, using gopacket's reassembly (reordering,
// retransmissions, overlaps). Data connections never enter it: they are
// tracked by counters in the analysis package.
//
// A connection is a control connection when one side is on a configured
// control port, or when the conversation itself looks like FTP (a "220"
// greeting answered by USER, AUTH, FEAT or OPTS). Client and server come from
// the SYN, else from the control port, else from who sent the greeting —
// never from the direction of the first packet gopacket happened to see.
//
// # Order of the Handler calls
//
// Everything is synchronous: Handler methods run inside Packet, Advance or
// Close, on the caller's goroutine, and must not call back into them.
//
//   - Per connection: Open, then Line, Gap (and Conflict) calls, then Close.
//     Nothing follows Close; a later connection on the same four-tuple starts
//     again with Open.
//   - Per direction: bytes are delivered exactly once, in sequence order. A
//     Gap is reported where bytes went missing, before the first line after
//     them (which has AfterGap set); the partial line before a gap is dropped.
//   - Across the two directions: gopacket releases a direction's bytes as soon
//     as they are contiguous, so when neither direction has a hole, lines come
//     in capture order (a line is delivered in the Packet call of the segment
//     that holds its LF). When one direction has a hole, its later bytes wait
//     until the hole is filled or declared lost (GapTimeout, in Advance), and
//     lines of the other direction overtake them. Line.Time is the capture
//     time of each line's first byte, for consumers that need causal order.
//   - Across connections: capture order of the packets that trigger the
//     calls; Advance and Close visit connections in a deterministic order
//     (least recently active first), so runs over the same capture produce
//     the same sequence of calls.
//
// # Bounds
//
// Every table is bounded and every eviction counted in Stats: control
// connections (MaxStreams, least recently active evicted), FTP candidates on
// other ports (MaxCandidates), gopacket's out-of-order pages (MaxPagesTotal,
// MaxPagesPerConn), line length (MaxLineLen). Connections that end (FIN both
// ways, RST) are closed and forgotten at once, so memory stays flat over
// captures of many hours. A tracked control connection costs about 280
// bytes (its table entry included), plus the first bytes of each direction's
// latest segments once they carry something (about 320 bytes in all after a
// greeting and a USER), while its segments come in order: they need no
// gopacket state, and a line that ends in the segment that starts it is not
// copied. gopacket's connection and what it holds out of order come on top
// once a segment is not in order.
//
// # Limits
//
//   - Without a SYN, the first segment with data (or FIN, RST) seen in a
//     direction starts it: bytes with lower sequence numbers that arrive
//     later are taken for old retransmissions and dropped, as a receiver
//     would. Pure ACKs never start a direction (keepalives sit one byte
//     before the next); a one-byte keepalive carrying data still does.
//   - A connection recognised on another port is reported from its greeting
//     on; only the greeting's first segments are kept while waiting for the
//     client (2 KiB, 4 segments), and a greeting whose segments arrive out of
//     order is not recognised.
//   - Conflicting overlaps are found against the first 256 bytes of each of a
//     direction's 6 most recent segments; older or longer overlaps pass
//     unnoticed. Which copy becomes a line is gopacket's choice (see
//     ConflictHandler).
//   - gopacket acts on a RST only at the exact next byte; the assembler also
//     takes one up to 1 MiB ahead (after a hole) as ending the connection,
//     and ignores one behind it (stale or forged).
//   - A connection recognised as FTP on another port returned false from
//     Packet for its handshake and greeting, before the proof arrived.
package reassembly

import (
	"net/netip"
	"time"
)

// Role says which end of a control connection sent something.
type Role uint8

// The two ends of a control connection.
const (
	RoleUnknown Role = iota
	RoleClient
	RoleServer
)

// String returns "client", "server" or "unknown".
func (r Role) String() string {
	switch r {
	case RoleClient:
		return "client"
	case RoleServer:
		return "server"
	}
	return "unknown"
}

// ConnKey names a control connection by its two endpoints.
type ConnKey struct {
	Client, Server netip.AddrPort
}

// String formats the key as "client -> server".
func (k ConnKey) String() string { return k.Client.String() + " -> " + k.Server.String() }

// Line is one control line (a command or a reply line), without its CR LF.
type Line struct {
	Conn ConnKey
	From Role
	// Time is the capture time of the segment holding the line's first byte.
	Time time.Time
	// Packet is the number (capture.Packet.Num) of the packet holding the
	// line's first byte.
	Packet uint64
	// Text aliases a buffer that is reused after the call: copy what you keep.
	Text []byte
	// Truncated is true when the line was longer than Config.MaxLineLen; Text
	// then holds its first MaxLineLen bytes and the rest was discarded.
	Truncated bool
	// AtSegmentStart is true when the line began at the first payload byte of
	// a TCP segment. Connection-tracking helpers (Linux nf_conntrack_ftp and
	// the like) only parse commands found there, so a PORT that is not at a
	// segment start is one such a helper never sees.
	AtSegmentStart bool
	// Segments is how many TCP segments the line's bytes came from.
	Segments int
	// AfterGap is true for the first line after missing bytes in this direction.
	AfterGap bool
	// Partial is true when the line had no LF because its direction ended
	// first (FIN, RST, eviction, idle close or end of capture): the bytes are
	// all there was, but the sender may not have finished the line.
	Partial bool
}

// CloseReason says why a control connection ended.
type CloseReason uint8

// Why a control connection ended.
const (
	CloseFIN        CloseReason = iota // both directions ended with a FIN
	CloseRST                           // a RST (plausibly in window) from either side
	CloseIdle                          // idle longer than Config.IdleTimeout
	CloseEvicted                       // dropped to stay under Config.MaxStreams
	CloseCaptureEnd                    // still open when the input ended
	CloseReused                        // a new SYN reused the four-tuple
)

// String names the reason.
func (r CloseReason) String() string {
	names := [...]string{"fin", "rst", "idle", "evicted", "capture-end", "reused"}
	if int(r) < len(names) {
		return names[r]
	}
	return "unknown"
}

// Handler receives what the assembler reconstructs. Calls for one connection
// come in order: Open, then Line and Gap calls, then Close.
type Handler interface {
	// Open announces a new control connection. Mid is true when the assembler
	// did not see the connection's opening handshake, so roles came from the
	// control port or the greeting: the capture started after the SYN, or the
	// connection was recognised as FTP on another port from its conversation
	// (whose handshake is never tracked).
	Open(conn ConnKey, t time.Time, mid bool)
	// Line delivers one complete line.
	Line(l Line)
	// Gap reports bytes that are missing from one direction (lost by the
	// capture, or never waited for once GapTimeout passed). T is the capture
	// time of the first segment after the hole; bytes is the size of the hole
	// (0 when unknown). The partial line before the gap is dropped, never glued.
	Gap(conn ConnKey, from Role, t time.Time, bytes int)
	// Close says the connection ended. Nothing more comes for it.
	Close(conn ConnKey, t time.Time, why CloseReason)
}

// ActivityHandler is optionally implemented by a Handler that sees traffic
// belonging to a control connection outside it: its data connections. A
// transfer may take longer than Config.IdleTimeout while the control
// connection stays silent (a big file on a slow link); before closing a
// control connection as idle the assembler asks, and keeps the connection
// open while its data connections were active within IdleTimeout.
type ActivityHandler interface {
	// LastActivity returns the capture time of the latest packet of a data
	// connection that belongs to conn (zero when none).
	LastActivity(conn ConnKey) time.Time
}

// ConflictHandler is optionally implemented by a Handler that wants to hear
// about overlapping segments whose bytes differ: the same sequence numbers
// carrying two different texts is an evasion trick (one text for the
// firewall's FTP helper, another for the server). The assembler checks for it
// with a type assertion, so Handler stays small.
type ConflictHandler interface {
	// Conflict reports that the segment in packet number packet (from the
	// given end, captured at t) overlaps earlier bytes of the same direction
	// with different content. The bytes delivered as lines are the earlier
	// ones when they had already been delivered, the later ones when the
	// earlier ones were still waiting out of order (gopacket's policy).
	Conflict(conn ConnKey, from Role, t time.Time, packet uint64)
}

// Config bounds and tunes the assembler. Zero values take the defaults.
type Config struct {
	// ControlPorts are the TCP ports that carry FTP control (default 21).
	ControlPorts []uint16
	// NoDetect turns off recognising FTP on other ports from the conversation.
	NoDetect bool
	// MaxLineLen caps a control line (default 4096 bytes).
	MaxLineLen int
	// MaxStreams caps the control connections tracked at once (default 100000);
	// the least recently active one is evicted first.
	MaxStreams int
	// MaxCandidates caps the non-control-port connections remembered while
	// waiting to see whether they speak FTP (default 65536).
	MaxCandidates int
	// MaxPagesTotal and MaxPagesPerConn bound gopacket's out-of-order buffers
	// (defaults 65536 and 256 pages of about 2 KiB).
	MaxPagesTotal, MaxPagesPerConn int
	// GapTimeout is how long out-of-order data may wait for a missing segment
	// before it is declared lost (default 5s of capture time).
	GapTimeout time.Duration
	// HalfCloseTimeout closes a connection one side has ended (FIN or RST)
	// when nothing more was seen for this long (default 60s): the other
	// side's FIN was lost by the capture, and waiting for IdleTimeout would
	// keep such connections for hours on a lossy link.
	HalfCloseTimeout time.Duration
	// IdleTimeout closes a control connection idle this long (default 2h).
	IdleTimeout time.Duration
	// CandidateTimeout forgets a greeting on a non-control port that no FTP
	// command answered within this long (default 30s of capture time).
	CandidateTimeout time.Duration
}

// Stats counts the assembler's work and its evictions.
type Stats struct {
	Streams           uint64 // control connections seen
	Detected          uint64 // of which recognised on a non-control port
	Midstream         uint64 // of which opened with mid set (no handshake seen)
	Lines             uint64
	LongLines         uint64 // lines cut at MaxLineLen
	PartialLines      uint64 // lines delivered without LF because their direction ended
	Gaps              uint64 // gaps reported
	GapBytes          uint64
	EvictedStreams    uint64 // connections dropped to stay under MaxStreams
	IdleClosed        uint64
	Reused            uint64 // connections closed because a new SYN reused their four-tuple
	CandidatesEvicted uint64
	PagesEvicted      uint64 // times out-of-order data was flushed because of page limits
	Conflicts         uint64 // overlapping segments whose bytes differed
	Stray             uint64 // control-port packets of no tracked connection (late ACKs, lone RSTs)
}
