package analysis

import (
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// Rule names the rule that gave a channel its verdict. Each verdict has one
// or more rules; the rule and the facts in Reason are all a renderer needs to
// say why.
type Rule uint8

// The rules, in the order they are tried.
const (
	RuleNone Rule = iota
	// RuleConnected (ok): an attempt got through (SYN-ACK, data, or a
	// connection seen without its SYN).
	RuleConnected
	// RuleReset (refused): the SYN was answered with a TCP reset.
	RuleReset
	// RuleICMP (icmp): an ICMP unreachable quoting the SYN came back.
	RuleICMP
	// RuleSYNsAtCaptureEnd (unknown): SYNs went unanswered, but the capture
	// ended before an answer or a reply could show the outcome.
	RuleSYNsAtCaptureEnd
	// RuleSYNsUnanswered (dropped): SYNs, none answered.
	RuleSYNsUnanswered
	// RuleCommandAtCaptureEnd (unknown): the transfer was asked for shortly
	// before the capture ended.
	RuleCommandAtCaptureEnd
	// RuleCommandInGap (unknown): control bytes missing hide the transfer's fate.
	RuleCommandInGap
	// RuleNoSYNAfter425 (not-seen): the server replied 425, no SYN in the capture.
	RuleNoSYNAfter425
	// RuleNoSYNCompleted (not-seen): the transfer completed, no connection seen.
	RuleNoSYNCompleted
	// RuleNoSYNReplied (not-seen): another final reply, no connection seen.
	RuleNoSYNReplied
	// RuleNoSYNNoReply (not-seen): neither a connection nor a reply.
	RuleNoSYNNoReply
	// RuleAnnouncementInGap (unknown): control bytes missing hide whether a
	// transfer used the announcement.
	RuleAnnouncementInGap
	// RuleSetupRefused (unused): the server refused the PORT/EPRT/LPRT.
	RuleSetupRefused
	// RuleSuperseded (unused): a later announcement replaced this one.
	RuleSuperseded
	// RuleAnnouncementAtCaptureEnd (unknown): the capture ended soon after
	// the announcement.
	RuleAnnouncementAtCaptureEnd
	// RuleNoTransfer (unused): the session ended without a transfer using it.
	RuleNoTransfer
)

var ruleNames = [...]string{"", "connected", "reset", "icmp", "syns-at-capture-end", "syns-unanswered",
	"command-at-capture-end", "command-in-gap", "no-syn-after-425", "no-syn-completed", "no-syn-replied",
	"no-syn-no-reply", "announcement-in-gap", "setup-refused", "superseded", "announcement-at-capture-end",
	"no-transfer"}

// String names the rule as a stable token.
func (r Rule) String() string {
	if int(r) < len(ruleNames) && r != 0 {
		return ruleNames[r]
	}
	return "none"
}

// Peer is one end of the control connection, named by its role.
type Peer struct {
	// Server is true for the server, false for the client.
	Server bool
	// Addr is its control-connection address.
	Addr netip.Addr
}

// Role returns "server" or "client".
func (p Peer) Role() string {
	if p.Server {
		return "server"
	}
	return "client"
}

// Reason is the facts behind a channel's verdict: the rule that decided it
// and what the capture showed. report writes them in words; the channel's own
// fields (Announced, Alternate, Command, ReplyText, Method, SetupCode, NAT,
// NATDiag) complete them.
type Reason struct {
	Rule Rule
	// Initiator is the peer that opens the data connection (the server in
	// active mode, the client in passive mode); Acceptor the one it connects to.
	Initiator, Acceptor Peer
	// From and To are the endpoints of the attempt the rule is about (the
	// connected, reset, ICMP-answered or last tried attempt).
	From, To netip.AddrPort
	// Match says which endpoint the connected attempt reached; NoSYN and
	// ResetLater are its facts (seen without its SYN; reset once established).
	Match             Match
	NoSYN, ResetLater bool
	// OtherAttempts counts the channel's attempts besides the connected one.
	OtherAttempts int
	// Bytes counts the channel's payload bytes.
	Bytes uint64
	// SYNs counts the SYNs of all attempts.
	SYNs int
	// Span is the time the rule measures: from the first to the last SYN
	// (unanswered), from the SYN to the reset (reset), from the last SYN, the
	// transfer command or the announcement to the end of the capture (the
	// capture-end rules).
	Span time.Duration
	// ICMP is the unreachable (ICMP rule).
	ICMP ICMPInfo
	// Final is the transfer's final reply (0 if none); Last is its last
	// reply, a preliminary one when no final reply came.
	Final, Last ftp.ReplyCode
	// ReplyText is the text of the transfer's last reply.
	ReplyText string
	// SessionEnded is true when the peers had closed the control connection
	// at judgement (not the capture's end).
	SessionEnded bool
	// Early is set when the channel was judged before its outcome was known
	// to keep memory bounded; Limit is the channel limit (--max-channels)
	// it hit. The rule is what was known so far.
	Early bool
	Limit int
	// Where places the capture point against the block.
	Where Where
}

// Clause names what the packets say about where the capture point sits
// relative to the block (see Vantage).
type Clause uint8

// The clauses.
const (
	ClauseNone Clause = iota
	// ClauseConnectFirst: an unused passive announcement with no SYN;
	// clients that connect before the transfer command look just like this.
	ClauseConnectFirst
	// ClauseDroppedAtHost: the SYNs get no answer and no router lies between
	// here and the acceptor (Addr; HostTTL its control TTL).
	ClauseDroppedAtHost
	// ClauseDroppedBetween: something between here and Addr drops the SYNs.
	ClauseDroppedBetween
	// ClauseResetBetween: the reset came back through the capture point from
	// Addr's side, origin unknown.
	ClauseResetBetween
	// ClauseResetFromHost: the reset's TTL (TTL) is the host's (Addr) own:
	// nothing listened on Port.
	ClauseResetFromHost
	// ClauseResetForged: the reset's TTL differs from the host's (HostTTL):
	// forged Hops routers away; IPIDZero adds that its IP ID 0 is foreign.
	ClauseResetForged
	// ClauseICMPFromHost: the error came from the destination Addr itself.
	ClauseICMPFromHost
	// ClauseICMPOnPath: the error came from router Router, between here and Addr.
	ClauseICMPOnPath
	// ClauseNeverSent: the capture point is on the initiator's own link
	// (HostTTL its control TTL), so it never sent a SYN.
	ClauseNeverSent
	// ClauseAfterBlock: the capture point sits after the block, on the
	// acceptor's side; OnLink says on its link (HostTTL its control TTL).
	ClauseAfterBlock
)

// Where is the vantage clause and its facts.
type Where struct {
	Clause Clause
	// Addr is the host the clause is about; Router the ICMP sender.
	Addr, Router netip.Addr
	// Port is the reset's source port.
	Port uint16
	// TTL is the reset's TTL, HostTTL the host's control-packet TTL.
	TTL, HostTTL uint8
	// Hops estimates the routers between the capture point and a forger.
	Hops int
	// IPIDZero: the forged reset had IP ID 0, which the host's packets never carry.
	IPIDZero bool
	// OnLink: see ClauseAfterBlock.
	OnLink bool
}
