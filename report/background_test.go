package report

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// slowWriter is a Memory that fails its n-th session write (0: never) and
// records the order of every call, so that a test sees what ran when.
type slowWriter struct {
	Memory
	mu     sync.Mutex
	failAt int
	calls  []string
}

func (w *slowWriter) Session(s *analysis.Session) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, "session "+s.User)
	if w.failAt > 0 && len(w.Sessions)+1 == w.failAt {
		return errors.New("disk full")
	}
	return w.Memory.Session(s)
}

func (w *slowWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, "flush")
	return w.Memory.Flush()
}

func (w *slowWriter) Close(sum Summary) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, "close")
	return w.Memory.Close(sum)
}

// TestBackgroundOrder: sessions come out in the order they went in, more
// of them than the queue holds; Flush and Close come after every session
// handed over before them; Close closes the inner writer once.
func TestBackgroundOrder(t *testing.T) {
	inner := &slowWriter{}
	b := Background(inner)
	names := []string{}
	for i := range 3 * BackgroundDepth {
		s := &analysis.Session{User: strconv.Itoa(i)}
		names = append(names, s.User)
		if err := b.Session(s); err != nil {
			t.Fatal(err)
		}
		if i == BackgroundDepth {
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := len(inner.Sessions); got != i+1 {
				t.Fatalf("Flush returned with %d of %d sessions written", got, i+1)
			}
		}
	}
	if err := b.Channel(nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(Summary{Interrupted: true}); err != nil {
		t.Fatal(err)
	}
	if !inner.Closed || !inner.Summary.Interrupted || len(inner.Channels) != 0 {
		t.Fatalf("inner closed %v with %+v, channels %d", inner.Closed, inner.Summary, len(inner.Channels))
	}
	if len(inner.Sessions) != len(names) {
		t.Fatalf("%d sessions written, want %d", len(inner.Sessions), len(names))
	}
	for i, s := range inner.Sessions {
		if s.User != names[i] {
			t.Fatalf("session %d is %q, want %q", i, s.User, names[i])
		}
	}
	if last := inner.calls[len(inner.calls)-1]; last != "close" || inner.calls[BackgroundDepth+1] != "flush" {
		t.Fatalf("calls out of order: %v ... %v", inner.calls[BackgroundDepth+1], last)
	}
}

// TestBackgroundError: a failed write is returned by a later call, nothing
// after it is written, and Close returns it without closing the inner
// writer (as Run does with a write error).
func TestBackgroundError(t *testing.T) {
	inner := &slowWriter{failAt: 3}
	b := Background(inner)
	var err error
	for i := 0; i < 10*BackgroundDepth && err == nil; i++ {
		err = b.Session(&analysis.Session{User: strconv.Itoa(i)})
	}
	if ferr := b.Flush(); ferr == nil || ferr.Error() != "disk full" {
		t.Fatalf("Flush after a failed write: %v", ferr)
	}
	if cerr := b.Close(Summary{}); cerr == nil || cerr.Error() != "disk full" {
		t.Fatalf("Close after a failed write: %v", cerr)
	}
	if inner.Closed || len(inner.Sessions) != 2 {
		t.Fatalf("inner closed %v after %d sessions, want open after 2", inner.Closed, len(inner.Sessions))
	}
}

// TestBackgroundWeight: sessions with many channels never queue more than
// BackgroundWeight parts: a session that would pass it waits for the queue
// to empty first, and one heavier than the bound alone still goes through.
func TestBackgroundWeight(t *testing.T) {
	inner := &gateWriter{release: make(chan struct{})}
	b := Background(inner).(*background)
	heavy := func(n int) *analysis.Session {
		return &analysis.Session{Channels: make([]*analysis.Channel, n)}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 {
			if err := b.Session(heavy(BackgroundWeight/2 - 1)); err != nil { // weight BackgroundWeight/2
				t.Error(err)
			}
		}
		if err := b.Session(heavy(3 * BackgroundWeight)); err != nil {
			t.Error(err)
		}
	}()
	// The writer is held: the first two sessions fit, the third waits.
	deadline := time.Now().Add(5 * time.Second)
	for b.queued.Load() < BackgroundWeight && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the third call, were it not held, would be queued by now
	if q := b.queued.Load(); q != BackgroundWeight {
		t.Fatalf("%d parts queued, want exactly the bound %d (two sessions; the third waiting)", q, BackgroundWeight)
	}
	close(inner.release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Session still blocked after the writer was released")
	}
	if err := b.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	if inner.n != 4 || b.queued.Load() != 0 {
		t.Fatalf("%d sessions written, %d parts left queued", inner.n, b.queued.Load())
	}
}

// gateWriter holds every Session call until release is closed.
type gateWriter struct {
	Memory
	release chan struct{}
	n       int
}

func (g *gateWriter) Session(s *analysis.Session) error {
	<-g.release
	g.n++
	return nil
}
