package report

import "github.com/ftpscope/ftpscope/analysis"

// Memory is a Writer that keeps what it is given instead of rendering it:
// the sessions in the order they were written, the channel verdicts as they
// became final, and the totals. Tests, and programs that use the engine as
// a library, read its fields after the run.
type Memory struct {
	// Sessions are the sessions written, in order.
	Sessions []*analysis.Session
	// Channels are the channels whose verdicts became final, in order.
	Channels []*analysis.Channel
	// Notices are copies of the notices as they were raised, in order.
	Notices []analysis.Notice
	// Summary is what Close was given; Closed says it was called.
	Summary Summary
	Closed  bool
	// Flushes counts calls to Flush.
	Flushes int
}

// Session implements Writer.
func (m *Memory) Session(s *analysis.Session) error {
	m.Sessions = append(m.Sessions, s)
	return nil
}

// Channel implements Writer.
func (m *Memory) Channel(_ *analysis.Session, c *analysis.Channel) error {
	m.Channels = append(m.Channels, c)
	return nil
}

// Notice implements Writer.
func (m *Memory) Notice(_ *analysis.Session, n *analysis.Notice) error {
	m.Notices = append(m.Notices, *n)
	return nil
}

// Flush implements Writer.
func (m *Memory) Flush() error {
	m.Flushes++
	return nil
}

// Close implements Writer.
func (m *Memory) Close(sum Summary) error {
	m.Summary, m.Closed = sum, true
	return nil
}
