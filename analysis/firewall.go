package analysis

import (
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// ServerProfile is what a firewall in front of one FTP server must let
// through, learned from the sessions to that server address: control ports,
// the passive ports it announced, where its active connections came from,
// which setup methods and whether TLS were used, and what was blocked.
type ServerProfile struct {
	Server netip.Addr
	// ControlPorts are the control ports seen, ascending (at most 16 kept).
	ControlPorts []uint16
	// Sessions counts the control connections, TLSSessions those that
	// became encrypted.
	Sessions, TLSSessions int
	// Methods counts channels by setup method (indexed by SetupMethod).
	Methods [len(methodNames)]int
	// PassiveLow and PassiveHigh bound the ports the server announced for
	// passive connections; PassiveChannels counts those channels.
	PassiveLow, PassiveHigh uint16
	PassiveChannels         int
	// ActiveFrom20 and ActiveEphemeral count the server's active-mode
	// connection attempts by source port.
	ActiveFrom20, ActiveEphemeral int
	// ActiveChannels counts active channels.
	ActiveChannels int
	// BlockedActive and BlockedPassive count blocked channels by mode;
	// BlockedLow and BlockedHigh bound the passive ports that were blocked.
	BlockedActive, BlockedPassive int
	BlockedLow, BlockedHigh       uint16
	// OKLow and OKHigh bound the passive ports whose connections got
	// through (OKPassive of them).
	OKLow, OKHigh uint16
	OKPassive     int
	// PrivateAnnounced lists private addresses the server announced in
	// passive replies while clients reached it at Server (NAT without
	// pasv_address); at most 4 kept.
	PrivateAnnounced []netip.Addr
	// ClientNAT counts active channels whose PORT named an address that was
	// not the client's (a client NAT without an FTP helper).
	ClientNAT int
	// First and Last are the start of the first and the end of the last session.
	First, Last time.Time
}

// FirewallBook collects ServerProfiles, one per server address, bounded.
type FirewallBook struct {
	max     int
	servers map[netip.Addr]*ServerProfile
	// Evicted counts servers not profiled because the book was full.
	Evicted uint64
}

// NewFirewallBook returns a book holding at most max servers (default 10000).
func NewFirewallBook(max int) *FirewallBook {
	if max <= 0 {
		max = 10000
	}
	return &FirewallBook{max: max, servers: make(map[netip.Addr]*ServerProfile)}
}

// Add learns from one finished session.
func (b *FirewallBook) Add(s *Session) {
	addr := s.Server.Addr().Unmap()
	p := b.servers[addr]
	if p == nil {
		if len(b.servers) >= b.max {
			b.Evicted++
			return
		}
		p = &ServerProfile{Server: addr, First: s.Start}
		b.servers[addr] = p
	}
	p.Sessions++
	if s.TLS {
		p.TLSSessions++
	}
	if s.Start.Before(p.First) {
		p.First = s.Start
	}
	if s.End.After(p.Last) {
		p.Last = s.End
	}
	p.addControlPort(s.Server.Port())
	for _, ch := range s.Channels {
		p.Methods[ch.Method]++
		switch ch.Mode() {
		case Passive:
			p.PassiveChannels++
			port := ch.Announced.Port()
			if p.PassiveChannels == 1 || port < p.PassiveLow {
				p.PassiveLow = port
			}
			if port > p.PassiveHigh {
				p.PassiveHigh = port
			}
			if ch.Verdict == OK {
				p.OKPassive++
				if p.OKPassive == 1 || port < p.OKLow {
					p.OKLow = port
				}
				if port > p.OKHigh {
					p.OKHigh = port
				}
			}
			if ch.Blocked {
				p.BlockedPassive++
				if p.BlockedPassive == 1 || port < p.BlockedLow {
					p.BlockedLow = port
				}
				if port > p.BlockedHigh {
					p.BlockedHigh = port
				}
			}
			if ch.NAT && isPrivate(ch.Announced.Addr()) && len(p.PrivateAnnounced) < 4 && !containsAddr(p.PrivateAnnounced, ch.Announced.Addr()) {
				p.PrivateAnnounced = append(p.PrivateAnnounced, ch.Announced.Addr())
			}
		case Active:
			p.ActiveChannels++
			if ch.Blocked {
				p.BlockedActive++
			}
			if ch.NAT {
				p.ClientNAT++
			}
			for _, at := range ch.Attempts {
				if at.SYNs == 0 && !at.NoSYN {
					continue
				}
				if at.From.Port() == 20 {
					p.ActiveFrom20++
				} else {
					p.ActiveEphemeral++
				}
			}
		}
	}
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func (p *ServerProfile) addControlPort(port uint16) {
	i := sort.Search(len(p.ControlPorts), func(i int) bool { return p.ControlPorts[i] >= port })
	if i < len(p.ControlPorts) && p.ControlPorts[i] == port || len(p.ControlPorts) >= 16 {
		return
	}
	p.ControlPorts = append(p.ControlPorts, 0)
	copy(p.ControlPorts[i+1:], p.ControlPorts[i:])
	p.ControlPorts[i] = port
}

// Profiles returns the profiles ordered by server address.
func (b *FirewallBook) Profiles() []*ServerProfile {
	out := make([]*ServerProfile, 0, len(b.servers))
	for _, p := range b.servers {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Server.Less(out[j].Server) })
	return out
}

// PassiveRange writes the observed passive ports as "LOW-HIGH" ("" when none).
func (p *ServerProfile) PassiveRange() string {
	if p.PassiveChannels == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", p.PassiveLow, p.PassiveHigh)
}

// BlockedRange writes the blocked passive ports as "LOW-HIGH" ("" when none).
func (p *ServerProfile) BlockedRange() string {
	if p.BlockedPassive == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", p.BlockedLow, p.BlockedHigh)
}

// ActiveSource says where the server's active connections came from:
// "20", "ephemeral", "20 and ephemeral", or "" when none was seen.
func (p *ServerProfile) ActiveSource() string {
	switch {
	case p.ActiveFrom20 > 0 && p.ActiveEphemeral > 0:
		return "20 and ephemeral"
	case p.ActiveFrom20 > 0:
		return "20"
	case p.ActiveEphemeral > 0:
		return "ephemeral"
	}
	return ""
}

// Plain reports whether some sessions kept a clear-text control channel, so
// an FTP helper can follow them.
func (p *ServerProfile) Plain() bool { return p.Sessions > p.TLSSessions }
