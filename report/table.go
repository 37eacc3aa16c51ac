package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ftpscope/ftpscope/analysis"
)

// tableWriter prints, per session, a heading, a table of its channels, the
// reasons of every channel that is not plainly ok, and the session's notes;
// then the totals.
type tableWriter struct {
	w *recordWriter
	o Options
	n int
	// grid draws every session's tables, reused.
	grid grid
}

// sessionGrid returns the writer's grid, emptied, for one more session
// table.
func (t *tableWriter) sessionGrid() *grid {
	t.grid.reset()
	return &t.grid
}

func newTable(w io.Writer, o Options) *tableWriter {
	return &tableWriter{w: newRecordWriter(w, 64<<10, false), o: o}
}

// appendRow adds a row to g with every cell escaped first (Escape), so
// that the table measures what the terminal shows: an ESC in a file name
// shows as the four characters \x1b, and tablewriter, given the raw byte,
// would count an escape sequence as nothing and misalign the row once the
// terminal escaping expands it. Escaping text that is already escaped
// changes nothing, so the terminal escaping after it leaves the row as is.
func appendRow(g *tablewriter.Table, cells ...string) error {
	for i, c := range cells {
		cells[i] = Escape(c)
	}
	return g.Append(cells)
}

func newGrid(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
}

func (t *tableWriter) Session(s *analysis.Session) error {
	t.n++
	w := t.w
	fmt.Fprintf(w, "Session %d: client %s -> server %s\n", t.n, s.Client, s.Server)
	var facts []string
	facts = append(facts, fmt.Sprintf("%s, %s", stamp(s.Start), span(s.End.Sub(s.Start))))
	if s.User != "" {
		u := "user " + s.User
		if s.Password != "" {
			u += " (password " + s.Password + ")"
		}
		facts = append(facts, u)
	}
	if m := modes(s); len(m) > 0 {
		facts = append(facts, strings.Join(m, " and ")+" mode")
	}
	if s.TLS {
		facts = append(facts, "TLS (control channel encrypted)")
	}
	if s.Midstream {
		facts = append(facts, "capture began mid-session")
	}
	switch s.CapturePosition() {
	case analysis.PositionClientLink:
		facts = append(facts, "captured on the client's link")
	case analysis.PositionServerLink:
		facts = append(facts, "captured on the server's link")
	case analysis.PositionBetween:
		facts = append(facts, "captured between routers")
	}
	facts = append(facts, "closed: "+s.Closed)
	fmt.Fprintf(w, "  %s\n", strings.Join(facts, "; "))
	if len(s.Channels) == 0 {
		fmt.Fprintf(w, "  no data connection was announced\n")
		if err := t.tablePoints(s); err != nil {
			return err
		}
	} else {
		g := t.sessionGrid()
		g.Header("#", "Method", "Announced", "Command", "Reply", "Connection", "SYN", "Bytes", "Verdict")
		for i, c := range s.Channels {
			reply, conn := "-", "-"
			if c.Reply != 0 {
				reply = c.Reply.String()
			}
			if at := c.Connection(); at != nil {
				conn = at.From.String() + " -> " + at.To.String()
			}
			cmd := c.Command
			if c.Argument != "" {
				cmd += " " + clip(c.Argument, 24)
			}
			if cmd == "" {
				cmd = "-"
			}
			ann := c.Announced.String()
			if c.NAT {
				ann += " (NAT)"
			}
			v := c.Verdict.String()
			if c.Blocked {
				v += " BLOCKED"
			}
			g.Row(strconv.Itoa(i+1), c.Method.String(), ann, cmd, reply, conn,
				strconv.Itoa(c.SYNs()), strconv.FormatUint(c.Bytes(), 10), v)
		}
		if err := g.Render(w); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
		for i, c := range s.Channels {
			if c.Verdict == analysis.OK && !c.NAT && !t.o.Verbose {
				continue
			}
			fmt.Fprintf(w, "  %d. %s: %s\n", i+1, c.Verdict, Reason(c))
		}
		if err := t.tablePoints(s); err != nil {
			return err
		}
		if err := t.transfers(s); err != nil {
			return err
		}
		if s.ChannelsDropped > 0 {
			fmt.Fprintf(w, "  (%d older channels not listed to keep memory bounded)\n", s.ChannelsDropped)
		}
	}
	for _, n := range s.Notes {
		if n.Kind == analysis.NoteInfo && !t.o.Verbose {
			continue
		}
		fmt.Fprintf(w, "  note: %s\n", NoteText(n))
	}
	for _, f := range lintFindings(s) {
		times := ""
		if f.Count > 1 {
			times = fmt.Sprintf(" (x%d)", f.Count)
		}
		fmt.Fprintf(w, "  helper lint: %s%s: %s\n", f.Code, times, LintText(f))
	}
	fmt.Fprintln(w)
	return w.Flush()
}

func (t *tableWriter) Channel(s *analysis.Session, c *analysis.Channel) error {
	if !t.o.Stream {
		return nil
	}
	b := ""
	if c.Blocked {
		b = " BLOCKED"
	}
	fmt.Fprintf(t.w, "%s  %s -> %s  %s %s %s: %s%s: %s\n", stamp(c.Time), c.Session().Client, c.Session().Server,
		c.Method, c.Announced, orNone(c.Command), c.Verdict, b, Reason(c))
	return t.w.Flush()
}

// Notice implements Writer: on a live link (Options.Stream) a notice is
// one line as soon as it is raised, like a channel's; the session tables
// do not list notices.
func (t *tableWriter) Notice(s *analysis.Session, n *analysis.Notice) error {
	if !t.o.Stream {
		return nil
	}
	fmt.Fprintf(t.w, "%s  %s -> %s  notice %s: %s\n", stamp(n.Time), s.Client, s.Server, n.Kind, NoticeReason(n))
	return t.w.Flush()
}

// Flush implements Writer. Each session's table is flushed as it is written.
func (t *tableWriter) Flush() error { return t.w.Flush() }

func (t *tableWriter) Close(sum Summary) error {
	w := t.w
	a, c := sum.Analysis, sum.Capture
	if sum.Points != nil && len(sum.Points.Points) > 0 {
		// Each point's run has its own totals; the first point's stand for them here.
		fmt.Fprintf(w, "Totals at point %s (the first; every point's in --format json)\n", "`"+sum.Points.Points[0].Name+"`")
	} else {
		fmt.Fprintf(w, "Totals\n")
	}
	g := newGrid(w)
	g.Header("Sessions", "Channels", "ok", "dropped", "refused", "icmp", "not-seen", "unused", "unknown", "Blocked", "NAT", "TLS")
	row := []string{u(a.Sessions), u(a.Channels)}
	for _, v := range analysis.Verdicts {
		row = append(row, u(a.Verdicts[v]))
	}
	row = append(row, u(a.Blocked), u(a.NAT), u(a.TLS))
	if err := appendRow(g, row...); err != nil {
		return fmt.Errorf("table row: %w", err)
	}
	if err := g.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	if c.Packets > 0 {
		fmt.Fprintf(w, "Read %d packets (%d bytes), %s to %s.\n", c.Packets, c.Bytes, stamp(c.First), stamp(c.Last))
	} else {
		fmt.Fprintf(w, "Read no packets.\n")
	}
	for _, d := range c.Damage {
		fmt.Fprintf(w, "WARNING: %s; everything before it is reported above.\n", d.Error())
	}
	if sh := sum.Shard; sh.Split() {
		fmt.Fprintf(w, "Shard %s: the control connections of the other %d shards are left to their runs (%d packets on a control port).\n", sh, sh.Count-1, sum.OtherShard)
	}
	if c.Live {
		fmt.Fprintf(w, "libpcap: %d received, %d dropped by the kernel, %d dropped by the interface.\n", c.Received, c.KernelDropped, c.InterfaceDropped)
		if c.KernelDropped+c.InterfaceDropped > 0 {
			fmt.Fprintf(w, "WARNING: packets were dropped before ftpscope saw them; verdicts may be wrong (a lost SYN-ACK looks like a drop).\n")
		}
	}
	switch n := sum.Analysis.OpenAtEnd; {
	case sum.Interrupted && n == 0:
		fmt.Fprintf(w, "Interrupted: no session was open; everything up to the interruption is reported.\n")
	case sum.Interrupted:
		verb := "were"
		if n == 1 {
			verb = "was"
		}
		fmt.Fprintf(w, "Interrupted: %d session%s still open %s judged with what was seen so far.\n", n, plural(int(n)), verb)
	}
	if ev := evictions(sum); ev != "" {
		fmt.Fprintf(w, "Limits reached (evicted): %s.\n", ev)
	}
	if sum.Points != nil {
		if err := t.tablePointsTotals(sum.Points); err != nil {
			return err
		}
	}
	return w.Flush()
}

func evictions(sum Summary) string {
	var parts []string
	for _, kv := range []struct {
		name, flag string
		n          uint64
	}{
		{"control streams", "--max-streams", sum.Reassembly.EvictedStreams},
		{"FTP candidates", "--max-candidates", sum.Reassembly.CandidatesEvicted},
		{"reassembly page flushes", "--max-pages", sum.Reassembly.PagesEvicted},
		{"sessions", "--max-sessions", sum.Analysis.EvictedSessions},
		{"channels", "--max-channels", sum.Analysis.EvictedChannels},
		{"pending commands", "--max-pending", sum.Analysis.EvictedPending},
		{"unmatched attempts", "--max-attempts", sum.Analysis.EvictedAttempts},
		{"notes", "--max-notes", sum.Analysis.EvictedNotes},
		{"connection attempts not followed", "--max-channel-attempts", sum.Analysis.UnfollowedAttempts},
		{"judged channels unlisted", "--max-memory", sum.Analysis.BudgetChannels},
		{"sessions", "--max-memory", sum.Analysis.BudgetSessions},
		{"transfers' out-of-order payload given up", "--max-held-payload", sum.Analysis.PayloadEvictions},
	} {
		if kv.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d (%s)", kv.name, kv.n, kv.flag))
		}
	}
	return strings.Join(parts, ", ")
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func orNone(s string) string {
	if s == "" {
		return "(no transfer)"
	}
	return s
}

// span writes a session length for people.
func span(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// transfers writes the session's Transfers part: one row per channel a
// transfer command used, numbered like the channels, then the reason of
// every transfer that is not complete (of every one with -v).
func (t *tableWriter) transfers(s *analysis.Session) error {
	any := false
	for _, c := range s.Channels {
		any = any || c.Transfer != nil
	}
	if !any {
		return nil
	}
	fmt.Fprintf(t.w, "  Transfers:\n")
	g := t.sessionGrid()
	g.Header("#", "Direction", "Path", "Type", "Bytes", "Expected", "Missing", "Time", "Rate", "Result")
	for i, c := range s.Channels {
		x := c.Transfer
		if x == nil {
			continue
		}
		exp := "-"
		if x.ExpectedFrom != analysis.SizeNone {
			exp = strconv.FormatUint(x.ExpectedBytes, 10) + " (" + x.ExpectedFrom.String() + ")"
		}
		typ := x.Type
		if typ == "" {
			typ = "-"
		}
		if x.Rest {
			typ += " REST " + strconv.FormatUint(x.RestOffset, 10)
		}
		g.Row(strconv.Itoa(i+1), x.Direction.String(), shownPath(x), typ,
			strconv.FormatUint(x.Bytes, 10), exp, strconv.FormatUint(x.MissingBytes, 10),
			transferDuration(x), transferRate(x), x.Result.String())
	}
	if err := g.Render(t.w); err != nil {
		return fmt.Errorf("render transfers: %w", err)
	}
	for i, c := range s.Channels {
		if x := c.Transfer; x != nil && (x.Result != analysis.Complete || t.o.Verbose) {
			fmt.Fprintf(t.w, "  %d. %s: %s\n", i+1, x.Result, TransferReason(x))
		}
	}
	for i, c := range s.Channels {
		if x := c.Transfer; x != nil && x.Content != nil {
			if line := contentLine(x); line != "" {
				fmt.Fprintf(t.w, "  %d. %s\n", i+1, Escape(line))
			}
		}
	}
	return nil
}

// shownPath is a transfer's path for the table: the working directory,
// when it is not known, is said in words.
func shownPath(x *analysis.Transfer) string {
	if x.Path == "" {
		return "(working directory)"
	}
	return clip(x.Path, 40)
}
