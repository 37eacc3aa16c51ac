package report

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/ftpscope/ftpscope/analysis"
)

// csvWriter writes one row per channel with its session's endpoints. Text
// from the network is escaped as in the table and guarded against formula
// injection (see csvText); encoding/csv quotes the cells that need it.
type csvWriter struct {
	w      *csv.Writer
	out    *recordWriter
	header bool
}

var csvHeader = []string{"client", "server", "session_start", "user", "tls", "method", "mode", "announced",
	"time", "command", "argument", "reply", "from", "to", "syn", "bytes", "verdict", "blocked", "nat", "reason",
	// The transfer ledger's columns (issue 13), empty for a channel no
	// transfer used.
	"direction", "path", "transfer_bytes", "missing_bytes", "expected_bytes", "result"}

func newCSV(w io.Writer, _ Options) *csvWriter {
	out := newRecordWriter(w, 64<<10, false)
	return &csvWriter{w: csv.NewWriter(out), out: out}
}

// flush ends the rows written so far as one record and writes them out.
func (c *csvWriter) flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.out.Flush()
}

// Flush pushes the rows out (live capture flushes after each session).
func (c *csvWriter) Flush() error { return c.flush() }

func (c *csvWriter) Session(s *analysis.Session) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(csvHeader); err != nil {
			return err
		}
	}
	for _, ch := range s.Channels {
		reply, from, to := "", "", ""
		if ch.Reply != 0 {
			reply = ch.Reply.String()
		}
		if at := ch.Connection(); at != nil {
			from, to = at.From.String(), at.To.String()
		}
		// The columns that hold wire text (user, command, argument and the
		// reason, which quotes replies) go through csvText: escaped, and
		// quoted when they start like a formula. The others are ftpscope's
		// own numbers, addresses and words, never guarded, so a port or a
		// count stays a number in a spreadsheet.
		row := []string{s.Client.String(), s.Server.String(), stamp(s.Start), csvText(s.User), strconv.FormatBool(s.TLS),
			ch.Method.String(), ch.Mode().String(), ch.Announced.String(), stamp(ch.Time), csvText(ch.Command), csvText(ch.Argument),
			reply, from, to, strconv.Itoa(ch.SYNs()), strconv.FormatUint(ch.Bytes(), 10), ch.Verdict.String(),
			strconv.FormatBool(ch.Blocked), strconv.FormatBool(ch.NAT), csvText(Reason(ch)), "", "", "", "", "", ""}
		if t := ch.Transfer; t != nil {
			tail := row[len(row)-6:]
			tail[0], tail[1] = t.Direction.String(), csvText(t.Path)
			tail[2], tail[3] = strconv.FormatUint(t.Bytes, 10), strconv.FormatUint(t.MissingBytes, 10)
			if t.ExpectedFrom != analysis.SizeNone {
				tail[4] = strconv.FormatUint(t.ExpectedBytes, 10)
			}
			tail[5] = t.Result.String()
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	return c.flush()
}

func (c *csvWriter) Channel(*analysis.Session, *analysis.Channel) error { return nil }

// Notice implements Writer: CSV has rows for channels only.
func (c *csvWriter) Notice(*analysis.Session, *analysis.Notice) error { return nil }

func (c *csvWriter) Close(Summary) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(csvHeader); err != nil {
			return err
		}
	}
	return c.flush()
}
