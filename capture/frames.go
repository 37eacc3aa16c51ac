package capture

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Frame is one captured frame before decoding: the capture record and its
// bytes. A FrameSource hands it out; a Decoder turns it into a Packet.
type Frame struct {
	// Num, File and FileNum number the frame as Packet does.
	Num     uint64
	File    string
	FileNum uint64
	// Info is the capture record: timestamp, captured and wire lengths,
	// interface. Its AncillaryData aliases the reader's memory like Data.
	Info gopacket.CaptureInfo
	// Link is the link type the frame was captured on.
	Link layers.LinkType
	// Data is the captured frame. It aliases the reader's buffer and is
	// valid until the next call to NextFrame: copy it to keep it, or
	// Retain its Chunk.
	Data []byte
	// Chunk, when not nil, is the buffer Data lives in: Retain it (before
	// the next call to NextFrame) to keep Data valid until its Release.
	// Only a ChunkedSource that was given a pool sets it, and only for
	// frames of classic pcap files that fit a chunk.
	Chunk *Chunk
}

// FrameSource is a Source whose reading and decoding can run on different
// goroutines: NextFrame reads and merges records without decoding them, and
// a Decoder, anywhere, decodes them into exactly the Packets Next would have
// returned. Use either Next or NextFrame on one source, not both.
//
// The source's Stats then count frames (Packets, Bytes, First, Last,
// BackwardsTime, Damage) but not their kinds: Decoder.AddCounts adds those.
type FrameSource interface {
	Source
	// NextFrame returns the next frame in timestamp order, or io.EOF at the
	// end, with Next's rules for damaged inputs.
	NextFrame() (*Frame, error)
}

// ChunkedSource is a FrameSource that can hand out frames whose bytes
// outlive the next call (Frame.Chunk).
type ChunkedSource interface {
	FrameSource
	// UseChunks makes the source read classic pcap files into chunks from
	// pool and name them in Frame.Chunk. Call it before the first NextFrame.
	UseChunks(pool *ChunkPool)
}

// UseChunks implements ChunkedSource.
func (s *fileSource) UseChunks(pool *ChunkPool) {
	for _, in := range s.inputs {
		in.pool = pool
		if in.recs != nil {
			in.recs.pool = pool
		}
	}
}

// NextFrame implements FrameSource.
func (s *fileSource) NextFrame() (*Frame, error) {
	in, err := s.advance()
	if err != nil {
		return nil, err
	}
	p := s.frame(in)
	s.fr = Frame{Num: p.Num, File: p.File, FileNum: p.FileNum, Info: p.CaptureInfo, Link: in.lt, Data: in.data}
	if in.pool != nil && in.recs != nil {
		s.fr.Chunk = in.recs.last
	}
	return &s.fr, nil
}

// Decoder decodes Frames into Packets and counts them by kind. It is not
// safe for concurrent use; it allocates nothing per frame once warmed up.
type Decoder struct {
	dec   *frameDecoder
	pkt   Packet
	stats Stats
}

// NewDecoder returns a Decoder for frames of any link type a Source reads.
func NewDecoder() *Decoder { return &Decoder{dec: newFrameDecoder()} }

// Decode decodes f into the Decoder's Packet and returns it. The Packet's
// slices alias f.Data, and the Packet is reused by the next call.
func (d *Decoder) Decode(f *Frame) *Packet {
	p := &d.pkt
	d.Count(p, d.decode(f, p))
	return p
}

// decode fills p from the frame's record and decodes its bytes; it reports
// whether the frame was malformed.
func (d *Decoder) decode(f *Frame, p *Packet) (malformed bool) {
	p.Num, p.File, p.FileNum = f.Num, f.File, f.FileNum
	p.CaptureInfo = f.Info
	p.Time = f.Info.Timestamp
	p.Len, p.CapLen = f.Info.Length, f.Info.CaptureLength
	p.Interface = f.Info.InterfaceIndex
	return d.dec.decode(p, f.Data, f.Link)
}

// DecodeTo decodes f into p, which the caller owns (a slot reused for
// frame after frame is fine), without counting it: the packet is counted
// by Count where it is used, so that packets decoded ahead and never used
// are not. It reports whether the frame was malformed, for Count. p's
// slices alias f.Data; p.TCP is nil, since the gopacket layer it would
// point to is reused by the Decoder's next call (the reassembly package
// builds its own view from the fields).
func (d *Decoder) DecodeTo(f *Frame, p *Packet) (malformed bool) {
	malformed = d.decode(f, p)
	p.TCP = nil
	return malformed
}

// Count counts a packet that DecodeTo decoded, with what DecodeTo said of
// it, as Decode counts its own.
func (d *Decoder) Count(p *Packet, malformed bool) { countKind(&d.stats, p, malformed) }

// AddCounts adds the Decoder's counts by kind (TCP, ICMP, Other,
// Undecodable, Snapped) to st, completing the Stats of a FrameSource.
func (d *Decoder) AddCounts(st *Stats) {
	st.TCP += d.stats.TCP
	st.ICMP += d.stats.ICMP
	st.Other += d.stats.Other
	st.Undecodable += d.stats.Undecodable
	st.Snapped += d.stats.Snapped
	if st.FirstUndecodable.Num == 0 {
		st.FirstUndecodable = d.stats.FirstUndecodable
	}
	if st.FirstSnapped.Num == 0 {
		st.FirstSnapped = d.stats.FirstSnapped
	}
}
