package report

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Zeek's log formats: the ASCII writer's TSV (the default of every Zeek
// install, what Security Onion, Malcolm and Filebeat's Zeek module read)
// and its JSON form (LogAscii::use_json). A zeekLog is one log file in a
// directory; the rows are typed values, written as Zeek writes them.

// zeekKind is a column's Zeek type.
type zeekKind uint8

const (
	zString zeekKind = iota
	zTime
	zAddr
	zPort
	zCount
	zBool
	zEnum
	zInterval
	zDouble
	zSetEnum
	zSetString
)

var zeekTypeNames = [...]string{"string", "time", "addr", "port", "count", "bool", "enum", "interval", "double", "set[enum]", "set[string]"}

// zeekField is one column of a log: its name in #fields and its type.
type zeekField struct {
	name string
	kind zeekKind
}

// zv is one value of a row: unset, or set with the member its kind uses.
type zv struct {
	set  bool
	s    string
	n    uint64
	t    time.Time
	f    float64
	b    bool
	list []string
}

func zStr(s string) zv        { return zv{set: true, s: s} }
func zNum(n uint64) zv        { return zv{set: true, n: n} }
func zAt(t time.Time) zv      { return zv{set: true, t: t} }
func zFlag(b bool) zv         { return zv{set: true, b: b} }
func zFloat(f float64) zv     { return zv{set: true, f: f} }
func zList(l ...string) zv    { return zv{set: true, list: l} }
func zAddrOf(a netip.Addr) zv { return zStr(a.String()) }
func zOptStr(s string, ok bool) zv {
	if !ok {
		return zv{}
	}
	return zStr(s)
}

// zeekLog is one log file under the --zeek-logs directory. It is created
// at its first row, as Zeek creates a log only once something is written.
type zeekLog struct {
	path   string // "ftp", "notice": the file is path + ".log"
	fields []zeekField
	json   bool
	root   *os.Root
	f      *os.File
	w      *bufio.Writer
	last   time.Time // the latest row time, for #close
	buf    []byte
	err    error
}

// zeekTimeFormat is the form of #open and #close (Zeek's "%Y-%m-%d-%H-%M-%S").
const zeekTimeFormat = "2006-01-02-15-04-05"

// row writes one row, opening the file first when it is the first.
func (l *zeekLog) row(vals []zv, at time.Time) error {
	if l.err != nil {
		return l.err
	}
	if len(vals) != len(l.fields) {
		return fmt.Errorf("zeek %s log: %d values for %d fields", l.path, len(vals), len(l.fields))
	}
	if l.f == nil {
		if l.err = l.open(at); l.err != nil {
			return l.err
		}
	}
	if at.After(l.last) {
		l.last = at
	}
	b := l.buf[:0]
	if l.json {
		b = l.appendJSONRow(b, vals)
	} else {
		b = l.appendTSVRow(b, vals)
	}
	l.buf = b
	if _, err := l.w.Write(b); err != nil {
		l.err = fmt.Errorf("zeek %s log: %w", l.path, err)
	}
	return l.err
}

// open creates the file inside the directory (os.Root: the fixed name can
// never reach outside it, not even through a symbolic link planted there)
// and writes the header; the #open time is the capture time of the first
// row, so the same capture gives the same file.
func (l *zeekLog) open(at time.Time) error {
	f, err := l.root.OpenFile(l.path+".log", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("zeek %s log: %w", l.path, err)
	}
	l.f, l.w, l.last = f, bufio.NewWriterSize(f, 64<<10), at
	if l.json {
		return nil // Zeek's JSON logs have no header
	}
	var h strings.Builder
	h.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n")
	fmt.Fprintf(&h, "#path\t%s\n#open\t%s\n#fields", l.path, at.UTC().Format(zeekTimeFormat))
	for _, f := range l.fields {
		h.WriteString("\t" + f.name)
	}
	h.WriteString("\n#types")
	for _, f := range l.fields {
		h.WriteString("\t" + zeekTypeNames[f.kind])
	}
	h.WriteString("\n")
	if _, err := l.w.WriteString(h.String()); err != nil {
		return fmt.Errorf("zeek %s log: %w", l.path, err)
	}
	return nil
}

// flush pushes the rows written so far to the file.
func (l *zeekLog) flush() error {
	if l.err != nil || l.w == nil {
		return l.err
	}
	if err := l.w.Flush(); err != nil {
		l.err = fmt.Errorf("zeek %s log: %w", l.path, err)
	}
	return l.err
}

// close writes #close (at the end of the capture, or the last row) and
// closes the file.
func (l *zeekLog) close(end time.Time) error {
	if l.f == nil {
		return l.err
	}
	if end.Before(l.last) {
		end = l.last
	}
	if l.err == nil && !l.json {
		if _, err := fmt.Fprintf(l.w, "#close\t%s\n", end.UTC().Format(zeekTimeFormat)); err != nil {
			l.err = fmt.Errorf("zeek %s log: %w", l.path, err)
		}
	}
	err := errors.Join(l.flush(), l.f.Close())
	l.f = nil
	if err != nil {
		return fmt.Errorf("zeek %s log: %w", l.path, err)
	}
	return nil
}

func (l *zeekLog) appendTSVRow(b []byte, vals []zv) []byte {
	for i, v := range vals {
		if i > 0 {
			b = append(b, '\t')
		}
		b = appendZeekTSV(b, l.fields[i].kind, v)
	}
	return append(b, '\n')
}

// appendZeekTSV writes one value as Zeek's ASCII writer does: "-" when
// unset, "(empty)" for an empty string or set, times and intervals with six
// decimals, bools as T and F, set members joined with ",".
func appendZeekTSV(b []byte, k zeekKind, v zv) []byte {
	if !v.set {
		return append(b, '-')
	}
	switch k {
	case zTime:
		return appendEpoch(b, v.t)
	case zPort, zCount:
		return strconv.AppendUint(b, v.n, 10)
	case zBool:
		if v.b {
			return append(b, 'T')
		}
		return append(b, 'F')
	case zInterval, zDouble:
		return strconv.AppendFloat(b, v.f, 'f', 6, 64)
	case zSetEnum, zSetString:
		if len(v.list) == 0 {
			return append(b, "(empty)"...)
		}
		for i, m := range v.list {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendZeekString(b, m, true)
		}
		return b
	}
	return appendZeekString(b, v.s, false)
}

// appendZeekString writes one string value or set member: "(empty)" when
// empty; a string that reads as the unset or the empty mark has its first
// byte escaped, as Zeek does, so no reader takes it for one.
func appendZeekString(b []byte, s string, inSet bool) []byte {
	switch s {
	case "":
		return append(b, "(empty)"...)
	case "-", "(empty)":
		return appendZeekEscaped(appendByteEscape(b, s[0]), s[1:], inSet)
	}
	return appendZeekEscaped(b, s, inSet)
}

// appendEpoch writes a time as seconds since the epoch with six decimals.
func appendEpoch(b []byte, t time.Time) []byte {
	us := t.UnixMicro()
	b = strconv.AppendInt(b, us/1e6, 10)
	frac := us % 1e6
	if frac < 0 {
		frac = -frac
	}
	s := strconv.FormatInt(frac+1e6, 10) // 1NNNNNN: the six digits with their leading zeros
	return append(append(b, '.'), s[1:]...)
}

// appendZeekEscaped writes wire text as Zeek's ASCII writer escapes it:
// the separator, every other control character, DEL, a backslash and each
// byte that is not UTF-8 as \xNN; inside a set, the set separator too.
// Valid UTF-8 passes (LogAscii::enable_utf_8), except the C1 and
// bidirectional controls, whose bytes are written \xNN as well so that no
// log viewer reorders or hides what follows. Every escape decodes back to
// the wire's bytes.
func appendZeekEscaped(b []byte, s string, inSet bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == '\\' || inSet && c == ',' {
				b = appendByteEscape(b, c)
			} else {
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || hidden(r) {
			for j := 0; j < n; j++ {
				b = appendByteEscape(b, s[i+j])
			}
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// appendJSONRow writes a row as Zeek's JSON writer does: one object per
// line, the column names as keys ("id.orig_h"), unset values left out,
// times as epoch seconds, ports and counts as numbers, sets as arrays.
func (l *zeekLog) appendJSONRow(b []byte, vals []zv) []byte {
	b = append(b, '{')
	first := true
	for i, v := range vals {
		if !v.set {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		f := l.fields[i]
		b = appendJSONString(b, f.name)
		b = append(b, ':')
		switch f.kind {
		case zTime:
			b = appendEpoch(b, v.t)
		case zPort, zCount:
			b = strconv.AppendUint(b, v.n, 10)
		case zBool:
			b = strconv.AppendBool(b, v.b)
		case zInterval, zDouble:
			b = strconv.AppendFloat(b, v.f, 'f', 6, 64)
		case zSetEnum, zSetString:
			b = appendJSONStrings(b, append([]string{}, v.list...))
		default:
			b = appendJSONString(b, v.s)
		}
	}
	return append(b, "}\n"...)
}
