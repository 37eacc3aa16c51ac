package report

import (
	"encoding/json"
	"io"
	"unicode"
	"unicode/utf8"
)

// hidden reports whether r must not reach an output raw: C0 and C1 control
// characters, DEL, and the invisible bidirectional controls (U+061C,
// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which reorder what a
// terminal, an editor or a spreadsheet shows after them.
func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

const hexDigits = "0123456789abcdef"

// appendByteEscape appends \xNN for one byte.
func appendByteEscape(dst []byte, c byte) []byte {
	return append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}

// appendRuneEscape appends \uNNNN for a rune of the Basic Multilingual
// Plane (every rune hidden reports is one).
func appendRuneEscape(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendVisible appends s to dst with every ASCII control character (a
// newline too unless keepNewline), DEL and each byte that is not UTF-8
// written as \xNN, and every other hidden rune as \uNNNN. It is the one
// escaping of wire text for people: the terminal stream, table cells and
// CSV cells use it, so the three show a hostile string the same way. A
// backslash is not escaped, so escaping what is already escaped changes
// nothing.
func appendVisible(dst []byte, s string, keepNewline bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f || c == '\n' && keepNewline {
				dst = append(dst, c)
			} else {
				dst = appendByteEscape(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = appendByteEscape(dst, c)
		case hidden(r):
			dst = appendRuneEscape(dst, r)
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// needsEscape reports whether appendVisible would change s (newlines
// escaped).
func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || hidden(r) {
			return true
		}
		i += n
	}
	return false
}

// Escape returns s as one visible line: control characters (newline,
// carriage return and TAB included), DEL and bytes that are not UTF-8
// become \x1b, \x0d, \x7f, \xff; C1 controls and the bidi controls become
// \u0085, \u202e. Text without them comes back unchanged. Table and CSV
// cells holding text from the network go through it.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	return string(appendVisible(make([]byte, 0, len(s)+16), s, false))
}

// formulaStart reports whether a spreadsheet would read a cell starting
// with c as a formula (or, for TAB and CR, strip them and read what
// follows as one): the characters OWASP lists for CSV injection.
func formulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// csvText returns a CSV cell for text that comes from the network (a user
// name, a file name, a command, a sentence quoting a reply): a leading
// single quote when it starts like a formula, as OWASP recommends against
// CSV injection, then the visible escaping. Cells ftpscope writes itself
// (numbers, addresses, times) do not go through it, so a number is never
// quoted.
func csvText(s string) string {
	if s != "" && formulaStart(s[0]) {
		s = "'" + s
	}
	return Escape(s)
}

// jsonSafe returns a JSON text that encoding/json produced with every raw
// DEL, C1 control and bidi control inside it written as \uNNNN, building
// it in scratch; a text without them comes back as p itself, and changed
// says which. encoding/json escapes C0 controls itself and writes invalid
// UTF-8 as \ufffd, so its output is valid UTF-8 and these runes can stand
// only inside strings, where \uNNNN means the same rune: the decoded value
// does not change, and neither does ordinary text.
func jsonSafe(scratch, p []byte) (out []byte, changed bool) {
	out, start := scratch[:0], 0
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = appendRuneEscape(append(out, p[start:i]...), rune(c))
				start, changed = i+1, true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		if hidden(r) {
			out = appendRuneEscape(append(out, p[start:i]...), r)
			start, changed = i+n, true
		}
		i += n
	}
	if !changed {
		return p, false
	}
	return append(out, p[start:]...), true
}

// jsonSafeWriter passes each Write through jsonSafe. json.Encoder writes
// each record in one Write, so no rune is cut between two, and each Write
// still goes out in one Write to w (the whole-record promise).
type jsonSafeWriter struct {
	w       io.Writer
	scratch []byte
}

func (j *jsonSafeWriter) Write(p []byte) (int, error) {
	out, changed := jsonSafe(j.scratch, p)
	if changed {
		j.scratch = out[:0] // reused by the next record that needs it
	}
	if _, err := j.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// newJSONEncoder returns the encoder every JSON record goes through: HTML
// characters as they are, and the runes jsonSafe names escaped.
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(&jsonSafeWriter{w: w})
	enc.SetEscapeHTML(false)
	return enc
}
