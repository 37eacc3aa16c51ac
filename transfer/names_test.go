package transfer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"..", "_"},
		{".", "_"},
		{"", "_"},
		{"../x", "_._x"},
		{"/etc/passwd", "_etc_passwd"},
		{`a\b`, "a_b"},
		{"a\x00b", "a_b"},
		{"\x1b[31m", "_[31m"},
		{"evil\u202egnp.exe", "evil_gnp.exe"},
		{"bad\xff", "bad_"},
		{"CON", "_ON"},
		{"lpt1.txt", "_pt1.txt"},
		{"COM10", "COM10"},
		{"trailing. ", "trailing"},
		{".bashrc", "_bashrc"},
		{"名前.txt", "名前.txt"},
	} {
		if got := SafeName(tc.in); got != tc.want {
			t.Errorf("SafeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := SafeName(strings.Repeat("é", 300) + ".tar.gz")
	if len(long) > maxName || !strings.HasSuffix(long, ".gz") || !utf8.ValidString(long) {
		t.Errorf("long name: %d bytes %q", len(long), long)
	}
	if got := withSuffix("a.txt", 2); got != "a-2.txt" {
		t.Errorf("withSuffix: %q", got)
	}
	if got := withSuffix(strings.Repeat("x", maxName), 12); len(got) > maxName || !strings.HasSuffix(got, "-12") {
		t.Errorf("withSuffix on a long name: %d %q", len(got), got)
	}
}

func TestParseHashes(t *testing.T) {
	got, err := ParseHashes([]string{"SHA256", "md5", "sha256", ""})
	if err != nil || strings.Join(got, ",") != "md5,sha256" {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := ParseHashes([]string{"crc32"}); err == nil {
		t.Error("crc32 accepted")
	}
}

func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"..", "a/b", "\x00", "CON.txt", strings.Repeat("a", 300), "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SafeName(in)
		if got == "" || len(got) > maxName || strings.ContainsAny(got, "/\\\x00") || strings.HasPrefix(got, ".") ||
			!utf8.ValidString(got) || reservedDevice(got) {
			t.Fatalf("SafeName(%q) = %q", in, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("SafeName(%q) = %q holds %U", in, got, r)
			}
		}
		if again := SafeName(got); again != got {
			t.Fatalf("SafeName(%q) = %q, but SafeName of that is %q", in, got, again)
		}
		if s := withSuffix(got, 99); len(s) > maxName || strings.HasPrefix(s, ".") {
			t.Fatalf("withSuffix(%q) = %q", got, s)
		}
	})
}
