package correlate

import (
	"net/netip"
	"slices"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// Sighting is what one point saw of a channel's data connection.
type Sighting struct {
	// Point is the point's index in path order.
	Point int
	// Channel is the point's own channel (nil when its session has no
	// announcement matching this one: a filter, or a gap).
	Channel *analysis.Channel
	// Announced is the endpoint as the point saw it announced.
	Announced netip.AddrPort
	// SYNs counts the SYNs seen; SYNACK and Reset say whether a SYN-ACK
	// or a reset answering them was seen; Forged says the reset did not
	// come from the host it claims (its TTL at this point, or the points
	// nearer that host never saw the SYN it answers).
	SYNs          int
	SYNACK, Reset bool
	Forged        bool
	// ICMP is the first ICMP error quoting a SYN.
	ICMP *analysis.ICMPInfo
	// Bytes counts payload bytes; Established says the connection got
	// through here (SYN-ACK or data).
	Bytes       uint64
	Established bool
	// Verdict is the point's own verdict.
	Verdict analysis.Verdict
}

// sawSYN says the point saw the SYN (or the connection without it).
func (s *Sighting) sawSYN() bool {
	return s.Channel != nil && (s.SYNs > 0 || s.Established)
}

// Packet names what was lost on the way.
type Packet uint8

// The packets a data connection can be lost by.
const (
	LostNothing Packet = iota
	// LostSYN: the SYN left one point and never reached the next.
	LostSYN
	// LostSYNACK: the SYN reached the acceptor's side and was answered;
	// the SYN-ACK never came back past a point (the return path).
	LostSYNACK
	// LostReset: the acceptor's reset never came back past a point.
	LostReset
)

// String names the packet.
func (p Packet) String() string {
	switch p {
	case LostSYN:
		return "syn"
	case LostSYNACK:
		return "syn-ack"
	case LostReset:
		return "reset"
	}
	return ""
}

// Path is one channel's data connection along the path.
type Path struct {
	// Sightings are per point that saw the session, in path order.
	Sightings []Sighting
	// ServerOpens says the server opens the data connection (active
	// mode); the client opens it in passive mode.
	ServerOpens bool
	// Lost is the packet lost between two points: LastSaw saw it, the
	// next along its way, FirstMissed, did not (both point indexes).
	Lost                 Packet
	LastSaw, FirstMissed int
	// Beyond is set (with LastSaw) when the SYN reached the last point
	// toward the acceptor and nothing answered there: the connection was
	// lost beyond every point, or the host did not answer.
	Beyond bool
	// Missed lists points that did not see the SYN although a point
	// further along did: their capture lacks it (a filter, a drop at
	// the capture).
	Missed []int
	// NoSYN says no point saw a SYN: the connection was never tried where
	// any point could see it.
	NoSYN bool
}

// Broken reports whether the connection was lost between or beyond the points.
func (p *Path) Broken() bool { return p.Lost != LostNothing || p.Beyond }

// paths follows each of the primary's channels along the path.
func paths(g *Session, r *Result, cfg Config) []*Path {
	prim := g.Seen[g.Primary]
	if prim == nil {
		return nil
	}
	// Align every other point's channels to the primary's.
	aligned := make([][]*analysis.Channel, len(g.Seen))
	for i, s := range g.Seen {
		if s == nil {
			continue
		}
		if i == g.Primary {
			aligned[i] = prim.Channels
			continue
		}
		aligned[i] = alignChannels(prim.Channels, s.Channels, r.Offsets[i].Offset-r.Offsets[g.Primary].Offset, cfg.Window)
	}
	out := make([]*Path, len(prim.Channels))
	for ci, c := range prim.Channels {
		p := &Path{ServerOpens: c.Mode() != analysis.Passive}
		for i, s := range g.Seen {
			if s == nil {
				continue
			}
			p.Sightings = append(p.Sightings, sighting(i, aligned[i][ci]))
		}
		locate(p)
		out[ci] = p
	}
	return out
}

// alignChannels returns, for each of want, the channel of have that is
// the same announcement (same method, in the same order, announced at the
// same time once offset, have's clock against want's, is taken out), or
// nil.
func alignChannels(want, have []*analysis.Channel, offset, window time.Duration) []*analysis.Channel {
	out := make([]*analysis.Channel, len(want))
	j := 0
	for i, c := range want {
		for x := j; x < len(have); x++ {
			h := have[x]
			if h.Method != c.Method {
				continue
			}
			d := h.Time.Add(-offset).Sub(c.Time)
			if d < -window {
				continue
			}
			if d > window {
				break
			}
			out[i], j = h, x+1
			break
		}
	}
	return out
}

func sighting(point int, c *analysis.Channel) Sighting {
	s := Sighting{Point: point, Channel: c}
	if c == nil {
		return s
	}
	s.Announced, s.SYNs, s.Bytes, s.Verdict = c.Announced, c.SYNs(), c.Bytes(), c.Verdict
	for _, a := range c.Attempts {
		s.SYNACK = s.SYNACK || !a.SYNACK.IsZero()
		s.Reset = s.Reset || !a.RST.IsZero()
		s.Established = s.Established || a.Established()
		if a.ICMP != nil && s.ICMP == nil {
			s.ICMP = a.ICMP
		}
	}
	s.Forged = c.Why != nil && c.Why.Where.Clause == analysis.ClauseResetForged
	return s
}

// locate finds where the data connection was lost along the path.
func locate(p *Path) {
	// The SYN's way: from the initiator's side to the acceptor's, over
	// the points whose session holds the announcement (the others cannot
	// tell whether the SYN passed them).
	var way []int
	for i := range p.Sightings {
		if p.Sightings[i].Channel != nil {
			way = append(way, i)
		}
	}
	if p.ServerOpens {
		slices.Reverse(way)
	}
	n := len(way)
	last := -1
	for i, k := range way {
		if p.Sightings[k].sawSYN() {
			last = i
		}
	}
	if last < 0 {
		p.NoSYN = true
		return
	}
	for i := 0; i < last; i++ {
		if !p.Sightings[way[i]].sawSYN() {
			p.Missed = append(p.Missed, p.Sightings[way[i]].Point)
		}
	}
	if last < n-1 {
		p.Lost, p.LastSaw, p.FirstMissed = LostSYN, p.Sightings[way[last]].Point, p.Sightings[way[last+1]].Point
		// Whatever answered the SYN short of where it was lost did not
		// come from the acceptor.
		for i := 0; i <= last; i++ {
			if s := &p.Sightings[way[i]]; s.Reset {
				s.Forged = true
			}
		}
		return
	}
	acc := &p.Sightings[way[n-1]]
	what := LostNothing
	switch {
	case acc.SYNACK || acc.Established:
		what = LostSYNACK
	case acc.Reset:
		what = LostReset
	default:
		p.Beyond, p.LastSaw = true, acc.Point
		return
	}
	answered := func(s *Sighting) bool {
		if what == LostSYNACK {
			return s.SYNACK || s.Established
		}
		return s.Reset
	}
	// The answer's way back: last point that saw it, from the acceptor's side.
	back := n - 1
	for i := n - 1; i >= 0; i-- {
		if answered(&p.Sightings[way[i]]) {
			back = i
		}
	}
	if back > 0 {
		p.Lost, p.LastSaw, p.FirstMissed = what, p.Sightings[way[back]].Point, p.Sightings[way[back-1]].Point
	}
}
