package main

import (
	"sync/atomic"

	"github.com/ftpscope/ftpscope/craft"
)

// The generator runs in two stages on two goroutines: scheduling and
// building flows (and deciding loss) in one, serializing packets with
// gopacket and writing them in the other. Packets cross in batches, in
// order, so the output does not depend on the goroutines' timing. A
// packet's payload is never written to after its descriptor is made, so the
// writer may read it while the scheduler goes on.

const batchLen = 1024

// pipe hands batches of packet descriptors to the writer goroutine.
type pipe struct {
	w    *craft.Writer
	cur  []pkt
	full chan []pkt
	free chan []pkt
	done chan error
	// failed tells the scheduler to stop early: the writer met an error.
	failed atomic.Bool
}

func newPipe(w *craft.Writer) *pipe {
	p := &pipe{
		w:    w,
		full: make(chan []pkt, 8),
		free: make(chan []pkt, 10),
		done: make(chan error, 1),
	}
	for i := 0; i < 10; i++ {
		p.free <- make([]pkt, 0, batchLen)
	}
	p.cur = <-p.free
	go p.write()
	return p
}

// write serializes batches until the channel closes. After an error it
// keeps draining so the scheduler never blocks, and reports the first error.
func (p *pipe) write() {
	var err error
	for b := range p.full {
		for i := range b {
			if err != nil {
				break
			}
			q := &b[i]
			switch q.kind {
			case pkTCP:
				err = p.w.Segment(q.t, q.seg)
			case pkUDP:
				err = p.w.UDP(q.t, q.seg.Src, q.seg.Dst, q.seg.Payload)
			case pkICMP:
				err = p.w.ICMPUnreachable(q.t, q.icmpFrom, q.icmpCode, q.seg)
			}
			if err != nil {
				p.failed.Store(true)
			}
		}
		clear(b) // drop payload references
		p.free <- b[:0]
	}
	p.done <- err
}

// add queues one packet.
func (p *pipe) add(q *pkt) {
	p.cur = append(p.cur, *q)
	if len(p.cur) == batchLen {
		p.full <- p.cur
		p.cur = <-p.free
	}
}

// close sends the last batch and waits for the writer.
func (p *pipe) close() error {
	if len(p.cur) > 0 {
		p.full <- p.cur
	}
	close(p.full)
	return <-p.done
}
