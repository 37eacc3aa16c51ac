package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
)

// pcapRecords reads the packet records of a classic pcap file in place.
//
// pcapgo's ZeroCopyReadPacketData copies every record out of the read
// buffer into a buffer of its own ("not true zero copy", says its doc), and
// that copy, with the io.ReadFull calls around it, costs a multi-gigabyte
// run as much as decoding every header. Here the file is read into a readChunk
// and each record is handed out as a slice of it. When a record straddles
// the chunk's end, what is left is moved to the start of the chunk, or,
// when someone still holds the chunk (a chunkPool was given and a frame of
// it retained), to the start of a fresh chunk from the pool, so the frames
// already handed out stay intact. pcapgo still reads and checks the file
// header; the records get exactly its checks, errors and timestamps, so
// damage reads the same (TestPcapRecordsMatchPcapgo and FuzzPcapRecords hold
// the two together).
type pcapRecords struct {
	src     io.Reader // the input's reader, past the file header and what buf held
	big     bool      // big-endian file: the byte order, without an interface call per field
	factor  uint32    // nanoseconds per unit of the timestamp's fraction
	snaplen uint32
	maxLen  int // the longest record taken, as pcapgo's maxCaptureLength

	// buf is chunk's memory; buf[lo:hi] has been read from src but not
	// handed out yet.
	chunk  *readChunk
	buf    []byte
	lo, hi int
	err    error      // src's first error: reading stops there
	pool   *chunkPool // nil: the chunk is always refilled in place
	// last is the chunk that holds the record handed out last (nil when
	// that record came from long).
	last *readChunk
	// long holds a record too long for a chunk (rare: jumbo frames
	// captured with a snap length above the chunk size).
	long []byte
}

// pcapEagerMax is pcapgo's eagerReadMax: records up to this length get their
// buffer before their bytes are read, longer ones grow with what is read.
const pcapEagerMax = 262144

// maxRecordLen is the longest record ftpscope reads, whatever snap length
// the file header declares (up to maxSnaplen). libpcap captures at most
// 256 KiB a frame, and the link types ftpscope decodes carry at most 64 KiB
// of IP datagram plus headers (a little more with Linux's BIG TCP): a longer
// record is damage, not something to buffer on the file's word.
const maxRecordLen = 1 << 20

// errRecordTooLong is the damage for a record longer than maxRecordLen.
var errRecordTooLong = fmt.Errorf("captured length exceeds ftpscope's limit of %d bytes", maxRecordLen)

// newPcapRecords reads records through chunks of size bytes: first what
// buf, which has just been read past the file header, holds (buf is left
// empty), then src, the reader under buf. Reading src directly, rather
// than through buf, puts the bytes straight into the chunk whatever its
// free space.
func newPcapRecords(buf *bufio.Reader, src io.Reader, order binary.ByteOrder, nano bool, snaplen uint32, size int) *pcapRecords {
	r := &pcapRecords{src: src, big: order == binary.BigEndian, factor: 1000, snaplen: snaplen, maxLen: pcapEagerMax}
	if nano {
		r.factor = 1
	}
	if snaplen > pcapEagerMax {
		r.maxLen = int(min(snaplen, maxRecordLen))
	}
	// An error src returned with the bytes buf holds stays in buf; src
	// (a file, a gzip stream) returns it again when read on.
	held, _ := buf.Peek(buf.Buffered())
	r.chunk = &readChunk{buf: make([]byte, max(size, pcapRecordHeaderLen, len(held)))}
	r.chunk.refs.Store(1)
	r.buf = r.chunk.buf
	r.hi = copy(r.buf, held)
	buf.Discard(len(held))
	return r
}

// pending is how many bytes were read from src but not handed out.
func (r *pcapRecords) pending() int { return r.hi - r.lo }

// next returns the next record's bytes, valid until the next call (or, with
// a pool, while r.last is held), and stores its capture info in ci, field
// by field (a returned struct costs more, in copies, than the rest of the
// call). Its errors are pcapgo's: io.EOF at a clean end, io.ErrUnexpectedEOF
// inside a record, the reader's own, or a length check, with ci filled as
// far as pcapgo fills it.
func (r *pcapRecords) next(ci *gopacket.CaptureInfo) (data []byte, err error) {
	if w := r.buf[r.lo:r.hi]; len(w) >= pcapRecordHeaderLen {
		// The fast path: a whole, valid record is already in the chunk.
		capLen, wireLen := r.u32(w[8:12]), r.u32(w[12:16])
		if n := pcapRecordHeaderLen + int(capLen); n <= len(w) && capLen <= wireLen && int(capLen) <= r.maxLen {
			ci.Timestamp = time.Unix(int64(r.u32(w[0:4])), int64(r.u32(w[4:8])*r.factor)).UTC()
			ci.CaptureLength, ci.Length = int(capLen), int(wireLen)
			r.lo += n
			r.last = r.chunk
			return w[pcapRecordHeaderLen:n:n], nil
		}
	}
	return r.slow(ci)
}

// slow reads a record when the chunk holds no whole one, or the record is
// too long for a chunk, or damaged.
func (r *pcapRecords) slow(ci *gopacket.CaptureInfo) (data []byte, err error) {
	r.last = nil
	if have, err := r.fill(pcapRecordHeaderLen); have < pcapRecordHeaderLen {
		*ci = gopacket.CaptureInfo{}
		// Consume what there was, as io.ReadFull would have.
		r.lo = r.hi
		if err == io.EOF && have > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	h := r.buf[r.lo : r.lo+pcapRecordHeaderLen]
	ci.Timestamp = time.Unix(int64(r.u32(h[0:4])), int64(r.u32(h[4:8])*r.factor)).UTC()
	ci.CaptureLength = int(r.u32(h[8:12]))
	ci.Length = int(r.u32(h[12:16]))
	switch {
	case ci.CaptureLength < 0:
		err = errors.New("record length overflows int")
	case ci.CaptureLength > r.maxLen && ci.CaptureLength <= int(r.snaplen):
		err = fmt.Errorf("%w: %d", errRecordTooLong, ci.CaptureLength)
	case ci.CaptureLength > r.maxLen:
		err = fmt.Errorf("capture length exceeds snap length: %d > %d", ci.CaptureLength, r.snaplen)
	case ci.CaptureLength > ci.Length:
		err = fmt.Errorf("capture length exceeds original packet length: %d > %d", ci.CaptureLength, ci.Length)
	}
	if err != nil {
		r.lo += pcapRecordHeaderLen
		return nil, err
	}
	n := pcapRecordHeaderLen + ci.CaptureLength
	if n > len(r.buf) {
		r.lo += pcapRecordHeaderLen
		return r.readBig(ci.CaptureLength)
	}
	if have, err := r.fill(n); have < n {
		r.lo = r.hi
		if err == io.EOF && have > pcapRecordHeaderLen {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	start := r.lo
	r.lo += n
	r.last = r.chunk
	return r.buf[start+pcapRecordHeaderLen : start+n : start+n], nil
}

// fill reads until buf[lo:hi] holds at least need bytes (need fits in a
// chunk) or src fails; it returns how many it holds, and src's error when
// that is fewer than need.
func (r *pcapRecords) fill(need int) (int, error) {
	if r.hi-r.lo >= need {
		return r.hi - r.lo, nil
	}
	if len(r.buf)-r.lo < need {
		r.compact()
	}
	for empty := 0; r.hi-r.lo < need && r.err == nil; {
		n, err := r.src.Read(r.buf[r.hi:])
		r.hi += n
		switch {
		case err != nil:
			r.err = err
		case n == 0:
			// bufio's rule for a reader that returns neither bytes
			// nor an error.
			if empty++; empty >= 100 {
				r.err = io.ErrNoProgress
			}
		}
	}
	have := r.hi - r.lo
	if have < need {
		return have, r.err
	}
	return have, nil
}

// compact moves the bytes not handed out to the start of the chunk, or of a
// fresh one when the current chunk is still held by someone else.
func (r *pcapRecords) compact() {
	if r.pool != nil && r.chunk.shared() {
		c := r.pool.get(len(r.buf))
		n := copy(c.buf, r.buf[r.lo:r.hi])
		r.chunk.release()
		r.chunk, r.buf = c, c.buf
		r.lo, r.hi = 0, n
		return
	}
	n := copy(r.buf, r.buf[r.lo:r.hi])
	r.lo, r.hi = 0, n
}

// Read reads what the chunk holds first, then src: the path of a record
// too long for a chunk.
func (r *pcapRecords) Read(p []byte) (int, error) {
	if r.lo < r.hi {
		n := copy(p, r.buf[r.lo:r.hi])
		r.lo += n
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.src.Read(p)
	if err != nil {
		r.err = err
	}
	return n, err
}

// readBig reads a record longer than a chunk into r.long, with pcapgo's
// rule that only lengths up to pcapEagerMax are allocated before their
// bytes are there.
func (r *pcapRecords) readBig(n int) ([]byte, error) {
	if n <= pcapEagerMax {
		if cap(r.long) < n {
			r.long = make([]byte, max(n, int(min(r.snaplen, pcapEagerMax))))
		}
		data := r.long[:n]
		_, err := io.ReadFull(r, data)
		return data, err
	}
	var b bytes.Buffer
	b.Grow(pcapEagerMax)
	m, err := io.CopyN(&b, r, int64(n))
	if err == io.EOF && m > 0 {
		err = io.ErrUnexpectedEOF
	}
	r.long = b.Bytes()
	return r.long, err
}

// u32 reads a header field in the file's byte order.
func (r *pcapRecords) u32(b []byte) uint32 {
	if r.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}
