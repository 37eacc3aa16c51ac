package ftp

// Redacted is what Redact writes in place of a password.
const Redacted = "<redacted>"

// Redact returns b with the argument of every PASS command in it replaced
// by Redacted, wherever the command sits: at the start of a line, after
// spaces, Telnet bytes or a bare CR (a client that ends lines with CR only,
// or a segment holding several lines), or quoted inside a server's reply
// ("500 'PASS x': command not understood"). A PASS is the four letters in
// any case, not glued to a letter or digit before them, followed by a
// separator byte; the argument runs from there to the next CR or LF. The
// rule errs on the side of hiding: a file named "PASS me" loses its tail,
// a password never shows. b itself is returned, not copied, when it holds
// nothing to redact; Redact(Redact(b)) equals Redact(b).
func Redact(b []byte) []byte {
	var out []byte // nil until something is redacted
	done := 0      // bytes of b already copied to out
	for i := 0; i+5 < len(b); i++ {
		if b[i]|0x20 != 'p' || b[i+1]|0x20 != 'a' || b[i+2]|0x20 != 's' || b[i+3]|0x20 != 's' {
			continue
		}
		if i > 0 && isAlnum(b[i-1]) {
			continue
		}
		sep := b[i+4]
		if isAlnum(sep) || sep == '\r' || sep == '\n' {
			continue
		}
		start, end := i+5, i+5
		for end < len(b) && b[end] != '\r' && b[end] != '\n' {
			end++
		}
		if start == end || string(b[start:end]) == Redacted {
			i = end - 1
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b)+len(Redacted))
		}
		out = append(out, b[done:start]...)
		out = append(out, Redacted...)
		done, i = end, end-1
	}
	if out == nil {
		return b
	}
	return append(out, b[done:]...)
}

// IsKnownVerb reports whether verb (upper-case, as ParseCommand returns it)
// is a command of the RFCs or a common extension.
func IsKnownVerb(verb string) bool {
	_, ok := knownVerbs[verb]
	return ok
}

func isAlnum(c byte) bool { return isLetter(c) || isDigit(c) }
