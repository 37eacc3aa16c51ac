package analysis

import (
	"fmt"
	"net/netip"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// NATKind classifies an announced address that is not the announcer's
// control-connection address.
type NATKind uint8

// The NAT kinds.
const (
	// NATServerInside: a passive reply names a private address while the
	// control connection goes elsewhere: the server sits behind a NAT and
	// announces its inside address.
	NATServerInside NATKind = iota + 1
	// NATClientInside: PORT/EPRT/LPRT names a private address other than the
	// client's control address: the client sits behind a NAT that did not
	// rewrite the command.
	NATClientInside
	// NATThirdParty: the announced address is public and belongs to another
	// host (FXP, an FTP bounce, a server farm).
	NATThirdParty
)

var natKindNames = [...]string{"", "server-behind-nat", "client-behind-nat", "third-party"}

// String names the kind as used in JSON.
func (k NATKind) String() string {
	if int(k) < len(natKindNames) && k != 0 {
		return natKindNames[k]
	}
	return "none"
}

// NATDiagnosis explains a channel whose announced address is not the
// announcer's control-connection address: which hypothesis the packets
// support, and the fix.
type NATDiagnosis struct {
	Kind NATKind
	// Announced is the address written in the announcement; Control is the
	// announcer's control-connection address as seen at this capture point.
	Announced, Control netip.Addr
	// ConnectedTo says which of the two the data connection was aimed at
	// (MatchNone when no attempt was seen).
	ConnectedTo Match
	// Established says whether that connection got through.
	Established bool
	// Supported is a stable token for the hypothesis the packets support:
	// "peer-ignored-announced" (the connecting peer used the control
	// address), "announced-reachable", "announced-unreachable",
	// "forwarding-blocked" (the control address was tried and failed too),
	// "refused-by-server" (the server answered the PORT/EPRT with an error)
	// or "undecided" (no attempt shows which address the peer would use).
	Supported string
	// Hypothesis says it in words, naming both addresses; Fix says what to change.
	Hypothesis, Fix string
}

// diagnoseNAT returns the NAT diagnosis of a judged channel, nil when its
// announced address is the announcer's own.
func diagnoseNAT(ch *Channel) *NATDiagnosis {
	if !ch.NAT {
		return nil
	}
	x, ctl := ch.Announced.Addr(), ch.Alternate.Addr()
	if x.Unmap().Is4() != ctl.Unmap().Is4() {
		return nil // another address family: not NAT (the helper lint says what it does)
	}
	d := &NATDiagnosis{Announced: x, Control: ctl, Supported: "undecided"}
	if ch.SetupRefused {
		d.Supported = "refused-by-server"
	} else if at := ch.Connection(); at != nil {
		d.ConnectedTo, d.Established = at.Match, at.Established()
		switch {
		case at.Match == MatchControl && d.Established:
			d.Supported = "peer-ignored-announced"
		case at.Match == MatchControl:
			d.Supported = "forwarding-blocked"
		case d.Established:
			d.Supported = "announced-reachable"
		default:
			d.Supported = "announced-unreachable"
		}
	}
	if ch.Mode() == Passive {
		d.passive(ch)
	} else {
		d.active(ch)
	}
	return d
}

// replyName is the reply code that announces a passive method's endpoint.
func replyName(m SetupMethod) string { return ftp.Verb(m.String()).Announcement.String() }

func (d *NATDiagnosis) passive(ch *Channel) {
	x, ctl, rep := d.Announced, d.Control, replyName(ch.Method)
	port := ch.Announced.Port()
	if !isPrivate(x) {
		d.Kind = NATThirdParty
		d.Hypothesis = fmt.Sprintf("the %s names %s, a public address other than the control server %s: the data comes from another host (a server farm, or a site-to-site FXP transfer), or from a NAT with public inside addresses", rep, x, ctl)
		d.Fix = fmt.Sprintf("if %s is not meant to serve data, make the server announce %s (vsftpd pasv_address=%s, proftpd MasqueradeAddress %s, pure-ftpd -P %s), or use EPSV, whose reply carries no address", x, ctl, ctl, ctl, ctl)
		return
	}
	d.Kind = NATServerInside
	base := fmt.Sprintf("the %s names %s, a private address, while the control connection goes to %s: the server sits behind a NAT and announces its inside address; this capture point is outside that NAT (a capture inside it would show the %s matching the control address)", rep, x, ctl, rep)
	switch d.Supported {
	case "peer-ignored-announced":
		d.Hypothesis = base + fmt.Sprintf("; the client ignored the %s address and connected to %s:%d, which the NAT forwards, so only clients that follow the %s address (%s) fail", rep, ctl, port, rep, x)
	case "announced-reachable":
		d.Hypothesis = fmt.Sprintf("the %s names %s while the control connection goes to %s, and the client reached %s directly: client and server share that network or a route to it, so no NAT stands in this data path", rep, x, ctl, x)
	case "announced-unreachable":
		d.Hypothesis = base + fmt.Sprintf("; the client followed it to %s:%d, which is not reachable from the client's side", x, port)
	case "forwarding-blocked":
		d.Hypothesis = base + fmt.Sprintf("; the client tried the control address %s:%d instead and failed too: the NAT does not forward the passive port", ctl, port)
	default:
		d.Hypothesis = base + "; no attempt shows which address the client would use"
	}
	d.Fix = fmt.Sprintf("make the server announce %s (vsftpd pasv_address=%s, proftpd MasqueradeAddress %s, pure-ftpd -P %s), or let the NAT rewrite the %s with its FTP helper (nf_nat_ftp), or use EPSV, whose reply carries no address", ctl, ctl, ctl, ctl, rep)
	if d.Supported == "forwarding-blocked" {
		d.Fix += fmt.Sprintf("; and forward the passive port range to %s on the NAT", x)
	}
}

func (d *NATDiagnosis) active(ch *Channel) {
	x, ctl, m := d.Announced, d.Control, ch.Method.String()
	port := ch.Announced.Port()
	if !isPrivate(x) {
		d.Kind = NATThirdParty
		d.Hypothesis = fmt.Sprintf("%s names %s, a public address other than the client's control address %s: an FTP bounce or a site-to-site (FXP) transfer, or a NAT with public inside addresses", m, x, ctl)
		d.Fix = "if it is not intended, have the server refuse PORT to third parties (vsftpd port_promiscuous=NO and proftpd AllowForeignAddress off, both the default)"
		return
	}
	d.Kind = NATClientInside
	base := fmt.Sprintf("%s names %s, but the client's control connection comes from %s: the client sits behind a NAT (%s is its outside address) that did not rewrite the %s, because no FTP helper (nf_nat_ftp) is attached to the control connection or it could not read it; this capture point is outside that NAT (a capture inside it would show the same %s matching the client)", m, x, ctl, ctl, m, m)
	switch d.Supported {
	case "peer-ignored-announced":
		d.Hypothesis = base + fmt.Sprintf("; the server connected to %s:%d instead and the NAT let it through", ctl, port)
	case "announced-reachable":
		d.Hypothesis = fmt.Sprintf("%s names %s while the client's control connection comes from %s, and the server reached %s directly: the server has a route into the client's network, so no NAT stands in this data path", m, x, ctl, x)
	case "announced-unreachable":
		d.Hypothesis = base + fmt.Sprintf("; the server's connection to the inside address %s:%d cannot get through", x, port)
	case "forwarding-blocked":
		d.Hypothesis = base + fmt.Sprintf("; the server tried %s:%d and failed too", ctl, port)
	case "refused-by-server":
		d.Hypothesis = base + fmt.Sprintf("; the server refused it (%d), as servers do with a %s naming an address other than the client's (vsftpd port_promiscuous=NO, proftpd AllowForeignAddress off)", ch.SetupCode, m)
	default:
		d.Hypothesis = base + "; no attempt shows where the server would connect"
	}
	d.Fix = fmt.Sprintf("attach the FTP helper on the client's NAT so it rewrites %s (nftables: ct helper set \"ftp\" on the control port; iptables: -t raw ... -j CT --helper ftp; with nf_nat_ftp loaded), or use passive mode (PASV/EPSV)", m)
}
