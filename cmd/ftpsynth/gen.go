package main

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// config is what the command line decided.
type config struct {
	size        int64   // target capture bytes (0: as many as the sessions need)
	sessions    int     // FTP sessions (0: as many as fit in size)
	seed        uint64  // everything random derives from it
	loss        float64 // fraction of packets left out of the capture
	reorder     float64 // fraction of packets held back to be overtaken (see play)
	vlans       []uint16
	small       bool    // small-packet-heavy traffic
	concurrency int     // flows open at once
	ipv6Share   float64 // fraction of flows over IPv6
	ftpShare    float64 // fraction of capture bytes that belong to FTP sessions
	tlsShare    float64 // fraction of FTP sessions that use AUTH TLS
	maxTransfer int     // largest RETR/STOR
	start       time.Time
}

// stats counts what was written.
type stats struct {
	packets, ftpPackets, ctlPackets int64
	lost, reordered                 int64
	sessions, channels, blocked     int
	nat, tls, hidden, v6, lossy     int
	verdicts                        map[string]int
	first, last                     time.Time
}

// gen plays flows into a capture.
type gen struct {
	cfg      config
	w        *craft.Writer
	truth    *truthWriter
	hosts    *hosts
	overhead int // capture bytes per packet besides the IP packet

	sched   *rand.Rand // flow starts and kinds
	loss    *rand.Rand // capture loss and reordering
	flows   flowHeap
	started int // flows started (their index seeds their randomness)
	ftpN    int // FTP sessions started
	// committed counts the estimated bytes of the flows started, by kind.
	ftpBytes, bgBytes int64

	out     *pipe    // to the writer goroutine
	free    [][]step // scripts of finished flows, reused
	pattern []byte   // bulk payload
	opaque  []byte   // TLS record bodies
	st      stats
}

func newGen(cfg config, w *craft.Writer, truth *truthWriter) *gen {
	g := &gen{
		cfg:      cfg,
		w:        w,
		truth:    truth,
		hosts:    newHosts(cfg.seed),
		overhead: 16 + 14 + 4*len(cfg.vlans),
		sched:    rand.New(rand.NewPCG(cfg.seed, 0x7363686564)),
		loss:     rand.New(rand.NewPCG(cfg.seed, 0x6c6f7373)),
		st:       stats{verdicts: map[string]int{}},
	}
	g.pattern = make([]byte, 1500)
	for i := range g.pattern {
		g.pattern[i] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"[i%63]
	}
	g.opaque = make([]byte, 8192)
	r := rand.New(rand.NewPCG(cfg.seed, 0x746c73))
	for i := range g.opaque {
		g.opaque[i] = byte(r.Uint32())
	}
	return g
}

// takeSteps returns an empty script, reusing a finished flow's memory.
func (g *gen) takeSteps() []step {
	if n := len(g.free); n > 0 {
		s := g.free[n-1]
		g.free = g.free[:n-1]
		return s
	}
	return make([]step, 0, 64)
}

// tlsRecord returns a TLS record of content type typ with n opaque bytes.
func (g *gen) tlsRecord(typ byte, n int) []byte {
	n = min(n, len(g.opaque)-5)
	b := make([]byte, 5+n)
	b[0], b[1], b[2], b[3], b[4] = typ, 3, 3, byte(n>>8), byte(n)
	copy(b[5:], g.opaque[:n])
	return b
}

// wantFTP says whether the next flow should be an FTP session, and wantAny
// whether any flow should start at all.
func (g *gen) next() (start, ftp bool) {
	c := g.cfg
	total := g.ftpBytes + g.bgBytes
	ftpLeft := c.sessions == 0 || g.ftpN < c.sessions
	if c.sessions == 0 && c.size > 0 && total >= c.size {
		ftpLeft = false
	}
	sizeLeft := c.size > 0 && total < c.size
	switch {
	case !ftpLeft && !sizeLeft:
		return false, false
	case !ftpLeft:
		return true, false
	case c.sessions > 0 && c.size > 0 && !sizeLeft:
		// The size is reached but not the session count: FTP only.
		return true, true
	case c.size == 0 && g.ftpN >= c.sessions:
		return false, false
	}
	// Keep FTP near its share of the bytes.
	return true, float64(g.ftpBytes) <= c.ftpShare*float64(total)
}

// startFlow builds the next flow to start at t, or returns nil when no more
// flows are wanted.
func (g *gen) startFlow(t time.Time) *flow {
	ok, ftp := g.next()
	if !ok {
		return nil
	}
	idx := g.started
	g.started++
	rng := rand.New(rand.NewPCG(g.cfg.seed, uint64(idx)))
	var f *flow
	if ftp {
		f = g.buildFTP(g.ftpN, t, rng)
		g.ftpN++
		g.ftpBytes += f.bytes
	} else {
		f = g.buildBackground(t, rng)
		g.bgBytes += f.bytes
	}
	if f.done() {
		return nil
	}
	f.id = idx
	f.refresh()
	return f
}

// run writes the whole capture.
func (g *gen) run(ctx context.Context) error {
	t := g.cfg.start
	for i := 0; i < g.cfg.concurrency; i++ {
		f := g.startFlow(t)
		if f == nil {
			break
		}
		g.flows.push(f)
		t = t.Add(time.Duration(g.sched.IntN(int(2 * time.Millisecond))))
	}
	g.out = newPipe(g.w)
	err := g.play(ctx)
	if werr := g.out.close(); err == nil {
		err = werr
	}
	return err
}

// play interleaves the flows until all are done.
func (g *gen) play(ctx context.Context) error {
	var n int
	for len(g.flows.fs) > 0 {
		f := g.flows.fs[0]
		if f.holding && (f.done() || !f.peek().Before(f.heldUntil)) {
			// Nothing of its connection overtook the held packet in time:
			// it goes out now, late, but in order within its connection.
			g.release(f, f.heldUntil, false)
		} else {
			p := f.next(g.pattern)
			switch {
			case g.cfg.reorder > 0 && !f.holding && !f.done() && g.loss.Float64() < g.cfg.reorder:
				// Hold this packet back until the next one in the same
				// direction of its connection has gone out: out-of-order
				// delivery, as two paths or a busy queue cause it.
				f.held, f.holding, f.heldUntil = p, true, p.t.Add(maxReorderDelay)
			case f.holding && p.seg.Src == f.held.seg.Dst && p.seg.Dst == f.held.seg.Src:
				// The other side answers: whatever it answers, the held
				// packet reached it first, so it is seen first.
				g.release(f, p.t, false)
				g.emit(f, &p)
			default:
				g.emit(f, &p)
				if sameDir := f.holding && p.seg.Src == f.held.seg.Src && p.seg.Dst == f.held.seg.Dst; sameDir || f.holding && f.done() {
					g.release(f, p.t, sameDir)
				}
			}
		}
		f.refresh()
		if f.done() && !f.holding {
			g.finish(f)
			g.free = append(g.free, f.steps[:0])
			next := g.startFlow(f.last.Add(time.Duration(g.sched.ExpFloat64() * float64(20*time.Millisecond))))
			if next != nil {
				g.flows.fs[0] = next
			} else {
				g.flows.pop0()
			}
		}
		if len(g.flows.fs) > 0 {
			g.flows.down(0)
		}
		if n++; n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if g.out.failed.Load() {
				return nil // the writer's error is reported by run
			}
		}
	}
	return nil
}

// maxReorderDelay bounds how long a packet is held back by --reorder:
// network reordering is a matter of microseconds to milliseconds, not of a
// retransmission timeout.
const maxReorderDelay = 5 * time.Millisecond

// release writes f's held packet at time t (never before it was due).
// overtaken says a later packet of its connection went out before it: the
// capture really has it out of order.
func (g *gen) release(f *flow, t time.Time, overtaken bool) {
	h := f.held
	if t.After(h.t) {
		h.t = t
	}
	f.holding = false
	f.held = pkt{}
	if overtaken {
		g.st.reordered++
		if f.ftp != nil {
			f.ftp.reordered++
		}
	}
	g.emit(f, &h)
}

// emit queues one packet unless capture loss takes it.
func (g *gen) emit(f *flow, p *pkt) {
	f.last = p.t
	if g.cfg.loss > 0 && g.loss.Float64() < g.cfg.loss {
		g.st.lost++
		if s := f.ftp; s != nil {
			s.lost++
			if p.ch >= 0 {
				s.chLost[p.ch]++
			}
		}
		return
	}
	g.out.add(p)
	if g.st.packets == 0 {
		g.st.first = p.t
	}
	g.st.last = p.t
	g.st.packets++
	if f.ftp != nil {
		g.st.ftpPackets++
		if p.ctl {
			g.st.ctlPackets++
		}
	}
}

// finish writes the truth of a finished FTP session.
func (g *gen) finish(f *flow) {
	s := f.ftp
	if s == nil {
		return
	}
	t := &s.truth
	t.Channels = len(s.channels)
	t.Lost, t.Lossy, t.Reordered = s.lost, s.lost > 0, s.reordered
	g.truth.write(t)
	for i := range s.channels {
		c := &s.channels[i]
		c.Lossy, c.Lost = s.lost > 0, s.chLost[i]
		g.truth.write(c)
		g.st.verdicts[c.Verdict]++
		if c.Blocked {
			g.st.blocked++
		}
		if c.NAT {
			g.st.nat++
		}
	}
	g.st.sessions++
	g.st.channels += len(s.channels)
	g.st.hidden += t.HiddenChannels
	if t.TLS {
		g.st.tls++
	}
	if s.v6 {
		g.st.v6++
	}
	if t.Lossy {
		g.st.lossy++
	}
}

// summary is the last truth object.
func (g *gen) summary() summaryTruth {
	return summaryTruth{
		Type: "truth-summary", Seed: g.cfg.seed, Sessions: g.st.sessions, Channels: g.st.channels,
		Verdicts: g.st.verdicts, Blocked: g.st.blocked, NAT: g.st.nat, TLSSessions: g.st.tls,
		HiddenChannels: g.st.hidden, IPv6Sessions: g.st.v6, LossySessions: g.st.lossy,
		Packets: g.st.packets, FTPPackets: g.st.ftpPackets, ControlPackets: g.st.ctlPackets,
		Bytes: 24 + 16*g.st.packets + g.w.Bytes(), Lost: g.st.lost, Reordered: g.st.reordered,
		Start: stamp(g.st.first), End: stamp(g.st.last),
	}
}

// flowHeap orders open flows by the time of their next packet (ties by
// start order, so the output does not depend on heap internals).
type flowHeap struct{ fs []*flow }

func (h *flowHeap) less(i, j int) bool {
	a, b := h.fs[i].at, h.fs[j].at
	if a == b {
		return h.fs[i].id < h.fs[j].id
	}
	return a < b
}

func (h *flowHeap) push(f *flow) {
	h.fs = append(h.fs, f)
	i := len(h.fs) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.fs[i], h.fs[p] = h.fs[p], h.fs[i]
		i = p
	}
}

func (h *flowHeap) pop0() {
	n := len(h.fs) - 1
	h.fs[0] = h.fs[n]
	h.fs[n] = nil
	h.fs = h.fs[:n]
}

func (h *flowHeap) down(i int) {
	n := len(h.fs)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.fs[i], h.fs[m] = h.fs[m], h.fs[i]
		i = m
	}
}

// logUniform draws from [lo, hi] with a log-uniform distribution.
func logUniform(rng *rand.Rand, lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + rng.Float64()*math.Log(hi/lo))
}
