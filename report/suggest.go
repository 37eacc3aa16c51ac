package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ftpscope/ftpscope/analysis"
)

// Suggestion is one snippet that would let the observed traffic through.
type Suggestion struct {
	// Kind names the target: "nftables", "nftables-filter", "iptables",
	// "vsftpd", "proftpd" or "pure-ftpd".
	Kind string
	// Title says what the snippet does; Text is the snippet itself, ready to
	// paste (lines starting with # are comments).
	Title, Text string
}

func nftFamily(p *analysis.ServerProfile) string {
	if p.Server.Is4() {
		return "ip"
	}
	return "ip6"
}

func nftPorts(p *analysis.ServerProfile) string {
	if len(p.ControlPorts) == 1 {
		return strconv.Itoa(int(p.ControlPorts[0]))
	}
	parts := make([]string, len(p.ControlPorts))
	for i, port := range p.ControlPorts {
		parts[i] = strconv.Itoa(int(port))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

func iptPorts(p *analysis.ServerProfile) string {
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
// the traffic a server profile saw through. The nftables snippets load with
// nft -f (the helper table as it is; the filter lines inside an existing chain).
func Suggestions(p *analysis.ServerProfile) []Suggestion {
	var out []Suggestion
	fam, s := nftFamily(p), p.Server.String()
	ports := nftPorts(p)
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
		fmt.Fprintf(&b, "%s -t raw -A PREROUTING -p tcp -d %s %s -j CT --helper ftp\n", ipt, s, iptPorts(p))
		fmt.Fprintf(&b, "%s -t raw -A OUTPUT -p tcp -d %s %s -j CT --helper ftp\n", ipt, s, iptPorts(p))
	}
	b.WriteString("# FORWARD on a router, INPUT on the server itself; insert before the drop rules.\n")
	fmt.Fprintf(&b, "%s -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n", ipt)
	fmt.Fprintf(&b, "%s -A FORWARD -p tcp -d %s %s -m conntrack --ctstate NEW -j ACCEPT\n", ipt, s, iptPorts(p))
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
