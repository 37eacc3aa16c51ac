package report

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var zeekEscape = regexp.MustCompile(`\\x[0-9a-f]{2}`)

// FuzzZeekEscaped: whatever the wire holds, a Zeek TSV value has no raw
// control byte, tab, DEL or lone backslash, is valid UTF-8, never reads
// as the unset or empty mark, and decodes back to the wire's bytes.
func FuzzZeekEscaped(f *testing.F) {
	for _, s := range []string{"", "-", "(empty)", "a\tb", `c\d`, "caf\xe9", "\u202e", "x,y", "\x00\x7f\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, inSet := range []bool{false, true} {
			out := string(appendZeekTSV(nil, zSetString, zv{set: true, list: []string{s}}))
			if !inSet {
				out = string(appendZeekTSV(nil, zString, zStr(s)))
			}
			for i := 0; i < len(out); i++ {
				if c := out[i]; c < 0x20 || c == 0x7f {
					t.Fatalf("%q: raw byte %#x in %q", s, c, out)
				}
			}
			if !utf8.ValidString(out) || out == "-" || (out == "(empty)") != (s == "") {
				t.Fatalf("%q written %q", s, out)
			}
			if inSet && strings.Contains(out, ",") {
				t.Fatalf("%q: a raw set separator in %q", s, out)
			}
			if strings.Count(out, `\`) != len(zeekEscape.FindAllString(out, -1)) {
				t.Fatalf("%q: a backslash that is not \\xNN in %q", s, out)
			}
			back := zeekEscape.ReplaceAllStringFunc(out, func(e string) string {
				b, _ := strconv.ParseUint(e[2:], 16, 8)
				return string([]byte{byte(b)})
			})
			if s == "" {
				back = ""
			}
			if back != s {
				t.Fatalf("%q written %q reads back %q", s, out, back)
			}
		}
	})
}

// FuzzZeekPath: Zeek's path helpers take any directory and name without
// panicking, and a URL is always ftp:// and the server.
func FuzzZeekPath(f *testing.F) {
	f.Add(".", "robots.txt", `257 "/pub" is current`)
	f.Add("/a/b", "../../../x", "")
	f.Fuzz(func(t *testing.T, dir, name, reply string) {
		p := zeekBuildPath(dir, name)
		if strings.Contains(p, "//") {
			t.Fatalf("build_path(%q, %q) = %q", dir, name, p)
		}
		_ = zeekExtractPath(reply)
	})
}
