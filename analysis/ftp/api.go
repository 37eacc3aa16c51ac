// Package ftp is the FTP control-channel grammar: commands, RFC 959 replies
// (multi-line included) and the data-connection announcements of RFC 959
// (PORT, 227), RFC 1639 (LPRT, LPSV/228) and RFC 2428 (EPRT, EPSV/229).
// It is pure: bytes and strings in, typed values out. No gopacket, no time, no I/O.
package ftp

import "net/netip"

// Command is one client command line.
type Command struct {
	// Verb is the command name, upper-cased ("RETR").
	Verb string
	// Arg is everything after the first space, as written (may be empty).
	Arg string
}

// ReplyCode is a three-digit FTP reply code.
type ReplyCode uint16

// Reply is one complete server reply, single- or multi-line.
type Reply struct {
	Code ReplyCode
	// Lines holds the text of each line with the code and its separator removed
	// from the first and last lines (RFC 959 4.2).
	Lines []string
	// Multiline is true for a "ddd-" ... "ddd " reply.
	Multiline bool
}

// EPSVReply is a parsed 229 reply.
type EPSVReply struct {
	Port uint16
	// Addr is set when the server (against RFC 2428) wrote a network address
	// into the reply; normally the data address is the control server's.
	Addr netip.Addr
	// Parens is true when the (|||port|) form was enclosed in parentheses
	// (the Linux FTP helper ignores a 229 without them).
	Parens bool
}
