package main

import (
	"context"
	"fmt"
	"io"
)

// errInterrupted ends the reading of standard input when the run is
// interrupted. It wraps context.Canceled: the engine leaves the damage it
// causes (standard input cut where it was) out of the summary.
var errInterrupted = fmt.Errorf("interrupted: %w", context.Canceled)

// interruptible returns r read through a goroutine, so that a Read blocked
// on a quiet pipe (tcpdump -w - | ftpscope -r -, signalled alone) returns
// errInterrupted as soon as ctx is done, and the run can end with its
// report. Standard input cannot be closed or given a deadline from another
// goroutine; the pumping goroutine stays blocked in its Read until the
// process exits.
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	if r == nil || ctx.Done() == nil {
		return r
	}
	p := &pump{ctx: ctx, r: r, data: make(chan chunk, 2), free: make(chan []byte, 2)}
	for range 2 {
		p.free <- make([]byte, 64<<10)
	}
	go p.run()
	return p
}

type chunk struct {
	b   []byte
	err error
}

// pump reads r into two buffers that take turns; data and free each have
// room for both, so the goroutine never blocks on them.
type pump struct {
	ctx  context.Context
	r    io.Reader
	data chan chunk
	free chan []byte
	cur  []byte // unread part of the chunk being consumed
	buf  []byte // that chunk's buffer, to give back
	err  error
}

func (p *pump) run() {
	for {
		var b []byte
		select {
		case b = <-p.free:
		case <-p.ctx.Done():
			return
		}
		n, err := p.r.Read(b[:cap(b)])
		p.data <- chunk{b[:n], err}
		if err != nil {
			return
		}
	}
}

func (p *pump) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.free <- p.buf[:0]
			p.buf = nil
		}
		if p.err != nil {
			return 0, p.err
		}
		select {
		case c := <-p.data:
			p.cur, p.buf, p.err = c.b, c.b, c.err
		case <-p.ctx.Done():
			p.err = errInterrupted
		}
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}
