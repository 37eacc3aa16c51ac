package analysis

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
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

// Suggestion is one snippet that would let the observed traffic through.
type Suggestion struct {
	// Kind names the target: "nftables", "nftables-filter", "iptables",
	// "vsftpd", "proftpd" or "pure-ftpd".
	Kind string
	// Title says what the snippet does; Text is the snippet itself, ready to
	// paste (lines starting with # are comments).
	Title, Text string
}

func (p *ServerProfile) nftFamily() string {
	if p.Server.Is4() {
		return "ip"
	}
	return "ip6"
}

func (p *ServerProfile) nftPorts() string {
	if len(p.ControlPorts) == 1 {
		return strconv.Itoa(int(p.ControlPorts[0]))
	}
	parts := make([]string, len(p.ControlPorts))
	for i, port := range p.ControlPorts {
		parts[i] = strconv.Itoa(int(port))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

func (p *ServerProfile) iptPorts() string {
	parts := make([]string, len(p.ControlPorts))
	for i, port := range p.ControlPorts {
		parts[i] = strconv.Itoa(int(port))
	}
	if len(parts) == 1 {
		return "--dport " + parts[0]
	}
	return "-m multiport --dports " + strings.Join(parts, ",")
}

// Suggestions writes the firewall rules and server settings that would let
// the observed traffic through. The nftables snippets load with nft -f
// (the helper table as it is; the filter lines inside an existing chain).
func (p *ServerProfile) Suggestions() []Suggestion {
	var out []Suggestion
	fam, s := p.nftFamily(), p.Server.String()
	ports := p.nftPorts()
	rng := p.PassiveRange()
	var b strings.Builder

	if p.Plain() {
		fmt.Fprintf(&b, "# Attach the FTP helper to control connections to %s, so it opens each announced\n", s)
		b.WriteString("# data connection (needs clear-text control; nf_conntrack_ftp, and nf_nat_ftp with NAT).\n")
		b.WriteString("table inet ftpscope_ftp_helper {\n")
		b.WriteString("\tct helper ftp {\n\t\ttype \"ftp\" protocol tcp\n\t\tl3proto inet\n\t}\n")
		b.WriteString("\tchain prerouting {\n\t\ttype filter hook prerouting priority filter; policy accept;\n")
		fmt.Fprintf(&b, "\t\t%s daddr %s tcp dport %s ct helper set \"ftp\"\n\t}\n", fam, s, ports)
		b.WriteString("\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n")
		fmt.Fprintf(&b, "\t\t%s daddr %s tcp dport %s ct helper set \"ftp\"\n\t}\n}\n", fam, s, ports)
		out = append(out, Suggestion{Kind: "nftables", Title: "nftables: FTP helper on the control port", Text: b.String()})
		b.Reset()
	}

	fmt.Fprintf(&b, "# Add to the chain that filters traffic to %s (forward on a router, input on the\n# server itself), before its drop rules.\n", s)
	b.WriteString("ct state established,related accept\n")
	fmt.Fprintf(&b, "%s daddr %s tcp dport %s ct state new accept\n", fam, s, ports)
	if rng != "" {
		if p.Plain() {
			b.WriteString("# Without the helper (or for TLS sessions): the passive ports seen.\n")
		}
		fmt.Fprintf(&b, "%s daddr %s tcp dport %s ct state new accept\n", fam, s, rng)
	}
	if rng == "" && p.TLSSessions > 0 {
		b.WriteString("# TLS hides the data ports: pin a passive range on the server and admit it here.\n")
	}
	if p.ActiveChannels > 0 && p.TLSSessions > 0 {
		b.WriteString("# Active mode under TLS: the helper cannot see PORT; this admits the server's connections.\n")
		if p.ActiveEphemeral == 0 {
			fmt.Fprintf(&b, "%s saddr %s tcp sport 20 tcp dport 1024-65535 ct state new accept\n", fam, s)
		} else {
			fmt.Fprintf(&b, "%s saddr %s tcp sport 1024-65535 tcp dport 1024-65535 ct state new accept\n", fam, s)
		}
	}
	out = append(out, Suggestion{Kind: "nftables-filter", Title: "nftables: accept rules for the filtering chain", Text: b.String()})
	b.Reset()

	ipt := "iptables"
	if !p.Server.Is4() {
		ipt = "ip6tables"
	}
	if p.Plain() {
		b.WriteString("# Attach the FTP helper (modprobe nf_conntrack_ftp; nf_nat_ftp too with NAT).\n")
		fmt.Fprintf(&b, "%s -t raw -A PREROUTING -p tcp -d %s %s -j CT --helper ftp\n", ipt, s, p.iptPorts())
		fmt.Fprintf(&b, "%s -t raw -A OUTPUT -p tcp -d %s %s -j CT --helper ftp\n", ipt, s, p.iptPorts())
	}
	b.WriteString("# FORWARD on a router, INPUT on the server itself; insert before the drop rules.\n")
	fmt.Fprintf(&b, "%s -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n", ipt)
	fmt.Fprintf(&b, "%s -A FORWARD -p tcp -d %s %s -m conntrack --ctstate NEW -j ACCEPT\n", ipt, s, p.iptPorts())
	if rng != "" {
		if p.Plain() {
			b.WriteString("# Without the helper (or for TLS sessions): the passive ports seen.\n")
		}
		fmt.Fprintf(&b, "%s -A FORWARD -p tcp -d %s --dport %d:%d -m conntrack --ctstate NEW -j ACCEPT\n", ipt, s, p.PassiveLow, p.PassiveHigh)
	}
	out = append(out, Suggestion{Kind: "iptables", Title: "iptables: FTP helper and accept rules", Text: b.String()})
	b.Reset()

	if rng == "" && len(p.PrivateAnnounced) == 0 && p.TLSSessions == 0 {
		return out
	}
	pin := func(kind, title string, lines ...string) {
		out = append(out, Suggestion{Kind: kind, Title: title, Text: strings.Join(lines, "\n") + "\n"})
	}
	var vs, pro, pure []string
	lo, hi := p.PassiveLow, p.PassiveHigh
	note := "# pin the passive range to the ports the firewall admits"
	if p.OKPassive > 0 && p.BlockedPassive > 0 && (p.BlockedHigh < p.OKLow || p.BlockedLow > p.OKHigh) {
		// Some ports got through and the blocked ones lie outside them: pin
		// the server to the ports the firewall already admits.
		lo, hi = p.OKLow, p.OKHigh
		note = fmt.Sprintf("# pin the passive range to the ports that got through (%d-%d); %s were blocked", lo, hi, p.BlockedRange())
	}
	if rng != "" {
		vs = append(vs, fmt.Sprintf("pasv_min_port=%d", lo), fmt.Sprintf("pasv_max_port=%d", hi))
		pro = append(pro, fmt.Sprintf("PassivePorts %d %d", lo, hi))
		pure = append(pure, fmt.Sprintf("-p %d:%d", lo, hi))
	}
	if len(p.PrivateAnnounced) > 0 {
		vs = append(vs, "pasv_address="+s, "pasv_addr_resolve=NO")
		pro = append(pro, "MasqueradeAddress "+s)
		pure = append(pure, "-P "+s)
	}
	switch {
	case rng == "" && p.TLSSessions > 0:
		// Encrypted sessions hide the ports: a fixed range is the only way
		// a firewall can admit them; the numbers are an example.
		note = "# TLS hides the data ports: pin a small passive range (example) and admit it"
		vs = append([]string{"pasv_min_port=50000", "pasv_max_port=50100"}, vs...)
		pro = append([]string{"PassivePorts 50000 50100"}, pro...)
		pure = append([]string{"-p 50000:50100"}, pure...)
	case rng == "":
		note = "# announce the public address in passive replies"
	}
	pin("vsftpd", "vsftpd.conf", append([]string{note}, vs...)...)
	pin("proftpd", "proftpd.conf", append([]string{note}, pro...)...)
	pin("pure-ftpd", "pure-ftpd options", note, "pure-ftpd "+strings.Join(pure, " "))
	return out
}
