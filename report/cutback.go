package report

import (
	"io"
	"os"
)

// file is what CutBackOnError needs of an *os.File.
type file interface {
	io.Writer
	Stat() (os.FileInfo, error)
	Truncate(size int64) error
}

// CutBackOnError returns w, or, when w is a regular file, a writer that
// cuts the file back to its size before a Write that failed (a full disk,
// the file size limit, a quota): the part of that Write which got in is
// removed. Every writer of this package hands its destination whole
// records, one or more per Write, so the file then ends with a whole
// record. Pipes, terminals and sockets cannot be cut back and are returned
// as they are.
func CutBackOnError(w io.Writer) io.Writer {
	f, ok := w.(file)
	if !ok {
		return w
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return w
	}
	return &cutBack{f: f}
}

type cutBack struct{ f file }

func (c *cutBack) Write(p []byte) (int, error) {
	// The size, not the offset: with O_APPEND (a shell's >>) a write goes
	// to the end whatever the offset says.
	fi, serr := c.f.Stat()
	n, err := c.f.Write(p)
	if err != nil && n > 0 && serr == nil {
		if terr := c.f.Truncate(fi.Size()); terr == nil {
			n = 0
		}
	}
	return n, err
}
