package report

import (
	"sync/atomic"

	"github.com/ftpscope/ftpscope/analysis"
)

// BackgroundDepth is how many sessions Background holds between the
// analysis and the rendering, and BackgroundWeight how many of their parts
// (the session, each of its channels, notes and logged commands) at most:
// every part is bounded in bytes by the analysis limits (strings are cut at
// analysis.StoredMax), so the queue holds a few MiB at most even when
// every session is as large as --max-channels allows. The analysis has
// stopped counting a session in its memory budget when it hands it over, so
// this bound is the queue's own. A handful of sessions is enough to keep
// both goroutines busy.
const (
	BackgroundDepth  = 64
	BackgroundWeight = 8192
)

// Background returns a Writer that renders and writes sessions on a
// goroutine of its own while the caller goes on analysing: on a capture with
// many short sessions, rendering a record (its sentences, addresses and
// times as text) is about a quarter of the work, and a second core can do it.
// The output is the same, in the same order: sessions are rendered in the
// order they were handed over, and Flush and Close first wait for every
// session handed over before them.
//
// A session must not change once handed to Session (the analysis hands over
// only sessions it has let go of). Background is for writers made without
// Options.Stream, whose Channel writes nothing: its own Channel does nothing
// either, since the session it names is still being analysed. A write error
// is returned by the calls that follow it.
func Background(w Writer) Writer {
	b := &background{inner: w, queue: make(chan bgItem, BackgroundDepth), exited: make(chan struct{})}
	go b.run()
	return b
}

type background struct {
	inner  Writer
	queue  chan bgItem
	exited chan struct{}
	// err is the first write error of the goroutine; failed says it is set
	// (an atomic store after the write, so that the caller may read err
	// once failed reads true).
	err    error
	failed atomic.Bool
	closed bool
	// queued is the weight of the sessions handed over and not yet written.
	queued atomic.Int64
}

// bgItem is a session to write, or (ack non-nil) a request to say when
// every session before it is written.
type bgItem struct {
	s      *analysis.Session
	weight int64
	ack    chan struct{}
}

// weight is what a session counts for against BackgroundWeight.
func weight(s *analysis.Session) int64 {
	w := 1 + len(s.Channels) + len(s.Notes)
	if s.Audit != nil {
		w += len(s.Audit.Commands)
	}
	return int64(w)
}

func (b *background) run() {
	defer close(b.exited)
	for it := range b.queue {
		if it.ack != nil {
			close(it.ack)
			continue
		}
		if b.err == nil {
			if err := b.inner.Session(it.s); err != nil {
				b.err = err
				b.failed.Store(true)
			}
		}
		b.queued.Add(-it.weight)
	}
}

// wait returns once every session handed over so far is written; the
// goroutine then waits for the next item, so the caller may use inner.
func (b *background) wait() error {
	ack := make(chan struct{})
	b.queue <- bgItem{ack: ack}
	<-ack
	return b.err
}

// Session implements Writer: it queues s and returns at once, with the
// error of a write before it if one failed. When the queue holds
// BackgroundWeight already, it first waits for the queue to empty.
func (b *background) Session(s *analysis.Session) error {
	if b.failed.Load() {
		return b.err
	}
	w := weight(s)
	if q := b.queued.Load(); q > 0 && q+w > BackgroundWeight {
		if err := b.wait(); err != nil {
			return err
		}
	}
	b.queued.Add(w)
	b.queue <- bgItem{s: s, weight: w}
	return nil
}

// Notice implements Writer: without Options.Stream (the background writer
// serves capture files) every notice is written after its session.
func (b *background) Notice(*analysis.Session, *analysis.Notice) error {
	if b.failed.Load() {
		return b.err
	}
	return nil
}

// Channel implements Writer: without Options.Stream no writer writes
// anything for a channel on its own.
func (b *background) Channel(*analysis.Session, *analysis.Channel) error {
	if b.failed.Load() {
		return b.err
	}
	return nil
}

// Flush implements Writer.
func (b *background) Flush() error {
	if err := b.wait(); err != nil {
		return err
	}
	return b.inner.Flush()
}

// Close implements Writer: it writes what is queued, stops the goroutine
// and closes the inner writer.
func (b *background) Close(sum Summary) error {
	if !b.closed {
		b.closed = true
		close(b.queue)
		<-b.exited
	}
	if b.err != nil {
		return b.err
	}
	return b.inner.Close(sum)
}
