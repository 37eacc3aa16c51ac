package ftp

import (
	"path"
	"strconv"
	"strings"
)

// Direction says which way a transfer command moves its bytes over the data
// connection.
type Direction uint8

// The directions. A listing moves bytes from the server, like a download,
// but carries a directory's entries rather than a file.
const (
	DirectionUnknown Direction = iota
	// Download: RETR, server to client.
	Download
	// Upload: STOR, STOU, APPE, client to server.
	Upload
	// Listing: LIST, NLST, MLSD, server to client.
	Listing
)

var directionNames = [...]string{"unknown", "download", "upload", "listing"}

// String returns "download", "upload", "listing" or "unknown".
func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return "unknown"
}

// FromServer reports whether the data flows from the server to the client.
func (d Direction) FromServer() bool { return d == Download || d == Listing }

// transferDirections is which way each transfer verb moves its data
// (RFC 959 4.1.3, RFC 3659 7). Every TransferVerb of verbTable is here.
var transferDirections = map[string]Direction{
	"RETR": Download,
	"STOR": Upload, "STOU": Upload, "APPE": Upload,
	"LIST": Listing, "NLST": Listing, "MLSD": Listing,
}

// TransferDirection returns which way verb (upper-case) moves its data;
// DirectionUnknown for a verb that moves none.
func TransferDirection(verb string) Direction { return transferDirections[verb] }

// Effect is what a command changes in the session's transfer parameters
// once the server accepts it.
type Effect uint8

// The effects. Each takes hold on the server's positive reply only: a
// refused CWD leaves the working directory where it was.
const (
	EffectNone Effect = iota
	// EffectCWD: CWD, XCWD (RFC 959, RFC 775) change the working directory
	// to the argument (2yz).
	EffectCWD
	// EffectCDUP: CDUP, XCUP go to the parent directory (2yz).
	EffectCDUP
	// EffectPWD: PWD, XPWD name the working directory in their 257 reply.
	EffectPWD
	// EffectType: TYPE A|E|I|L sets the representation type (200).
	EffectType
	// EffectMode: MODE S|B|C sets the transmission mode (200).
	EffectMode
	// EffectStru: STRU F|R|P sets the file structure (200).
	EffectStru
	// EffectRest: REST n makes the next transfer start at offset n (350).
	EffectRest
	// EffectSize: SIZE path announces the file's size in a 213 reply
	// (RFC 3659 4).
	EffectSize
	// EffectDelete: DELE path removes a file (250).
	EffectDelete
)

// stateEffects is what each verb does to the transfer parameters. It is the
// only place that knowledge is written; StateEffect reads it.
var stateEffects = map[string]Effect{
	"CWD": EffectCWD, "XCWD": EffectCWD,
	"CDUP": EffectCDUP, "XCUP": EffectCDUP,
	"PWD": EffectPWD, "XPWD": EffectPWD,
	"TYPE": EffectType, "MODE": EffectMode, "STRU": EffectStru,
	"REST": EffectRest, "SIZE": EffectSize, "DELE": EffectDelete,
}

// StateEffect returns what verb (upper-case) changes once accepted.
func StateEffect(verb string) Effect { return stateEffects[verb] }

// ResolvePath resolves a command's path argument the way the server does:
// an absolute argument stands alone, a relative one is taken from the
// working directory cwd; "." and ".." are folded ("/.." is "/") and
// repeated or trailing slashes dropped. When cwd is not known (empty) a
// relative argument stays relative, folded ("a/../../b" is "../b"). An
// empty argument names cwd itself. The result never holds "." or ".."
// components unless it is relative and climbs above its start.
func ResolvePath(cwd, arg string) string {
	switch {
	case strings.HasPrefix(arg, "/"):
		return path.Clean(arg)
	case cwd == "" && arg == "":
		return ""
	case cwd == "":
		return path.Clean(arg)
	case arg == "":
		return path.Clean(cwd)
	}
	return path.Clean(cwd + "/" + arg)
}

// ListPath returns the path a LIST or NLST argument names: the options
// ("-la", "-R") that Unix servers accept before it are not part of it.
// An argument of options only names the working directory ("").
func ListPath(arg string) string {
	for {
		arg = strings.TrimLeft(arg, " ")
		if !strings.HasPrefix(arg, "-") {
			return strings.TrimRight(arg, " ")
		}
		i := strings.IndexByte(arg, ' ')
		if i < 0 {
			return ""
		}
		arg = arg[i:]
	}
}

// ParsePWDReply returns the directory a 257 reply names (RFC 959 appendix
// II): the text between the first double quote and the next one that is
// not doubled, with each doubled quote ("") standing for one.
func ParsePWDReply(text string) (string, error) {
	i := strings.IndexByte(text, '"')
	if i < 0 {
		return "", syntaxError("257 reply without a quoted directory", text)
	}
	var b strings.Builder
	for j := i + 1; j < len(text); j++ {
		c := text[j]
		if c != '"' {
			if c == '\r' || c == '\n' {
				break
			}
			b.WriteByte(c)
			continue
		}
		if j+1 < len(text) && text[j+1] == '"' {
			b.WriteByte('"')
			j++
			continue
		}
		if b.Len() == 0 {
			return "", syntaxError("257 reply with an empty directory", text)
		}
		return b.String(), nil
	}
	return "", syntaxError("257 reply with an unterminated directory", text)
}

// maxSizeDigits bounds a size: 19 decimal digits always fit in 63 bits.
const maxSizeDigits = 19

// parseSize reads a decimal size of 1 to 19 digits.
func parseSize(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > maxSizeDigits {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// ParseOpeningSize returns the size a 150 reply announces, as vsftpd,
// proftpd and wu-ftpd write it: "150 Opening BINARY mode data connection
// for f (1234 bytes)." The last parenthesised "N bytes" counts.
func ParseOpeningSize(text string) (uint64, bool) {
	for end := len(text); end > 0; {
		i := strings.LastIndexByte(text[:end], '(')
		if i < 0 {
			return 0, false
		}
		rest := text[i+1:]
		if j := strings.IndexByte(rest, ' '); j > 0 && strings.HasPrefix(rest[j:], " bytes)") {
			if n, ok := parseSize(rest[:j]); ok {
				return n, true
			}
		}
		end = i
	}
	return 0, false
}

// LastNumber returns the last run of decimal digits in a reply's first
// line, 0 when there is none or it overflows (Zeek's extract_count(msg, F),
// which its FTP scripts read a 150 reply's size with).
func LastNumber(text string) uint64 {
	line := firstTextLine(text)
	end := len(line)
	for end > 0 && (line[end-1] < '0' || line[end-1] > '9') {
		end--
	}
	start := end
	for start > 0 && line[start-1] >= '0' && line[start-1] <= '9' {
		start--
	}
	n, err := strconv.ParseUint(line[start:end], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// ParseSizeReply returns the size a 213 reply to SIZE gives (RFC 3659 4).
func ParseSizeReply(text string) (uint64, error) {
	s := strings.TrimSpace(firstTextLine(text))
	n, ok := parseSize(s)
	if !ok {
		return 0, syntaxError("213 reply without a decimal size", text)
	}
	return n, nil
}

// ParseRest returns the offset of a REST argument (RFC 3659 5: a decimal
// marker for stream mode).
func ParseRest(arg string) (uint64, error) {
	n, ok := parseSize(strings.TrimSpace(arg))
	if !ok {
		return 0, syntaxError("REST without a decimal offset", arg)
	}
	return n, nil
}

// ParseType returns a TYPE argument in canonical form (RFC 959 4.1.2):
// "A", "E" or "I", with a format "N", "T" or "C" after A and E ("A N"),
// or "L" and the byte size ("L 8"). The format is dropped when it is the
// default N.
func ParseType(arg string) (string, error) {
	f := strings.Fields(strings.ToUpper(arg))
	if len(f) == 0 || len(f) > 2 || len(f[0]) != 1 {
		return "", syntaxError("TYPE without a type code", arg)
	}
	switch f[0] {
	case "A", "E":
		if len(f) == 1 || f[1] == "N" {
			return f[0], nil
		}
		if f[1] == "T" || f[1] == "C" {
			return f[0] + " " + f[1], nil
		}
	case "I":
		if len(f) == 1 {
			return "I", nil
		}
	case "L":
		if len(f) == 2 {
			if n, ok := parseSize(f[1]); ok && n > 0 && n < 256 {
				return "L " + f[1], nil
			}
		}
	}
	return "", syntaxError("TYPE with an unknown type", arg)
}

// ParseModeOrStru returns a MODE (S, B, C) or STRU (F, R, P) argument,
// upper-case, checked against the letters valid lists.
func ParseModeOrStru(arg, valid string) (string, error) {
	s := strings.ToUpper(strings.TrimSpace(arg))
	if len(s) != 1 || !strings.Contains(valid, s) {
		return "", syntaxError("unknown code", arg)
	}
	return s, nil
}

// firstTextLine returns text up to its first line break.
func firstTextLine(text string) string {
	if i := strings.IndexAny(text, "\r\n"); i >= 0 {
		return text[:i]
	}
	return text
}

// ParseUniqueName returns the name a STOU reply gives the stored file:
// "FILE: name" (RFC 1123 4.1.2.9, as vsftpd and wu-ftpd write it in the
// 150 reply).
func ParseUniqueName(text string) (string, bool) {
	line := strings.TrimSpace(firstTextLine(text))
	if len(line) < 6 || !strings.EqualFold(line[:5], "FILE:") {
		return "", false
	}
	name := strings.TrimSpace(line[5:])
	return name, name != ""
}
