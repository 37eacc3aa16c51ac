package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// cutWriter accepts limit bytes, then fails like a full disk. It records
// the size of every write.
type cutWriter struct {
	bytes.Buffer
	limit  int
	writes []int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	c.writes = append(c.writes, len(p))
	if c.Len()+len(p) > c.limit {
		return 0, errors.New("no space left on device")
	}
	return c.Buffer.Write(p)
}

// TestRecordWriterWritesWholeRecords: records go out only whole, in writes
// of at least max bytes (or at Flush), and a failing writer leaves whole
// records behind.
func TestRecordWriterWritesWholeRecords(t *testing.T) {
	out := &cutWriter{limit: 1 << 20}
	r := newRecordWriter(out, 100, true)
	for i := range 50 {
		rec := strings.Repeat("x", 10+i%37) + "\n"
		if _, err := r.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	for i, n := range out.writes[:len(out.writes)-1] {
		if n < 100 {
			t.Errorf("write %d of %d bytes before the end, want at least 100", i, n)
		}
	}
	for _, line := range strings.SplitAfter(out.String(), "\n") {
		if line != "" && !strings.HasSuffix(line, "\n") {
			t.Errorf("partial record %q", line)
		}
	}

	// A table-like writer: pieces of a record, ended by Flush.
	full := &cutWriter{limit: 40}
	r = newRecordWriter(full, 1000, false)
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		r.Write([]byte("session "))
		r.Write([]byte("line\n"))
		r.Write([]byte("more\n"))
		err = r.Flush()
	}
	if err == nil {
		t.Fatal("no error from a full writer")
	}
	if got := full.String(); got != strings.Repeat("session line\nmore\n", 2) {
		t.Errorf("full writer holds %q, want two whole records", got)
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Error("writes after an error succeed")
	}
}
