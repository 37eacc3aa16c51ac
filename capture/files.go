package capture

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"

	"github.com/gopacket/gopacket/layers"
)

// errClosed is returned by Next after Close.
var errClosed = errors.New("capture: source closed")

// fileSource merges capture files into one timeline: a k-way merge over a
// binary heap of inputs keyed by the timestamp of each input's next packet,
// ties going to the input named first. Each input keeps its own read buffer
// and Packet, so the packet handed out stays valid while the others are
// read; the input it came from is advanced only at the next call to Next.
type fileSource struct {
	inputs []*fileInput
	heap   []*fileInput // inputs with a packet still to deliver
	last   *fileInput   // delivered the current packet, advance it next
	dec    *frameDecoder
	defrag *defragmenter
	// rebuilt is set when the packet due is a datagram put back together
	// from fragments (its bytes are the defragmenter's, not the input's).
	rebuilt bool
	// frames counts the frames read, IP fragments held for reassembly
	// included (Stats.Packets does not count those): it numbers them.
	frames uint64
	fr     frame // nextFrame's result
	stats  Stats
	closed bool
}

func openFiles(names []string, opts FileOptions) (Source, error) {
	if len(names) == 0 {
		return nil, errors.New("capture: no input files")
	}
	s := &fileSource{dec: newFrameDecoder(), defrag: newDefragmenter()}
	stdinUsed := false
	for i, name := range names {
		in := &fileInput{name: name, index: i}
		s.inputs = append(s.inputs, in)
		var err error
		if name == "-" {
			switch {
			case opts.Stdin == nil:
				err = errors.New("no standard input to read")
			case stdinUsed:
				err = errors.New("standard input named twice")
			default:
				stdinUsed = true
				err = in.start(opts.Stdin)
			}
		} else {
			err = in.openFile()
			if err == nil && len(names) > 1 {
				in.reopen = isRegular(in.file)
			}
		}
		if err != nil {
			s.Close()
			return nil, openError(name, err)
		}
		in.active = true
		if !s.probe(in) {
			continue
		}
		if in.reopen {
			in.first, in.firstLen = in.ci.Timestamp, in.ci.CaptureLength
			in.close()
		}
		s.push(in)
	}
	return s, nil
}

// probe reads the first packet of a freshly opened input. It reports false
// when there is none (an empty capture, or damage right after the header),
// in which case the input is closed and, if damaged, recorded.
func (s *fileSource) probe(in *fileInput) bool {
	err := in.read()
	if err == nil {
		return true
	}
	if err != io.EOF {
		s.addDamage(in, err)
	}
	in.close()
	return false
}

// reactivate reopens a probed file when its first packet is due. The file
// must still start with the packet the probe saw.
func (s *fileSource) reactivate(in *fileInput) bool {
	skip := in.skip
	in.num, in.next, in.skip = 0, 0, 0
	err := in.openFile()
	for err != nil && tooManyFiles(err) && s.suspendOne(in) {
		err = in.openFile()
	}
	if err == nil {
		in.active = true
		// A file suspended mid-way is read again up to where it was.
		for ; err == nil && skip > 0; skip-- {
			err = in.read()
		}
		if err == nil {
			err = in.read()
		}
		if err == nil && (!in.ci.Timestamp.Equal(in.first) || in.ci.CaptureLength != in.firstLen) {
			err = errors.New("file changed while it was being read")
		} else if err == io.EOF {
			err = errors.New("file emptied while it was being read")
		}
	} else if tooManyFiles(err) {
		err = &tooManyFilesError{open: s.openCount(), err: err}
	}
	if err != nil {
		in.num = 0
		s.addDamage(in, err)
		in.close()
		return false
	}
	return true
}

// suspendOne closes the open file, other than except, whose next packet is
// due last, so that except can be opened when the process is out of file
// descriptors (more capture files overlap in time than the open-file limit
// allows). The suspended file is reopened when its packet is due, and read
// again up to it. It reports false when no file can be suspended: only
// regular files among several are reopened.
func (s *fileSource) suspendOne(except *fileInput) bool {
	var victim *fileInput
	for _, in := range s.heap {
		if in == except || !in.active || !in.reopen {
			continue
		}
		if victim == nil || !in.ci.Timestamp.Before(victim.ci.Timestamp) {
			victim = in
		}
	}
	if victim == nil {
		return false
	}
	victim.first, victim.firstLen = victim.ci.Timestamp, victim.ci.CaptureLength
	victim.skip = victim.num - 1
	victim.close()
	s.stats.Suspended++
	return true
}

// openCount is the number of inputs open now.
func (s *fileSource) openCount() int {
	n := 0
	for _, in := range s.inputs {
		if in.active {
			n++
		}
	}
	return n
}

// tooManyFiles reports whether err says the process or the system is out
// of file descriptors.
func tooManyFiles(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// tooManyFilesError is the damage of a file that could not be opened for
// want of file descriptors, none being free to take from another input.
type tooManyFilesError struct {
	open int
	err  error
}

func (e *tooManyFilesError) Error() string {
	return fmt.Sprintf("could not be opened, too many open files (%d inputs open, none of them a file that can be closed and reopened): "+
		"raise the open-file limit (ulimit -n) or merge fewer files at once: %v", e.open, e.err)
}

func (e *tooManyFilesError) Unwrap() error { return e.err }

// Next implements Source.
func (s *fileSource) Next() (*Packet, error) {
	in, err := s.advance()
	if err != nil {
		return nil, err
	}
	return s.deliver(in), nil
}

// advance moves the merge on to the next packet to hand out: the next
// frame in timestamp order, or the datagram that frame completes when it
// is an IP fragment. Fragments that complete nothing are kept and not
// handed out.
func (s *fileSource) advance() (*fileInput, error) {
	s.rebuilt = false
	for {
		in, err := s.advanceFrame()
		if err != nil || plainTCP4(in.data, in.lt) || quickNotFragment(in.data, in.lt) || s.defragment(in) {
			return in, err
		}
	}
}

// plainTCP4 is the test of quickNotFragment for the frame nearly every
// capture is made of, small enough to be inlined: Ethernet, IPv4, no
// fragment bits, TCP.
func plainTCP4(d []byte, lt layers.LinkType) bool {
	return lt == layers.LinkTypeEthernet && len(d) >= 34 && d[12] == 0x08 && d[13] == 0 &&
		d[20]&0x3f == 0 && d[21] == 0 && d[23] == 6
}

// defragment handles the head of in when it may be an IP fragment. It
// reports whether the head is to be handed out: not a fragment, a fragment
// that cannot be used (handed out as it is), or the datagram it completes,
// which then replaces the head's bytes.
func (s *fileSource) defragment(in *fileInput) bool {
	var f fragment
	switch s.dec.fragmentOf(&f, in.data, in.lt) {
	case notFragment:
		return true
	case badFragment:
		s.stats.FragmentsInvalid++
		return true
	}
	s.stats.Fragments++
	dgram, done := s.defrag.add(&f, in.ci.Timestamp, &s.stats)
	if !done {
		s.frames++
		return false
	}
	in.data, in.lt, s.rebuilt = dgram, layers.LinkTypeRaw, true
	return true
}

// advanceFrame moves the merge on by one frame: it reads the next packet
// of the input that delivered the last one, and returns the input whose
// head is due now.
func (s *fileSource) advanceFrame() (*fileInput, error) {
	if s.closed {
		return nil, errClosed
	}
	if in := s.last; in != nil {
		// in is still the heap's root: nothing moved since it was delivered.
		s.last = nil
		if err := in.read(); err == nil {
			s.down(0)
		} else {
			if err != io.EOF {
				s.addDamage(in, err)
			}
			in.close()
			s.popRoot()
		}
	}
	for len(s.heap) > 0 {
		in := s.heap[0]
		if !in.active {
			if !s.reactivate(in) {
				s.popRoot()
			}
			continue
		}
		s.last = in
		return in, nil
	}
	return nil, io.EOF
}

// deliver decodes the head of in into the input's Packet and counts it.
func (s *fileSource) deliver(in *fileInput) *Packet {
	p := s.frame(in)
	decodeCounted(s.dec, &s.stats, p, in.data, in.lt)
	return p
}

// frame counts the head of in as read and fills the fields of its Packet
// that come from the capture record rather than from decoding.
func (s *fileSource) frame(in *fileInput) *Packet {
	st := &s.stats
	p, ci := &in.pkt, &in.ci
	t := ci.Timestamp
	if st.Packets == 0 {
		st.First = t
	} else if t.Before(st.Last) {
		st.BackwardsTime++
		if st.BackwardsTime == 1 {
			st.FirstBackwards = Position{File: in.name, Num: s.frames + 1, FileNum: in.num}
		}
	}
	st.Last = t
	st.Packets++
	st.Bytes += uint64(ci.CaptureLength)
	s.frames++

	// Field by field: the decoder resets what the previous packet's kind
	// left behind, and a whole-struct store of this pointer-laden struct
	// costs more than the rest of the bookkeeping.
	p.Num = s.frames
	p.File = in.name
	p.FileNum = in.num
	p.Time = t
	p.Len, p.CapLen = ci.Length, ci.CaptureLength
	p.Interface = ci.InterfaceIndex
	return p
}

// decodeCounted decodes frame into p (whose record fields are set) and
// counts it by kind in st.
func decodeCounted(dec *frameDecoder, st *Stats, p *Packet, frame []byte, lt layers.LinkType) {
	countKind(st, p, dec.decode(p, frame, lt))
}

// countKind counts the decoded packet p by kind in st.
func countKind(st *Stats, p *Packet, malformed bool) {
	switch p.Kind {
	case KindTCP:
		st.TCP++
		if p.PayloadLen > len(p.Payload) {
			st.Snapped++
			if st.Snapped == 1 {
				st.FirstSnapped = positionOf(p)
			}
		}
	case KindICMP:
		st.ICMP++
	default:
		st.Other++
		if p.notDecoded != UndecodedNone {
			st.NotDecoded[p.notDecoded]++
		}
		if malformed {
			st.Undecodable++
			if st.Undecodable == 1 {
				st.FirstUndecodable = positionOf(p)
			}
		}
	}
}

func (s *fileSource) addDamage(in *fileInput, err error) {
	off := int64(-1)
	if in.raw != nil {
		off = in.next
	}
	s.stats.Damage = append(s.stats.Damage, Damage{File: in.name, AfterPacket: in.num, Offset: off, Err: err})
}

// Stats implements Source.
func (s *fileSource) Stats() Stats {
	st := s.stats
	st.Damage = slices.Clone(st.Damage)
	st.FragmentsIncomplete = uint64(s.defrag.pending())
	return st
}

// Close implements Source. It closes every file still open; standard input
// belongs to the caller and stays open.
func (s *fileSource) Close() error {
	var first error
	for _, in := range s.inputs {
		if err := in.close(); err != nil && first == nil {
			first = err
		}
	}
	s.closed = true
	s.heap, s.last = nil, nil
	return first
}

// The merge heap, hand-written to keep container/heap's interface calls out
// of the per-packet path.

func (s *fileSource) less(i, j int) bool {
	a, b := s.heap[i], s.heap[j]
	if c := a.ci.Timestamp.Compare(b.ci.Timestamp); c != 0 {
		return c < 0
	}
	return a.index < b.index
}

func (s *fileSource) push(in *fileInput) {
	s.heap = append(s.heap, in)
	for i := len(s.heap) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s.less(i, parent) {
			break
		}
		s.heap[i], s.heap[parent] = s.heap[parent], s.heap[i]
		i = parent
	}
}

func (s *fileSource) down(i int) {
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			return
		}
		s.heap[i], s.heap[m] = s.heap[m], s.heap[i]
		i = m
	}
}

func (s *fileSource) popRoot() {
	n := len(s.heap) - 1
	s.heap[0] = s.heap[n]
	s.heap[n] = nil
	s.heap = s.heap[:n]
	s.down(0)
}

// isRegular reports whether f is a regular file, which can be reopened.
// Pipes and devices (/dev/stdin, process substitution) cannot.
func isRegular(f io.Closer) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode().IsRegular()
}

// openError names the input in an error found while opening it. Errors
// from the os package already name the path.
func openError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("capture: %w", err)
	}
	return fmt.Errorf("capture %s: %w", displayName(name), err)
}

// displayName is how messages refer to an input.
func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}
