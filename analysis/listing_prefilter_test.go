package analysis

import (
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// checkPrefilter fails when maybeListLine turns away a line the parsers
// would take, or one endLine would skip as blank: the prefilter may only
// save work, never change a result.
func checkPrefilter(t *testing.T, line string) {
	t.Helper()
	if maybeListLine([]byte(line)) {
		return
	}
	trimmed := strings.TrimRight(line, "\r")
	if strings.TrimSpace(trimmed) == "" {
		t.Fatalf("%q: blank, but the prefilter counts it unparsed", line)
	}
	if _, _, err := ftp.ParseListLine(trimmed); err == nil {
		t.Fatalf("%q parses, but the prefilter turns it away", line)
	}
}

func TestMaybeListLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"-rw-r--r--    1 0        0            4096 Nov 24 02:20 small.txt", true},
		{"  drwxr-xr-x 2 0 0 4096 Nov 24  2025 pub", true},
		{"lrwxrwxrwx 1 0 0 4 Nov 24 02:20 l -> small.txt", true},
		{"11-24-25  02:20AM       <DIR>          pub", true},
		{"", true}, {" \t\r", true},
		{"total 12", false}, {"\x00\x01garbage", false}, {"zzz", false},
		{"\u00a0", true}, // a Unicode blank: the long way decides
	} {
		if got := maybeListLine([]byte(tc.line)); got != tc.want {
			t.Errorf("maybeListLine(%q) = %v, want %v", tc.line, got, tc.want)
		}
		checkPrefilter(t, tc.line)
	}
}

func FuzzMaybeListLine(f *testing.F) {
	for _, s := range []string{"-rw-r--r-- 1 0 0 1 Jan 1 2000 x", "01-02-03 04:05PM 12 x", "total 0", " ", "\r", "\xc2\x85"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsRune(line, '\n') {
			return // endLine never sees a newline
		}
		checkPrefilter(t, line)
	})
}
