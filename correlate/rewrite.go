package correlate

import (
	"net/netip"

	"github.com/ftpscope/ftpscope/analysis"
)

// Field names what a rewrite changed.
type Field uint8

// The fields NAT and FTP helpers rewrite.
const (
	FieldAddress Field = iota + 1
	FieldPORT
	FieldEPRT
	FieldLPRT
	Field227
	Field228
	Field229
)

var fieldNames = [...]string{"", "address", "PORT", "EPRT", "LPRT", "227", "228", "229"}

// String names the field as the JSON writes it.
func (f Field) String() string {
	if int(f) < len(fieldNames) {
		return fieldNames[f]
	}
	return ""
}

// fieldOf is the field that carries a method's announcement.
func fieldOf(m analysis.SetupMethod) Field {
	switch m {
	case analysis.PORT:
		return FieldPORT
	case analysis.EPRT:
		return FieldEPRT
	case analysis.LPRT:
		return FieldLPRT
	case analysis.PASV:
		return Field227
	case analysis.LPSV:
		return Field228
	case analysis.EPSV:
		return Field229
	}
	return 0
}

// Rewrite is one thing that differs between two adjacent sightings of a
// session, in the direction it travelled.
type Rewrite struct {
	// From and To are point indexes: From saw the value Old, To saw New.
	From, To int
	Field    Field
	Old, New netip.AddrPort
	// ServerSide says an address rewrite is of the server's end of the
	// control connection (DNAT); else of the client's (SNAT).
	ServerSide bool
	// Channel is the index of the channel rewritten (for announcements;
	// -1 for addresses) in the primary's channels.
	Channel int
	// Breaks says the rewritten channel never got through.
	Breaks bool
}

// rewrites lists what differs between each two adjacent sightings.
func rewrites(g *Session) []Rewrite {
	var out []Rewrite
	pts := g.Points()
	for x := 1; x < len(pts); x++ {
		a, b := g.Seen[pts[x-1]], g.Seen[pts[x]]
		if a.Client != b.Client {
			out = append(out, Rewrite{From: pts[x-1], To: pts[x], Field: FieldAddress, Old: a.Client, New: b.Client, Channel: -1})
		}
		if a.Server != b.Server {
			out = append(out, Rewrite{From: pts[x-1], To: pts[x], Field: FieldAddress, Old: a.Server, New: b.Server, ServerSide: true, Channel: -1})
		}
	}
	for ci, p := range g.Paths {
		for x := 1; x < len(p.Sightings); x++ {
			sa, sb := &p.Sightings[x-1], &p.Sightings[x]
			if sa.Channel == nil || sb.Channel == nil {
				continue
			}
			m := sa.Channel.Method
			differs := sa.Announced != sb.Announced
			if m == analysis.EPSV {
				// 229 carries only the port: the address is the
				// control connection's, rewritten with it.
				differs = sa.Announced.Port() != sb.Announced.Port()
			}
			if !differs {
				continue
			}
			rw := Rewrite{From: sa.Point, To: sb.Point, Field: fieldOf(m), Old: sa.Announced, New: sb.Announced, Channel: ci}
			if m.Mode() == analysis.Passive {
				// The reply travels from the server's side.
				rw.From, rw.To, rw.Old, rw.New = sb.Point, sa.Point, sb.Announced, sa.Announced
			}
			rw.Breaks = brokenChannel(p)
			out = append(out, rw)
		}
	}
	return out
}

// brokenChannel says a channel's data connection was tried and got through
// at no point.
func brokenChannel(p *Path) bool {
	tried := false
	for i := range p.Sightings {
		s := &p.Sightings[i]
		if s.Established {
			return false
		}
		tried = tried || s.SYNs > 0
	}
	return tried || p.Broken()
}
