package ftp

import (
	"strings"
	"testing"
)

func TestParseListLines(t *testing.T) {
	for _, tc := range []struct {
		line   string
		format ListFormat
		want   ListEntry
	}{
		{"-rw-r--r--    1 0        0            4096 Nov 24 02:20 small.txt\r\n", FormatUnix,
			ListEntry{Name: "small.txt", Type: EntryFile, Size: 4096, HasSize: true, Modified: "Nov 24 02:20", Mode: "-rw-r--r--"}},
		{"-rw-r--r--   1 ftp ftp  123456789 Jan  3  2019 old file.tar.gz", FormatUnix,
			ListEntry{Name: "old file.tar.gz", Type: EntryFile, Size: 123456789, HasSize: true, Modified: "Jan 3 2019", Mode: "-rw-r--r--"}},
		{"drwxr-xr-x 2 owner 4096 Dec 31 23:59 no-group-dir", FormatUnix,
			ListEntry{Name: "no-group-dir", Type: EntryDir, Size: 4096, HasSize: true, Modified: "Dec 31 23:59", Mode: "drwxr-xr-x"}},
		{"lrwxrwxrwx    1 0        0               9 Nov 24 02:20 latest -> small.txt", FormatUnix,
			ListEntry{Name: "latest", Type: EntryLink, Size: 9, HasSize: true, Modified: "Nov 24 02:20", Target: "small.txt", Mode: "lrwxrwxrwx"}},
		{"-rw-r--r--  1 u g 10 Nov 24 02:20  leading space", FormatUnix,
			ListEntry{Name: " leading space", Type: EntryFile, Size: 10, HasSize: true, Modified: "Nov 24 02:20", Mode: "-rw-r--r--"}},
		{"-rw-r--r--  1 u g 7 Feb  2 10:00 名前 ünï.txt", FormatUnix,
			ListEntry{Name: "名前 ünï.txt", Type: EntryFile, Size: 7, HasSize: true, Modified: "Feb 2 10:00", Mode: "-rw-r--r--"}},
		{"11-24-26  02:20AM                 4096 small.txt", FormatDOS,
			ListEntry{Name: "small.txt", Type: EntryFile, Size: 4096, HasSize: true, Modified: "11-24-26 02:20AM"}},
		{"01-05-2021  11:15PM       <DIR>          Program Files", FormatDOS,
			ListEntry{Name: "Program Files", Type: EntryDir, Modified: "01-05-2021 11:15PM"}},
	} {
		e, f, err := ParseListLine(tc.line)
		if err != nil || f != tc.format || e != tc.want {
			t.Errorf("ParseListLine(%q) = %+v, %s, %v\nwant %+v, %s", tc.line, e, f, err, tc.want, tc.format)
		}
	}
	for _, bad := range []string{"", "total 12", "hello world", "-rw-r--r-- 1 u g x Nov 24 02:20 a", "-rw-r--r-- 1 u g 1 Nov 24 2:20 a",
		"-rw-r--r-- 1 u g 1 Nov 24 02:20", "13-45-26  02:20AM  1 a", "11-24-26  02:20XM  1 a", "11-24-26  02:20AM  <DIR>"} {
		if e, f, err := ParseListLine(bad); err == nil {
			t.Errorf("ParseListLine(%q) = %+v, %s; want an error", bad, e, f)
		} else {
			checkSyntaxError(t, "ParseListLine", bad, err)
		}
	}
}

func TestParseMLSDLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want ListEntry
	}{
		{"modify=20261124022016;perm=adfr;size=4096;type=file;UNIX.group=0;UNIX.mode=0644;UNIX.owner=0; small.txt\r\n",
			ListEntry{Name: "small.txt", Type: EntryFile, Size: 4096, HasSize: true, Modified: "20261124022016", Mode: "0644"}},
		{"modify=20261124022016;perm=fle;type=cdir;UNIX.mode=0755; .", ListEntry{Name: ".", Type: EntryDir, Modified: "20261124022016", Mode: "0755"}},
		{"Type=OS.unix=symlink;Size=3; a link", ListEntry{Name: "a link", Type: EntryLink, Size: 3, HasSize: true}},
		{"type=file; spaced  name ", ListEntry{Name: "spaced  name ", Type: EntryFile}},
		{" bare", ListEntry{Name: "bare"}},
	} {
		e, err := ParseMLSDLine(tc.line)
		if err != nil || e != tc.want {
			t.Errorf("ParseMLSDLine(%q) = %+v, %v\nwant %+v", tc.line, e, err, tc.want)
		}
	}
	for _, bad := range []string{"", "type=file;", "type=file;size=x; a", "type=file a", "novalue; a"} {
		if e, err := ParseMLSDLine(bad); err == nil {
			t.Errorf("ParseMLSDLine(%q) = %+v; want an error", bad, e)
		}
	}
}

func FuzzParseListLine(f *testing.F) {
	for _, s := range []string{"-rw-r--r--    1 0        0            4096 Nov 24 02:20 small.txt", "lrwxrwxrwx 1 u g 1 Jan 1 2020 a -> b",
		"11-24-26  02:20AM   <DIR>  x", "total 3", "type=file;size=1; a", "b000000000 0 0 JAn 1 0000 \r0", "-rw-r--r-- 1 u g 1 Jan 1 2020 a\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, format, err := ParseListLine(line)
		if me, mf, ok := MatchListLine(line); ok != (err == nil) || me != e || mf != format {
			t.Fatalf("MatchListLine(%q) = %+v, %s, %v; ParseListLine gave %+v, %s, %v", line, me, mf, ok, e, format, err)
		}
		if err != nil {
			checkSyntaxError(t, "ParseListLine", line, err)
			if format != FormatUnknown || e != (ListEntry{}) {
				t.Fatalf("ParseListLine(%q): %+v, %s with an error", line, e, format)
			}
		} else {
			// A Unix name may hold any byte but '/' and NUL, a CR inside one included,
			// but it is always the line's own bytes and never keeps the line's end.
			if e.Name == "" || !strings.Contains(line, e.Name) || strings.HasSuffix(e.Name, "\r") || strings.HasSuffix(e.Name, "\n") {
				t.Fatalf("ParseListLine(%q) = %+v", line, e)
			}
			if format != FormatUnix && format != FormatDOS {
				t.Fatalf("ParseListLine(%q): format %s", line, format)
			}
		}
		if e, err := ParseMLSDLine(line); err == nil {
			if e.Name == "" || len(e.Name) >= len(line) {
				t.Fatalf("ParseMLSDLine(%q) = %+v", line, e)
			}
		} else {
			checkSyntaxError(t, "ParseMLSDLine", line, err)
		}
	})
}

// TestMatchListLineAllocs: a LIST line that is neither ls -l nor DOS costs
// MatchListLine no allocation (ParseListLine's reason is the one it makes).
func TestMatchListLineAllocs(t *testing.T) {
	for _, line := range []string{"-rw-r--r-- not really a listing", "12-31-2026 garbage", "drwx", ""} {
		if _, _, ok := MatchListLine(line); ok {
			t.Fatalf("MatchListLine(%q) took it", line)
		}
		if n := testing.AllocsPerRun(100, func() { MatchListLine(line) }); n != 0 {
			t.Errorf("MatchListLine(%q): %v allocations, want 0", line, n)
		}
	}
}
