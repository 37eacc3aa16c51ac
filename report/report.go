// Package report renders analysis results: JSON Lines (a public contract:
// fields are added, never renamed or dropped), readable tables and CSV. A new
// format is one small file implementing Writer.
package report

import (
	"fmt"
	"io"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/flowid"
	"github.com/ftpscope/ftpscope/reassembly"
)

// Writer renders results as they become final. Session is called once per
// session (after all its channels are final), Channel once per channel when
// streaming (live capture), Close once at the end with the totals.
type Writer interface {
	// Session writes a session once it is over and judged.
	Session(s *analysis.Session) error
	// Channel is told of each channel as soon as its verdict is final
	// (written only when Options.Stream asks for it).
	Channel(s *analysis.Session, c *analysis.Channel) error
	// Notice is told of each notice as it is raised, its session still
	// open. With Options.Stream the JSON and Zeek writers write it then
	// (and not again after the session); otherwise every notice is written
	// after the record of its session.
	Notice(s *analysis.Session, n *analysis.Notice) error
	// Flush pushes every whole record written so far out to the
	// destination: live capture flushes after each session, so that what
	// is read as it comes is not held back by a buffer.
	Flush() error
	// Close writes the totals and flushes.
	Close(sum Summary) error
}

// Format names an output format.
type Format string

// The output formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	CSV   Format = "csv"
)

// Formats lists the formats New accepts.
var Formats = []Format{Table, JSON, CSV}

// Options tunes rendering.
type Options struct {
	// Stream prints each channel as soon as its verdict is final (live capture).
	Stream bool
	// Verbose adds every channel's reason and the session notes to tables.
	Verbose bool
	// Points is the join of a run over several capture points (--point),
	// nil otherwise.
	Points *Points
}

// New returns a Writer for format f writing to w.
func New(f Format, w io.Writer, o Options) (Writer, error) {
	switch f {
	case Table:
		return newTable(w, o), nil
	case JSON:
		return newJSON(w, o), nil
	case CSV:
		return newCSV(w, o), nil
	}
	return nil, fmt.Errorf("unknown format %q (want table, json or csv)", f)
}

// Summary is what the run learned in total.
type Summary struct {
	Capture    capture.Stats
	Reassembly reassembly.Stats
	Analysis   analysis.Stats
	// Interrupted is true when the run was stopped by a signal.
	Interrupted bool
	// OpenSessions is the number of sessions held when the summary was
	// taken: 0 at the end of a run, when every session is judged.
	OpenSessions int
	// Points is what a run over several capture points adds (nil
	// otherwise); the fields above are then the first point's.
	Points *PointsSummary
	// Shard is the share of the control connections the run followed
	// (--shard; the zero Shard for all of them), OtherShard the packets on
	// a control port it left to the other shards' runs.
	Shard      flowid.Shard
	OtherShard uint64
}

// Sessions is the number of sessions reported.
func (s Summary) Sessions() uint64 { return s.Analysis.Sessions }

// stamp formats a capture time for every output: RFC 3339 in UTC.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// modes lists a session's modes as words.
func modes(s *analysis.Session) []string {
	out := []string{}
	for _, m := range s.Modes() {
		out = append(out, m.String())
	}
	return out
}
