package ftp

import (
	"strings"
	"testing"
)

func TestResolvePath(t *testing.T) {
	for _, tc := range []struct{ cwd, arg, want string }{
		{"/", "file.bin", "/file.bin"},
		{"/pub", "file.bin", "/pub/file.bin"},
		{"/pub/", "./a/../b", "/pub/b"},
		{"/pub", "/etc/passwd", "/etc/passwd"},
		{"/pub", "../../../x", "/x"},
		{"/", "..", "/"},
		{"/pub", "", "/pub"},
		{"/pub", "dir//sub/", "/pub/dir/sub"},
		{"/a b", "c d.txt", "/a b/c d.txt"},
		{"", "a/../../b", "../b"},
		{"", "file", "file"},
		{"", "", ""},
		{"", "/abs/./x", "/abs/x"},
		{"/", "//x", "/x"},
	} {
		if got := ResolvePath(tc.cwd, tc.arg); got != tc.want {
			t.Errorf("ResolvePath(%q, %q) = %q, want %q", tc.cwd, tc.arg, got, tc.want)
		}
	}
}

func TestListPath(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"", ""}, {"-la", ""}, {"-l -a", ""}, {"-la pub", "pub"}, {"pub", "pub"}, {" -R  dir x ", "dir x"},
	} {
		if got := ListPath(tc.arg); got != tc.want {
			t.Errorf("ListPath(%q) = %q, want %q", tc.arg, got, tc.want)
		}
	}
}

func TestParsePWDReply(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`"/" is the current directory`, "/"},
		{`"/pub/dir"`, "/pub/dir"},
		{`"/say ""hi""" is current directory.`, `/say "hi"`},
		{`MKD "x" created`, "x"},
	} {
		got, err := ParsePWDReply(tc.text)
		if err != nil || got != tc.want {
			t.Errorf("ParsePWDReply(%q) = %q, %v; want %q", tc.text, got, err, tc.want)
		}
	}
	for _, bad := range []string{`no quotes`, `""`, `"/unterminated`, "\"/a\nb\""} {
		if got, err := ParsePWDReply(bad); err == nil {
			t.Errorf("ParsePWDReply(%q) = %q, want an error", bad, got)
		} else {
			checkSyntaxError(t, "ParsePWDReply", bad, err)
		}
	}
}

func TestParseSizes(t *testing.T) {
	for _, tc := range []struct {
		text string
		want uint64
		ok   bool
	}{
		{"Opening BINARY mode data connection for file.bin (1048576 bytes).", 1048576, true},
		{"Opening BINARY mode data connection for (x) (0 bytes)", 0, true},
		{"Opening ASCII mode data connection for a (12 bytes) (7 bytes).", 7, true},
		{"Opening BINARY mode data connection for a (7 bytes) (junk).", 7, true},
		{"Here comes the directory listing.", 0, false},
		{"Opening data connection (abc bytes)", 0, false},
		{"(99999999999999999999 bytes)", 0, false},
	} {
		got, ok := ParseOpeningSize(tc.text)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseOpeningSize(%q) = %d, %v; want %d, %v", tc.text, got, ok, tc.want, tc.ok)
		}
	}
	if n, err := ParseSizeReply("1234"); n != 1234 || err != nil {
		t.Errorf("ParseSizeReply: %d, %v", n, err)
	}
	if _, err := ParseSizeReply("12a"); err == nil {
		t.Error("ParseSizeReply(12a) took it")
	}
	if n, err := ParseRest(" 100 "); n != 100 || err != nil {
		t.Errorf("ParseRest: %d, %v", n, err)
	}
	if _, err := ParseRest("-1"); err == nil {
		t.Error("ParseRest(-1) took it")
	}
}

func TestParseType(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"I", "I"}, {"i", "I"}, {"A", "A"}, {"A N", "A"}, {"a t", "A T"}, {"E", "E"}, {"L 8", "L 8"},
	} {
		if got, err := ParseType(tc.arg); got != tc.want || err != nil {
			t.Errorf("ParseType(%q) = %q, %v; want %q", tc.arg, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "X", "I N", "L", "L 0", "L 300", "A N X", "AB"} {
		if got, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) = %q, want an error", bad, got)
		}
	}
	if got, err := ParseModeOrStru("s", "SBC"); got != "S" || err != nil {
		t.Errorf("MODE s: %q %v", got, err)
	}
	if _, err := ParseModeOrStru("Z", "SBC"); err == nil {
		t.Error("MODE Z taken")
	}
}

// TestTransferTables pins the transfer verbs' directions: every
// TransferVerb has one, nothing else does.
func TestTransferTables(t *testing.T) {
	for _, v := range verbTable {
		d := TransferDirection(v.Name)
		if (v.Class == TransferVerb) != (d != DirectionUnknown) {
			t.Errorf("%s: class %s, direction %s", v.Name, v.Class, d)
		}
	}
	if TransferDirection("RETR") != Download || TransferDirection("APPE") != Upload || TransferDirection("MLSD") != Listing {
		t.Error("directions")
	}
	if !Download.FromServer() || Upload.FromServer() || !Listing.FromServer() {
		t.Error("FromServer")
	}
	if StateEffect("XCWD") != EffectCWD || StateEffect("RETR") != EffectNone {
		t.Error("effects")
	}
}

func FuzzResolvePath(f *testing.F) {
	for _, s := range [][2]string{{"/", "a"}, {"/pub", "../x/./y//"}, {"", "a/../../b"}, {"/a", "/b/.."}, {"/", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, cwd, arg string) {
		if cwd != "" && !strings.HasPrefix(cwd, "/") {
			cwd = "/" + cwd // the analysis only keeps an absolute working directory
		}
		got := ResolvePath(cwd, arg)
		abs := cwd != "" || strings.HasPrefix(arg, "/")
		if abs && (cwd != "" || arg != "") && !strings.HasPrefix(got, "/") {
			t.Fatalf("ResolvePath(%q, %q) = %q, not absolute", cwd, arg, got)
		}
		if strings.HasPrefix(got, "/") {
			for _, part := range strings.Split(got[1:], "/") {
				if (part == "." || part == ".." || part == "") && got != "/" {
					t.Fatalf("ResolvePath(%q, %q) = %q holds %q", cwd, arg, got, part)
				}
			}
		}
		if got != "" && ResolvePath(got, "") != got && strings.HasPrefix(got, "/") {
			t.Fatalf("ResolvePath(%q, %q) = %q is not stable", cwd, arg, got)
		}
		// Resolving an absolute result again from anywhere gives itself.
		if strings.HasPrefix(got, "/") && ResolvePath("/elsewhere", got) != got {
			t.Fatalf("ResolvePath(%q, %q) = %q does not resolve to itself", cwd, arg, got)
		}
	})
}

func FuzzParsePWDReply(f *testing.F) {
	for _, s := range []string{`"/" is cwd`, `"/a ""b"""`, `""`, `x"y`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		dir, err := ParsePWDReply(text)
		if err != nil {
			checkSyntaxError(t, "ParsePWDReply", text, err)
			return
		}
		if dir == "" || strings.ContainsAny(dir, "\r\n") {
			t.Fatalf("ParsePWDReply(%q) = %q", text, dir)
		}
		// Quoting the directory back the RFC way gives it again.
		back, err := ParsePWDReply(`"` + strings.ReplaceAll(dir, `"`, `""`) + `" is current`)
		if err != nil || back != dir {
			t.Fatalf("ParsePWDReply(%q) = %q, requoted gives %q, %v", text, dir, back, err)
		}
	})
}

func FuzzParseTransferArgs(f *testing.F) {
	for _, s := range []string{"I", "A N", "L 8", "(12 bytes)", "100", "-la pub"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ty, err := ParseType(s); err == nil {
			if again, err := ParseType(ty); err != nil || again != ty {
				t.Fatalf("ParseType(%q) = %q, not canonical (%q, %v)", s, ty, again, err)
			}
		}
		if n, ok := ParseOpeningSize(s); ok && !strings.Contains(s, " bytes)") {
			t.Fatalf("ParseOpeningSize(%q) = %d without a size", s, n)
		}
		if n, err := ParseRest(s); err == nil && n > 1<<63 {
			t.Fatalf("ParseRest(%q) = %d", s, n)
		}
		if n, ok := ParseUniqueName(s); ok && (n == "" || len(n) > len(s)) {
			t.Fatalf("ParseUniqueName(%q) = %q", s, n)
		}
		if p := ListPath(s); len(p) > len(s) || strings.HasPrefix(p, "-") || strings.HasPrefix(p, " ") {
			t.Fatalf("ListPath(%q) = %q", s, p)
		}
	})
}

func TestParseUniqueName(t *testing.T) {
	for _, tc := range []struct {
		text, want string
		ok         bool
	}{{"FILE: upload.1", "upload.1", true}, {"file:  a b ", "a b", true}, {"FILE:", "", false}, {"Ok to send data.", "", false}} {
		if got, ok := ParseUniqueName(tc.text); got != tc.want || ok != tc.ok {
			t.Errorf("ParseUniqueName(%q) = %q, %v", tc.text, got, ok)
		}
	}
}

// TestLastNumber: the last decimal number of a reply's first line, as
// Zeek's extract_count(msg, F) finds it.
func TestLastNumber(t *testing.T) {
	for _, tc := range []struct {
		text string
		want uint64
	}{
		{"Opening BINARY mode data connection for f (1234 bytes).", 1234},
		{"Opening BINARY mode data connection for file2.txt", 2},
		{"Accepted data connection", 0},
		{"Opening data connection for 7.bin (99 bytes)\r\nsecond line 5", 99},
		{"size 99999999999999999999999 bytes", 0},
		{"", 0},
		{"42", 42},
	} {
		if got := LastNumber(tc.text); got != tc.want {
			t.Errorf("LastNumber(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}
