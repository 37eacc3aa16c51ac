package report

import "io"

// recordWriter buffers output and writes it only in whole records, so that
// whatever stops the program (a kill, a full disk, a reader that went away)
// the output it leaves ends with a whole record, never half of one: a JSON
// line, a CSV row, a session's table. Records are what Flush ends or, with
// each set, every single Write (json.Encoder.Encode writes one record in one
// call). Memory is the largest record plus max.
type recordWriter struct {
	w     io.Writer
	buf   []byte
	whole int // bytes of buf that are whole records
	max   int
	each  bool
	err   error
}

func newRecordWriter(w io.Writer, max int, each bool) *recordWriter {
	return &recordWriter{w: w, buf: make([]byte, 0, max), max: max, each: each}
}

// Write buffers p, which is a whole record when each is set (and then goes
// out with the others once max bytes are waiting).
func (r *recordWriter) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	r.buf = append(r.buf, p...)
	if r.each {
		r.whole = len(r.buf)
		if r.whole >= r.max {
			if err := r.out(); err != nil {
				return 0, err
			}
		}
	}
	return len(p), nil
}

// Flush ends the record under way and writes every whole record out.
func (r *recordWriter) Flush() error {
	r.whole = len(r.buf)
	return r.out()
}

func (r *recordWriter) out() error {
	if r.err != nil {
		return r.err
	}
	if r.whole == 0 {
		return nil
	}
	_, err := r.w.Write(r.buf[:r.whole])
	n := copy(r.buf, r.buf[r.whole:])
	r.buf, r.whole, r.err = r.buf[:n], 0, err
	return err
}
