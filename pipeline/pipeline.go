// Package pipeline is ftpscope's engine: the one read loop that passes
// packets along the chain capture -> reassembly -> analysis -> report.
// Control-connection segments go to the assembler, every other TCP segment
// and every ICMP error to the analyzer, capture time to both, and what the
// analyzer concludes to a report.Writer. The command and the tests that run
// whole captures call the same Run, so they cannot drift apart.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/flowid"
	"github.com/ftpscope/ftpscope/reassembly"
	"github.com/ftpscope/ftpscope/report"
)

// Config configures the two stages the engine builds.
type Config struct {
	Reassembly reassembly.Config
	Analysis   analysis.Config
	// Progress, when set, is called on the read loop's goroutine with the
	// totals so far (OpenSessions set), at most once per ProgressEvery of
	// wall time while packets come or a live link idles: what a metrics
	// endpoint serves between the records. The summary is the callee's.
	Progress func(report.Summary)
	// ProgressEvery is the least wall time between two Progress calls
	// (DefaultProgressEvery when 0).
	ProgressEvery time.Duration
	// Shard, when split, keeps the run to its share of the control
	// connections (flowid.Shard says how the N runs add up).
	Shard flowid.Shard
	// Workers is how many analysis workers share the run (0 or 1: the
	// read loop analyses on its own goroutine). With more, each worker
	// follows its share of the control connections (as --shard splits
	// them between runs) and sees every other packet, so NAT'd data
	// connections are still found; the report is the one worker's, in
	// the same order (see workers.go).
	Workers int
	// Reopen, when it delivers, makes the run close its output files and
	// open them again under their names (SIGHUP after logrotate): the
	// report's (report.Reopen) and the source's -w file
	// (capture.Reopener). It is looked at where interruption is: at every
	// packet and idle tick of a live source, every checkEvery packets of
	// files.
	Reopen <-chan struct{}
}

// DefaultProgressEvery is how often Progress is called by default: often
// enough for a scrape every few seconds, rare enough to cost nothing (a
// live source's Stats asks libpcap for its counters).
const DefaultProgressEvery = time.Second

// checkEvery is how many packets of a file are read between two looks at
// whether the run was interrupted (a live source is looked at every packet:
// it is slow, and its read timeout bounds the wait).
const checkEvery = 1024

// Run reads src to its end (or until ctx is done) through a reassembly
// stage and an analysis stage built from cfg, writes every session and
// channel to out, and closes out with the totals, which it also returns.
//
// Whatever ends the run, every session learned so far is judged and
// written: at the end of the input, on interruption (the summary then says
// Interrupted, and damage that only says the input was cut by the
// interruption, an error wrapping context.Canceled, is left out), and on a
// read error, which Run returns, wrapped, after writing the totals. Only a
// write error stops the writing: Run returns it without closing out.
//
// A live source (Stats().Live) is read with its idle-link clock: when Next
// times out (capture.ErrTimeout), capture time runs on with the wall clock
// so that pending verdicts become final; and out is flushed after each
// session, since live output is read as it comes.
func Run(ctx context.Context, src capture.Source, cfg Config, out report.Writer) (report.Summary, error) {
	live := src.Stats().Live
	if cfg.Workers > 1 {
		return runWorkers(ctx, src, cfg, out, live)
	}
	e := newEngine(cfg, out, live)
	e.progress, e.every, e.shard, e.reopen = cfg.Progress, cfg.ProgressEvery, cfg.Shard, cfg.Reopen
	if e.every <= 0 {
		e.every = DefaultProgressEvery
	}
	readErr := e.read(ctx, src, live)
	e.close()
	// A signal may also end the input first (standard input cut where it is).
	interrupted := e.interrupted || ctx.Err() != nil
	sum := e.summary(src, interrupted)
	if interrupted {
		sum.Capture.Damage = withoutInterruption(sum.Capture.Damage)
	}
	if e.werr != nil {
		return sum, fmt.Errorf("write report: %w", e.werr)
	}
	if err := out.Close(sum); err != nil {
		return sum, fmt.Errorf("write report: %w", err)
	}
	if readErr != nil {
		return sum, fmt.Errorf("read packets: %w", readErr)
	}
	return sum, nil
}

// engine holds the two stages, the capture time reached and the first
// write error.
type engine struct {
	asm  *reassembly.Assembler
	an   *analysis.Analyzer
	last time.Time
	next time.Time // when Advance is due again
	werr error
	// interrupted: the read loop saw ctx done.
	interrupted bool
	// progress and every are Config.Progress and its period; reported is
	// the wall time of the last call.
	progress func(report.Summary)
	every    time.Duration
	reported time.Time
	// shard is Config.Shard; otherShard counts the control-port packets
	// left to the other shards.
	shard      flowid.Shard
	otherShard uint64
	// out is the report; reopen is Config.Reopen.
	out    report.Writer
	reopen <-chan struct{}
	// beforeAdvance, when set, is called before a packet's tick (a
	// worker marks what the tick emits).
	beforeAdvance func()
}

// reopenFiles closes and opens again the report's files and the source's.
// A source that fails records it as damage and goes on; a report that
// fails stops the run as a write error does.
func (e *engine) reopenFiles(src capture.Source) {
	if r, ok := src.(capture.Reopener); ok {
		_ = r.Reopen() // recorded in the source's Damage
	}
	if err := report.Reopen(e.out); err != nil && e.werr == nil {
		e.werr = err
	}
}

// report calls Config.Progress when its period has passed.
func (e *engine) report(src capture.Source) {
	if e.progress == nil {
		return
	}
	now := time.Now()
	if now.Sub(e.reported) < e.every {
		return
	}
	e.reported = now
	e.progress(e.summary(src, false))
}

// summary is the totals so far.
func (e *engine) summary(src capture.Source, interrupted bool) report.Summary {
	return report.Summary{Capture: src.Stats(), Reassembly: e.asm.Stats(), Analysis: e.an.Stats(), Interrupted: interrupted,
		OpenSessions: e.an.OpenSessions(), Shard: e.shard, OtherShard: e.otherShard}
}

// newEngine builds the chain assembler -> analyzer -> out.
func newEngine(cfg Config, out report.Writer, flushEach bool) *engine {
	e := &engine{out: out}
	e.build(cfg, writerSink(e, out, flushEach))
	return e
}

// build makes the two stages, the analyzer handing its results to sink.
func (e *engine) build(cfg Config, sink analysis.Sink) {
	e.an = analysis.New(cfg.Analysis, sink)
	e.asm = reassembly.New(cfg.Reassembly, e.an)
}

// writerSink hands the analyzer's results to out, keeping the first write
// error in e.werr.
func writerSink(e *engine, out report.Writer, flushEach bool) analysis.Sink {
	return analysis.Sink{
		Session: func(s *analysis.Session) {
			if e.werr == nil {
				e.werr = out.Session(s)
			}
			if flushEach && e.werr == nil {
				e.werr = out.Flush()
			}
		},
		Channel: func(s *analysis.Session, c *analysis.Channel) {
			if e.werr == nil {
				e.werr = out.Channel(s, c)
			}
		},
		Notice: func(s *analysis.Session, n *analysis.Notice) {
			if e.werr == nil {
				e.werr = out.Notice(s, n)
			}
			if flushEach && e.werr == nil {
				e.werr = out.Flush()
			}
		},
	}
}

// read is the read loop. It returns a read error; io.EOF, interruption and
// a write error end it without one.
func (e *engine) read(ctx context.Context, src capture.Source, live bool) error {
	done := ctx.Done()
	var (
		lastWall time.Time // wall time of the latest packet: only advances an idle live link
		n        uint64
	)
	for e.werr == nil {
		n++
		if live || n%checkEvery == 0 {
			select {
			case <-done:
				e.interrupted = true
				return nil
			case <-e.reopen:
				e.reopenFiles(src)
			default:
			}
			e.report(src)
		}
		p, err := src.Next()
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, capture.ErrTimeout):
			// An idle link: let capture time run on with the wall clock so
			// that pending verdicts (SYNs never answered) become final.
			if !e.last.IsZero() {
				e.advance(e.last.Add(time.Since(lastWall)))
			}
			continue
		default:
			return err
		}
		e.packet(p)
		if live && p.Time.Equal(e.last) {
			lastWall = time.Now()
		}
	}
	return nil
}

// packet hands one decoded packet to the stages, in capture order.
func (e *engine) packet(p *capture.Packet) {
	owns := p.Kind != capture.KindTCP || !e.shard.Split() || e.shard.Owns(p.Src.Addr(), p.Dst.Addr())
	e.packetOwned(p, owns, true)
}

// packetOwned is packet once the caller has said whether p's address pair
// is this engine's (owns) and whether a control-port packet left to
// another engine counts in otherShard (countOther).
func (e *engine) packetOwned(p *capture.Packet, owns, countOther bool) {
	due := false
	if p.Time.After(e.last) {
		e.last = p.Time
		// Both stages act at most once per capture-second; asking only
		// then keeps their clock checks off the per-packet path. Only a
		// packet that moves time on can make them due.
		due = !e.last.Before(e.next)
	}
	switch p.Kind {
	case capture.KindTCP:
		if !owns {
			if e.asm.ControlPort(p) {
				// Another shard's control connection: its run follows it.
				if countOther {
					e.otherShard++
				}
				break
			}
			// Never a control connection of this run (nor one found on
			// another port), but maybe a data connection of one of its
			// sessions, NAT'd to addresses that hash elsewhere.
			e.an.Packet(p)
			e.an.Trace(p, false)
			break
		}
		control := e.asm.Packet(p)
		if !control {
			e.an.Packet(p)
		}
		e.an.Trace(p, control)
	case capture.KindICMP:
		e.an.Packet(p)
	}
	if due {
		if e.beforeAdvance != nil {
			e.beforeAdvance()
		}
		e.advance(e.last)
	}
}

// advance tells both stages capture time has reached now.
func (e *engine) advance(now time.Time) {
	e.asm.Advance(now)
	e.an.Advance(now)
	e.next = now.Add(time.Second)
}

// close ends the input: everything buffered is delivered and every session
// is judged and written.
func (e *engine) close() {
	e.asm.Close(e.last)
	e.an.Finish(e.last)
}

// withoutInterruption drops the damage that the interruption itself caused
// (an input cut where the reading stopped): it is not damage in the input.
func withoutInterruption(ds []capture.Damage) []capture.Damage {
	var out []capture.Damage
	for _, d := range ds {
		if !errors.Is(d, context.Canceled) {
			out = append(out, d)
		}
	}
	return out
}
