package correlate

import (
	"net/netip"
	"sort"
)

// Block is what was lost between two adjacent points, for one kind of
// data connection toward one host: the firewall view's "which hop drops
// what".
type Block struct {
	// LastSaw and FirstMissed are the points the packets were lost
	// between, in the direction they travelled.
	LastSaw, FirstMissed int
	Packet               Packet
	// ServerOpens: active data connections (the server's SYN); else
	// passive ones.
	ServerOpens bool
	// From and To are the data connection's hosts as LastSaw saw them
	// (the SYN's source and destination).
	From, To netip.Addr
	// Connections counts the data connections; LowPort and HighPort
	// bound their destination ports.
	Connections       int
	LowPort, HighPort uint16
	// ForgedResets counts those answered by a reset forged on the way;
	// ICMPFrom lists the senders of the ICMP errors that answered them.
	ForgedResets int
	ICMPFrom     []netip.Addr
}

// Blocks gathers every located loss of the join, by the pair of points it
// lies between, then by kind and host.
func Blocks(r *Result) []Block {
	type key struct {
		last, first int
		pkt         Packet
		active      bool
		from, to    netip.Addr
	}
	at := map[key]int{}
	var out []Block
	for _, g := range r.Sessions {
		for _, p := range g.Paths {
			if p.Lost == LostNothing {
				continue
			}
			var s *Sighting
			for i := range p.Sightings {
				if p.Sightings[i].Point == p.LastSaw {
					s = &p.Sightings[i]
				}
			}
			if s == nil || s.Channel == nil {
				continue
			}
			var from, to netip.AddrPort
			if a := s.Channel.Connection(); a != nil {
				from, to = a.From, a.To
			} else {
				to = s.Announced
			}
			k := key{p.LastSaw, p.FirstMissed, p.Lost, p.ServerOpens, from.Addr(), to.Addr()}
			i, ok := at[k]
			if !ok {
				i = len(out)
				at[k] = i
				out = append(out, Block{LastSaw: p.LastSaw, FirstMissed: p.FirstMissed, Packet: p.Lost, ServerOpens: p.ServerOpens,
					From: from.Addr(), To: to.Addr(), LowPort: to.Port(), HighPort: to.Port()})
			}
			b := &out[i]
			b.Connections++
			b.LowPort, b.HighPort = min(b.LowPort, to.Port()), max(b.HighPort, to.Port())
			if s.Forged && s.Reset {
				b.ForgedResets++
			}
			if s.ICMP != nil && !containsAddr(b.ICMPFrom, s.ICMP.From) {
				b.ICMPFrom = append(b.ICMPFrom, s.ICMP.From)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].LastSaw != out[j].LastSaw {
			return out[i].LastSaw < out[j].LastSaw
		}
		return out[i].FirstMissed < out[j].FirstMissed
	})
	return out
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}
