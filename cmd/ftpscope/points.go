package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/correlate"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
)

// pointFiles groups --point NAME=FILE by name, names in the order first
// given.
func (o *options) pointFiles() (names []string, files map[string][]string) {
	files = map[string][]string{}
	for _, p := range o.points {
		name, file, _ := strings.Cut(p, "=")
		if _, ok := files[name]; !ok {
			names = append(names, name)
		}
		files[name] = append(files[name], file)
	}
	return names, files
}

// validatePoints checks --point and what goes with it.
func (o *options) validatePoints() error {
	for _, p := range o.points {
		name, file, ok := strings.Cut(p, "=")
		if !ok || name == "" || file == "" {
			return fmt.Errorf("--point %q: want NAME=FILE", p)
		}
		if file == "-" {
			return fmt.Errorf("--point %q: each point is read from its files (standard input cannot be one)", p)
		}
	}
	names, _ := o.pointFiles()
	switch {
	case len(names) < 2:
		return fmt.Errorf("--point: give at least two capture points (NAME=FILE with different names); one capture is read with -r")
	case o.html != "" || o.zeekLogs != "" || o.extractDir != "" || len(o.hashes) > 0 || o.mime:
		return fmt.Errorf("--point: --html, --zeek-logs, --extract, --hash and --mime read one capture point: run them with -r on each point's files")
	case o.metricsListen != "":
		return fmt.Errorf("--point: --metrics-listen follows one run of the engine: run it with -r on each point's files")
	case o.ladder && o.format != string(report.Table):
		return fmt.Errorf("--ladder draws on the terminal: use it with --format table")
	case o.pointMaxSessions < 1 || o.pointMaxBytes < 1:
		return fmt.Errorf("--point-max-sessions and --point-max-bytes must be at least 1")
	}
	return nil
}

// pointCollector keeps a point's sessions in its store; those the store's
// limits push out are reported at once, unjoined.
type pointCollector struct {
	store *correlate.Store
	point int
	out   report.Writer
	pts   *report.Points
	err   error
}

func (c *pointCollector) Session(s *analysis.Session) error {
	for _, old := range c.store.Add(s) {
		c.pts.Single(c.point, old)
		if err := c.out.Session(old); err != nil {
			return err
		}
	}
	return nil
}
func (c *pointCollector) Channel(*analysis.Session, *analysis.Channel) error { return nil }

// Notice implements report.Writer: a point's notices stay in its sessions.
func (c *pointCollector) Notice(*analysis.Session, *analysis.Notice) error { return nil }
func (c *pointCollector) Flush() error                                     { return nil }
func (c *pointCollector) Close(report.Summary) error                       { return nil }

// runPoints is a run over several capture points: each point's files go
// through the engine on their own, then the sessions are joined and written.
func runPoints(ctx context.Context, o options, stdout, stderr io.Writer) int {
	names, files := o.pointFiles()
	pts := report.NewPoints(names, nil)
	out, err := newPointsWriter(o, stdout, pts)
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitUsage
	}
	cfg := o.engineConfig()
	// The join reads each session's transcript (its commands and replies).
	cfg.Analysis.NoTranscript = false
	stores := make([]*correlate.Store, len(names))
	sums := make([]report.Summary, len(names))
	status := exitOK
	for i, name := range names {
		stores[i] = correlate.NewStore(name, files[name], correlate.StoreConfig{MaxSessions: o.pointMaxSessions, MaxBytes: o.pointMaxBytes})
		var src capture.Source
		src, err := capture.OpenFiles(files[name], capture.FileOptions{})
		if err != nil {
			fmt.Fprintf(stderr, "ftpscope: point %s: %v\n", name, err)
			return exitError
		}
		if !o.singleCore {
			// As with -r: the files are read on a second core while one is free.
			src = capture.ReadAhead(src, capture.ReadAheadConfig{StartAfter: o.pipeStartAfter})
		}
		col := &pointCollector{store: stores[i], point: i, out: out, pts: pts}
		sum, err := pipeline.Run(ctx, src, cfg, col)
		src.Close()
		sums[i] = sum
		if err != nil {
			fmt.Fprintf(stderr, "ftpscope: point %s: %v\n", name, err)
			status = exitError
		}
		for _, d := range sum.Capture.Damage {
			fmt.Fprintf(stderr, "ftpscope: point %s: %v (everything before it is reported)\n", name, d)
		}
		for _, w := range append(captureWarnings(sum.Capture), analysisWarnings(sum.Analysis)...) {
			fmt.Fprintf(stderr, "ftpscope: warning: point %s: %s\n", name, w)
		}
		if sum.Capture.Truncated() {
			status = exitError
		}
		if sum.Interrupted || ctx.Err() != nil {
			break
		}
	}
	res := correlate.Join(stores, correlate.Config{})
	pts.SetResult(res)
	ps := &report.PointsSummary{Joined: len(res.Sessions), FallbackCapped: res.FallbackCapped}
	lost := make([]int, len(names))
	for i := range names {
		lost[i] = lostBefore(res, i)
	}
	held := make([]int, len(names))
	for i, st := range stores {
		held[i] = st.Len()
		st.Release()
	}
	blocked := false
	for i, g := range res.Sessions {
		if len(g.Points()) == len(names) {
			ps.AtAll++
		}
		prim := g.Seen[g.Primary]
		for _, c := range prim.Channels {
			blocked = blocked || c.Blocked
		}
		if err := out.Session(prim); err != nil {
			fmt.Fprintf(stderr, "ftpscope: write report: %v\n", err)
			return exitError
		}
		// Written: let it go, so that the heap shrinks as the report is written.
		pts.Forget(prim)
		res.Sessions[i] = nil
	}
	for i, st := range stores {
		lim := st.Limits()
		ps.Points = append(ps.Points, report.PointSummary{Name: names[i], Files: files[names[i]], Summary: sums[i],
			Sessions: held[i], Evicted: st.Evicted, EvictedBytes: st.EvictedBytes, MaxSessions: lim.MaxSessions, MaxBytes: lim.MaxBytes,
			Offset: res.Offsets[i], Only: res.Only[i], OrderWrong: res.OrderWrong(i), Agree: res.OrderAgree[i], Oppose: res.OrderDisagree[i],
			DataSeen: res.DataSeen[i], LostBefore: lost[i]})
	}
	sum := sums[0]
	sum.Points = ps
	if err := out.Close(sum); err != nil {
		fmt.Fprintf(stderr, "ftpscope: write report: %v\n", err)
		return exitError
	}
	for _, w := range report.PointWarnings(ps) {
		fmt.Fprintf(stderr, "ftpscope: warning: %s\n", w)
	}
	if status == exitOK && o.failOnBlocked && blocked {
		return exitBlocked
	}
	return status
}

// newPointsWriter is newWriter for a run over capture points: the records
// are written after the join, on this goroutine.
func newPointsWriter(o options, stdout io.Writer, pts *report.Points) (report.Writer, error) {
	stdout = report.CutBackOnError(stdout)
	if o.format == string(report.Table) {
		stdout = report.TerminalSafe(stdout)
	}
	out, err := report.New(report.Format(o.format), stdout, report.Options{Verbose: o.verbose, Points: pts})
	if err != nil {
		return nil, err
	}
	if o.ladder {
		out = report.WithLadderAt(out, stdout, pts)
	}
	if o.wants("firewall") {
		if out, err = report.WithFirewallAt(out, report.Format(o.format), stdout, o.wants("sessions"), pts); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lostBefore counts the channels located as lost just before point i.
func lostBefore(r *correlate.Result, i int) int {
	n := 0
	for _, g := range r.Sessions {
		if g == nil {
			continue
		}
		for _, p := range g.Paths {
			if p.Lost != correlate.LostNothing && p.FirstMissed == i {
				n++
			}
		}
	}
	return n
}
