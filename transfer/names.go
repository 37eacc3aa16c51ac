package transfer

import (
	"path"
	"strings"
	"unicode/utf8"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// maxName bounds an extracted file's name in bytes: file systems take 255,
// and a collision suffix must still fit.
const maxName = 200

// SafeName turns a file name from the wire into one that can be created
// in the extraction directory and nowhere else: no path separator (slash
// or backslash), no NUL or other control character, no byte that is not
// UTF-8, no leading dot (".", "..", hidden files) or trailing dot or
// space, no name Windows keeps for devices (its first letter becomes '_'),
// and at most maxName bytes with the extension kept. Each unsafe byte
// becomes '_'; an empty result is "_".
func SafeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		switch {
		case r == utf8.RuneError && size <= 1,
			r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0,
			r == '/', r == '\\', r == ':', r == '*', r == '?', r == '"', r == '<', r == '>', r == '|',
			// bidi controls would make a listing of the directory lie
			r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			b.WriteByte('_')
		default:
			b.WriteString(name[i : i+size])
		}
		i += size
	}
	// Each step below keeps the length or shortens, and none undoes an
	// earlier one, so a safe name is its own SafeName.
	s := cutName(b.String(), maxName)
	s = strings.TrimRight(s, " .") // Windows drops them; "a." and "a" would collide
	if strings.HasPrefix(s, ".") {
		s = "_" + s[1:]
	}
	if s == "" {
		s = "_"
	}
	if reservedDevice(s) {
		s = "_" + s[1:]
	}
	return s
}

// cutName cuts s to max bytes on a UTF-8 boundary, keeping a short
// extension.
func cutName(s string, max int) string {
	if len(s) <= max {
		return s
	}
	ext := path.Ext(s)
	if len(ext) > 16 || !utf8.ValidString(ext) {
		ext = ""
	}
	stem := s[:max-len(ext)]
	for len(stem) > 0 && !utf8.ValidString(stem) {
		stem = stem[:len(stem)-1]
	}
	return stem + ext
}

// reservedDevice reports names Windows maps to devices whatever their
// extension (CON, PRN, AUX, NUL, COM1-9, LPT1-9).
func reservedDevice(s string) bool {
	stem := strings.ToUpper(s)
	if i := strings.IndexByte(stem, '.'); i >= 0 {
		stem = stem[:i]
	}
	switch stem {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) && stem[3] >= '1' && stem[3] <= '9'
}

// baseName is the name a transfer's bytes are extracted under: the last
// element of its path, made safe; a listing's is "listing-" and its
// directory's name.
func baseName(ch *analysis.Channel) string {
	t := ch.Transfer
	p := ""
	if t != nil {
		p = t.Path
	}
	if p == "" {
		p = ch.Argument
	}
	base := path.Base(strings.TrimRight(p, "/"))
	if base == "." || base == "/" || base == "" {
		base = ""
	}
	if t != nil && t.Direction == ftp.Listing {
		if base == "" {
			return "listing"
		}
		return SafeName("listing-" + base)
	}
	if base == "" {
		return "transfer"
	}
	return SafeName(base)
}

// withSuffix names the n-th collision: "a.txt" -> "a-1.txt".
func withSuffix(name string, n int) string {
	ext := path.Ext(name)
	if ext == name || len(ext) > 16 {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	suffix := "-" + itoa(n)
	return cutName(stem, maxName-len(suffix)-len(ext)) + suffix + ext
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
