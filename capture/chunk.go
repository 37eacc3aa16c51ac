package capture

import "sync/atomic"

// ChunkSize is the size of the read buffers a classic pcap file is read
// into. Records are cut out of a chunk in place; a record that straddles
// the end of one is moved to the start of the next.
const ChunkSize = 256 << 10

// Chunk is a read buffer that frames alias. Normally a source reuses its
// buffer as soon as the next frame is asked for; once a source is given a
// ChunkPool (ChunkedSource.UseChunks), each Frame names the Chunk its Data
// lives in, and whoever Retains that Chunk keeps the bytes valid until its
// Release, however far the source has read on. This is what lets a second
// goroutine read a capture ahead of the one that analyses it without
// copying every frame.
type Chunk struct {
	buf  []byte
	refs atomic.Int32
	pool *ChunkPool
}

// Retain keeps the chunk's bytes valid until a matching Release.
func (c *Chunk) Retain() { c.refs.Add(1) }

// Release gives up one hold on the chunk; the last one returns it to its
// pool. Retain and Release may be called from different goroutines.
func (c *Chunk) Release() {
	if c.refs.Add(-1) == 0 && c.pool != nil {
		c.pool.put(c)
	}
}

// shared reports whether anyone but the reader holds the chunk. Only the
// reader's goroutine adds holds (before it reads on), so a false answer
// stays true until the reader itself hands a frame out.
func (c *Chunk) shared() bool { return c.refs.Load() > 1 }

// ChunkPool recycles released chunks. It never blocks: when none is free a
// new one is made, so the memory in use is bounded by what the holders
// keep (a reader that holds at most N chunks at once needs N+1), and the
// pool keeps at most its capacity of free chunks for reuse.
type ChunkPool struct {
	free chan *Chunk
}

// NewChunkPool returns a pool that keeps up to keep free chunks.
func NewChunkPool(keep int) *ChunkPool {
	return &ChunkPool{free: make(chan *Chunk, keep)}
}

// get returns a chunk of at least size bytes (normally ChunkSize), held
// once, by the caller.
func (p *ChunkPool) get(size int) *Chunk {
	select {
	case c := <-p.free:
		if len(c.buf) >= size {
			c.refs.Store(1)
			return c
		}
	default:
	}
	c := &Chunk{buf: make([]byte, max(size, ChunkSize)), pool: p}
	c.refs.Store(1)
	return c
}

// put keeps a released chunk for reuse, or drops it when the pool is full.
func (p *ChunkPool) put(c *Chunk) {
	select {
	case p.free <- c:
	default:
	}
}
