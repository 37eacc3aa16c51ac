package ftp

import "net/netip"

// ParsePASVReply extracts the endpoint from the text of a 227 reply. The text
// may still start with the reply code ("227 ...") and may hold several lines
// joined by "\n" (a multi-line 227, as aioftp's server sends).
//
// Like cURL, Wireshark and D. J. Bernstein's advice, it does not insist on the
// RFC 959 parentheses: it takes the first run of six comma-separated numbers
// 0..255 found anywhere, so "(10,0,0,2,200,10)", "Entering passive mode.
// 10,0,0,2,200,10", "=10,0,0,2,200,10" and a bare "10,0,0,2,200,10" all work.
// Spaces around the commas are tolerated. A reply code at the start of a
// line is skipped, so "227 " never counts as a number. When a run has seven or more
// numbers the first six are used: the address comes first, and a server that
// appends junk is likelier than one that prepends it. A run that breaks the
// rules (a number above 255, fewer than six numbers) is skipped and the scan
// goes on from the next number. No run, or port 0, gives a *SyntaxError (the
// pure-ftpd "227 Logout." bug, for one).
func ParsePASVReply(text string) (netip.AddrPort, error) {
	for i := 0; i < len(text); i++ {
		if i = skipCode(text, i); i >= len(text) {
			break
		}
		if !isDigit(text[i]) || (i > 0 && isDigit(text[i-1])) {
			continue
		}
		var n [6]byte
		if _, problem := scanOctets(text, i, n[:]); problem != "" {
			continue
		}
		ap, problem := sixToAddrPort(n)
		if problem != "" {
			return netip.AddrPort{}, syntaxError("227 reply: "+problem, text)
		}
		return ap, nil
	}
	return netip.AddrPort{}, syntaxError("227 reply: no six comma-separated numbers", text)
}

// ParseLPSVReply extracts the endpoint from the text of a 228 reply to LPSV
// (RFC 1639), "Entering Long Passive Mode (4,4,h1,h2,h3,h4,2,p1,p2)" or the
// af 6 form "(6,16,h1,...,h16,2,p1,p2)". Like ParsePASVReply it scans for the
// first number sequence that forms a valid long address, skipping reply
// codes at the start of lines, and does not require the parentheses. The same rules as
// ParseLPRT apply to the numbers.
func ParseLPSVReply(text string) (netip.AddrPort, error) {
	var firstProblem string
	for i := 0; i < len(text); i++ {
		if i = skipCode(text, i); i >= len(text) {
			break
		}
		if !isDigit(text[i]) || (i > 0 && isDigit(text[i-1])) {
			continue
		}
		ap, _, problem := scanLong(text, i)
		if problem == "" {
			return ap, nil
		}
		if firstProblem == "" {
			firstProblem = problem
		}
	}
	if firstProblem == "" {
		firstProblem = "no long address"
	}
	return netip.AddrPort{}, syntaxError("228 reply: "+firstProblem, text)
}

// ParseEPSVReply extracts the port from the text of a 229 reply (RFC 2428),
// "Entering Extended Passive Mode (|||6446|)"; a leading reply code may be
// present (digits are never delimiters).
// The delimiter may be any character EPRT allows, not only '|'. A form inside
// parentheses is preferred and sets Parens; otherwise the first bare
// "<d><d><d>port<d>" is taken with Parens false. Some servers fill in the
// address family and address, "(|1|192.0.2.7|6446|)" or "(|2|::1|6446|)":
// that is accepted and the address goes to Addr (it must match a given
// family). The port must be 1..65535.
func ParseEPSVReply(text string) (EPSVReply, error) {
	for i := 0; i < len(text); i++ {
		if text[i] != '(' {
			continue
		}
		j := skipSpace(text, i+1)
		f, end, problem := scanExtended(text, j)
		if problem != "" {
			continue
		}
		end = skipSpace(text, end)
		if end >= len(text) || text[end] != ')' {
			continue
		}
		if rep, ok := f.epsv(true); ok {
			return rep, nil
		}
	}
	for i := 0; i < len(text); i++ {
		if !isExtDelim(text[i]) {
			continue
		}
		f, _, problem := scanExtended(text, i)
		if problem != "" {
			continue
		}
		if rep, ok := f.epsv(false); ok {
			return rep, nil
		}
	}
	return EPSVReply{}, syntaxError("229 reply: no (|||port|) form", text)
}

// epsv turns scanned fields into an EPSVReply; ok is false when a non-empty
// address is not valid for its family.
func (f extFields) epsv(parens bool) (EPSVReply, bool) {
	rep := EPSVReply{Port: f.port, Parens: parens}
	if f.addr != "" {
		a, problem := f.address()
		if problem != "" {
			return EPSVReply{}, false
		}
		rep.Addr = a
	}
	return rep, true
}

// skipCode returns the index after the "ddd " or "ddd-" reply code that
// starts the line at text[i:], or i when no line starts there or the line has
// no code. Spaces are allowed around commas, so without this "227 ,10,0,..."
// would read 227 as the first octet.
func skipCode(text string, i int) int {
	if i > 0 && text[i-1] != '\n' {
		return i
	}
	if len(text)-i >= 4 && text[i] >= '1' && text[i] <= '5' && isDigit(text[i+1]) && isDigit(text[i+2]) &&
		(text[i+3] == ' ' || text[i+3] == '-') {
		return i + 4
	}
	return i
}
