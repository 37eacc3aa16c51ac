package report

import "io"

// recordWriter buffers output and writes it only in whole records, one or
// more per Write to w and never one across two, so that whatever stops the
// program between two writes (a kill, a reader that went away) the output
// ends with a whole record: a JSON line, a CSV row, a session's table. A
// write that fails half way on a regular file is cut back by
// CutBackOnError; a kill in the middle of one large write into a pipe
// cannot be helped (the README says so). Records are what Flush ends or, with
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

// appendRecord appends one whole record, which add writes at the end of
// the buffer it is given, as Write does with each set: the JSON writer
// builds its records in place instead of in a buffer of its own.
func (r *recordWriter) appendRecord(add func([]byte) []byte) error {
	if r.err != nil {
		return r.err
	}
	r.buf = add(r.buf)
	r.whole = len(r.buf)
	if r.whole >= r.max {
		return r.out()
	}
	return nil
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
