package ftp

// maxVerb is the longest verb ParseCommand accepts. Every verb in the RFCs has
// three or four letters; sixteen leaves room for vendor extensions while still
// rejecting binary garbage or a protocol that is not FTP.
const maxVerb = 16

// Telnet bytes (RFC 854) that clients put on the control connection. RFC 959
// 4.1.3 has the client send IAC IP and the Synch (IAC DM, urgent) before ABOR
// and STAT, and the captured byte stream keeps them.
const (
	telnetIAC  = 0xFF
	telnetWILL = 0xFB // WILL, WONT, DO and DONT (0xFB..0xFE) carry an option byte.
	telnetSE   = 0xF0 // SE..SB (0xF0..0xFA) are two-byte commands.
)

// knownVerbs maps every standard verb to itself so that ParseCommand can
// return a constant string instead of allocating one per line. It is never
// written after initialisation.
var knownVerbs = func() map[string]string {
	m := make(map[string]string)
	for _, v := range []string{
		// RFC 959
		"USER", "PASS", "ACCT", "CWD", "CDUP", "SMNT", "REIN", "QUIT", "PORT", "PASV",
		"TYPE", "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR",
		"RNTO", "ABOR", "DELE", "RMD", "MKD", "PWD", "LIST", "NLST", "SITE", "SYST",
		"STAT", "HELP", "NOOP",
		// RFC 775 (X-prefixed directory commands)
		"XCWD", "XCUP", "XMKD", "XRMD", "XPWD",
		// RFC 1639
		"LPRT", "LPSV",
		// RFC 2228
		"AUTH", "ADAT", "PROT", "PBSZ", "CCC", "MIC", "CONF", "ENC",
		// RFC 2389, 2428, 2640, 3659, 7151
		"FEAT", "OPTS", "EPRT", "EPSV", "LANG", "MDTM", "SIZE", "MLST", "MLSD", "HOST",
		// Common extensions
		"CLNT", "MFMT", "MFCT", "MFF", "XCRC", "XMD5", "XSHA1", "XSHA256", "XSHA512", "HASH",
		"AVBL", "CSID",
	} {
		m[v] = v
	}
	return m
}()

// ParseCommand parses one client command line. The line should come without
// its CRLF, but trailing CR and LF bytes are removed anyway.
//
// The verb is a leading run of ASCII letters, upper-cased, optionally followed
// by digits for the hash extensions XSHA1, XSHA256 and XSHA512; 16 bytes at
// most. It must end the line or be followed by a space or a TAB; Arg is everything after that
// separator, exactly as written (a file name may begin or end with spaces).
// Telnet commands (IAC ...) before the verb are skipped: clients send IAC IP
// IAC DM before ABOR (RFC 959 4.1.3). An empty line, a line that does not start
// with a letter, or a verb glued to other characters gives a *SyntaxError.
func ParseCommand(line []byte) (Command, error) {
	orig := line
	line = trimEOL(line)
	line = skipTelnet(line)
	if len(line) == 0 {
		return Command{}, syntaxErrorBytes("empty command line", orig)
	}
	n := 0
	for n < len(line) && isLetter(line[n]) {
		n++
	}
	if n == 0 {
		return Command{}, syntaxErrorBytes("command does not start with a letter", orig)
	}
	for n < len(line) && isDigit(line[n]) {
		n++ // hash extensions: XSHA1, XSHA256, XSHA512
	}
	switch {
	case n > maxVerb:
		return Command{}, syntaxErrorBytes("command verb longer than 16 bytes", orig)
	case n < len(line) && line[n] != ' ' && line[n] != '\t':
		return Command{}, syntaxErrorBytes("command verb not followed by a space", orig)
	}
	var up [maxVerb]byte
	for i, c := range line[:n] {
		if isLetter(c) {
			c &^= 0x20 // ASCII letter: clearing bit 5 upper-cases it
		}
		up[i] = c
	}
	verb, ok := knownVerbs[string(up[:n])] // no allocation: map index by converted bytes
	if !ok {
		verb = string(up[:n])
	}
	var arg string
	if n+1 < len(line) {
		arg = string(line[n+1:])
	}
	return Command{Verb: verb, Arg: arg}, nil
}

// trimEOL removes every trailing CR and LF.
func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

// skipTelnet drops leading telnet command sequences: IAC followed by a
// two-byte command (IP, DM, ...) or by an option negotiation (WILL, WONT, DO,
// DONT + option). A doubled IAC is an escaped data byte 0xFF and stays.
func skipTelnet(b []byte) []byte {
	for len(b) >= 2 && b[0] == telnetIAC {
		switch c := b[1]; {
		case c >= telnetWILL && c < telnetIAC:
			if len(b) < 3 {
				return b[len(b):]
			}
			b = b[3:]
		case c >= telnetSE && c < telnetWILL:
			b = b[2:]
		default:
			return b
		}
	}
	return b
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
