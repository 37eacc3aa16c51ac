package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"

	"github.com/spf13/pflag"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/version"
)

// run is the whole program: parse args, read the captures, analyse, render.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, os.Stdin, stdout, stderr)
}

// runWith is run with standard input given: flags, then the input and the
// report the options describe, then the engine, then the exit status.
func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runReopen(ctx, args, stdin, stdout, stderr, nil)
}

// runReopen is runWith with reopen, which delivers when the output files
// are to be reopened (SIGHUP; nil for never).
func runReopen(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, reopen <-chan struct{}) int {
	var o options
	fs, secs := newFlagSet(&o)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(stdout, secs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "ftpscope: %v\nRun 'ftpscope --help' for usage.\n", err)
		return exitUsage
	}
	if o.helpMan {
		if err := writeMan(stdout, secs); err != nil {
			fmt.Fprintf(stderr, "ftpscope: %v\n", err)
			return exitError
		}
		return exitOK
	}
	if o.showVersion {
		fmt.Fprintln(stdout, version.Get())
		return exitOK
	}
	if err := o.validate(fs.Args()); err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\nRun 'ftpscope --help' for usage.\n", err)
		return exitUsage
	}
	if o.listIfaces {
		return listInterfaces(stdout, stderr)
	}
	var mon *metricsServer
	if o.metricsListen != "" {
		var err error
		if mon, err = startMetrics(o, stderr); err != nil {
			fmt.Fprintf(stderr, "ftpscope: %v\n", err)
			return exitError
		}
		defer mon.stop(ctx, o.metricsLinger)
	}
	defer applyMemoryLimit(&o)()
	if len(o.points) > 0 {
		return runPoints(ctx, o, stdout, stderr)
	}
	src, err := openSource(ctx, o, stdin, stderr)
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// Interrupted before the capture's header arrived (`tcpdump -w - |
		// ftpscope -r -` stopped early): a run that saw nothing, reported
		// as an interrupted run, not a failure (issue 12 item 16).
		src, err = noPackets{}, nil
	}
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitError
	}
	defer src.Close()
	var html report.Writer
	if o.html != "" {
		f, err := os.Create(o.html)
		if err != nil {
			fmt.Fprintf(stderr, "ftpscope: --html: %v\n", err)
			return exitError
		}
		defer f.Close()
		if html, err = report.NewHTML(f, report.HTMLOptions{Inputs: o.inputs()}); err != nil {
			fmt.Fprintf(stderr, "ftpscope: --html: %v\n", err)
			return exitError
		}
	}
	var counted report.Writer
	if mon != nil {
		counted = mon.m.Writer()
	}
	out, err := newWriter(o, stdout, html, counted)
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitUsage
	}
	cfg := o.engineConfig()
	if cfg.Workers == 0 {
		cfg.Workers = fileWorkers(o)
	}
	files, err := o.payloadConsumer()
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitError
	}
	if files != nil {
		cfg.Analysis.Payload = files
	}
	if mon != nil {
		cfg.Progress = mon.m.Progress
	}
	cfg.Reopen = reopen
	sum, err := pipeline.Run(ctx, src, cfg, out)
	status := exitStatus(o, sum, err, stderr)
	if files != nil {
		// The report is complete whatever went wrong with the files; the
		// errors name them, and the run fails.
		files.Close()
		for _, e := range files.Errors() {
			fmt.Fprintf(stderr, "ftpscope: %v\n", e)
		}
		if len(files.Errors()) > 0 && status == exitOK {
			status = exitError
		}
	}
	return status
}

// inputs names what the run reads, for the HTML report's heading.
func (o *options) inputs() []string {
	if o.iface != "" {
		return []string{"interface " + o.iface}
	}
	return o.read
}

// openSource opens the live interface or the capture files the options name.
func openSource(ctx context.Context, o options, stdin io.Reader, stderr io.Writer) (capture.Source, error) {
	if o.iface != "" {
		return openLive(o, stderr)
	}
	var fo capture.FileOptions
	if slices.Contains(o.read, "-") {
		// Standard input is read only when asked for: the pump starts
		// reading at once, which would swallow a shell loop's input or stop
		// a background job on terminal input (issue 12 item 10).
		fo.Stdin = interruptible(ctx, stdin)
	}
	src, err := capture.OpenFiles(o.read, fo)
	if err != nil {
		return nil, err
	}
	if o.singleCore {
		return src, nil
	}
	return capture.ReadAhead(src, capture.ReadAheadConfig{StartAfter: o.pipeStartAfter}), nil
}

// newWriter returns the report the options ask for, on stdout, and html
// (the --html report, or nil) beside it; counted (the metrics, or nil) is
// told of every record after the writers that print it.
func newWriter(o options, stdout io.Writer, html, counted report.Writer) (report.Writer, error) {
	// Redirected to a file, a failed write leaves no half record behind.
	stdout = report.CutBackOnError(stdout)
	if o.format == string(report.Table) {
		// Text from the network reaches a terminal: escape its control characters.
		stdout = report.TerminalSafe(stdout)
	}
	out, err := report.New(report.Format(o.format), stdout, report.Options{Verbose: o.verbose, Stream: o.iface != ""})
	if err != nil {
		return nil, err
	}
	if o.ladder {
		out = report.WithLadder(out, stdout)
	}
	if o.zeekLogs != "" {
		if out, err = report.WithZeekLogs(out, o.zeekLogs, report.ZeekOptions{JSON: o.zeekJSON, ShowPasswords: o.showPasswords, Stream: o.iface != ""}); err != nil {
			return nil, err
		}
	}
	if o.wants("firewall") {
		if out, err = report.WithFirewall(out, report.Format(o.format), stdout, o.wants("sessions")); err != nil {
			return nil, err
		}
	}
	if html != nil {
		out = report.Tee(out, html)
	}
	if counted != nil {
		out = report.Tee(out, counted)
	}
	if !o.singleCore && o.iface == "" && runtime.GOMAXPROCS(0) > 1 {
		// Files: sessions are rendered on another core while the analysis
		// goes on (live output streams channels, which must be written as
		// they are judged, on the analysing goroutine).
		out = report.Background(out)
	}
	return out, nil
}

// exitStatus says on stderr what went wrong or looks odd in the run and
// returns the status it ends with.
func exitStatus(o options, sum report.Summary, err error, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitError
	}
	for _, d := range sum.Capture.Damage {
		fmt.Fprintf(stderr, "ftpscope: %v (everything before it is reported)\n", d)
	}
	for _, w := range append(captureWarnings(sum.Capture), analysisWarnings(sum.Analysis)...) {
		fmt.Fprintf(stderr, "ftpscope: warning: %s\n", w)
	}
	if c := sum.Capture; c.KernelDropped+c.InterfaceDropped > 0 {
		fmt.Fprintf(stderr, "ftpscope: WARNING: %d packets dropped by the kernel and %d by the interface before ftpscope saw them; verdicts may be wrong (try a larger -B or a narrower filter)\n",
			c.KernelDropped, c.InterfaceDropped)
	}
	switch {
	case sum.Capture.Truncated():
		return exitError
	case o.failOnBlocked && sum.Analysis.Blocked > 0:
		return exitBlocked
	}
	return exitOK
}

// noPackets is the source of a run interrupted before its input began.
type noPackets struct{}

func (noPackets) Next() (*capture.Packet, error) { return nil, io.EOF }
func (noPackets) Stats() capture.Stats           { return capture.Stats{} }
func (noPackets) Close() error                   { return nil }
