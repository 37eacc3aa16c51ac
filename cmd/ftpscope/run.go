package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/reassembly"
	"github.com/ftpscope/ftpscope/report"
)

// run is the whole program: parse args, read the captures, analyse, render.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, os.Stdin, stdout, stderr)
}

func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
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
	if err := o.validate(fs.Args()); err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\nRun 'ftpscope --help' for usage.\n", err)
		return exitUsage
	}
	if o.listIfaces {
		return listInterfaces(stdout, stderr)
	}
	var (
		src capture.Source
		err error
	)
	if o.iface != "" {
		src, err = openLive(o, stderr)
	} else {
		src, err = capture.OpenFiles(o.read, capture.FileOptions{Stdin: interruptible(ctx, stdin)})
	}
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitError
	}
	defer src.Close()
	if o.format == string(report.Table) {
		// Text from the network reaches a terminal: escape its control characters.
		stdout = report.TerminalSafe(stdout)
	}
	out, err := report.New(report.Format(o.format), stdout, report.Options{Verbose: o.verbose, Stream: o.iface != ""})
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitUsage
	}
	if o.ladder {
		out = report.WithLadder(out, stdout)
	}
	if o.wants("firewall") {
		if out, err = report.WithFirewall(out, report.Format(o.format), stdout, o.wants("sessions")); err != nil {
			fmt.Fprintf(stderr, "ftpscope: %v\n", err)
			return exitUsage
		}
	}
	sum, err := analyze(ctx, src, o, out)
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitError
	}
	for _, d := range sum.Capture.Damage {
		fmt.Fprintf(stderr, "ftpscope: %v (everything before it is reported)\n", d)
	}
	for _, w := range captureWarnings(sum.Capture) {
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

// analyze runs the pipeline capture -> reassembly -> analysis -> report and
// returns the totals. It stops early, keeping everything learned, when ctx is
// cancelled.
func analyze(ctx context.Context, src capture.Source, o options, out report.Writer) (report.Summary, error) {
	var werr error
	an := analysis.New(o.analysisConfig(), analysis.Sink{
		Session: func(s *analysis.Session) {
			if werr == nil {
				werr = out.Session(s)
			}
			// Live output is read as it comes: push each closed session out.
			if f, ok := out.(interface{ Flush() error }); ok && werr == nil && o.iface != "" {
				werr = f.Flush()
			}
		},
		Channel: func(s *analysis.Session, c *analysis.Channel) {
			if werr == nil {
				werr = out.Channel(s, c)
			}
		},
	})
	asm := reassembly.New(o.reassemblyConfig(), an)
	var (
		lastWall    time.Time // wall time of the latest packet: only advances an idle live link
		interrupted bool
		n           uint64
	)
	live := src.Stats().Live
	in := openInput(src, o)
	defer in.stop()
	done := ctx.Done()
	stages := pipeline.New(asm, an)
	for werr == nil {
		n++
		if live || n&1023 == 0 {
			select {
			case <-done:
				interrupted = true
			default:
			}
			if interrupted {
				break
			}
		}
		p, err := in.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, capture.ErrTimeout) {
			// An idle link: let capture time run on with the wall clock so
			// that pending verdicts (SYNs never answered) become final.
			if last := stages.Last(); !last.IsZero() {
				stages.Advance(last.Add(time.Since(lastWall)))
			}
			continue
		}
		if err != nil {
			return report.Summary{}, fmt.Errorf("read packets: %w", err)
		}
		stages.Packet(p)
		if live && p.Time.Equal(stages.Last()) {
			lastWall = time.Now()
		}
	}
	stages.Close()
	// A signal may also end the input first (standard input is cut where it is).
	interrupted = interrupted || ctx.Err() != nil
	sum := report.Summary{Capture: in.Stats(), Reassembly: asm.Stats(), Analysis: an.Stats(), Interrupted: interrupted}
	if interrupted {
		sum.Capture.Damage = withoutInterruption(sum.Capture.Damage)
	}
	if werr != nil {
		return sum, fmt.Errorf("write report: %w", werr)
	}
	if err := out.Close(sum); err != nil {
		return sum, fmt.Errorf("write report: %w", err)
	}
	return sum, nil
}
