package ftp

import (
	"strings"
)

// EntryType is what a directory listing says an entry is.
type EntryType uint8

// The entry types.
const (
	EntryUnknown EntryType = iota
	EntryFile
	EntryDir
	EntryLink
	// EntryOther: a device, socket or pipe (ls -l's b, c, s, p).
	EntryOther
)

var entryTypeNames = [...]string{"unknown", "file", "dir", "link", "other"}

// String returns "file", "dir", "link", "other" or "unknown".
func (t EntryType) String() string {
	if int(t) < len(entryTypeNames) {
		return entryTypeNames[t]
	}
	return "unknown"
}

// ListFormat is the form of a listing line.
type ListFormat uint8

// The listing formats.
const (
	FormatUnknown ListFormat = iota
	// FormatUnix: ls -l ("-rw-r--r-- 1 0 0 4096 Nov 24 02:20 small.txt").
	FormatUnix
	// FormatDOS: IIS and Windows servers ("11-24-26  02:20AM  4096 small.txt").
	FormatDOS
	// FormatMLSD: RFC 3659 facts ("type=file;size=4096; small.txt").
	FormatMLSD
	// FormatNLST: one name per line.
	FormatNLST
)

var listFormatNames = [...]string{"unknown", "unix", "dos", "mlsd", "nlst"}

// String names the format.
func (f ListFormat) String() string {
	if int(f) < len(listFormatNames) {
		return listFormatNames[f]
	}
	return "unknown"
}

// ListEntry is one entry of a directory listing.
type ListEntry struct {
	// Name is the entry's name as listed (NLST: the line, which may be a path).
	Name string
	Type EntryType
	// Size is the listed size; HasSize says there was one.
	Size    uint64
	HasSize bool
	// Modified is the listed time as written ("Nov 24 02:20", "Nov 24
	// 2025", "11-24-26 02:20AM", MLSD's "20261124022016").
	Modified string
	// Target is a symbolic link's target (ls -l's "name -> target").
	Target string
	// Mode is ls -l's permission string, or MLSD's UNIX.mode.
	Mode string
}

var months = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

func isMonth(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, m := range months {
		if strings.EqualFold(s, m) {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// inRange reports whether s is a decimal number within lo..hi.
func inRange(s string, lo, hi uint64) bool {
	n, ok := parseSize(s)
	return ok && n >= lo && n <= hi
}

// field is a whitespace-separated token and where it ends in the line.
type field struct {
	s   string
	end int
}

// fields appends to out (a caller's array, so the tokens stay off the
// heap: a listing is parsed line by line as it streams) at most max tokens.
func fields(out []field, line string, max int) []field {
	i := 0
	for len(out) < max {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		out = append(out, field{line[i:j], j})
		i = j
	}
	return out
}

// trimLineEnd drops a line's CR LF (or either).
func trimLineEnd(line string) string { return strings.TrimRight(line, "\r\n") }

// ParseUnixListLine parses one line of ls -l output, in either date form
// ("Nov 24 02:20" for recent files, "Nov 24  2025" for old ones), with or
// without the group column, symbolic links as "name -> target". The
// "total N" line and blank lines are not entries.
func ParseUnixListLine(line string) (ListEntry, error) {
	line = trimLineEnd(line)
	e, why := parseUnixListLine(line)
	if why != "" {
		return ListEntry{}, syntaxError(why, line)
	}
	return e, nil
}

// parseUnixListLine is ParseUnixListLine on a line without its line end:
// the reason it is not one, or "", and no allocation when it is not.
func parseUnixListLine(line string) (ListEntry, string) {
	var buf [9]field
	f := fields(buf[:0], line, 9)
	if len(f) < 6 || len(f[0].s) < 10 {
		return ListEntry{}, "not an ls -l line"
	}
	var e ListEntry
	switch f[0].s[0] {
	case '-':
		e.Type = EntryFile
	case 'd':
		e.Type = EntryDir
	case 'l':
		e.Type = EntryLink
	case 'b', 'c', 'p', 's':
		e.Type = EntryOther
	default:
		return ListEntry{}, "not an ls -l line"
	}
	e.Mode = f[0].s
	// The month is the first token after the size: find it from the 4th
	// token on (mode, links, owner, [group], size).
	m := -1
	for i := 3; i+2 < len(f); i++ {
		if isMonth(f[i].s) && allDigits(f[i-1].s) && inRange(f[i+1].s, 1, 31) && len(f[i+1].s) <= 2 {
			m = i
			break
		}
	}
	if m < 0 {
		return ListEntry{}, "ls -l line without a date"
	}
	when := f[m+2].s
	if !(allDigits(when) && len(when) == 4) && !(len(when) == 5 && when[2] == ':' && inRange(when[:2], 0, 23) && inRange(when[3:], 0, 59)) {
		return ListEntry{}, "ls -l line with a bad time or year"
	}
	if n, ok := parseSize(f[m-1].s); ok {
		e.Size, e.HasSize = n, true
	}
	e.Modified = f[m].s + " " + f[m+1].s + " " + when
	rest := f[m+2].end
	if rest < len(line) {
		rest++ // the one space before the name
	}
	name := line[rest:]
	if e.Type == EntryLink {
		if i := strings.Index(name, " -> "); i >= 0 {
			name, e.Target = name[:i], name[i+4:]
		}
	}
	if name == "" {
		return ListEntry{}, "ls -l line without a name"
	}
	e.Name = name
	return e, ""
}

// ParseDOSListLine parses one line of an IIS / Windows listing:
// "MM-DD-YY(YY)  HH:MM(AM|PM)  <DIR>|size  name".
func ParseDOSListLine(line string) (ListEntry, error) {
	line = trimLineEnd(line)
	e, why := parseDOSListLine(line)
	if why != "" {
		return ListEntry{}, syntaxError(why, line)
	}
	return e, nil
}

// parseDOSListLine is ParseDOSListLine on a line without its line end: the
// reason it is not one, or "", and no allocation when it is not.
func parseDOSListLine(line string) (ListEntry, string) {
	var buf [3]field
	f := fields(buf[:0], line, 3)
	if len(f) < 3 {
		return ListEntry{}, "not a DOS listing line"
	}
	d, t := f[0].s, f[1].s
	if (len(d) != 8 && len(d) != 10) || d[2] != '-' || d[5] != '-' || !allDigits(d[:2]) || !allDigits(d[3:5]) || !allDigits(d[6:]) {
		return ListEntry{}, "DOS listing line without a date"
	}
	if !inRange(d[:2], 1, 12) || !inRange(d[3:5], 1, 31) {
		return ListEntry{}, "DOS listing line with a bad date"
	}
	if len(t) != 7 || t[2] != ':' || !inRange(t[:2], 0, 12) || !inRange(t[3:5], 0, 59) || (!strings.EqualFold(t[5:], "AM") && !strings.EqualFold(t[5:], "PM")) {
		return ListEntry{}, "DOS listing line without a time"
	}
	e := ListEntry{Modified: d + " " + f[1].s}
	if strings.EqualFold(f[2].s, "<DIR>") {
		e.Type = EntryDir
	} else if n, ok := parseSize(f[2].s); ok {
		e.Type, e.Size, e.HasSize = EntryFile, n, true
	} else {
		return ListEntry{}, "DOS listing line without <DIR> or a size"
	}
	i := f[2].end
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i >= len(line) {
		return ListEntry{}, "DOS listing line without a name"
	}
	e.Name = line[i:]
	return e, ""
}

// ParseMLSDLine parses one line of MLSD output (RFC 3659 7): facts
// "name=value;" then one space and the name. type=cdir and type=pdir (the
// directory itself and its parent) are EntryDir entries named "." and ".."
// as the server wrote them.
func ParseMLSDLine(line string) (ListEntry, error) {
	line = trimLineEnd(line)
	sp := strings.IndexByte(line, ' ')
	if sp < 0 || sp+1 >= len(line) {
		return ListEntry{}, syntaxError("MLSD line without facts and a name", line)
	}
	e := ListEntry{Name: line[sp+1:]}
	facts := line[:sp]
	if facts != "" && !strings.HasSuffix(facts, ";") {
		return ListEntry{}, syntaxError("MLSD facts not ended by ';'", line)
	}
	for _, fact := range strings.Split(strings.TrimSuffix(facts, ";"), ";") {
		if fact == "" {
			continue
		}
		k, v, ok := strings.Cut(fact, "=")
		if !ok || k == "" {
			return ListEntry{}, syntaxError("MLSD fact without '='", line)
		}
		switch strings.ToLower(k) {
		case "type":
			switch lv := strings.ToLower(v); {
			case lv == "file":
				e.Type = EntryFile
			case lv == "dir" || lv == "cdir" || lv == "pdir":
				e.Type = EntryDir
			case strings.HasPrefix(lv, "os.unix=symlink") || strings.HasPrefix(lv, "os.unix=slink"):
				e.Type = EntryLink
			default:
				e.Type = EntryOther
			}
		case "size":
			n, ok := parseSize(v)
			if !ok {
				return ListEntry{}, syntaxError("MLSD size not a number", line)
			}
			e.Size, e.HasSize = n, true
		case "modify":
			e.Modified = v
		case "unix.mode":
			e.Mode = v
		}
	}
	return e, nil
}

// ParseListLine parses one line of a LIST reply, whose form the RFCs leave
// open: Unix ls -l or DOS. "total N" and blank lines give FormatUnknown
// and an error, like any line of neither form.
func ParseListLine(line string) (ListEntry, ListFormat, error) {
	line = trimLineEnd(line)
	e, f, why := matchListLine(line)
	if why != "" {
		return ListEntry{}, FormatUnknown, syntaxError(why, line)
	}
	return e, f, nil
}

// MatchListLine is ParseListLine for a caller that needs no reason: a line
// that is neither form costs no allocation (listings that are not text can
// have many such lines).
func MatchListLine(line string) (ListEntry, ListFormat, bool) {
	e, f, why := matchListLine(trimLineEnd(line))
	return e, f, why == ""
}

// matchListLine tries ls -l, then DOS, on a line without its line end; it
// gives the DOS parser's reason when neither fits, as ParseListLine always
// has.
func matchListLine(line string) (ListEntry, ListFormat, string) {
	if e, why := parseUnixListLine(line); why == "" {
		return e, FormatUnix, ""
	}
	e, why := parseDOSListLine(line)
	if why != "" {
		return ListEntry{}, FormatUnknown, why
	}
	return e, FormatDOS, ""
}
