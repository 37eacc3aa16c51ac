// Package reassembly turns the TCP segments of FTP control connections into
// ordered, role-tagged text lines, using gopacket's reassembly (reordering,
// retransmissions, overlaps). Data connections never enter it: they are
// tracked by counters in the analysis package.
//
// A connection is a control connection when one side is on a configured
// control port, or when the conversation itself looks like FTP (a "220"
// greeting answered by USER, AUTH, FEAT or OPTS). Client and server come from
// the SYN, else from the control port, else from who sent the greeting.
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
	// Packet is the number of the packet holding the line's first byte.
	Packet uint64
	// Text aliases a buffer that is reused after the call: copy what you keep.
	Text []byte
	// Truncated is true when the line was longer than Config.MaxLineLen; Text
	// then holds its first MaxLineLen bytes and the rest was discarded.
	Truncated bool
	// AtSegmentStart is true when the line began at the first byte of a TCP
	// segment (connection-tracking helpers only look there).
	AtSegmentStart bool
	// Segments is how many TCP segments the line's bytes came from.
	Segments int
	// AfterGap is true for the first line after missing bytes in this direction.
	AfterGap bool
}

// CloseReason says why a control connection ended.
type CloseReason uint8

// Why a control connection ended.
const (
	CloseFIN        CloseReason = iota // both sides (or one) sent FIN
	CloseRST                           // a RST
	CloseIdle                          // idle longer than Config.IdleTimeout
	CloseEvicted                       // dropped to stay under Config.MaxStreams
	CloseCaptureEnd                    // still open when the input ended
)

// String names the reason.
func (r CloseReason) String() string {
	return [...]string{"fin", "rst", "idle", "evicted", "capture-end"}[r]
}

// Handler receives what the assembler reconstructs. Calls for one connection
// come in order: Open, then Line and Gap calls, then Close.
type Handler interface {
	// Open announces a new control connection. Mid is true when the capture
	// started after the connection's SYN (roles then came from the port or
	// the greeting).
	Open(conn ConnKey, t time.Time, mid bool)
	// Line delivers one complete line.
	Line(l Line)
	// Gap reports bytes that are missing from one direction (lost by the
	// capture). The partial line before the gap is dropped, never glued.
	Gap(conn ConnKey, from Role, t time.Time, bytes int)
	// Close says the connection ended.
	Close(conn ConnKey, t time.Time, why CloseReason)
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
	// IdleTimeout closes a control connection idle this long (default 2h).
	IdleTimeout time.Duration
}

// Stats counts the assembler's work and its evictions.
type Stats struct {
	Streams           uint64 // control connections seen
	Detected          uint64 // of which recognised on a non-control port
	Midstream         uint64 // of which started without a SYN
	Lines             uint64
	LongLines         uint64 // lines cut at MaxLineLen
	Gaps              uint64 // gaps reported
	GapBytes          uint64
	EvictedStreams    uint64 // connections dropped to stay under MaxStreams
	IdleClosed        uint64
	CandidatesEvicted uint64
	PagesEvicted      uint64 // times out-of-order data was flushed because of page limits
	Conflicts         uint64 // overlapping segments whose bytes differed
}
