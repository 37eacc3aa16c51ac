package report

import (
	"fmt"

	"github.com/ftpscope/ftpscope/analysis"
)

// wire writes a note's quoted wire text: Go-quoted, "…" when it was cut.
func wire(s string, cut bool) string {
	if cut {
		return fmt.Sprintf("%q…", s)
	}
	return fmt.Sprintf("%q", s)
}

func side(server bool) string {
	if server {
		return "server"
	}
	return "client"
}

// NoteText writes a session note in words: the "text" of every output.
func NoteText(n analysis.Note) string {
	switch n.What {
	case analysis.NoteSessionEvicted:
		return "session evicted to stay under the session limit; its open channels are judged with what was seen so far"
	case analysis.NoteNotReply:
		return "server line is not a reply: " + wire(n.Wire, n.Cut)
	case analysis.NoteNotCommand:
		return "client line is not a command: " + wire(n.Wire, n.Cut)
	case analysis.NoteBytesMissing:
		return fmt.Sprintf("%d bytes from the %s are missing from the capture; lines there are lost", n.N, side(n.FromServer))
	case analysis.NoteOpenAtEnd:
		return "the capture ended while the control connection was open"
	case analysis.NoteMalformedArgument:
		return fmt.Sprintf("malformed %s argument %s: %s", n.Verb, wire(n.Wire, n.Cut), n.Detail)
	case analysis.NoteAfterEPSVAll:
		return n.Verb + " after EPSV ALL (RFC 2428 forbids it)"
	case analysis.NoteThirdParty:
		return fmt.Sprintf("%s names %s, a third party that is not the client %s: an FTP bounce attempt, or a NAT the capture cannot see", n.Verb, n.Endpoint, n.Addr)
	case analysis.NotePrivilegedPort:
		return fmt.Sprintf("%s asks the server to connect to privileged port %d (FTP bounce attempts target ports like 25)", n.Verb, n.Endpoint.Port())
	case analysis.NoteUnannounced:
		return fmt.Sprintf("%s with no PORT/PASV before it: the data connection was not announced on this control connection (or the announcement was lost)", n.Verb)
	case analysis.NotePassiveRefused:
		return fmt.Sprintf("the server refused %s: %d %s", n.Verb, n.Code, n.Wire)
	case analysis.NoteActiveRefused:
		return fmt.Sprintf("the server refused %s %s: %d %s", n.Verb, n.Endpoint, n.Code, n.Wire)
	case analysis.NoteEncrypted:
		return fmt.Sprintf("AUTH %s accepted (234): the control channel is encrypted from here on; later data connections cannot be predicted from this capture", n.Wire)
	case analysis.NoteUnusableAnnouncement:
		what := "address"
		if n.Code == 229 {
			what = "port"
		}
		return fmt.Sprintf("%d reply without a usable %s: %q", n.Code, what, n.Wire)
	case analysis.NoteAnsweredWith:
		return fmt.Sprintf("the server answered %s with %d", n.Verb, n.Code)
	case analysis.NoteOverlap:
		from, other := side(n.FromServer), side(!n.FromServer)
		return fmt.Sprintf("packet %d from the %s overlaps bytes already sent with different content: "+
			"an evasion attempt (one text for a firewall's FTP helper, another for the %s) or a broken middlebox; "+
			"only one of the two texts is analysed here, and the %s may have acted on the other", n.N, from, other, other)
	case analysis.NoteImplicitTLS:
		return "the connection speaks TLS from its first byte (implicit FTPS): commands, replies and data connections cannot be read from this capture"
	case analysis.NoteClearAgain:
		return fmt.Sprintf("the control channel is clear text again (%s after CCC, RFC 4217 section 6, or REIN ended TLS): commands and announcements are read from here on", n.Wire)
	case analysis.NoteAttemptsCapped:
		return fmt.Sprintf("more than %d connection attempts toward %s (a scan or a SYN flood?): later ones are counted in the summary, not followed (--max-channel-attempts)", n.N, n.Endpoint)
	}
	return ""
}
