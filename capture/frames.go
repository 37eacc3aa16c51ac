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
	// valid until the next call to NextFrame: copy it to keep it.
	Data []byte
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

// NextFrame implements FrameSource.
func (s *fileSource) NextFrame() (*Frame, error) {
	in, err := s.advance()
	if err != nil {
		return nil, err
	}
	p := s.frame(in)
	s.fr = Frame{Num: p.Num, File: p.File, FileNum: p.FileNum, Info: p.CaptureInfo, Link: in.lt, Data: in.data}
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
	p.Num, p.File, p.FileNum = f.Num, f.File, f.FileNum
	p.CaptureInfo = f.Info
	p.Time = f.Info.Timestamp
	p.Len, p.CapLen = f.Info.Length, f.Info.CaptureLength
	decodeCounted(d.dec, &d.stats, p, f.Data, f.Link)
	return p
}

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
