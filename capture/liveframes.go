package capture

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// liveFrames turns the frames a live capture reads into Packets, the same
// way for every live source (libpcap, each AF_PACKET ring): IP fragments are
// held until their datagram is whole, frames are counted and numbered, and
// the file readers' frameDecoder decodes them.
type liveFrames struct {
	name   string // the interface, for Packet.File and damage
	dec    *frameDecoder
	defrag *defragmenter
	pkt    Packet
	stats  Stats
	// frames numbers the frames read, fragments held included, as the
	// file source does.
	frames uint64
}

func newLiveFrames(name string) liveFrames {
	return liveFrames{name: name, dec: newFrameDecoder(), defrag: newDefragmenter(), stats: Stats{Live: true}}
}

// frame decodes one captured frame of link type lt. It returns nil when the
// frame was an IP fragment kept for reassembly (the caller reads the next
// one); otherwise the Packet, valid until the next call.
func (s *liveFrames) frame(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType) *Packet {
	st := &s.stats
	t := ci.Timestamp
	if !plainTCP4(data, lt) && !quickNotFragment(data, lt) {
		// An IP fragment: kept until its datagram is whole, which then
		// takes its place (as in files).
		var f fragment
		switch s.dec.fragmentOf(&f, data, lt) {
		case isFragment:
			st.Fragments++
			dgram, done := s.defrag.add(&f, t, st)
			if !done {
				s.frames++
				return nil
			}
			data, lt = dgram, layers.LinkTypeRaw
		case badFragment:
			st.FragmentsInvalid++
		}
	}
	if st.Packets == 0 {
		st.First = t
	} else if t.Before(st.Last) {
		st.BackwardsTime++
	}
	st.Last = t
	st.Packets++
	st.Bytes += uint64(ci.CaptureLength)

	// The record fields, then the same decoding and counting as files.
	s.frames++
	p := &s.pkt
	p.Num = s.frames
	p.File = s.name
	p.FileNum = s.frames
	p.Time = t
	p.Len, p.CapLen = ci.Length, ci.CaptureLength
	p.Interface = ci.InterfaceIndex
	decodeCounted(s.dec, st, p, data, lt)
	return p
}
