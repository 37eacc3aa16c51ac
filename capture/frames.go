package capture

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// frame is one captured frame before decoding: the capture record and its
// bytes. A frameSource hands it out; a decoder turns it into a Packet.
type frame struct {
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
	// valid until the next call to nextFrame: copy it to keep it, or
	// retain its readChunk.
	Data []byte
	// chunk, when not nil, is the buffer Data lives in: retain it (before
	// the next call to nextFrame) to keep Data valid until its release.
	// Only a chunkedSource that was given a pool sets it, and only for
	// frames of classic pcap files that fit a chunk.
	chunk *readChunk
}

// frameSource is a Source whose reading and decoding can run on different
// goroutines: nextFrame reads and merges records without decoding them, and
// a decoder, anywhere, decodes them into exactly the Packets Next would have
// returned. Use either Next or nextFrame on one source, not both.
//
// The source's Stats then count frames (Packets, Bytes, First, Last,
// BackwardsTime, Damage) but not their kinds: decoder.addCounts adds those.
type frameSource interface {
	Source
	// nextFrame returns the next frame in timestamp order, or io.EOF at the
	// end, with Next's rules for damaged inputs.
	nextFrame() (*frame, error)
}

// chunkedSource is a frameSource that can hand out frames whose bytes
// outlive the next call (frame.chunk).
type chunkedSource interface {
	frameSource
	// useChunks makes the source read classic pcap files into chunks from
	// pool and name them in frame.chunk. Call it before the first nextFrame.
	useChunks(pool *chunkPool)
}

// useChunks implements chunkedSource.
func (s *fileSource) useChunks(pool *chunkPool) {
	for _, in := range s.inputs {
		in.pool = pool
		if in.recs != nil {
			in.recs.pool = pool
		}
	}
}

// nextFrame implements frameSource.
func (s *fileSource) nextFrame() (*frame, error) {
	in, err := s.advance()
	if err != nil {
		return nil, err
	}
	p := s.frame(in)
	s.fr = frame{Num: p.Num, File: p.File, FileNum: p.FileNum, Info: in.ci, Link: in.lt, Data: in.data}
	if in.pool != nil && in.recs != nil && !s.rebuilt {
		s.fr.chunk = in.recs.last
	}
	return &s.fr, nil
}

// decoder decodes Frames into Packets and counts them by kind. It is not
// safe for concurrent use; it allocates nothing per frame once warmed up.
type decoder struct {
	dec   *frameDecoder
	pkt   Packet
	stats Stats
}

// newDecoder returns a decoder for frames of any link type a Source reads.
func newDecoder() *decoder { return &decoder{dec: newFrameDecoder()} }

// decodeFrame decodes f into the decoder's Packet and returns it. The Packet's
// slices alias f.Data, and the Packet is reused by the next call.
func (d *decoder) decodeFrame(f *frame) *Packet {
	p := &d.pkt
	d.count(p, d.decode(f, p))
	return p
}

// decode fills p from the frame's record and decodes its bytes; it reports
// whether the frame was malformed.
func (d *decoder) decode(f *frame, p *Packet) (malformed bool) {
	p.Num, p.File, p.FileNum = f.Num, f.File, f.FileNum
	p.Time = f.Info.Timestamp
	p.Len, p.CapLen = f.Info.Length, f.Info.CaptureLength
	p.Interface = f.Info.InterfaceIndex
	return d.dec.decode(p, f.Data, f.Link)
}

// count counts a packet that decode decoded, with what decode said of
// it, as decodeFrame counts its own. Decoding into a Packet the caller
// owns (a slot reused for frame after frame is fine) and counting it
// where it is used means packets decoded ahead and never used are not
// counted.
func (d *decoder) count(p *Packet, malformed bool) { countKind(&d.stats, p, malformed) }

// addCounts adds the decoder's counts by kind (TCP, ICMP, Other,
// Undecodable, Snapped) to st, completing the Stats of a frameSource.
func (d *decoder) addCounts(st *Stats) {
	st.TCP += d.stats.TCP
	st.ICMP += d.stats.ICMP
	st.Other += d.stats.Other
	st.Undecodable += d.stats.Undecodable
	st.Snapped += d.stats.Snapped
	for i, n := range d.stats.NotDecoded {
		st.NotDecoded[i] += n
	}
	if st.FirstUndecodable.Num == 0 {
		st.FirstUndecodable = d.stats.FirstUndecodable
	}
	if st.FirstSnapped.Num == 0 {
		st.FirstSnapped = d.stats.FirstSnapped
	}
}
