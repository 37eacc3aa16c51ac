package report

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// sizedFile is a regular file with a size limit, as RLIMIT_FSIZE or a full
// disk makes one: a write that crosses the limit stores the bytes up to it
// and fails. ends records where every whole Write ended.
type sizedFile struct {
	data  []byte
	limit int
	ends  []int
}

var errTooLarge = errors.New("file too large")

func (f *sizedFile) Write(p []byte) (int, error) {
	if room := f.limit - len(f.data); len(p) > room {
		f.data = append(f.data, p[:room]...)
		return room, errTooLarge
	}
	f.data = append(f.data, p...)
	f.ends = append(f.ends, len(f.data))
	return len(p), nil
}

func (f *sizedFile) Stat() (os.FileInfo, error) { return sizedInfo(len(f.data)), nil }

func (f *sizedFile) Truncate(n int64) error {
	f.data = f.data[:n]
	return nil
}

type sizedInfo int64

func (s sizedInfo) Name() string       { return "out" }
func (s sizedInfo) Size() int64        { return int64(s) }
func (s sizedInfo) Mode() os.FileMode  { return 0o644 }
func (s sizedInfo) ModTime() time.Time { return time.Time{} }
func (s sizedInfo) IsDir() bool        { return false }
func (s sizedInfo) Sys() any           { return nil }

// recordSessions are sessions of varied sizes: a few channels, notes and a
// long argument each.
func recordSessions() []*analysis.Session {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var out []*analysis.Session
	for i := range 40 {
		s := &analysis.Session{
			Client: netip.MustParseAddrPort(fmt.Sprintf("192.0.2.%d:4%04d", i%200+1, i)),
			Server: netip.MustParseAddrPort("198.51.100.21:21"),
			Start:  t0.Add(time.Duration(i) * time.Second), End: t0.Add(time.Duration(i)*time.Second + 900*time.Millisecond),
			User: fmt.Sprintf("user%d", i), Closed: "fin",
		}
		for j := range i % 5 {
			s.Channels = append(s.Channels, &analysis.Channel{
				Method: analysis.PASV, Time: s.Start.Add(time.Duration(j) * time.Millisecond),
				Announced: netip.MustParseAddrPort(fmt.Sprintf("198.51.100.21:%d", 50000+j)),
				Alternate: netip.MustParseAddrPort(fmt.Sprintf("198.51.100.21:%d", 50000+j)),
				Command:   "RETR", Argument: strings.Repeat("f", 10+i*j*7),
				Verdict: analysis.Dropped, Blocked: true,
			})
		}
		for j := range i % 3 {
			s.Notes = append(s.Notes, analysis.Note{Time: s.Start, Kind: analysis.NoteProtocol, What: analysis.NoteNotCommand, Wire: fmt.Sprintf("note %d of session %d", j, i)})
		}
		out = append(out, s)
	}
	return out
}

var recordFormats = []struct {
	name string
	make func(w *sizedFile) Writer
}{
	{"table", func(f *sizedFile) Writer { return mustNew(Table, TerminalSafe(CutBackOnError(f))) }},
	{"json", func(f *sizedFile) Writer { return mustNew(JSON, CutBackOnError(f)) }},
	{"csv", func(f *sizedFile) Writer { return mustNew(CSV, CutBackOnError(f)) }},
	{"ladder", func(f *sizedFile) Writer {
		w := TerminalSafe(CutBackOnError(f))
		return WithLadder(mustNew(Table, w), w)
	}},
	{"firewall table", func(f *sizedFile) Writer {
		w := TerminalSafe(CutBackOnError(f))
		fw, _ := WithFirewall(mustNew(Table, w), Table, w, true)
		return fw
	}},
	{"firewall json", func(f *sizedFile) Writer {
		w := CutBackOnError(f)
		fw, _ := WithFirewall(mustNew(JSON, w), JSON, w, true)
		return fw
	}},
}

func mustNew(f Format, w interface{ Write([]byte) (int, error) }) Writer {
	out, err := New(f, w, Options{Verbose: true})
	if err != nil {
		panic(err)
	}
	return out
}

func writeAll(w Writer, sessions []*analysis.Session) error {
	for _, s := range sessions {
		if err := w.Session(s); err != nil {
			return err
		}
	}
	return w.Close(Summary{})
}

// TestCutBackOnError: a file that hits its size limit in the middle of a
// record (EFBIG, like a full disk) is cut back to the end of its last whole
// record, whatever the format and wherever the limit falls (issue 12 item
// 12). The whole records are those the unlimited run wrote, Write by Write.
func TestCutBackOnError(t *testing.T) {
	sessions := recordSessions()
	for _, f := range recordFormats {
		full := &sizedFile{limit: 1 << 30}
		if err := writeAll(f.make(full), sessions); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		ends := append([]int{0}, full.ends...)
		for limit := 1; limit < len(full.data); limit += 1 + len(full.data)/97 {
			cut := &sizedFile{limit: limit}
			err := writeAll(f.make(cut), sessions)
			if !errors.Is(err, errTooLarge) {
				t.Fatalf("%s, limit %d: error %v, want %v", f.name, limit, err, errTooLarge)
			}
			if !slices.Contains(ends, len(cut.data)) || string(cut.data) != string(full.data[:len(cut.data)]) {
				t.Fatalf("%s, limit %d: the file keeps %d bytes, not whole records (they end at %v); it ends %q",
					f.name, limit, len(cut.data), ends[:min(len(ends), 12)], cut.data[max(0, len(cut.data)-60):])
			}
		}
	}
}
