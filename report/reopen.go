package report

import "errors"

// Reopener is a Writer with files of its own that it can close and open
// again under the same names: what SIGHUP asks for once logrotate has moved
// the files away. Writers that wrap another forward the call.
type Reopener interface {
	// Reopen finishes every file written so far (a Zeek log gets its
	// #close) and makes the next record open the file again, anew.
	Reopen() error
}

// Reopen reopens w's files when it has any (a Reopener), and does nothing
// otherwise: standard output and the one-document HTML report stay as they
// are.
func Reopen(w Writer) error {
	if r, ok := w.(Reopener); ok {
		return r.Reopen()
	}
	return nil
}

// Reopen implements Reopener: the Zeek logs are closed, each opened again
// (with its header) by its next row, then inner's files are reopened.
func (z *zeekWriter) Reopen() error {
	err := errors.Join(z.ftp.reopen(), z.files.reopen(), z.note.reopen())
	return errors.Join(err, Reopen(z.inner))
}

// reopen closes the log, if open, at its last row's time; the next row
// opens it again.
func (l *zeekLog) reopen() error {
	if l.f == nil {
		return l.err
	}
	return l.close(l.last)
}

// Reopen implements Reopener.
func (l *ladderWriter) Reopen() error { return Reopen(l.inner) }

// Reopen implements Reopener.
func (fw *firewallWriter) Reopen() error { return Reopen(fw.inner) }

// Reopen implements Reopener: every writer's files are reopened, even
// after one failed; the first error is returned.
func (t tee) Reopen() error {
	var first error
	for _, w := range t {
		if err := Reopen(w); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Reopen implements Reopener: the sessions handed over before it are
// written to the old files first.
func (b *background) Reopen() error {
	if err := b.wait(); err != nil {
		return err
	}
	return Reopen(b.inner)
}
