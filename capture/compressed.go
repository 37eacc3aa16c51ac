package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// codec is the compression of an input, told by its first bytes (never by
// its name, so that standard input and misnamed files read the same).
type codec uint8

const (
	codecNone codec = iota
	codecGzip
	codecZstd
	codecLZ4
)

// String names the codec in messages.
func (c codec) String() string {
	switch c {
	case codecGzip:
		return "gzip"
	case codecZstd:
		return "zstd"
	case codecLZ4:
		return "lz4"
	}
	return "uncompressed"
}

// sniffCodec tells the compression from the first four bytes of an input:
// gzip (RFC 1952), a zstd frame (RFC 8878), or an LZ4 frame, modern or
// legacy, as the lz4 command writes them. Skippable zstd and LZ4 frames
// (metadata only) are not recognised: no capture tool writes them first.
func sniffCodec(head []byte) codec {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return codecGzip
	case len(head) < 4:
		return codecNone
	case head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd:
		return codecZstd
	case head[0] == 0x04 && head[1] == 0x22 && head[2] == 0x4d && head[3] == 0x18,
		head[0] == 0x02 && head[1] == 0x21 && head[2] == 0x4c && head[3] == 0x18:
		return codecLZ4
	}
	return codecNone
}

// zstdMaxWindow is the largest zstd window ftpscope decodes with: the zstd
// command's own default limit for decompression (--memory=128MB). A frame
// that asks for more (only --long=28 and above, or a hostile header) is
// damage rather than memory taken on the file's word.
const zstdMaxWindow = 128 << 20

// Decompression runs on a goroutine of its own, ahead of the reader, when
// the runtime may use more than one core: a decompressor is sequential, and
// overlapped with reading and decoding it costs the wall clock what a
// `zcat |` in front would, without the pipe. aheadBuffers buffers of
// aheadBufSize bytes bound what it reads ahead.
const (
	aheadBuffers = 3
	aheadBufSize = 128 << 10
)

// openDecompressor returns the decompressed stream of br, compressed with
// c. Header errors that the decompressor finds at once are returned here;
// the others come with the stream's first bytes.
func openDecompressor(c codec, br *bufio.Reader) (io.ReadCloser, error) {
	var r io.ReadCloser
	switch c {
	case codecGzip:
		z, err := gzip.NewReader(br)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, errors.New("truncated inside the gzip header")
			}
			return nil, fmt.Errorf("bad gzip header: %w", err)
		}
		z.Multistream(false)
		r = &gzipMembers{z: z, br: br}
	case codecZstd:
		// One goroutine of its own at most (ours, below): the decoder's
		// asynchronous mode would add as many as there are cores.
		d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow),
			zstd.WithDecoderMaxMemory(1<<40))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		r = zstdCloser{d}
	case codecLZ4:
		z := lz4.NewReader(br)
		if err := z.Apply(lz4.ConcurrencyOption(1)); err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
		r = io.NopCloser(z)
	default:
		return nil, fmt.Errorf("no decompressor for %v", c)
	}
	if runtime.GOMAXPROCS(0) < 2 {
		return r, nil
	}
	return newAheadReader(r), nil
}

// zstdCloser closes a zstd decoder, whose Close returns nothing.
type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

// errGzipTrailing is the damage for bytes after the last gzip member that
// are neither zeros nor another member.
var errGzipTrailing = errors.New("gzip: trailing bytes after the last member are not another member")

// gzipMembers reads the members of a gzip file one after the other, as
// gzip -d does, and accepts zero bytes after the last one (tape blocks and
// some archivers pad with them; gzip -t says the file is fine). The
// decoder's own multistream mode calls such a file damaged.
type gzipMembers struct {
	z    *gzip.Reader
	br   *bufio.Reader
	done bool
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for {
		if g.done {
			return 0, io.EOF
		}
		n, err := g.z.Read(p)
		if err != io.EOF {
			return n, err
		}
		if err := g.next(); err != nil {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

// next moves on after a member's end: to the next member, or to the end
// of the file, through any zero padding.
func (g *gzipMembers) next() error {
	head, _ := g.br.Peek(2)
	switch {
	case len(head) == 0:
		g.done = true
		return io.EOF
	case head[0] == 0x1f:
		if err := g.z.Reset(g.br); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		g.z.Multistream(false)
		return nil
	case head[0] == 0:
		for {
			b, err := g.br.ReadByte()
			if err == io.EOF {
				g.done = true
				return io.EOF
			}
			if err != nil {
				return err
			}
			if b != 0 {
				return errGzipTrailing
			}
		}
	}
	return errGzipTrailing
}

func (g *gzipMembers) Close() error { return g.z.Close() }

// aheadReader reads its source on a goroutine into a few buffers, ahead of
// its reader. Errors arrive after the bytes read before them, in order.
type aheadReader struct {
	full chan aheadBuf
	free chan []byte
	quit chan struct{}
	once sync.Once

	cur  aheadBuf // being read by Read
	off  int
	held bool // cur.b belongs to the reader, not yet returned to free
}

type aheadBuf struct {
	b   []byte
	err error
}

func newAheadReader(src io.ReadCloser) *aheadReader {
	a := &aheadReader{
		full: make(chan aheadBuf, aheadBuffers),
		free: make(chan []byte, aheadBuffers),
		quit: make(chan struct{}),
	}
	for range aheadBuffers {
		a.free <- make([]byte, aheadBufSize)
	}
	go a.fill(src)
	return a
}

// fill is the goroutine: it fills free buffers from src until src ends or
// fails, or the reader is closed. It owns src, and closes it.
func (a *aheadReader) fill(src io.ReadCloser) {
	defer src.Close()
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.quit:
			return
		}
		n, err := readFull(src, b)
		if n > 0 {
			select {
			case a.full <- aheadBuf{b: b[:n]}:
			case <-a.quit:
				return
			}
		}
		if err != nil {
			select {
			case a.full <- aheadBuf{err: err}:
			case <-a.quit:
			}
			return
		}
	}
}

// readFull reads until b is full or src fails, and returns src's error
// as it is (io.ReadFull would turn an io.EOF after some bytes into
// io.ErrUnexpectedEOF, and so could not tell a short last buffer from a
// stream cut short).
func readFull(src io.Reader, b []byte) (int, error) {
	n := 0
	for empty := 0; n < len(b); {
		m, err := src.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			if empty++; empty >= 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for a.off == len(a.cur.b) {
		if a.cur.err != nil {
			return 0, a.cur.err
		}
		if a.held {
			a.free <- a.cur.b[:cap(a.cur.b)]
			a.held = false
		}
		a.cur, a.off = <-a.full, 0
		a.held = a.cur.b != nil
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// Close stops the goroutine. It does not wait for it: a read of standard
// input may block it until more bytes come, and it closes the
// decompressor itself once it stops.
func (a *aheadReader) Close() error {
	a.once.Do(func() { close(a.quit) })
	return nil
}
