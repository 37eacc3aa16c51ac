package capture

import (
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// errPipeStopped is Next's answer once the pipe was stopped.
var errPipeStopped = errors.New("packet pipe stopped")

// errHandOver ends the reading goroutine's stream when the pipe goes on
// reading on the caller's goroutine.
var errHandOver = errors.New("reading handed over")

// ReadAheadConfig says when a read-ahead source starts its second goroutine.
type ReadAheadConfig struct {
	// StartAfter is how many bytes of frames are read on the caller's
	// goroutine before the reading goroutine starts (0: at once).
	// DefaultReadAheadStart keeps small captures, which are over before the
	// second goroutine would pay for itself, on one.
	StartAfter uint64
}

// DefaultReadAheadStart is the StartAfter that suits most captures.
const DefaultReadAheadStart = 16 << 20

// ReadAhead returns a Source that reads the capture files of src (a Source
// from OpenFiles) on a second goroutine while the caller analyses what was
// read: reading (system calls, the pcap records, the merge of several
// files) and part of the decoding then overlap the rest of the decoding and
// the analysis. The packets, their order and the totals are the same as
// src's own; Close closes src. When that cannot pay, src itself is
// returned: a live source (read in place, its timeouts pace the clock that
// advances an idle link), a source that is not OpenFiles', or a runtime
// limited to one core (GOMAXPROCS). The read-ahead also hands reading back
// to the caller's goroutine for good when it finds the process using little
// more than one core (the other one busy with other work).
//
// Stats may be called at any time; before the end of the input it counts
// the frames handed out so far, and the damage the reading goroutine met,
// which may lie a little ahead of them.
func ReadAhead(src Source, cfg ReadAheadConfig) Source {
	fs, ok := src.(frameSource)
	if !ok || runtime.GOMAXPROCS(0) < 2 || src.Stats().Live {
		return src
	}
	return startPipe(fs, pipeConfig{batches: pipeBatches, batchBytes: pipeBatchBytes, batchFrames: pipeBatchFrames,
		batchChunks: pipeBatchChunks, probeEvery: probeBatches, startAfter: cfg.StartAfter})
}

// The pipe's buffers: pipeBatches batches of up to pipeBatchFrames frames,
// whose bytes are either held in the reader's chunks (classic pcap: at most
// pipeBatchChunks chunks a batch, nothing copied) or copied into the batch
// (pcapng, frames longer than a chunk: up to pipeBatchBytes a batch).
// Memory is bounded by their products (about 4 MiB of chunks and 2 MiB of
// decoded packets with these), whatever the capture; a frame larger than a
// batch gets a batch of its own, grown for it.
const (
	pipeBatches     = 4
	pipeBatchBytes  = 256 << 10
	pipeBatchFrames = 1024
	pipeBatchChunks = 3
)

// decodeBlock is how many frames the reading goroutine decodes between two
// looks at whether the analysing one is waiting for work.
const decodeBlock = 64

// The second core is only worth its overhead (the copy into batches, the
// hand-overs) when the two goroutines really run at once. When other
// processes keep the other core busy they take turns on one, and reading on
// the caller's goroutine is faster: every probeBatches batches the pipe
// compares the process's CPU time with the wall-clock time that passed, and
// after two probes in a row below minParallel cores it hands reading over to
// the caller's goroutine for good. The wall clock paces only this choice of
// how to read; what is read, and so the report, does not depend on it.
const (
	probeBatches = 64
	minParallel  = 1.35
)

// pipeConfig sizes a pipe. batchChunks is the most reader chunks a batch
// holds (0: copy every frame, never hold chunks). startAfter is the bytes of
// frames read on the caller's goroutine before the reading goroutine
// starts; probeEvery is the batches between probes (0: no probing);
// switchAfter (tests) hands reading back after that many batches whatever
// the probes say; decodeAhead (tests) makes the reading goroutine decode
// every frame itself (1) or none (-1) instead of as much as the analysing
// goroutine lets it.
type pipeConfig struct {
	batches, batchBytes, batchFrames, batchChunks int
	startAfter                                    uint64
	probeEvery                                    int
	switchAfter                                   int
	decodeAhead                                   int
}

// batch is a run of frames, in capture order. A frame's Data lies in one
// of chunks (held until the batch is consumed) or was copied into buf.
// pkts[i] is frames[i] decoded (bad[i]: malformed): the reading goroutine
// decodes the first decoded frames before the hand-over, Next the rest.
type batch struct {
	frames  []frame
	pkts    []Packet
	bad     []bool
	decoded int
	chunks  []*readChunk
	buf     []byte
	// err ends the stream after the frames: io.EOF, a read error, or
	// errHandOver.
	err error
}

// shrink gives back a buffer that grew beyond size for a frame larger
// than a batch, and every reference into it (frames and decoded packets
// alias it), so that a huge record costs its memory only while its batch
// is in use: a pool of batches that kept their grown buffers would hold
// one huge record's worth each for the rest of the run.
func (b *batch) shrink(size int) {
	if cap(b.buf) <= size {
		return
	}
	clear(b.pkts[:len(b.frames)])
	clear(b.frames)
	b.buf = nil // take allocates a batch-sized one again
}

// release gives up the batch's hold on the reader's chunks.
func (b *batch) release() {
	for i, c := range b.chunks {
		c.release()
		b.chunks[i] = nil
	}
	b.chunks = b.chunks[:0]
}

// pipe reads frames on its own goroutine into batches taken from a fixed
// pool, and hands the batches over in order; Next returns their packets on
// the caller's goroutine. Decoding is shared: the reading goroutine decodes
// a batch's frames while the caller still has batches queued, and leaves
// the rest to Next as soon as the caller runs out, so the two goroutines
// balance their work whatever the capture. Batches go back to the pool once
// Next has moved past them, so a Packet stays valid until the next call, as
// with a Source.
type pipe struct {
	cfg pipeConfig
	src frameSource
	dec *decoder // the caller's
	// readDec decodes on the reading goroutine (p.dec counts what either
	// decoded, as it is consumed); pool recycles the chunks
	// the batches hold (nil: frames are copied).
	readDec *decoder
	pool    *chunkPool
	full    chan *batch // read, in capture order
	free    chan *batch // consumed, to be refilled
	quit    chan struct{}
	// handOver asks the reading goroutine to end its stream at the next
	// frame (errHandOver), after which Next reads src itself.
	handOver atomic.Bool
	// srcMu guards src while the reading goroutine reads it, so that
	// Stats can be asked for at any time.
	srcMu sync.Mutex
	wg    sync.WaitGroup
	once  sync.Once

	cur     *batch
	i       int
	err     error // sticky end of the stream
	inPlace bool  // Next reads src directly: before the start, or after a hand-over
	started bool  // the reading goroutine was started (it is never restarted)

	// Probing: batches consumed, and the clocks at the last probe.
	consumed       int
	lowProbes      int
	probeWall      time.Time
	probeCPU       time.Duration
	probeCPUKnown  bool
	handedOverAt   int // batches consumed when reading was handed over (0: never)
	cpuTimeForTest func() (time.Duration, bool)

	// The frame totals, counted where the frames are consumed so that they
	// describe what was analysed even when the run is interrupted with
	// batches read ahead.
	packets, bytes, backwards uint64
	first, last               time.Time
}

func startPipe(src frameSource, cfg pipeConfig) *pipe {
	p := &pipe{
		cfg:     cfg,
		src:     src,
		dec:     newDecoder(),
		readDec: newDecoder(),
		quit:    make(chan struct{}),
		inPlace: true,
	}
	if cfg.startAfter == 0 {
		p.start()
	}
	return p
}

// start launches the reading goroutine. The caller must be done with the
// frame it read last: the goroutine reads on from there.
func (p *pipe) start() {
	p.started, p.inPlace = true, false
	p.full = make(chan *batch, p.cfg.batches)
	p.free = make(chan *batch, p.cfg.batches)
	for range p.cfg.batches {
		p.free <- &batch{
			frames: make([]frame, 0, p.cfg.batchFrames),
			pkts:   make([]Packet, p.cfg.batchFrames),
			bad:    make([]bool, p.cfg.batchFrames),
			chunks: make([]*readChunk, 0, p.cfg.batchChunks+1),
			buf:    make([]byte, 0, p.cfg.batchBytes),
		}
	}
	if cs, ok := p.src.(chunkedSource); ok && p.cfg.batchChunks > 0 {
		// Every batch holds at most batchChunks chunks and the reader one
		// more: the pool never needs to keep more than that.
		p.pool = newChunkPool(p.cfg.batches*p.cfg.batchChunks + 1)
		cs.useChunks(p.pool)
	}
	p.probeWall = time.Now()
	p.probeCPU, p.probeCPUKnown = processCPUTime()
	p.wg.Add(1)
	go p.read()
}

// read is the reading goroutine. It holds srcMu while it reads, and lets
// go of it while it waits for the caller.
func (p *pipe) read() {
	defer p.wg.Done()
	b := p.take()
	p.srcMu.Lock()
	defer p.srcMu.Unlock()
	for b != nil {
		if p.handOver.Load() {
			b.err = errHandOver
			p.giveUnlocked(b)
			return
		}
		f, err := p.src.nextFrame()
		if err != nil {
			b.err = err
			p.decodeAhead(b)
			p.giveUnlocked(b)
			return
		}
		if len(b.frames) > 0 && !p.fits(b, f) {
			p.decodeAhead(b)
			if !p.giveUnlocked(b) {
				return
			}
			p.srcMu.Unlock()
			b = p.take()
			p.srcMu.Lock()
			if b == nil {
				return
			}
		}
		fr := *f
		if c := f.chunk; c != nil {
			if !slices.Contains(b.chunks, c) {
				c.retain()
				b.chunks = append(b.chunks, c)
			}
		} else {
			if len(f.Data) > cap(b.buf)-len(b.buf) {
				// Only for the first copied frame of a batch (fits
				// said so): a frame larger than a batch.
				b.buf = make([]byte, 0, len(f.Data))
			}
			start := len(b.buf)
			b.buf = append(b.buf, f.Data...)
			fr.Data = b.buf[start:len(b.buf):len(b.buf)]
		}
		fr.chunk = nil
		// Ancillary data aliases the reader's memory; the link type it
		// carries for pcapng is in fr.Link already.
		fr.Info.AncillaryData = nil
		b.frames = append(b.frames, fr)
	}
}

// fits reports whether f can join the non-empty batch b.
func (p *pipe) fits(b *batch, f *frame) bool {
	if len(b.frames) == p.cfg.batchFrames {
		return false
	}
	if c := f.chunk; c != nil {
		// Merged files interleave their chunks: a batch holds each once.
		return slices.Contains(b.chunks, c) || len(b.chunks) < p.cfg.batchChunks
	}
	return len(b.buf)+len(f.Data) <= cap(b.buf)
}

// decodeAhead decodes b's frames on the reading goroutine, a block at a
// time, for as long as the caller has other batches queued: when it has
// none, it is waiting (or about to), and b goes over at once with the rest
// left for Next to decode.
func (p *pipe) decodeAhead(b *batch) {
	for b.decoded < len(b.frames) {
		switch {
		case p.cfg.decodeAhead < 0:
			return
		case p.cfg.decodeAhead == 0 && len(p.full) == 0:
			return
		}
		end := min(b.decoded+decodeBlock, len(b.frames))
		for i := b.decoded; i < end; i++ {
			b.bad[i] = p.readDec.decode(&b.frames[i], &b.pkts[i])
		}
		b.decoded = end
	}
}

// take gets an empty batch from the pool, or nil when the pipe is stopped.
func (p *pipe) take() *batch {
	select {
	case b := <-p.free:
		b.frames, b.buf, b.err, b.decoded = b.frames[:0], b.buf[:0], nil, 0
		if b.buf == nil {
			b.buf = make([]byte, 0, p.cfg.batchBytes)
		}
		return b
	case <-p.quit:
		return nil
	}
}

// giveUnlocked is give without holding srcMu while it waits.
func (p *pipe) giveUnlocked(b *batch) bool {
	p.srcMu.Unlock()
	defer p.srcMu.Lock()
	return p.give(b)
}

// give hands a filled batch over; false when the pipe is stopped.
func (p *pipe) give(b *batch) bool {
	select {
	case p.full <- b:
		return true
	case <-p.quit:
		return false
	}
}

// Next returns the next packet, decoded from the next frame.
func (p *pipe) Next() (*Packet, error) {
	var f *frame
	for f == nil {
		if p.err != nil {
			return nil, p.err
		}
		if p.inPlace && !p.started && p.bytes >= p.cfg.startAfter {
			p.start()
		}
		if p.inPlace {
			var err error
			if f, err = p.src.nextFrame(); err != nil {
				p.err = err
			}
			continue
		}
		if b := p.cur; b != nil && p.i < len(b.frames) {
			i := p.i
			p.i++
			if i >= b.decoded {
				b.bad[i] = p.dec.decode(&b.frames[i], &b.pkts[i])
			}
			p.dec.count(&b.pkts[i], b.bad[i])
			return p.count(&b.pkts[i]), nil
		}
		if p.cur != nil {
			switch err := p.cur.err; {
			case errors.Is(err, errHandOver):
				// Everything the goroutine read has been consumed: read
				// on here from where it stopped.
				p.inPlace = true
				p.wg.Wait()
			case err != nil:
				p.err = err
			}
			p.cur.release()
			p.cur.shrink(p.cfg.batchBytes)
			p.free <- p.cur // never blocks: the pool has room for every batch
			p.cur = nil
			if p.inPlace || p.err != nil {
				continue
			}
			p.batchDone()
		}
		select {
		case p.cur = <-p.full:
			p.i = 0
		case <-p.quit:
			p.cur, p.err = nil, errPipeStopped
		}
	}
	return p.count(p.dec.decodeFrame(f)), nil
}

// count does the Source's own bookkeeping on the frames analysed.
func (p *pipe) count(pkt *Packet) *Packet {
	if p.packets == 0 {
		p.first = pkt.Time
	} else if pkt.Time.Before(p.last) {
		p.backwards++
	}
	p.last = pkt.Time
	p.packets++
	p.bytes += uint64(pkt.CapLen)
	return pkt
}

// batchDone counts a consumed batch and, every probeBatches, decides whether
// reading on the second goroutine still pays.
func (p *pipe) batchDone() {
	p.consumed++
	if p.handOver.Load() {
		return
	}
	if n := p.cfg.switchAfter; n > 0 && p.consumed >= n {
		p.handOver.Store(true)
		p.handedOverAt = p.consumed
		return
	}
	if p.cfg.probeEvery == 0 || !p.probeCPUKnown || p.consumed%p.cfg.probeEvery != 0 {
		return
	}
	cpu, ok := processCPUTime()
	if p.cpuTimeForTest != nil {
		cpu, ok = p.cpuTimeForTest()
	}
	now := time.Now()
	wall := now.Sub(p.probeWall)
	if !ok || wall <= 0 {
		return
	}
	if float64(cpu-p.probeCPU)/float64(wall) < minParallel {
		p.lowProbes++
	} else {
		p.lowProbes = 0
	}
	p.probeWall, p.probeCPU = now, cpu
	if p.lowProbes >= 2 {
		p.handOver.Store(true)
		p.handedOverAt = p.consumed
	}
}

// stop ends the reading goroutine and waits for it.
func (p *pipe) stop() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}

// Close stops the pipe and closes its source.
func (p *pipe) Close() error {
	p.stop()
	return p.src.Close()
}

// Stats completes the source's totals with the pipe's: the frames analysed
// and their kinds. The damage and the rest come from the source (as far as
// the reading goroutine got).
func (p *pipe) Stats() Stats {
	p.srcMu.Lock()
	st := p.src.Stats()
	p.srcMu.Unlock()
	st.Packets, st.Bytes, st.BackwardsTime = p.packets, p.bytes, p.backwards
	st.First, st.Last = p.first, p.last
	st.TCP, st.ICMP, st.Other, st.Undecodable, st.Snapped = 0, 0, 0, 0, 0
	st.NotDecoded = UndecodedCounts{}
	p.dec.addCounts(&st)
	return st
}
