package report

import (
	"io"
	"unicode/utf8"
)

// TerminalSafe returns a writer that passes text through to w but writes
// control characters (C0 but newline, DEL, C1), bytes that are not UTF-8
// and the invisible bidirectional controls as visible escapes: \x1b, \xff,
// \u202e. Users, file names, greetings and reply texts in a report come
// from the network, and a USER argument carrying an escape sequence must
// reach the analyst's terminal as text, not as a command to the terminal
// (retitle, clear, rewrite the line before it with a carriage return).
// Each Write goes out in one write to w; a UTF-8 sequence cut between two
// writes is held until the next. The escapes are those of Escape, which
// table and CSV cells get, newlines apart.
func TerminalSafe(w io.Writer) io.Writer { return &terminalSafe{w: w} }

type terminalSafe struct {
	w    io.Writer
	tail []byte // start of a UTF-8 sequence cut by the end of a Write
	out  []byte
}

func (t *terminalSafe) Write(p []byte) (int, error) {
	in := p
	if len(t.tail) > 0 {
		in = append(t.tail, p...)
		t.tail = nil
	}
	out := t.out[:0]
	for len(in) > 0 {
		c := in[0]
		if c < utf8.RuneSelf {
			if c == '\n' || c >= 0x20 && c != 0x7f {
				out = append(out, c)
			} else {
				out = appendByteEscape(out, c)
			}
			in = in[1:]
			continue
		}
		r, n := utf8.DecodeRune(in)
		if r == utf8.RuneError && n == 1 {
			if !utf8.FullRune(in) {
				t.tail = append([]byte(nil), in...) // wait for the rest
				break
			}
			out = appendByteEscape(out, c)
			in = in[1:]
			continue
		}
		if hidden(r) {
			out = appendRuneEscape(out, r)
		} else {
			out = append(out, in[:n]...)
		}
		in = in[n:]
	}
	t.out = out
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
