// Package correlate joins what several capture points saw of the same
// traffic: each point's sessions come from its own run of the engine, and
// correlate matches the control connections across points (through NAT and
// FTP helpers, which rewrite addresses and announcements), estimates how far
// apart the points' clocks are, follows every data connection along the
// path and says between which two points it was lost, and lists what was
// rewritten between them. It decides; report writes the words.
package correlate

import (
	"github.com/ftpscope/ftpscope/analysis"
)

// Defaults for StoreConfig.
const (
	DefaultMaxSessions = 100000
	DefaultMaxBytes    = 256 << 20
)

// StoreConfig bounds one point's store: the sessions held until every point
// is read.
type StoreConfig struct {
	// MaxSessions caps the sessions held (default DefaultMaxSessions).
	MaxSessions int
	// MaxBytes caps their estimated size (default DefaultMaxBytes).
	MaxBytes int64
}

// Store holds one capture point's sessions until the join, within its
// limits: past them the oldest session goes, counted, and is handed back to
// the caller to be reported alone.
type Store struct {
	// Name is the point's name, Files its capture files.
	Name  string
	Files []string
	cfg   StoreConfig
	// sessions is a queue: head is the oldest still held.
	sessions []*analysis.Session
	head     int
	bytes    int64
	// Evicted counts the sessions that left the store to stay within its
	// limits, EvictedBytes their estimated size.
	Evicted      int
	EvictedBytes int64
}

// NewStore returns an empty store for the point.
func NewStore(name string, files []string, cfg StoreConfig) *Store {
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	return &Store{Name: name, Files: files, cfg: cfg}
}

// Add keeps s. It returns the sessions evicted to make room (the oldest
// first), which the caller reports unjoined.
func (st *Store) Add(s *analysis.Session) []*analysis.Session {
	st.sessions = append(st.sessions, s)
	st.bytes += Cost(s)
	var out []*analysis.Session
	for st.Len() > st.cfg.MaxSessions || (st.bytes > st.cfg.MaxBytes && st.Len() > 1) {
		old := st.sessions[st.head]
		st.sessions[st.head] = nil
		st.head++
		c := Cost(old)
		st.bytes -= c
		st.Evicted++
		st.EvictedBytes += c
		out = append(out, old)
	}
	if st.head > len(st.sessions)/2 && st.head > 64 {
		// Compact the queue so that what was evicted is freed.
		st.sessions = append([]*analysis.Session(nil), st.sessions[st.head:]...)
		st.head = 0
	}
	return out
}

// Release lets go of every session held (after the join, which keeps
// its own references): the counters stay.
func (st *Store) Release() {
	st.sessions, st.head = nil, 0
}

// Len is the number of sessions held.
func (st *Store) Len() int { return len(st.sessions) - st.head }

// Bytes is the estimated size of the sessions held.
func (st *Store) Bytes() int64 { return st.bytes }

// Limits returns the store's limits, defaults applied.
func (st *Store) Limits() StoreConfig { return st.cfg }

// Sessions returns the sessions held, oldest first.
func (st *Store) Sessions() []*analysis.Session { return st.sessions[st.head:] }

// Cost estimates what a session and what it holds occupy: the session, its
// channels and their attempts, its transcript, notes and command log. An
// estimate from what is stored, so that the limit is deterministic; its
// constants are the structs' sizes with the allocator's rounding and the
// slices' spare capacity, checked against the heap on a 30000-session
// capture (ftpsynth --sessions 30000 --seed 6: 509 MiB live at the join,
// for two points).
func Cost(s *analysis.Session) int64 {
	n := int64(640 + str(s.User) + str(s.Password) + str(s.Greeting))
	for _, c := range s.Channels {
		n += 512 + str(c.Command) + str(c.Argument) + str(c.ReplyText) + 16*int64(len(c.Replies))
		n += 320 * int64(len(c.Attempts))
		if c.Transfer != nil {
			n += 512
		}
	}
	// Slices grow by doubling: a third of their room is spare, on average.
	var ex int64
	for _, e := range s.Exchanges {
		ex += 48*3/2 + str(e.Text)
	}
	n += ex + 192*int64(len(s.Notes))
	if au := s.Audit; au != nil {
		n += 256 + 128*int64(len(au.Login.Attempts))
		for _, c := range au.Commands {
			n += 128 + str(c.Arg) + str(c.ReplyText)
		}
	}
	return n
}

// str is what a string's bytes take on the heap: the allocator rounds
// small allocations up to 16 bytes.
func str(s string) int64 {
	if s == "" {
		return 0
	}
	return int64((len(s) + 15) &^ 15)
}
