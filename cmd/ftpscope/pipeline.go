package main

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// errPipeStopped is Next's answer once the pipe was stopped.
var errPipeStopped = errors.New("packet pipe stopped")

// packetInput is where analyze takes its packets from: the Source itself, or
// a pipe that reads on a second goroutine.
type packetInput interface {
	Next() (*capture.Packet, error)
	// Stats is called once, after the last Next.
	Stats() capture.Stats
	// stop ends any reading still under way; Stats may follow.
	stop()
}

// openInput picks how analyze reads src. Capture files are read on a second
// goroutine when the runtime may use more than one core and --single-core
// was not given: reading (system calls, the pcap records, the merge of
// several files) then overlaps decoding and analysis. The packets, and so
// the report, are the same either way. Live capture is read in place: its
// timeouts pace the wall clock that advances an idle link.
func openInput(src capture.Source, o options) packetInput {
	fs, ok := src.(capture.FrameSource)
	if !ok || o.singleCore || runtime.GOMAXPROCS(0) < 2 || src.Stats().Live {
		return direct{src}
	}
	return startPipe(fs, pipeBatches, pipeBatchBytes, pipeBatchFrames)
}

// direct reads a Source on the caller's goroutine.
type direct struct{ capture.Source }

func (direct) stop() {}

// The pipe's buffers: pipeBatches batches of up to pipeBatchBytes of frame
// data or pipeBatchFrames frames each. Memory is bounded by their product
// (1 MiB with these), whatever the capture; a frame larger than a batch gets
// a batch of its own, grown for it.
const (
	pipeBatches     = 4
	pipeBatchBytes  = 256 << 10
	pipeBatchFrames = 4096
)

// batch is a run of frames copied out of the reader's buffers. Frames' Data
// point into buf.
type batch struct {
	frames []capture.Frame
	buf    []byte
	// err ends the stream after the frames: io.EOF or a read error.
	err error
}

// pipe reads frames on its own goroutine, copies them into batches taken
// from a fixed pool, and hands the batches over in order; Next decodes them
// on the caller's goroutine. Batches go back to the pool once Next has moved
// past them, so a Packet stays valid until the next call, as with a Source.
type pipe struct {
	src  capture.FrameSource
	dec  *capture.Decoder
	full chan *batch // read, in capture order
	free chan *batch // consumed, to be refilled
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	cur *batch
	i   int
	err error // sticky end of the stream

	// The frame totals, counted where the frames are consumed so that they
	// describe what was analysed even when the run is interrupted with
	// batches read ahead.
	packets, bytes, backwards uint64
	first, last               time.Time
}

func startPipe(src capture.FrameSource, batches, batchBytes, batchFrames int) *pipe {
	p := &pipe{
		src:  src,
		dec:  capture.NewDecoder(),
		full: make(chan *batch, batches),
		free: make(chan *batch, batches),
		quit: make(chan struct{}),
	}
	for range batches {
		p.free <- &batch{frames: make([]capture.Frame, 0, batchFrames), buf: make([]byte, 0, batchBytes)}
	}
	p.wg.Add(1)
	go p.read(batchBytes, batchFrames)
	return p
}

// read is the reading goroutine.
func (p *pipe) read(batchBytes, batchFrames int) {
	defer p.wg.Done()
	b := p.take()
	for b != nil {
		f, err := p.src.NextFrame()
		if err != nil {
			b.err = err
			p.give(b)
			return
		}
		if len(b.frames) == batchFrames || len(b.buf)+len(f.Data) > cap(b.buf) {
			if len(b.frames) > 0 {
				if !p.give(b) {
					return
				}
				if b = p.take(); b == nil {
					return
				}
			}
			if len(f.Data) > cap(b.buf) {
				b.buf = make([]byte, 0, len(f.Data))
			}
		}
		start := len(b.buf)
		b.buf = append(b.buf, f.Data...)
		fr := *f
		fr.Data = b.buf[start:len(b.buf):len(b.buf)]
		// Ancillary data aliases the reader's memory; the link type it
		// carries for pcapng is in fr.Link already.
		fr.Info.AncillaryData = nil
		b.frames = append(b.frames, fr)
	}
}

// take gets an empty batch from the pool, or nil when the pipe is stopped.
func (p *pipe) take() *batch {
	select {
	case b := <-p.free:
		b.frames, b.buf, b.err = b.frames[:0], b.buf[:0], nil
		return b
	case <-p.quit:
		return nil
	}
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
func (p *pipe) Next() (*capture.Packet, error) {
	for {
		if p.err != nil {
			return nil, p.err
		}
		if p.cur != nil && p.i < len(p.cur.frames) {
			break
		}
		if p.cur != nil {
			if p.cur.err != nil {
				p.err = p.cur.err
				continue
			}
			p.free <- p.cur // never blocks: the pool has room for every batch
		}
		select {
		case p.cur = <-p.full:
			p.i = 0
		case <-p.quit:
			p.cur, p.err = nil, errPipeStopped
		}
	}
	f := &p.cur.frames[p.i]
	p.i++
	pkt := p.dec.Decode(f)
	// The same bookkeeping as the Source's own, on the frames analysed.
	if p.packets == 0 {
		p.first = pkt.Time
	} else if pkt.Time.Before(p.last) {
		p.backwards++
	}
	p.last = pkt.Time
	p.packets++
	p.bytes += uint64(pkt.CapLen)
	return pkt, nil
}

// stop ends the reading goroutine and waits for it.
func (p *pipe) stop() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}

// Stats completes the source's totals with the pipe's: the frames analysed
// and their kinds. The damage and the rest come from the source once the
// reading goroutine is gone.
func (p *pipe) Stats() capture.Stats {
	p.stop()
	st := p.src.Stats()
	st.Packets, st.Bytes, st.BackwardsTime = p.packets, p.bytes, p.backwards
	st.First, st.Last = p.first, p.last
	st.TCP, st.ICMP, st.Other, st.Undecodable, st.Snapped = 0, 0, 0, 0, 0
	p.dec.AddCounts(&st)
	return st
}
