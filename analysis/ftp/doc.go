// Package ftp is the FTP control-channel grammar: commands, RFC 959 replies
// (multi-line included) and the data-connection announcements of RFC 959
// (PORT, 227), RFC 1639 (LPRT, LPSV/228) and RFC 2428 (EPRT, EPSV/229).
//
// It is pure: bytes and strings in, typed values out. No gopacket, no time, no
// I/O, no global mutable state. Every function here runs once per control line
// of every session in a capture, so the parsers are hand-written scanners that
// avoid regular expressions and allocate little or nothing on success.
//
// The parsers are deliberately more tolerant than the RFCs where real servers
// and clients are known to stray (227 replies without parentheses, 229 replies
// that carry an address, multi-line 227 replies, telnet IAC bytes before ABOR)
// and strict where tolerance would invent an endpoint (octets above 255, port
// 0, an EPRT address that does not match its address family). Every failure is
// a *SyntaxError that names what was wrong and quotes the input.
package ftp
