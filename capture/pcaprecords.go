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
// run as much as decoding every header. Here a record is handed out as a
// slice of the bufio.Reader's buffer itself (Peek), consumed (Discard) only
// when the next one is asked for. pcapgo still reads and checks the file
// header; the records get exactly its checks, errors and timestamps, so
// damage reads the same (TestPcapRecordsMatchPcapgo holds the two together).
type pcapRecords struct {
	buf     *bufio.Reader
	big     bool   // big-endian file: the byte order, without an interface call per field
	factor  uint32 // nanoseconds per unit of the timestamp's fraction
	snaplen uint32
	maxLen  int // the longest record taken, as pcapgo's maxCaptureLength
	// win is what buf held when last looked at, and ahead how much of it
	// has been handed out (the last record included) but not yet
	// discarded from buf: records are cut from win without a call into
	// bufio until it runs dry, then discarded all at once.
	win   []byte
	ahead int
	// long holds a record too long for buf (rare: jumbo frames captured
	// with a snap length above the read buffer).
	long []byte
}

// pcapEagerMax is pcapgo's eagerReadMax: records up to this length get their
// buffer before their bytes are read, longer ones grow with what is read.
const pcapEagerMax = 262144

func newPcapRecords(buf *bufio.Reader, order binary.ByteOrder, nano bool, snaplen uint32) *pcapRecords {
	r := &pcapRecords{buf: buf, big: order == binary.BigEndian, factor: 1000, snaplen: snaplen, maxLen: pcapEagerMax}
	if nano {
		r.factor = 1
	}
	if snaplen > pcapEagerMax {
		r.maxLen = int(snaplen)
	}
	return r
}

// next returns the next record's bytes, valid until the next call, and
// stores its capture info in ci, field by field (a returned struct costs
// more, in copies, than the rest of the call). Its errors are pcapgo's:
// io.EOF at a clean end, io.ErrUnexpectedEOF inside a record, the reader's
// own, or a length check, with ci filled as far as pcapgo fills it.
func (r *pcapRecords) next(ci *gopacket.CaptureInfo) (data []byte, err error) {
	if w := r.win[r.ahead:]; len(w) >= pcapRecordHeaderLen {
		// The fast path: a whole, valid record is already in the window.
		capLen, wireLen := r.u32(w[8:12]), r.u32(w[12:16])
		if n := pcapRecordHeaderLen + int(capLen); n <= len(w) && capLen <= wireLen && int(capLen) <= r.maxLen {
			ci.Timestamp = time.Unix(int64(r.u32(w[0:4])), int64(r.u32(w[4:8])*r.factor)).UTC()
			ci.CaptureLength, ci.Length = int(capLen), int(wireLen)
			r.ahead += n
			return w[pcapRecordHeaderLen:n:n], nil
		}
	}
	data, err = r.slow(ci)
	// Look at everything buffered now, for the records that follow.
	r.win, _ = r.buf.Peek(r.buf.Buffered())
	return data, err
}

// slow reads a record through buf: when the window holds no whole record,
// or the record is too long for buf, or damaged. It discards what the
// window handed out first.
func (r *pcapRecords) slow(ci *gopacket.CaptureInfo) (data []byte, err error) {
	r.buf.Discard(r.ahead) // buffered: cannot fail
	r.win, r.ahead = nil, 0
	h, err := r.buf.Peek(pcapRecordHeaderLen)
	if len(h) < pcapRecordHeaderLen {
		*ci = gopacket.CaptureInfo{}
		// Consume what there was, as io.ReadFull would have.
		r.buf.Discard(len(h))
		if err == io.EOF && len(h) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	ci.Timestamp = time.Unix(int64(r.u32(h[0:4])), int64(r.u32(h[4:8])*r.factor)).UTC()
	ci.CaptureLength = int(r.u32(h[8:12]))
	ci.Length = int(r.u32(h[12:16]))
	switch {
	case ci.CaptureLength < 0:
		err = errors.New("record length overflows int")
	case ci.CaptureLength > r.maxLen:
		err = fmt.Errorf("capture length exceeds snap length: %d > %d", ci.CaptureLength, r.snaplen)
	case ci.CaptureLength > ci.Length:
		err = fmt.Errorf("capture length exceeds original packet length: %d > %d", ci.CaptureLength, ci.Length)
	}
	if err != nil {
		r.buf.Discard(pcapRecordHeaderLen)
		return nil, err
	}
	n := pcapRecordHeaderLen + ci.CaptureLength
	if n > r.buf.Size() {
		r.buf.Discard(pcapRecordHeaderLen)
		return r.readBig(ci.CaptureLength)
	}
	rec, err := r.buf.Peek(n)
	if len(rec) < n {
		r.buf.Discard(len(rec))
		if err == io.EOF && len(rec) > pcapRecordHeaderLen {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	// Handed out from the window the caller peeks next.
	r.ahead = n
	return rec[pcapRecordHeaderLen:n:n], nil
}

// readBig reads a record longer than the read buffer into r.long, with
// pcapgo's rule that only lengths up to pcapEagerMax are allocated before
// their bytes are there.
func (r *pcapRecords) readBig(n int) ([]byte, error) {
	if n <= pcapEagerMax {
		if cap(r.long) < n {
			r.long = make([]byte, max(n, int(min(r.snaplen, pcapEagerMax))))
		}
		data := r.long[:n]
		_, err := io.ReadFull(r.buf, data)
		return data, err
	}
	var b bytes.Buffer
	b.Grow(pcapEagerMax)
	m, err := io.CopyN(&b, r.buf, int64(n))
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
