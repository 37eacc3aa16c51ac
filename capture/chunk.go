package capture

import "sync/atomic"

// chunkSize is the size of the read buffers a classic pcap file is read
// into. Records are cut out of a chunk in place; a record that straddles
// the end of one is moved to the start of the next.
const chunkSize = 256 << 10

// readChunk is a read buffer that frames alias. Normally a source reuses its
// buffer as soon as the next frame is asked for; once a source is given a
// chunkPool (chunkedSource.useChunks), each frame names the readChunk its Data
// lives in, and whoever retains that readChunk keeps the bytes valid until its
// release, however far the source has read on. This is what lets a second
// goroutine read a capture ahead of the one that analyses it without
// copying every frame.
type readChunk struct {
	buf  []byte
	refs atomic.Int32
	pool *chunkPool
}

// retain keeps the chunk's bytes valid until a matching release.
func (c *readChunk) retain() { c.refs.Add(1) }

// release gives up one hold on the chunk; the last one returns it to its
// pool. retain and release may be called from different goroutines.
func (c *readChunk) release() {
	if c.refs.Add(-1) == 0 && c.pool != nil {
		c.pool.put(c)
	}
}

// shared reports whether anyone but the reader holds the chunk. Only the
// reader's goroutine adds holds (before it reads on), so a false answer
// stays true until the reader itself hands a frame out.
func (c *readChunk) shared() bool { return c.refs.Load() > 1 }

// chunkPool recycles released chunks. It never blocks: when none is free a
// new one is made, so the memory in use is bounded by what the holders
// keep (a reader that holds at most N chunks at once needs N+1), and the
// pool keeps at most its capacity of free chunks for reuse.
type chunkPool struct {
	free chan *readChunk
}

// newChunkPool returns a pool that keeps up to keep free chunks.
func newChunkPool(keep int) *chunkPool {
	return &chunkPool{free: make(chan *readChunk, keep)}
}

// get returns a chunk of at least size bytes (normally chunkSize), held
// once, by the caller.
func (p *chunkPool) get(size int) *readChunk {
	select {
	case c := <-p.free:
		if len(c.buf) >= size {
			c.refs.Store(1)
			return c
		}
	default:
	}
	c := &readChunk{buf: make([]byte, max(size, chunkSize)), pool: p}
	c.refs.Store(1)
	return c
}

// put keeps a released chunk for reuse, or drops it when the pool is full.
func (p *chunkPool) put(c *readChunk) {
	select {
	case p.free <- c:
	default:
	}
}
