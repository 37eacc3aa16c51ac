package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/flowid"
	"github.com/ftpscope/ftpscope/report"
)

// A run with Config.Workers > 1 splits the analysis between workers, each a
// whole engine (assembler and analyzer) on its own goroutine. The read loop
// decodes every packet once, copies it into a batch and hands every batch
// to every worker, read-only. Worker w follows the control connections
// whose address pair is its share (the shard w of Workers within the run's
// own Config.Shard, by the same PairHash as --shard), and tests every other
// segment against its own expectations only: a data connection between the
// hosts of a session is that session's worker's, and a NAT'd one, whose
// addresses hash elsewhere, is still found by the worker that expects it,
// exactly as separate --shard runs find it. What each worker pays for every
// packet is the lookup, not the tracking; what they share is which of them
// claimed a data connection several wait for (claims.go), and, live, the
// report they write to.
//
// The report is the one worker's, in the same order. For capture files its
// order is the order of the sessions handed to the report (channels and
// notices are only written on their own when streamed), and that order is
// set by the packets: a session is emitted while a packet is analysed (its
// control connection reused, an eviction), at the tick that follows a
// packet (sessions whose end is due, in start order, Client, Server), or at
// the end (every session left, in that order). Each worker records its
// emissions of a batch with the packet and the phase that caused them; the
// read loop merges the workers' records of each batch in that order, taking
// the sessions of one tick or of the end by their start order across the
// workers, and writes them. Live (Config.Analysis.Stream) output is written
// by the workers themselves as it comes, under a lock, since streamed
// records are read as they are judged.

// Batches are at most batchPackets packets and batchBytes bytes of payload;
// batchesInFlight of them are read ahead of the writing, so the read loop
// holds a bounded few MiB whatever the capture.
const (
	batchPackets    = 512
	batchBytes      = 512 << 10
	batchesInFlight = 8
)

// liveBatchAge is the longest a live packet waits in a batch before the
// workers see it: batches exist for the workers' throughput, and a live
// verdict should not wait for a busy link to fill one.
const liveBatchAge = 20 * time.Millisecond

// phase says what made a worker emit a result.
type phase uint8

const (
	phasePacket  phase = iota // analysing the packet itself
	phaseAdvance              // the tick after the packet
	phaseFinish               // the end of the input
)

// emission is one result a worker handed to its sink: a session (c and n
// nil), a channel or a notice.
type emission struct {
	at    int32 // the packet's index in its batch
	phase phase
	s     *analysis.Session
	c     *analysis.Channel
	n     *analysis.Notice // a copy: the analyzer's may move
}

// batch is a run of packets, in capture order, handed to every worker.
type batch struct {
	// base is the place of the batch's first packet in the run (the
	// places of its packets, then one for its tick or end, follow).
	base uint64
	*capture.Batch
	// hash is PairHash of each packet's addresses (computed once for
	// every worker): a TCP segment's, or the connection an ICMP error
	// quotes.
	hash []uint64
	// tick, when not zero, is an idle live link's capture time: the
	// workers advance to it after the packets.
	tick time.Time
	// final ends the input: the workers close their engines.
	final bool
	// res[w] and totals[w] are worker w's emissions and totals
	// (Reassembly, Analysis, OpenSessions, OtherShard) at its end.
	res    [][]emission
	totals []report.Summary
	left   atomic.Int32
	done   chan struct{}
	// wall is when its first packet was read (live batches leave by age).
	wall time.Time
}

func newBatch(workers int) *batch {
	return &batch{
		Batch:  capture.NewBatch(batchPackets, batchBytes),
		hash:   make([]uint64, 0, batchPackets),
		res:    make([][]emission, workers),
		totals: make([]report.Summary, workers),
		done:   make(chan struct{}, 1),
	}
}

// add copies p into b; false when b has no room for it (b not empty).
func (b *batch) add(p *capture.Packet) bool {
	if !b.Add(p) {
		return false
	}
	var h uint64
	switch p.Kind {
	case capture.KindTCP:
		h = flowid.PairHash(p.Src.Addr(), p.Dst.Addr())
	case capture.KindICMP:
		// An ICMP error is about the connection it quotes: the owner of
		// that pair claims it first (claims.go).
		h = flowid.PairHash(p.ICMP.Src.Addr(), p.ICMP.Dst.Addr())
	}
	b.hash = append(b.hash, h)
	return true
}

// reset empties b for reuse.
func (b *batch) reset() {
	b.Reset()
	b.hash = b.hash[:0]
	b.tick, b.final, b.wall = time.Time{}, false, time.Time{}
	for i := range b.res {
		clear(b.res[i])
		b.res[i] = b.res[i][:0]
	}
}

// worker is one engine with the goroutine that feeds it batches.
type worker struct {
	idx int
	e   *engine
	// own is the worker's share of the hashes: the shard idx of the
	// workers within the run's shard, as flowid.Shard counts them.
	own flowid.Shard
	// outer is the run's own shard (Count 1 when the run is not split):
	// a control-port packet outside it is counted in OtherShard, by
	// worker 0 only.
	outer flowid.Shard
	in    chan *batch
	// The emissions of the batch being analysed, and what causes them.
	res   []emission
	at    int32
	phase phase
	// direct writes results to out as they come (live), under mu.
	direct bool
	shared *sharedOut
	// claims arbitrates data connections between the workers; pos, num,
	// kind and slot are where this one is: its place in the run (2 per
	// packet: the packet, then its tick), the packet's Num and kind, and
	// the share (own.Count of them) its address pair hashes to.
	claims *arbiter
	pos    uint64
	num    uint64
	kind   capture.Kind
	slot   int
	// asked are the analyzer's Unclaimed questions, answered before it
	// is given anything more.
	asked []unclaimedQuestion
}

// unclaimedQuestion is an Unclaimed call: the connection, the place it
// was asked at, and what to call with the answer.
type unclaimedQuestion struct {
	first, pos uint64
	f          func(bool)
}

// Unclaimed implements analysis.ClaimGate.
func (w *worker) Unclaimed(first uint64, f func(unclaimed bool)) {
	w.asked = append(w.asked, unclaimedQuestion{first, w.pos, f})
}

// answer answers the Unclaimed questions once every other worker has
// passed the places they were asked at (before this worker's place, so
// waiting for that cannot wait for this worker).
func (w *worker) answer() {
	for _, q := range w.asked {
		for v := range w.claims.progress {
			if v != w.idx {
				w.claims.wait(v, q.pos)
			}
		}
		q.f(!w.claims.isClaimed(q.first))
	}
	clear(w.asked)
	w.asked = w.asked[:0]
}

// sharedOut is the report as the workers write to it directly (live).
type sharedOut struct {
	mu   sync.Mutex
	out  report.Writer
	werr error
}

func (so *sharedOut) write(f func() error, flush bool) {
	so.mu.Lock()
	defer so.mu.Unlock()
	if so.werr == nil {
		so.werr = f()
	}
	if flush && so.werr == nil {
		so.werr = so.out.Flush()
	}
}

func (so *sharedOut) err() error {
	so.mu.Lock()
	defer so.mu.Unlock()
	return so.werr
}

func (w *worker) sink() analysis.Sink {
	if w.direct {
		so := w.shared
		return analysis.Sink{
			Session: func(s *analysis.Session) { so.write(func() error { return so.out.Session(s) }, true) },
			Channel: func(s *analysis.Session, c *analysis.Channel) {
				so.write(func() error { return so.out.Channel(s, c) }, false)
			},
			Notice: func(s *analysis.Session, n *analysis.Notice) {
				so.write(func() error { return so.out.Notice(s, n) }, true)
			},
		}
	}
	return analysis.Sink{
		Session: func(s *analysis.Session) {
			w.res = append(w.res, emission{at: w.at, phase: w.phase, s: s})
		},
		Channel: func(s *analysis.Session, c *analysis.Channel) {
			w.res = append(w.res, emission{at: w.at, phase: w.phase, s: s, c: c})
		},
		Notice: func(s *analysis.Session, n *analysis.Notice) {
			cp := *n
			w.res = append(w.res, emission{at: w.at, phase: w.phase, s: s, n: &cp})
		},
	}
}

// run analyses batches until in is closed.
func (w *worker) run(wg *sync.WaitGroup) {
	defer wg.Done()
	count := uint64(w.own.Count)
	for b := range w.in {
		w.res = b.res[w.idx][:0]
		for i := range b.Packets {
			p := &b.Packets[i]
			g := b.base + uint64(i)
			w.at, w.phase, w.pos, w.num = int32(i), phasePacket, 2*g, p.Num
			w.kind, w.slot = p.Kind, int(b.hash[i]%count)
			if len(w.asked) > 0 {
				w.answer()
			}
			// The run's shard of the slot is slot%outer.Count, since
			// outer.Count divides own.Count.
			owns := p.Kind != capture.KindTCP || w.slot == w.own.Index
			countOther := w.idx == 0 && p.Kind == capture.KindTCP && w.slot%w.outer.Count != w.outer.Index
			w.e.packetOwned(p, owns, countOther)
			w.claims.passed(w.idx, 2*g+2)
		}
		if !b.tick.IsZero() || b.final {
			g := b.base + uint64(len(b.Packets))
			w.at, w.pos, w.num, w.kind = int32(len(b.Packets)), 2*g+1, 0, capture.KindOther
			w.claims.passed(w.idx, 2*g+1)
			if len(w.asked) > 0 {
				w.answer()
			}
			if !b.tick.IsZero() {
				w.phase = phaseAdvance
				w.e.advance(b.tick)
			}
			if b.final {
				w.phase = phaseFinish
				w.e.close()
			}
			w.claims.passed(w.idx, 2*g+2)
		}
		b.res[w.idx] = w.res
		w.res = nil
		b.totals[w.idx] = report.Summary{
			Reassembly: w.e.asm.Stats(), Analysis: w.e.an.Stats(), OpenSessions: w.e.an.OpenSessions(), OtherShard: w.e.otherShard,
		}
		if b.left.Add(-1) == 0 {
			b.done <- struct{}{}
		}
	}
}

// owner is the worker of this run that follows the address pair of the
// packet being analysed (-1: another run's shard, or no packet with a
// pair). Only a claim asks, so the packets do not pay for it.
func (w *worker) owner() int {
	if w.kind != capture.KindTCP && w.kind != capture.KindICMP {
		return -1
	}
	if w.slot%w.outer.Count != w.outer.Index {
		return -1
	}
	return w.slot / w.outer.Count
}

// Claim implements analysis.ClaimGate for the worker's analyzer.
func (w *worker) Claim(first uint64) bool {
	return w.claims.claim(w, first)
}

// workers is the read loop of a run with several workers.
type workers struct {
	cfg    Config
	out    report.Writer
	live   bool
	ws     []*worker
	wg     sync.WaitGroup
	shared *sharedOut
	claims *arbiter
	next   uint64 // the place of the next batch
	free   []*batch
	flight []*batch // handed to the workers, in order
	totals []report.Summary
	werr   error
	last   time.Time // latest capture time read

	interrupted bool
	reported    time.Time
}

// runWorkers is Run with cfg.Workers workers.
func runWorkers(ctx context.Context, src capture.Source, cfg Config, out report.Writer, live bool) (report.Summary, error) {
	n := cfg.Workers
	m := &workers{cfg: cfg, out: out, live: live, totals: make([]report.Summary, n)}
	if cfg.ProgressEvery <= 0 {
		m.cfg.ProgressEvery = DefaultProgressEvery
	}
	outer := cfg.Shard
	if !outer.Split() {
		outer = flowid.Shard{Index: 0, Count: 1}
	}
	wcfg := cfg
	// The tables that hold what one worker follows alone (sessions,
	// control connections and their pages, candidates, the analysis
	// budget) share the run's limits between the workers, so that the
	// run's memory stays what the limits say. The attempt tables (every
	// worker remembers the attempts none of its channels claimed) are
	// each the size one worker's is.
	share := func(v *int) {
		if *v > 0 {
			*v = max((*v+n-1)/n, 1)
		}
	}
	share(&wcfg.Analysis.MaxSessions)
	share(&wcfg.Reassembly.MaxStreams)
	share(&wcfg.Reassembly.MaxPagesTotal)
	share(&wcfg.Reassembly.MaxCandidates)
	if b := wcfg.Analysis.MaxMemory; b > 0 {
		wcfg.Analysis.MaxMemory = max(b/int64(n), 1)
	}
	if cfg.Analysis.Payload != nil {
		wcfg.Analysis.Payload = &lockedPayload{inner: cfg.Analysis.Payload}
	}
	if live {
		m.shared = &sharedOut{out: out}
	}
	m.claims = newArbiter(n, 2*cfg.Analysis.MaxAttempts)
	for i := range n {
		w := &worker{
			idx:    i,
			own:    flowid.Shard{Index: outer.Index + outer.Count*i, Count: outer.Count * n},
			outer:  outer,
			in:     make(chan *batch, batchesInFlight),
			direct: live,
			shared: m.shared,
		}
		w.claims = m.claims
		w.e = &engine{shard: w.own}
		c := wcfg
		c.Analysis.Claims = w
		w.e.build(c, w.sink())
		w.e.beforeAdvance = func() {
			w.phase = phaseAdvance
			w.pos++
			w.claims.passed(w.idx, w.pos)
			if len(w.asked) > 0 {
				w.answer()
			}
		}
		m.ws = append(m.ws, w)
	}
	for range batchesInFlight {
		m.free = append(m.free, newBatch(n))
	}
	m.wg.Add(n)
	for _, w := range m.ws {
		go w.run(&m.wg)
	}
	readErr := m.read(ctx, src)
	// The end: every worker closes its engine, and the last results are
	// written (unless writing failed).
	b := m.take()
	b.final = true
	m.send(b)
	m.drain(true)
	for _, w := range m.ws {
		close(w.in)
	}
	m.wg.Wait()

	interrupted := m.interrupted || ctx.Err() != nil
	sum := m.summary(src, interrupted)
	if interrupted {
		sum.Capture.Damage = withoutInterruption(sum.Capture.Damage)
	}
	if err := m.writeErr(); err != nil {
		return sum, fmt.Errorf("write report: %w", err)
	}
	if err := out.Close(sum); err != nil {
		return sum, fmt.Errorf("write report: %w", err)
	}
	if readErr != nil {
		return sum, fmt.Errorf("read packets: %w", readErr)
	}
	return sum, nil
}

// writeErr is the first write error, the workers' (live) or the merge's.
func (m *workers) writeErr() error {
	if m.werr != nil {
		return m.werr
	}
	if m.shared != nil {
		return m.shared.err()
	}
	return nil
}

// read is the read loop: it fills batches and hands them over, writing the
// results of those the workers are done with as it goes.
func (m *workers) read(ctx context.Context, src capture.Source) error {
	done := ctx.Done()
	var (
		cur      *batch
		lastWall time.Time
		n        uint64
	)
	flush := func() {
		if cur != nil && len(cur.Packets) > 0 {
			m.send(cur)
			cur = nil
		}
	}
	defer flush()
	for {
		if m.live && m.shared.err() != nil || m.werr != nil {
			return nil
		}
		n++
		if m.live || n%checkEvery == 0 {
			select {
			case <-done:
				m.interrupted = true
				return nil
			case <-m.cfg.Reopen:
				flush()
				m.reopenFiles(src)
			default:
			}
			m.report(src)
			m.drain(false)
		}
		p, err := src.Next()
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, capture.ErrTimeout):
			flush()
			if !m.last.IsZero() {
				b := m.take()
				b.tick = m.last.Add(time.Since(lastWall))
				m.send(b)
			}
			continue
		default:
			return err
		}
		if p.Time.After(m.last) {
			m.last = p.Time
			if m.live {
				lastWall = time.Now()
			}
		}
		if cur == nil {
			cur = m.take()
			if m.live {
				cur.wall = time.Now()
			}
		}
		if !cur.add(p) {
			m.send(cur)
			cur = m.take()
			cur.add(p)
			if m.live {
				cur.wall = time.Now()
			}
		}
		if m.live && time.Since(cur.wall) >= liveBatchAge {
			flush()
		}
	}
}

// take returns an empty batch, first writing the results of the oldest
// batch in flight when none is free.
func (m *workers) take() *batch {
	for len(m.free) == 0 {
		m.finishOldest()
	}
	b := m.free[len(m.free)-1]
	m.free = m.free[:len(m.free)-1]
	b.reset()
	return b
}

// send hands b to every worker.
func (m *workers) send(b *batch) {
	b.base = m.next
	m.next += uint64(len(b.Packets))
	if !b.tick.IsZero() || b.final {
		m.next++
	}
	b.left.Store(int32(len(m.ws)))
	m.flight = append(m.flight, b)
	for _, w := range m.ws {
		w.in <- b
	}
}

// drain writes the results of the batches the workers are done with, in
// order; all waits for every batch in flight.
func (m *workers) drain(all bool) {
	for len(m.flight) > 0 {
		if !all && len(m.flight[0].done) == 0 {
			return
		}
		m.finishOldest()
	}
}

// finishOldest waits for the oldest batch in flight, writes its results
// and gives it back.
func (m *workers) finishOldest() {
	b := m.flight[0]
	<-b.done
	m.flight = m.flight[1:]
	copy(m.totals, b.totals)
	if !m.live {
		mergeEmissions(b.res, m.write)
	}
	m.free = append(m.free, b)
}

// write hands one merged result to the report.
func (m *workers) write(e *emission) {
	if m.werr != nil {
		return
	}
	switch {
	case e.c != nil:
		m.werr = m.out.Channel(e.s, e.c)
	case e.n != nil:
		m.werr = m.out.Notice(e.s, e.n)
	default:
		m.werr = m.out.Session(e.s)
	}
}

// reopenFiles is engine.reopenFiles for a run with workers: live workers
// write to the report, so it is reopened under their lock.
func (m *workers) reopenFiles(src capture.Source) {
	if r, ok := src.(capture.Reopener); ok {
		_ = r.Reopen() // recorded in the source's Damage
	}
	if m.shared != nil {
		m.shared.write(func() error { return report.Reopen(m.out) }, false)
		return
	}
	m.drain(true)
	if err := report.Reopen(m.out); err != nil && m.werr == nil {
		m.werr = err
	}
}

// report calls Config.Progress when its period has passed, with the
// workers' totals as of the last batch written.
func (m *workers) report(src capture.Source) {
	if m.cfg.Progress == nil {
		return
	}
	now := time.Now()
	if now.Sub(m.reported) < m.cfg.ProgressEvery {
		return
	}
	m.reported = now
	m.cfg.Progress(m.summary(src, false))
}

// summary adds up the workers' totals.
func (m *workers) summary(src capture.Source, interrupted bool) report.Summary {
	sum := report.Summary{Capture: src.Stats(), Interrupted: interrupted, Shard: m.cfg.Shard}
	var evictedAttempts uint64
	for _, s := range m.totals {
		sum.Reassembly.Add(s.Reassembly)
		sum.Analysis.Add(s.Analysis)
		sum.OpenSessions += s.OpenSessions
		sum.OtherShard += s.OtherShard
		// Every worker keeps the connection attempts it could not match
		// in a table of its own: the evictions from it are the one
		// worker's (the most any of them made), not their sum.
		evictedAttempts = max(evictedAttempts, s.Analysis.EvictedAttempts)
	}
	sum.Analysis.EvictedAttempts = evictedAttempts
	return sum
}

// mergeEmissions writes the workers' emissions of one batch in the order
// one worker would have made them: by the packet that caused them, then
// the phase; within a packet's own phase worker by worker, and within a
// tick or the end by the sessions' order (start, Client, Server), each
// session after the channels and notices its worker emitted before it.
func mergeEmissions(res [][]emission, write func(*emission)) {
	pos := make([]int, len(res))
	for {
		// The earliest (packet, phase) any worker has left.
		best := -1
		for w, r := range res {
			if pos[w] < len(r) && (best < 0 || before(&r[pos[w]], &res[best][pos[best]])) {
				best = w
			}
		}
		if best < 0 {
			return
		}
		at, ph := res[best][pos[best]].at, res[best][pos[best]].phase
		in := func(w int) bool {
			return pos[w] < len(res[w]) && res[w][pos[w]].at == at && res[w][pos[w]].phase == ph
		}
		if ph == phasePacket {
			for w := range res {
				for in(w) {
					write(&res[w][pos[w]])
					pos[w]++
				}
			}
			continue
		}
		for {
			// The worker whose next session in this step comes first;
			// one with no session left in it goes after the others.
			pick, pickS := -1, (*analysis.Session)(nil)
			for w := range res {
				if !in(w) {
					continue
				}
				s := nextSession(res[w][pos[w]:], at, ph)
				if pick < 0 || s != nil && (pickS == nil || sessionBefore(s, pickS)) {
					pick, pickS = w, s
				}
			}
			if pick < 0 {
				break
			}
			for in(pick) {
				e := &res[pick][pos[pick]]
				write(e)
				pos[pick]++
				if e.c == nil && e.n == nil {
					break
				}
			}
		}
	}
}

// before orders emissions by packet, then phase.
func before(a, b *emission) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.phase < b.phase
}

// nextSession is the first session emitted in step (at, ph) of r, or nil.
func nextSession(r []emission, at int32, ph phase) *analysis.Session {
	for i := range r {
		e := &r[i]
		if e.at != at || e.phase != ph {
			return nil
		}
		if e.c == nil && e.n == nil {
			return e.s
		}
	}
	return nil
}

// sessionBefore is the order in which the analyzer emits the sessions of
// one tick (analysis.sortStates): start, then Client, then Server.
func sessionBefore(a, b *analysis.Session) bool {
	if !a.Start.Equal(b.Start) {
		return a.Start.Before(b.Start)
	}
	if c := a.Client.Compare(b.Client); c != 0 {
		return c < 0
	}
	return a.Server.Compare(b.Server) < 0
}

// lockedPayload lets several workers share one payload consumer (the
// files --extract writes, the digests): each call holds its lock.
type lockedPayload struct {
	mu    sync.Mutex
	inner analysis.PayloadConsumer
}

// Begin implements analysis.PayloadConsumer.
func (l *lockedPayload) Begin(s *analysis.Session, ch *analysis.Channel) analysis.PayloadStream {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.inner.Begin(s, ch)
	if st == nil {
		return nil
	}
	return &lockedStream{l: l, inner: st}
}

type lockedStream struct {
	l     *lockedPayload
	inner analysis.PayloadStream
}

func (s *lockedStream) Write(p []byte) bool {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	return s.inner.Write(p)
}

func (s *lockedStream) End(sess *analysis.Session, ch *analysis.Channel, whole bool) *analysis.Content {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	return s.inner.End(sess, ch, whole)
}
