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
	// Code is the reply code (100..599 from a ReplyReader); for a multi-line
	// reply, the code of its opening and closing lines.
	Code ReplyCode
	// Lines holds the text of each line with the code and its separator removed
	// from the first and last lines (RFC 959 4.2). Middle lines are kept as
	// written, except that a "ddd-" prefix repeating the reply's own code is
	// removed too: many servers (ProFTPD, IIS) prefix every line that way, and
	// the prefix is framing, not text.
	Lines []string
	// Multiline is true for a "ddd-" ... "ddd " reply.
	Multiline bool
	// Truncated is true when the reply had more lines than ReplyReader.MaxLines
	// allows: Lines holds the first MaxLines lines and the rest were dropped.
	Truncated bool
}

// EPSVReply is a parsed 229 reply.
type EPSVReply struct {
	// Port is the announced data port, 1..65535.
	Port uint16
	// Addr is set when the server (against RFC 2428) wrote a network address
	// into the reply; normally the data address is the control server's.
	Addr netip.Addr
	// Parens is true when the (|||port|) form was enclosed in parentheses
	// (the Linux FTP helper ignores a 229 without them).
	Parens bool
}
