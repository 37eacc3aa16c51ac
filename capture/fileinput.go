package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// File magics, as the first four bytes read big-endian.
const (
	magicPcapMicro        = 0xa1b2c3d4 // written big-endian
	magicPcapMicroSwapped = 0xd4c3b2a1 // written little-endian
	magicPcapNano         = 0xa1b23c4d
	magicPcapNanoSwapped  = 0x4d3cb2a1
	magicPcapng           = 0x0a0d0d0a
	pcapFileHeaderLen     = 24
	pcapRecordHeaderLen   = 16
)

// maxSnaplen is the largest snap length a pcap file header may declare.
// libpcap's own maximum is 256 KiB; Wireshark allows up to 128 MiB for a
// few link types (D-Bus). Anything above 256 MiB is not a capture setting
// but a corrupt or hostile header.
const maxSnaplen = 256 << 20

// readBufSize is the read buffer of each open input: the format is sniffed
// in it, and pcapgo reads through it directly (bufio.NewReader returns a
// *bufio.Reader that is already large enough), so the reader's consumed
// offset is known exactly. pcapRecords takes what it holds after the file
// header and reads on from the file (or gzip stream) itself, straight into
// its chunks.
const readBufSize = 128 << 10

// ngBufSize is the buffer pcapgo reads a pcapng file from, after the
// block checks.
const ngBufSize = 64 << 10

// maxUnixTime is the last second of the year 9999: a later capture
// timestamp (a pcapng if_tsoffset can add up to 2^64 seconds) cannot be
// written in RFC 3339, and no real capture has one.
const maxUnixTime = 253402300799

// errEmpty is returned for a file with no bytes at all.
var errEmpty = errors.New("empty file")

// fileInput is one input of the merge: a capture file or standard input.
//
// Between OpenFiles and its turn in the merge, a regular file among several
// is closed again after its first packet was seen (its "probe"), so that a
// day of rotated captures does not hold thousands of descriptors and read
// buffers at once; it is reopened when its first packet is due.
type fileInput struct {
	name     string    // as given; "-" is standard input
	index    int       // position in the argument list, breaks timestamp ties
	reopen   bool      // closed after the probe, reopened when due
	first    time.Time // timestamp of the first packet, from the probe
	firstLen int       // and its captured length, to recognise it on reopen
	skip     uint64    // packets to read again on reopen (suspended mid-way, for want of file descriptors)

	// Open state. raw counts the bytes handed to buf, the buffer the
	// readers read from; offset() is where they have reached (in the
	// decompressed stream for compressed input).
	active bool
	file   io.Closer // nil for standard input, which the caller owns
	codec  codec     // the input's compression
	dec    io.Closer // its decompressor, nil for codecNone
	raw    *countingReader
	buf    *bufio.Reader
	recs   *pcapRecords // exactly one of recs and ng is set when active
	ng     *pcapgo.NgReader
	guard  *ngGuard        // checks the blocks between buf and ngBuf
	ngBuf  *bufio.Reader   // what pcapgo reads from
	link   layers.LinkType // of a pcap file
	pool   *chunkPool      // for recs, once the source uses chunks

	// The head: the input's next packet, read but not yet delivered, and
	// the Packet it is decoded into, and its capture record: pcapgo's
	// CaptureInfo is read straight into ci; its Timestamp is the merge
	// key, and holds the first packet's time while the input is closed.
	data []byte
	pkt  Packet
	ci   gopacket.CaptureInfo
	lt   layers.LinkType

	num  uint64 // packets read intact from this input
	next int64  // offset just past the last intact record
}

// openFile opens the named file and reads its header.
func (in *fileInput) openFile() error {
	f, err := os.Open(in.name)
	if err != nil {
		return err
	}
	if err := in.start(f); err != nil {
		f.Close()
		return err
	}
	in.file = f
	return nil
}

// start sniffs the format of r, unwrapping gzip, zstd or lz4 (told by
// their magic bytes), and reads the file header.
func (in *fileInput) start(r io.Reader) error {
	raw := &countingReader{r: r}
	buf := bufio.NewReaderSize(raw, readBufSize)
	head, _ := buf.Peek(4)
	if len(head) == 0 {
		if raw.err != nil {
			return raw.err
		}
		return errEmpty
	}
	if c := sniffCodec(head); c != codecNone {
		dec, err := openDecompressor(c, buf)
		if err != nil {
			return err
		}
		in.codec, in.dec = c, dec
		raw = &countingReader{r: dec}
		buf = bufio.NewReaderSize(raw, readBufSize)
		head, _ = buf.Peek(4)
		if len(head) == 0 {
			if raw.err != nil {
				return fmt.Errorf("%v stream: %w", c, raw.err)
			}
			return fmt.Errorf("empty file (after %v decompression)", c)
		}
	}
	in.raw, in.buf = raw, buf
	if len(head) < 4 {
		if magicPrefix(head) {
			return fmt.Errorf("truncated inside the file header (%d bytes)", len(head))
		}
		return notCapture(head)
	}
	switch m := binary.BigEndian.Uint32(head); m {
	case magicPcapMicro, magicPcapMicroSwapped, magicPcapNano, magicPcapNanoSwapped:
		return in.startPcap(m)
	case magicPcapng:
		return in.startNg()
	}
	return notCapture(head)
}

// startPcap checks the pcap file header before pcapgo reads it, so that the
// errors say what is wrong in our words.
func (in *fileInput) startPcap(magic uint32) error {
	hdr, _ := in.buf.Peek(pcapFileHeaderLen)
	if len(hdr) < pcapFileHeaderLen {
		if in.raw.err != nil && !errors.Is(in.raw.err, io.ErrUnexpectedEOF) {
			return in.raw.err
		}
		return fmt.Errorf("truncated inside the file header (%d of %d bytes)", len(hdr), pcapFileHeaderLen)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if magic == magicPcapMicro || magic == magicPcapNano {
		order = binary.BigEndian
	}
	if major, minor := order.Uint16(hdr[4:6]), order.Uint16(hdr[6:8]); major != 2 || minor != 4 {
		return fmt.Errorf("unsupported pcap version %d.%d", major, minor)
	}
	snaplen := order.Uint32(hdr[16:20])
	if snaplen > maxSnaplen {
		return fmt.Errorf("absurd snap length %d in the file header", snaplen)
	}
	r, err := pcapgo.NewReader(in.buf)
	if err != nil {
		return fmt.Errorf("bad pcap file header: %w", err)
	}
	in.recs = newPcapRecords(in.buf, in.raw, order, magic == magicPcapNano || magic == magicPcapNanoSwapped, snaplen, chunkSize)
	in.recs.pool = in.pool
	in.link = r.LinkType()
	in.next = in.offset()
	return nil
}

// startNg reads the first pcapng section header. Interfaces are read as
// they come, each with its own link type.
func (in *fileInput) startNg() error {
	in.guard = newNgGuard(in.buf)
	in.ngBuf = bufio.NewReaderSize(in.guard, ngBufSize)
	r, err := pcapgo.NewNgReader(in.ngBuf, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	var be *ngBlockError
	switch {
	case err == nil:
	case errors.As(err, &be):
		return be
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return errors.New("truncated inside the file header (pcapng section header block)")
	case errors.Is(err, pcapgo.ErrNgVersionMismatch):
		return errors.New("unsupported pcapng version")
	default:
		return fmt.Errorf("bad pcapng section header: %w", err)
	}
	in.ng = r
	in.next = in.offset()
	return nil
}

// read reads the input's next packet into the head. It returns io.EOF at
// the clean end of the input, and a description of the damage otherwise.
func (in *fileInput) read() error {
	var err error
	if in.recs != nil {
		in.data, err = in.recs.next(&in.ci)
		in.lt = in.link
	} else {
		in.data, in.ci, err = in.ng.ZeroCopyReadPacketData()
		if err == nil {
			// WantMixedLinkType puts the interface's link type here.
			lt, ok := layers.LinkType(0), false
			if len(in.ci.AncillaryData) > 0 {
				lt, ok = in.ci.AncillaryData[0].(layers.LinkType)
			}
			if !ok {
				err = errors.New("packet without an interface link type")
			}
			in.lt = lt
			if sec := in.ci.Timestamp.Unix(); err == nil && (sec < 0 || sec > maxUnixTime) {
				err = &ngBlockError{block: in.guard.packetBlock, kind: "packet",
					msg: fmt.Sprintf("timestamp %d s is outside 1970-9999 (the interface's if_tsoffset or if_tsresol)", sec)}
			}
		}
	}
	if err != nil {
		return in.damage(err)
	}
	in.num++
	in.next = in.offset()
	return nil
}

// damage turns a read error into the description kept in Damage.Err.
func (in *fileInput) damage(err error) error {
	var be *ngBlockError
	if errors.As(err, &be) {
		return be
	}
	got := in.offset() - in.next // bytes of the broken record that were there
	if err == io.EOF {
		if got == 0 {
			return io.EOF
		}
		// pcapgo reports a file that ends right after a record header as
		// a clean end: io.ReadFull of the packet data found no bytes.
		err = io.ErrUnexpectedEOF
	}
	if in.raw.err != nil && !errors.Is(in.raw.err, io.ErrUnexpectedEOF) {
		if in.dec != nil {
			return fmt.Errorf("damaged %v stream: %w", in.codec, in.raw.err)
		}
		return fmt.Errorf("read error: %w", in.raw.err)
	}
	if in.dec != nil && errors.Is(in.raw.err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the %v stream is cut short", io.ErrUnexpectedEOF, in.codec)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		if in.ng != nil {
			return fmt.Errorf("%w inside a pcapng block", io.ErrUnexpectedEOF)
		}
		if got < pcapRecordHeaderLen {
			return fmt.Errorf("%w inside a record header (%d of %d bytes)", io.ErrUnexpectedEOF, got, pcapRecordHeaderLen)
		}
		return fmt.Errorf("%w inside a packet record (%d of %d bytes)", io.ErrUnexpectedEOF,
			got-pcapRecordHeaderLen, in.ci.CaptureLength)
	}
	if in.ng != nil {
		return fmt.Errorf("corrupt pcapng block: %w", err)
	}
	return fmt.Errorf("bad record header: %w", err)
}

// offset is how far into the (decompressed) input pcapgo has read.
func (in *fileInput) offset() int64 {
	off := in.raw.n - int64(in.buf.Buffered())
	if in.recs != nil {
		off -= int64(in.recs.pending()) // read into its chunk, not handed out
	}
	if in.ngBuf != nil {
		off -= int64(in.ngBuf.Buffered())
	}
	return off
}

// close releases the input's file and buffers. It keeps the counters.
func (in *fileInput) close() error {
	var err error
	if in.dec != nil {
		in.dec.Close()
	}
	if in.file != nil {
		err = in.file.Close()
	}
	in.active = false
	in.file, in.dec, in.raw, in.buf, in.recs, in.ng, in.guard, in.ngBuf = nil, nil, nil, nil, nil, nil, nil, nil
	in.data, in.pkt, in.ci = nil, Packet{}, gopacket.CaptureInfo{Timestamp: in.first}
	return err
}

// countingReader counts the bytes read through it and remembers the first
// error other than io.EOF, so that damage can be told apart from I/O errors.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// magicPrefix reports whether b, shorter than four bytes, starts a magic.
func magicPrefix(b []byte) bool {
	for _, m := range []uint32{magicPcapMicro, magicPcapMicroSwapped, magicPcapNano, magicPcapNanoSwapped, magicPcapng} {
		var mb [4]byte
		binary.BigEndian.PutUint32(mb[:], m)
		if string(mb[:len(b)]) == string(b) {
			return true
		}
	}
	return false
}

// notCapture is the error for a file that is no capture at all.
func notCapture(head []byte) error {
	return fmt.Errorf("not a pcap or pcapng file (starts with 0x%x)", head)
}
