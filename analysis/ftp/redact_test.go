package ftp

import (
	"bytes"
	"testing"
)

var redactCases = []struct{ in, want string }{
	{"PASS secret", "PASS <redacted>"},
	{"pass secret", "pass <redacted>"},
	{"PASS\tsecret", "PASS\t<redacted>"},
	{" PASS secret", " PASS <redacted>"},                                   // a leading space: not a command, still a password
	{"\xff\xf4\xff\xf2PASS secret", "\xff\xf4\xff\xf2PASS <redacted>"},     // Telnet IP DM before it
	{"USER alice\rPASS secret", "USER alice\rPASS <redacted>"},             // CR-only line ends
	{"USER alice\rPASS secret\rPASV", "USER alice\rPASS <redacted>\rPASV"}, // the argument ends at the CR
	{"PORT 1,2\r\nPASS secret\r\nPASV\r\n", "PORT 1,2\r\nPASS <redacted>\r\nPASV\r\n"},
	{"500 'PASS secret': command not understood", "500 'PASS <redacted>"},
	{"PASS a\r\nPASS b", "PASS <redacted>\r\nPASS <redacted>"},
	{"PASS <redacted>", "PASS <redacted>"},
	{"PASS ", "PASS "}, // nothing to hide
	{"PASS", "PASS"},
	{"PASS\r\n", "PASS\r\n"},
	{"PASSWORD secret", "PASSWORD secret"}, // not the verb
	{"XPASS secret", "XPASS secret"},
	{"1PASS secret", "1PASS secret"},
	{"331 Please specify the password.", "331 Please specify the password."},
	{"RETR bypass me", "RETR bypass me"},
	{"RETR PASS me", "RETR PASS <redacted>"}, // errs on the side of hiding
	{"", ""},
}

func TestRedact(t *testing.T) {
	for _, tc := range redactCases {
		if got := string(Redact([]byte(tc.in))); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRedactNoCopy: a line without a password is handed back as it is (the
// analyzer redacts every control line, so this path must not allocate).
func TestRedactNoCopy(t *testing.T) {
	b := []byte("RETR /pub/file.tar.gz")
	if n := testing.AllocsPerRun(100, func() { Redact(b) }); n != 0 {
		t.Fatalf("Redact of a line without PASS allocates %.0f times", n)
	}
}

// FuzzRedact: Redact is total and idempotent, keeps every CR and LF and
// every byte of a line without a PASS token, and leaves no PASS token
// followed by anything but the redaction mark.
func FuzzRedact(f *testing.F) {
	for _, tc := range redactCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append([]byte(nil), b...)
		got := Redact(b)
		if !bytes.Equal(b, in) {
			t.Fatalf("Redact(%q) changed its input", in)
		}
		if again := Redact(got); !bytes.Equal(again, got) {
			t.Fatalf("Redact(%q) = %q, but Redact of that = %q", in, got, again)
		}
		if bytes.Count(got, []byte("\r")) != bytes.Count(in, []byte("\r")) || bytes.Count(got, []byte("\n")) != bytes.Count(in, []byte("\n")) {
			t.Fatalf("Redact(%q) = %q: line ends changed", in, got)
		}
		if !bytes.Contains(bytes.ToUpper(in), []byte("PASS")) && !bytes.Equal(got, in) {
			t.Fatalf("Redact(%q) = %q, but it holds no PASS", in, got)
		}
		for i := 0; i+5 < len(got); i++ {
			if !bytes.EqualFold(got[i:i+4], []byte("PASS")) || i > 0 && isAlnum(got[i-1]) {
				continue
			}
			sep := got[i+4]
			if isAlnum(sep) || sep == '\r' || sep == '\n' {
				continue
			}
			arg := got[i+5:]
			if j := bytes.IndexAny(arg, "\r\n"); j >= 0 {
				arg = arg[:j]
			}
			if len(arg) > 0 && string(arg) != Redacted {
				t.Fatalf("Redact(%q) = %q: PASS argument %q left", in, got, arg)
			}
		}
	})
}
