// Package analysis turns reassembled FTP control lines and the packets around
// them into sessions: who talked to whom, which data connections each
// PORT/EPRT/LPRT/PASV/EPSV/LPSV announced, whether each really happened, and,
// when it did not, why (a firewall dropped the SYNs, a reset, an ICMP error,
// NAT sent the client to the wrong address, or the capture cannot tell).
//
// The Analyzer is fed two streams: control lines through the
// reassembly.Handler methods (Open, Line, Gap, Close) and every other TCP
// segment and ICMP error through Packet. The two are not in causal order
// (reassembly may release a 227 line after the SYN it announced was seen), so
// recent connection attempts are remembered for a while and matched when the
// announcement appears. All time is capture time.
package analysis

import (
	"math"
	"net/netip"
	"time"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// Mode is the direction of a data connection's setup.
type Mode uint8

// Active: the server connects to the client (PORT, EPRT, LPRT).
// Passive: the client connects to the server (PASV, EPSV, LPSV).
const (
	Active Mode = iota + 1
	Passive
)

// String returns "active" or "passive".
func (m Mode) String() string {
	switch m {
	case Active:
		return "active"
	case Passive:
		return "passive"
	}
	return "unknown"
}

// SetupMethod is the command family that announced a data connection.
type SetupMethod uint8

// The announcement methods, as named in RFC 959, 1639 and 2428.
const (
	PORT SetupMethod = iota + 1
	EPRT
	LPRT
	PASV
	EPSV
	LPSV
)

var methodNames = [...]string{"", "PORT", "EPRT", "LPRT", "PASV", "EPSV", "LPSV"}

// String returns the method's command name.
func (m SetupMethod) String() string {
	if int(m) < len(methodNames) && m != 0 {
		return methodNames[m]
	}
	return "unknown"
}

// methodOf returns the method a setup verb names (0 for other verbs).
func methodOf(verb string) SetupMethod {
	for m, name := range methodNames {
		if m != 0 && name == verb {
			return SetupMethod(m)
		}
	}
	return 0
}

// Mode says whether the method sets up an active or a passive connection.
func (m SetupMethod) Mode() Mode {
	switch ftp.Verb(m.String()).Class {
	case ftp.ActiveSetup:
		return Active
	case ftp.PassiveSetup:
		return Passive
	}
	return 0
}

// Verdict is what became of an announced data connection. Every channel gets
// exactly one.
type Verdict uint8

// The verdicts, as defined in the core issue.
const (
	// Unknown: the capture ended or had a gap before the outcome was knowable.
	Unknown Verdict = iota
	// OK: the data connection was established (SYN answered, or data seen).
	OK
	// Dropped: SYNs toward the endpoint were seen, never answered.
	Dropped
	// Refused: the SYN was answered with a TCP reset.
	Refused
	// ICMP: an ICMP or ICMPv6 unreachable quoting the SYN came back.
	ICMP
	// NotSeen: a transfer was asked for (or 425 came) but no SYN toward the
	// endpoint is in the capture.
	NotSeen
	// Unused: no transfer command used the announcement.
	Unused
)

var verdictNames = [...]string{"unknown", "ok", "dropped", "refused", "icmp", "not-seen", "unused"}

// String returns the verdict's name as used in every output format.
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "unknown"
}

// Verdicts lists every verdict in report order.
var Verdicts = []Verdict{OK, Dropped, Refused, ICMP, NotSeen, Unused, Unknown}

// Match says which endpoint a data connection attempt was aimed at.
type Match uint8

// MatchNone: no attempt was seen. MatchAnnounced: the endpoint written in the
// announcement. MatchControl: the same port on the announcer's control
// address (NAT, or a client that ignores the 227 address).
const (
	MatchNone Match = iota
	MatchAnnounced
	MatchControl
)

// String returns "", "announced" or "control".
func (m Match) String() string {
	switch m {
	case MatchAnnounced:
		return "announced"
	case MatchControl:
		return "control"
	}
	return ""
}

// ICMPInfo is the ICMP error that killed a connection attempt.
type ICMPInfo struct {
	From       netip.Addr
	V6         bool
	Type, Code uint8
	Time       time.Time
}

// Describe names the ICMP type and code in words ("administratively prohibited").
func (i ICMPInfo) Describe() string { return icmpText(i.V6, i.Type, i.Code) }

// Attempt is one TCP connection toward a channel's endpoint, seen in the capture.
type Attempt struct {
	// From is the initiator, To the endpoint it connected to.
	From, To netip.AddrPort
	// Match says whether To was the announced endpoint or the control address.
	Match Match
	// SYNs counts SYNs (retransmissions included); First and Last are the
	// times of the first and last one.
	SYNs        int
	First, Last time.Time
	// SYNACK is the time of the first SYN-ACK (zero if none).
	SYNACK time.Time
	// RST is the time of a reset from the endpoint answering the SYN (zero if none).
	RST time.Time
	// ResetLater is true when the connection was reset after it was established.
	ResetLater bool
	// ICMP is the unreachable that quoted this attempt's SYN, if any.
	ICMP *ICMPInfo
	// Bytes counts TCP payload bytes in both directions, each sequence
	// number once (retransmissions and copies add nothing; see seqspan.go);
	// Packets counts segments, copies of a packet read twice excepted.
	Bytes, Packets uint64
	// FirstData is the time of the first payload byte (zero if none).
	FirstData time.Time
	// Sent counts each direction's payload bytes in sequence space, [0]
	// from From and [1] from To (Bytes is their sum); MissingBytes and
	// DataTimes tell the rest from data.
	Sent [2]uint64
	// data is what the payload adds (what of it was captured, when it
	// flowed), allocated at the first payload byte: most attempts carry
	// none.
	data *dataFacts
	// FIN is true once a FIN was seen in either direction.
	FIN bool
	// NoSYN is true when the connection's SYN was not in the capture (seen
	// mid-flow). A SYN seen after the SYN-ACK (out of order) clears it.
	NoSYN bool
	// RSTTTL and RSTIPID are the IP TTL (hop limit) and IPv4 ID of the reset
	// that answered the SYN (see Analyzer.Trace); compared with the
	// acceptor's control packets they tell a forged reset from a real one.
	RSTTTL  uint8
	RSTIPID uint16
}

// dataFacts is what a data connection's payload adds to its attempt.
type dataFacts struct {
	// cov records what of each direction's span the capture holds
	// (coverage.go).
	cov [2]coverage
	// first and last are the times of each direction's first and last
	// segment carrying payload.
	first, last [2]time.Time
}

// MissingBytes is the part of Sent[i] the capture lacks: segments lost at
// the capture point, payload cut by the snap length.
func (a *Attempt) MissingBytes(i int) uint64 {
	if a.data == nil {
		return a.Sent[i]
	}
	return a.data.cov[i].missing(a.Sent[i])
}

// DataTimes are the times of direction i's first and last segment carrying
// payload (zero when none did).
func (a *Attempt) DataTimes(i int) (first, last time.Time) {
	if a.data == nil {
		return time.Time{}, time.Time{}
	}
	return a.data.first[i], a.data.last[i]
}

// Established reports whether the attempt got through: a SYN-ACK, or data.
func (a *Attempt) Established() bool {
	return !a.SYNACK.IsZero() || a.Bytes > 0 || a.NoSYN
}

// Channel is one announced data connection and what became of it.
type Channel struct {
	Method SetupMethod
	// Announced is the endpoint as written on the wire (EPSV: the control
	// server's address with the announced port).
	Announced netip.AddrPort
	// Alternate is the same port on the announcer's control address, the
	// other place a NATed or 227-ignoring peer connects to; it equals
	// Announced when there is no NAT.
	Alternate netip.AddrPort
	// Time and Packet locate the announcement (the PORT command or the 227 reply).
	Time   time.Time
	Packet uint64
	// NAT is true when the announced address is not the announcer's
	// control-connection address.
	NAT bool
	// Command and Argument are the transfer command that used the channel.
	// Argument keeps at most StoredMax bytes (cut on a UTF-8 boundary);
	// ArgumentLen is its length on the wire, larger when it was cut.
	Command, Argument string
	ArgumentLen       int
	// CommandTime is when that command was sent.
	CommandTime time.Time
	// Replies are the reply codes to the transfer command, in order
	// (150, 226 ...); Reply is the last one and ReplyText its text.
	Replies   []ftp.ReplyCode
	Reply     ftp.ReplyCode
	ReplyText string
	ReplyTime time.Time
	// Attempts are the TCP connections toward the endpoint, in order.
	Attempts []*Attempt
	// Verdict, Blocked and Why are filled when the channel is final: Why
	// holds the facts behind the verdict (report writes them as the reason).
	Verdict Verdict
	Blocked bool
	Why     *Reason
	// Superseded is true when a later announcement replaced this one unused.
	Superseded bool
	// SetupCode is the server's reply code to a PORT/EPRT/LPRT (0 for passive
	// channels, whose announcement is itself the reply); SetupRefused is true
	// when that reply was negative, so the channel predicts nothing.
	SetupCode    ftp.ReplyCode
	SetupRefused bool
	// Asked is when the setup command was sent: the PORT itself, or the PASV
	// that the 227 answers (zero when the capture missed it).
	Asked time.Time
	// SetupReplyTime is when the server answered the setup command (the 200
	// to PORT; for passive channels the 227/229 itself).
	SetupReplyTime time.Time
	// FirstReply is when the transfer command got its first reply (150, or a
	// final one); Prelim is the time of its 1xx reply (zero if none).
	FirstReply, Prelim time.Time
	// Vantage says where the capture point sits relative to whatever stopped
	// the data connection; NATDiag explains an announced address that is not
	// the announcer's control address. Both are set with the verdict.
	Vantage Vantage
	NATDiag *NATDiagnosis
	// Transfer is the ledger entry of the transfer command that used the
	// channel (nil when none did): path, parameters, bytes and result.
	Transfer *Transfer
	// DataTLS says the data connection's first payload began with a TLS
	// handshake record: the channel is protected (PROT P, RFC 4217 9),
	// whatever the control channel showed of the PROT command (nothing,
	// when it was encrypted too). A channel whose data did not is clear.
	DataTLS bool

	session *Session
	final   bool
	// gap is set when control bytes went missing while the channel was open.
	gap bool
	// early is set when the channel is judged before its outcome could be
	// known, to keep the session's listing under Config.MaxChannels.
	early bool
	// capped is set once the channel follows Config.MaxChannelAttempts attempts.
	capped bool
	// settleAt is the capture time after which the channel may be finalised
	// even while its session stays open.
	settleAt time.Time
	// seq numbers the channels in the order they were expected; marks are
	// the channel's places in the tracker's wait index (waitindex.go),
	// indexed how many of its endpoints are crowded enough to be indexed;
	// unexpected is set once the channel left the tracker.
	seq        uint64
	marks      []*member
	indexed    uint8
	unexpected bool
	// cost is what the channel is counted for in the memory budget
	// (budget.go); jpos is its place in Analyzer.judged, plus one (0: not
	// queued); unlisted is set once it left its session's listing.
	cost     int64
	jpos     uint64
	unlisted bool
}

// Mode is the channel's setup direction.
func (c *Channel) Mode() Mode { return c.Method.Mode() }

// Connection returns the attempt that decided the verdict: the established
// one, else the last one; nil when none was seen.
func (c *Channel) Connection() *Attempt {
	for _, a := range c.Attempts {
		if a.Established() {
			return a
		}
	}
	if n := len(c.Attempts); n > 0 {
		return c.Attempts[n-1]
	}
	return nil
}

// SYNs counts the SYNs of all attempts.
func (c *Channel) SYNs() int {
	n := 0
	for _, a := range c.Attempts {
		n += a.SYNs
	}
	return n
}

// Bytes counts the payload bytes of all attempts.
func (c *Channel) Bytes() uint64 {
	var n uint64
	for _, a := range c.Attempts {
		n += a.Bytes
	}
	return n
}

// Note is something worth telling about a session that is not a channel: a
// refused PORT, an encrypted control channel, a gap, a protocol anomaly.
// What says which note it is and the other fields are its facts; report
// writes it in words.
type Note struct {
	Time time.Time
	Kind NoteKind
	What NoteWhat
	// Verb is the command concerned (the setup or transfer verb, the PASV a
	// reply answered).
	Verb string
	// Wire is control-connection text the note quotes (redacted like every
	// wire string): the line that did not parse (its first 64 bytes, Cut
	// when there was more), the malformed argument, the reply's first line,
	// the AUTH mechanism.
	Wire string
	Cut  bool
	// Detail is the parser's complaint about a malformed argument.
	Detail string
	// Endpoint is the endpoint concerned; Addr the client's address (third party).
	Endpoint netip.AddrPort
	Addr     netip.Addr
	// Code is the reply code concerned.
	Code ftp.ReplyCode
	// N counts: missing bytes, the attempt limit; or the packet number of an overlap.
	N uint64
	// FromServer says the bytes concerned came from the server.
	FromServer bool
}

// NoteWhat says which note a Note is.
type NoteWhat uint8

// The notes.
const (
	NoteUnknown NoteWhat = iota
	// NoteSessionEvicted: the session was evicted to stay under the session limit.
	NoteSessionEvicted
	// NoteNotReply: a server line that is not a reply (Wire).
	NoteNotReply
	// NoteNotCommand: a client line that is not a command (Wire).
	NoteNotCommand
	// NoteBytesMissing: N bytes from one side are missing from the capture.
	NoteBytesMissing
	// NoteOpenAtEnd: the capture ended while the control connection was open.
	NoteOpenAtEnd
	// NoteMalformedArgument: Verb's argument (Wire) did not parse (Detail).
	NoteMalformedArgument
	// NoteAfterEPSVAll: Verb after EPSV ALL.
	NoteAfterEPSVAll
	// NoteThirdParty: Verb names Endpoint, a public address other than the client's (Addr).
	NoteThirdParty
	// NotePrivilegedPort: Verb asks the server to connect to a privileged port (Endpoint).
	NotePrivilegedPort
	// NoteUnannounced: a transfer (Verb) with no announcement before it.
	NoteUnannounced
	// NotePassiveRefused: the server refused Verb with Code (Wire: its text).
	NotePassiveRefused
	// NoteActiveRefused: the server refused Verb Endpoint with Code (Wire: its text).
	NoteActiveRefused
	// NoteEncrypted: AUTH (Wire: its mechanism) was accepted.
	NoteEncrypted
	// NoteUnusableAnnouncement: a Code reply (227, 228, 229) whose text (Wire) has no endpoint.
	NoteUnusableAnnouncement
	// NoteAnsweredWith: the server answered Verb with a Code of another method.
	NoteAnsweredWith
	// NoteOverlap: packet N overlaps bytes already sent with different content.
	NoteOverlap
	// NoteAttemptsCapped: more than N connection attempts toward Endpoint.
	NoteAttemptsCapped
	// NoteImplicitTLS: the connection speaks TLS from its first byte
	// (implicit FTPS, port 990): nothing on it can be read.
	NoteImplicitTLS
	// NoteClearAgain: after AUTH TLS the client sent a clear-text command
	// (Wire: its verb), after CCC (RFC 4217 section 6): parsing resumes.
	NoteClearAgain
)

var noteWhatNames = [...]string{"unknown", "session-evicted", "not-a-reply", "not-a-command", "bytes-missing",
	"open-at-end", "malformed-argument", "after-epsv-all", "third-party", "privileged-port", "unannounced",
	"passive-refused", "active-refused", "encrypted", "unusable-announcement", "answered-with", "overlap",
	"attempts-capped", "implicit-tls", "clear-again"}

// String names the note as a stable token.
func (w NoteWhat) String() string {
	if int(w) < len(noteWhatNames) {
		return noteWhatNames[w]
	}
	return "unknown"
}

// NoteWhats lists every note, in declaration order.
func NoteWhats() []NoteWhat {
	out := make([]NoteWhat, 0, len(noteWhatNames)-1)
	for w := NoteSessionEvicted; int(w) < len(noteWhatNames); w++ {
		out = append(out, w)
	}
	return out
}

// NoteKind classifies notes so tests and renderers need not parse text.
type NoteKind uint8

// The kinds of notes.
const (
	NoteInfo         NoteKind = iota
	NoteRefusedSetup          // the server refused a PORT/EPRT/LPRT or a PASV/EPSV
	NoteTLS                   // the control channel became encrypted
	NoteGap                   // bytes missing from the control connection
	NoteProtocol              // a protocol violation or malformed line
	NoteNoSetup               // a transfer with no announcement before it
	NoteBounce                // PORT/EPRT naming a third party (FTP bounce)
	NoteEviction              // something was dropped to keep memory bounded
	NoteCaptureEnd            // the capture ended while the session was open
	NoteConflict              // overlapping segments carried different bytes
)

var noteKindNames = [...]string{"info", "refused-setup", "tls", "gap", "protocol", "no-setup", "bounce", "eviction", "capture-end", "conflict"}

// String names the kind.
func (k NoteKind) String() string {
	if int(k) < len(noteKindNames) {
		return noteKindNames[k]
	}
	return "info"
}

// Exchange is one control line worth showing in a session's ladder: the
// commands and replies that matter (login, setup, transfers, TLS, quit).
type Exchange struct {
	Time time.Time
	// FromClient is true for commands, false for replies.
	FromClient bool
	// Text is the line, with PASS arguments redacted unless configured.
	Text string
}

// Session is one FTP control connection and everything learned from it.
// One is held per open control connection: its fields are ordered so that
// it leaves no padding (416 bytes, an allocator size class; issue 11 item 5).
type Session struct {
	Client, Server netip.AddrPort
	Start, End     time.Time
	// User is the USER argument (empty if none was seen).
	User string
	// Password is the PASS argument; empty unless Config.ShowPasswords.
	Password string
	// UserLen and PasswordLen are their lengths on the wire: User and
	// Password keep at most StoredMax bytes (cut on a UTF-8 boundary).
	UserLen, PasswordLen int32
	// tlsAt is when AUTH TLS/SSL was accepted, after Start (see TLSTime);
	// dataAt the capture time of the latest packet of one of the session's
	// data connections, after Start, or noData (for LastActivity). Offsets
	// take 8 bytes where a time.Time takes 24: with them a Session fits the
	// 448-byte size class, not 480, which counts per held session.
	tlsAt, dataAt time.Duration
	// Greeting is the server's 220 text, if seen.
	Greeting string
	// Channels are the announced data connections, in order.
	Channels []*Channel
	// ChannelsDropped counts channels not kept because of Config.MaxChannels
	// or Config.MaxMemory (their verdicts are still counted in the summary).
	ChannelsDropped int
	// Notes are findings that are not channels.
	Notes []Note
	// Exchanges is the bounded transcript used by the ladder view.
	Exchanges []Exchange
	// GapBytes counts bytes missing from the control connection.
	GapBytes int
	// Audit is what the client did: its logins and commands (audit.go).
	// It is nil until the session's first command, and stays nil unless
	// Config.Audit: a session that only connects costs nothing more.
	Audit *Audit
	// Closed says how the control connection ended.
	Closed string
	// Lint lists what would defeat a connection-tracking FTP helper.
	Lint []LintFinding
	// Latency summarises command -> first reply times.
	Latency Latency

	// cost is what the session and everything it holds are counted for in
	// the memory budget (budget.go).
	cost int64

	// Commands and Replies count control messages (32 bits: a control
	// connection would need gigabytes of commands to pass them, and the
	// two share one word).
	Commands, Replies int32
	// ClientTrace and ServerTrace are the IP-level traits (TTL, IP ID) of each
	// end's control packets as seen at the capture point (Analyzer.Trace).
	ClientTrace, ServerTrace HostTrace
	// TLS is true once AUTH TLS/SSL was accepted (the control channel is then opaque).
	TLS bool
	// EPSVAll is true after an accepted "EPSV ALL".
	EPSVAll bool
	// Midstream is true when the capture began after the connection's SYN.
	Midstream bool
	ended     bool
	// Conflicts counts overlapping control segments whose bytes differed
	// (an int32 beside the flags: the struct stays in its size class).
	Conflicts int32
}

// noData is Session.dataAt before any data packet: the smallest Duration,
// which no capture time within 292 years of the session's start gives.
const noData = time.Duration(math.MinInt64)

// TLSTime is when AUTH TLS/SSL was accepted, or the zero time when it was
// not (see TLS).
func (s *Session) TLSTime() time.Time {
	if !s.TLS {
		return time.Time{}
	}
	return s.Start.Add(s.tlsAt)
}

// setTLS records that the control channel became encrypted at t.
func (s *Session) setTLS(t time.Time) { s.TLS, s.tlsAt = true, t.Sub(s.Start) }

// closedByPeers reports whether the control connection really ended, as
// opposed to being cut by the end of the capture.
func (s *Session) closedByPeers() bool {
	return s.ended && s.Closed != "capture-end"
}

// Modes lists the modes the session's channels used, active first.
func (s *Session) Modes() []Mode {
	var a, p bool
	for _, c := range s.Channels {
		switch c.Mode() {
		case Active:
			a = true
		case Passive:
			p = true
		}
	}
	var m []Mode
	if a {
		m = append(m, Active)
	}
	if p {
		m = append(m, Passive)
	}
	return m
}

// Session returns the session the channel belongs to.
func (c *Channel) Session() *Session { return c.session }
