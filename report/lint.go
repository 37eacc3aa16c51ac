package report

import (
	"fmt"

	"github.com/ftpscope/ftpscope/analysis"
)

func family(ipv4 bool) string {
	if ipv4 {
		return "IPv4"
	}
	return "IPv6"
}

// LintText explains a helper-lint finding in words (its first occurrence):
// the "text" of every output.
func LintText(f analysis.LintFinding) string {
	switch f.Code {
	case analysis.LintControlPort:
		return fmt.Sprintf("the control connection uses port %d: nf_conntrack_ftp watches port 21 only, unless loaded with ports=%d or assigned to this port explicitly (nft ct helper set, iptables -j CT --helper ftp)", f.Port, f.Port)
	case analysis.LintEPRTFamily:
		return fmt.Sprintf("EPRT names %s over an %s control connection: nf_conntrack_ftp rejects the mismatched family and drops the segment", f.Endpoint, family(f.IPv4))
	case analysis.LintMultiline227:
		if f.AtStart {
			return "a multi-line 227 reply: here its last line starts a TCP segment, so nf_conntrack_ftp still finds it, but helpers that read the first line only do not"
		}
		return "a multi-line 227 reply: its last line, the one a helper would need, does not start a TCP segment, so the helper never sees the address"
	case analysis.LintHelperDrop:
		if !f.Segment {
			return fmt.Sprintf("the 227 reply %s has no address where nf_conntrack_ftp looks for it (six comma-separated numbers from the first digit after \"227 \"): the helper drops the segment (\"partial matching\")", wire(f.Wire, f.Cut))
		}
		return fmt.Sprintf("the %s segment %s (packet %d) starts with %q but does not hold a complete announcement: nf_conntrack_ftp drops it (\"partial matching of `%s'\")", side(f.FromServer), wire(f.Wire, f.Cut), f.Packet, f.What, f.What)
	case analysis.LintEPSVNoParens:
		return fmt.Sprintf("the 229 reply %s has no parentheses: nf_conntrack_ftp looks for \"(\" after \"229 \", finds none and drops the segment (\"partial matching\"), so the control connection stalls behind such a helper", wire(f.Wire, f.Cut))
	case analysis.LintEncrypted:
		return "AUTH TLS/SSL was accepted: from here on the control channel is encrypted and no FTP helper can read PORT or PASV, so only an explicit port range in the firewall (and a passive range pinned on the server) lets data connections through"
	case analysis.LintSplit:
		return fmt.Sprintf("the %s line is split across %d TCP segments: a helper reads one segment at a time, finds an incomplete %s and drops the segment (nf_conntrack_ftp: \"partial matching\"), unless the split falls after the address", f.What, f.Segments, f.What)
	case analysis.LintNotAtStart:
		return fmt.Sprintf("the %s line does not start its TCP segment (it follows another line in the same segment): a helper only reads the start of a segment, misses it and opens nothing for the data connection", f.What)
	case analysis.LintSuperseded:
		return fmt.Sprintf("%s %s was replaced by a new announcement before any transfer used it: a helper keeps one expectation per control connection (nf_conntrack_ftp max_expected=1), so only the newest is open", f.Method, f.Endpoint)
	case analysis.LintUnknownCommand:
		return fmt.Sprintf("%s (RFC 1639) is not parsed by nf_conntrack_ftp, which knows PORT, EPRT, 227 and 229 only: it opens nothing for this data connection", f.Method)
	case analysis.LintAddressMismatch:
		return fmt.Sprintf("%s names %s, not the %s's address %s as seen here: nf_conntrack_ftp creates no expectation for it unless loaded with loose=1", f.Method, f.Endpoint.Addr(), side(f.FromServer), f.Control)
	case analysis.LintRetransmitted:
		return fmt.Sprintf("the %s sent the same unparseable %q segment again (packet %d): a firewall FTP helper that drops it drops every copy, and the control connection stalls (the pure-ftpd issue 175 pattern)", side(f.FromServer), f.What, f.Packet)
	}
	return ""
}
