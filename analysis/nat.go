package analysis

import (
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
// support. report writes the hypothesis and the fix in words.
type NATDiagnosis struct {
	Kind NATKind
	// Method is the channel's setup method; Port its announced port.
	Method SetupMethod
	Port   uint16
	// Announced is the address written in the announcement; Control is the
	// announcer's control-connection address as seen at this capture point.
	Announced, Control netip.Addr
	// ConnectedTo says which of the two the data connection was aimed at
	// (MatchNone when no attempt was seen).
	ConnectedTo Match
	// Established says whether that connection got through.
	Established bool
	// SetupCode is the server's reply to a refused PORT/EPRT/LPRT.
	SetupCode ftp.ReplyCode
	// Supported is a stable token for the hypothesis the packets support:
	// "peer-ignored-announced" (the connecting peer used the control
	// address), "announced-reachable", "announced-unreachable",
	// "forwarding-blocked" (the control address was tried and failed too),
	// "refused-by-server" (the server answered the PORT/EPRT with an error)
	// or "undecided" (no attempt shows which address the peer would use).
	Supported string
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
	d := &NATDiagnosis{Method: ch.Method, Port: ch.Announced.Port(), Announced: x, Control: ctl, Supported: "undecided"}
	if ch.SetupRefused {
		d.Supported, d.SetupCode = "refused-by-server", ch.SetupCode
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
	switch {
	case !isPrivate(x):
		d.Kind = NATThirdParty
	case ch.Mode() == Passive:
		d.Kind = NATServerInside
	default:
		d.Kind = NATClientInside
	}
	return d
}
