package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEscape holds the escapers of wire text to their promises on any
// string: Escape leaves no raw control, bidi control, line break or byte
// that is not UTF-8, and escaping twice is escaping once; the terminal
// stream escapes as Escape does; a CSV cell of wire text never starts like
// a formula; the JSON encoder's output is valid JSON with no raw DEL, C1 or
// bidi control, decodes to what encoding/json decodes, is encoding/json's
// own output whenever that had none of them, and is what the hand-written
// records write (appendJSONString).
func FuzzEscape(f *testing.F) {
	for _, s := range hostileWire {
		f.Add(s)
	}
	f.Add("")
	f.Add("\xe2\x80")
	f.Add(`\x1b already`)
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if r, ok := rawHidden(e); ok || strings.Contains(e, "\n") {
			t.Fatalf("Escape(%q) = %q holds a raw %q", s, e, r)
		}
		if again := Escape(e); again != e {
			t.Fatalf("Escape is not idempotent on %q: %q then %q", s, e, again)
		}
		if !needsEscape(s) && e != s {
			t.Fatalf("Escape changed %q, which needs no escape, to %q", s, e)
		}

		// The terminal stream: a last byte that ends nothing is held for
		// the next write, so the text is closed by a newline.
		var term bytes.Buffer
		if _, err := TerminalSafe(&term).Write([]byte(s + "\n")); err != nil {
			t.Fatal(err)
		}
		if want := string(appendVisible(nil, s+"\n", true)); term.String() != want {
			t.Fatalf("TerminalSafe(%q) = %q, appendVisible gives %q", s, term.String(), want)
		}
		if strings.ReplaceAll(term.String(), "\n", `\x0a`) != Escape(s+"\n") {
			t.Fatalf("TerminalSafe(%q) = %q, Escape gives %q", s, term.String(), Escape(s+"\n"))
		}

		c := csvText(s)
		if c != "" && formulaStart(c[0]) {
			t.Fatalf("csvText(%q) = %q starts like a formula", s, c)
		}
		if r, ok := rawHidden(c); ok || strings.Contains(c, "\n") {
			t.Fatalf("csvText(%q) = %q holds a raw %q", s, c, r)
		}

		var plain, safe bytes.Buffer
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if err := newJSONEncoder(&safe).Encode(s); err != nil {
			t.Fatal(err)
		}
		out := safe.Bytes()
		if !json.Valid(out) || !utf8.Valid(out) {
			t.Fatalf("%q: %q is not valid JSON", s, out)
		}
		if r, ok := rawHidden(string(out)); ok {
			t.Fatalf("%q: JSON %q holds a raw %q", s, out, r)
		}
		var back, want string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(plain.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		if back != want {
			t.Fatalf("%q: JSON decodes to %q, encoding/json's to %q", s, back, want)
		}
		if _, ok := rawHidden(plain.String()); !ok && !bytes.Equal(out, plain.Bytes()) {
			t.Fatalf("%q: JSON %q, encoding/json writes %q", s, out, plain.Bytes())
		}
		if hand := append(appendJSONString(nil, s), '\n'); !bytes.Equal(hand, out) {
			t.Fatalf("%q: appendJSONString writes %q, the encoder %q", s, hand, out)
		}
		if again, _ := jsonSafe(nil, out); !bytes.Equal(again, out) {
			t.Fatalf("jsonSafe is not idempotent on %q: %q then %q", s, out, again)
		}
	})
}
