package report

import (
	"bytes"
	"testing"
)

func TestTerminalSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, tables |-+ and …\n", "plain text, tables |-+ and …\n"},
		{"USER \x1b]0;owned\x07\x1b[2J", `USER \x1b]0;owned\x07\x1b[2J`},
		{"RETR a\rfake line\tx\x7f", `RETR a\x0dfake line\x09x\x7f`},
		{"C1 \u009b31m and bidi \u202eevil\u2066", `C1 \u009b31m and bidi \u202eevil\u2066`},
		{"not UTF-8: \xff\xfe end", `not UTF-8: \xff\xfe end`},
	}
	for _, tc := range tests {
		var b bytes.Buffer
		if _, err := TerminalSafe(&b).Write([]byte(tc.in)); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%q -> %q, want %q", tc.in, b.String(), tc.want)
		}
	}
	// A UTF-8 sequence cut between two writes passes whole.
	var b bytes.Buffer
	w := TerminalSafe(&b)
	s := []byte("é…")
	for i := range s {
		w.Write(s[i : i+1])
	}
	if b.String() != "é…" {
		t.Errorf("byte-by-byte writes give %q", b.String())
	}
}
