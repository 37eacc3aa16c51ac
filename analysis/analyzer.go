package analysis

import (
	"encoding/binary"
	"errors"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/deadline"
	"github.com/ftpscope/ftpscope/lru"
	"github.com/ftpscope/ftpscope/reassembly"
)

// Config tunes and bounds the Analyzer. Zero values take the defaults.
type Config struct {
	// ShowPasswords keeps PASS arguments; by default they are redacted everywhere.
	ShowPasswords bool
	// DataTimeout is how long, in capture time, an announced data connection
	// may take to show its outcome (default 30s). SYNs unanswered for this
	// long are "dropped" even without a 425; a channel whose transfer got its
	// final reply is settled this long after it.
	DataTimeout time.Duration
	// AttemptWindow is how long a connection attempt that matches no
	// announcement is remembered, in case its announcement is released later by
	// reassembly (default 10s).
	AttemptWindow time.Duration
	// MaxSessions caps the sessions held at once (default 100000).
	MaxSessions int
	// MaxChannels caps the channels kept per session (default 1000); beyond it
	// channels are still judged and counted, but not listed.
	MaxChannels int
	// MaxPending caps the commands awaiting a reply per session (default 20).
	MaxPending int
	// MaxAttempts caps the unmatched connection attempts remembered (default 65536).
	MaxAttempts int
	// MaxChannelAttempts caps the connection attempts one channel follows
	// (default 64): a SYN flood toward an announced endpoint must not grow
	// memory while the channel waits. Later attempts are counted, not followed.
	MaxChannelAttempts int
	// MaxExchanges and MaxNotes cap the transcript and notes per session
	// (defaults 200 and 50).
	MaxExchanges, MaxNotes int
	// NoTranscript keeps Session.Exchanges empty, for runs that draw no
	// ladder view (its only reader): the transcript is up to MaxExchanges
	// lines per session held while the session is open, the largest
	// per-session allocation on a control-heavy capture.
	NoTranscript bool
	// Audit keeps each session's logins and command log (Session.Audit):
	// every command with its argument (PASS redacted unless ShowPasswords),
	// reply and time, up to MaxExchanges commands per session (more are
	// counted in Audit.CommandsDropped). Off, sessions keep none of it.
	Audit bool
	// BruteforceThreshold failed logins from one source within
	// BruteforceWindow raise a bruteforce notice (defaults 20 and 15 min,
	// Zeek's); SprayUsers distinct users failing from one source within the
	// window raise password-spray (default 10). MaxLoginSources bounds the
	// sources remembered for them (default 16384; the least recently
	// active is forgotten, counted in Stats.EvictedLoginSources). Notices
	// are kept with the audit (Config.Audit).
	BruteforceThreshold int
	BruteforceWindow    time.Duration
	SprayUsers          int
	MaxLoginSources     int
	// DistributedSources sources failing logins as one user within
	// BruteforceWindow raise distributed-bruteforce (default 10); the user
	// names remembered for it are bounded by MaxLoginSources too.
	DistributedSources int
	// MaxReplyLines caps the lines of one multi-line reply (default 1000).
	MaxReplyLines int
	// MaxMemory is the memory budget, in bytes, that the sessions, their
	// channels and everything they store share (default 128 MiB; see
	// budget.go). Past it the oldest judged channels leave the listings,
	// then the least recently active sessions are evicted: deterministic,
	// since the bytes are counted from what is stored, and counted in
	// Stats.BudgetChannels and Stats.BudgetSessions.
	MaxMemory int64
	// Payload, when set, is handed the ordered bytes of every data
	// connection matched to a transfer (hashes, MIME type, extraction;
	// payload.go); MaxHeldPayload bounds the out-of-order bytes held per
	// connection for it (default DefaultMaxHeldPayload).
	Payload        PayloadConsumer
	MaxHeldPayload int
	// Claims, when set, is asked before a data connection goes to one of
	// the channels waiting for it: analyzers that split one input between
	// them (pipeline's workers) each see every data connection, and
	// Claims lets only one of them have it.
	Claims ClaimGate
	// MaxListingEntries caps the entries kept per parsed directory
	// listing (default DefaultMaxListingEntries); more are counted.
	MaxListingEntries int
	// Stream judges channels as early as their outcome is settled, for live
	// capture: SYNs unanswered for DataTimeout are "dropped" while the
	// session goes on. Without it (files), such channels wait for the
	// session's end or the transfer's reply, whose words make the reason.
	Stream bool
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur(&c.DataTimeout, 30*time.Second)
	defDur(&c.AttemptWindow, 10*time.Second)
	def(&c.MaxSessions, 100000)
	def(&c.MaxChannels, 1000)
	def(&c.MaxPending, 20)
	def(&c.MaxAttempts, 65536)
	def(&c.MaxChannelAttempts, 64)
	def(&c.MaxExchanges, 200)
	def(&c.MaxNotes, 50)
	def(&c.MaxReplyLines, 1000)
	def(&c.MaxHeldPayload, DefaultMaxHeldPayload)
	def(&c.BruteforceThreshold, DefaultBruteforceThreshold)
	defDur(&c.BruteforceWindow, DefaultBruteforceWindow)
	def(&c.SprayUsers, DefaultSprayUsers)
	def(&c.MaxLoginSources, DefaultMaxLoginSources)
	def(&c.DistributedSources, DefaultDistributedSources)
	def(&c.MaxListingEntries, DefaultMaxListingEntries)
	if c.MaxMemory <= 0 {
		c.MaxMemory = DefaultMaxMemory
	}
	return c
}

// DefaultMaxMemory is Config.MaxMemory's default.
const DefaultMaxMemory = 128 << 20

// ClaimGate arbitrates between analyzers that split one input, each
// following its own sessions and seeing every other packet, so that a data
// connection several of them are waiting for goes to one channel only, as
// with one analyzer.
type ClaimGate interface {
	// Claim reports whether the connection first seen in packet first
	// (capture.Packet.Num) may be claimed now. It is asked at most once
	// per claim, on the analyzer's goroutine; true is a claim made.
	Claim(first uint64) bool
	// Unclaimed calls f, before the analyzer is given anything more,
	// with whether no analyzer claimed the connection first seen in
	// packet first by now (one that none of this analyzer's channels
	// may follow is counted and noted only then).
	Unclaimed(first uint64, f func(unclaimed bool))
}

// Sink receives results as they become final. Either function may be nil.
type Sink struct {
	// Channel is called once per channel, when its verdict is final.
	Channel func(*Session, *Channel)
	// Session is called once per session, after all its channels are final;
	// the Analyzer forgets the session when the call returns.
	Session func(*Session)
	// Notice is called once per notice a session keeps, as it is raised
	// (the session still open); the notice stays in the session's Audit.
	Notice func(*Session, *Notice)
}

// Stats counts the Analyzer's work and everything it had to drop.
type Stats struct {
	Sessions uint64
	Channels uint64
	// Verdicts counts channels by verdict (indexed by Verdict).
	Verdicts [len(verdictNames)]uint64
	Blocked  uint64
	NAT      uint64
	TLS      uint64
	// Malformed counts control lines that were not valid commands or replies.
	Malformed uint64
	// UnmatchedReplies counts replies with no command waiting for them.
	UnmatchedReplies uint64
	// Evictions, by table.
	EvictedSessions, EvictedChannels, EvictedPending, EvictedAttempts, EvictedNotes uint64
	// UnfollowedAttempts counts connection attempts toward a channel that
	// already followed Config.MaxChannelAttempts of them.
	UnfollowedAttempts uint64
	// Bounces counts PORT/EPRT/LPRT commands naming a third party or a
	// privileged port (FTP bounce attempts, or NAT the capture cannot see).
	Bounces uint64
	// Attempts counts data-connection attempts matched to channels.
	Attempts uint64
	// MatchSteps counts the comparisons made to match connections to the
	// channels waiting for them: the cost of matching, which tests bound
	// without a clock (a few dozen per connection, however many wait).
	MatchSteps uint64
	// BudgetChannels counts judged channels taken out of their sessions'
	// listings, and BudgetSessions the sessions evicted, to stay within
	// Config.MaxMemory (the verdicts stay counted).
	BudgetChannels, BudgetSessions uint64
	// Notices counts the notices raised, by kind (indexed by NoticeKind);
	// EvictedNotices those past a session's 32, still counted in Notices;
	// EvictedLoginSources the client hosts the brute-force notices forgot
	// (past Config.MaxLoginSources).
	Notices                             [len(noticeKindNames)]uint64
	EvictedNotices, EvictedLoginSources uint64
	// EvictedCommands counts commands left out of a session's command log
	// (past Config.MaxExchanges), EvictedLoginAttempts login attempts left
	// out of its login (past 64): both are still counted in the session.
	EvictedCommands, EvictedLoginAttempts uint64
	// LongArguments counts wire strings (arguments, user names, passwords)
	// stored cut to StoredMax bytes.
	LongArguments uint64
	// OpenAtEnd counts the sessions whose control connection was still
	// open when the input ended (or the run was interrupted): they were
	// judged with what had been seen.
	OpenAtEnd uint64
	// DuplicatePackets counts packets of FTP control and data connections
	// that were copies of a packet already read (the same file given twice,
	// a capture taken on two interfaces; see dupFilter): each counted once.
	// FirstDuplicate names the first copy.
	DuplicatePackets uint64
	FirstDuplicate   capture.Position
	// PayloadEvictions counts transfers whose out-of-order payload
	// outgrew Config.MaxHeldPayload: their bytes were not all handed to
	// Config.Payload (no digest, a short extracted file).
	PayloadEvictions uint64
}

// pending is a command waiting for its reply.
type pending struct {
	verb, arg string
	// at is when the command was sent, after Session.Start (see when): 8
	// bytes where a time.Time is 24, so that a pending command fits 64.
	at       time.Duration
	ch       *Channel // the channel a PORT created or a transfer uses
	answered bool     // a reply to it was seen (for latency)
	cut      bool     // arg holds less than the wire argument (StoredMax)
	// rec and login are the command's place in Session.Audit's command
	// log and login attempts, plus one (0: not recorded).
	rec   int32
	login int32
}

// when is the capture time the command was sent, in session s.
func (p *pending) when(s *Session) time.Time { return s.Start.Add(p.at) }

// sessionState is the Analyzer's private state behind a Session. One is
// held per open control connection, so its fields are ordered to leave no
// padding: 152 bytes, in the allocator's 160-byte class (issue 11 item 5).
// Its key in Analyzer.sessions is the Session's Client and Server (key).
type sessionState struct {
	s       *Session
	xfer    *xferState // working directory, TYPE, REST (transfer.go), on first use
	replies ftp.ReplyReader
	pending []pending
	// lastAt is the last activity, after s.Start: an offset is 8 bytes
	// where a time.Time is 24. The time an ended session is due to be
	// emitted lives in Analyzer.ending alone.
	lastAt                  time.Duration
	lru.Links[sessionState]           // in Analyzer.lru
	lint                    lintState // what the helper lint remembers
	// pendCost and replyCost are what pending and the multi-line reply
	// being read are counted for in the memory budget: 32 bits, which keeps
	// sessionState in the 144-byte size class (a count past 2 GiB, from
	// --max-pending or --max-reply-lines raised that far, stops there).
	pendCost, replyCost int32
	deadline.Pos             // in Analyzer.ending
	opaque              bool // control channel encrypted: stop parsing
	// clientSuspect: the next client line may be the tail of a PASS line
	// (the session was caught mid-stream, or client bytes went missing).
	clientSuspect bool
	// tls is the control channel's protection (tls.go).
	tls tlsState
}

// key returns the session's key in Analyzer.sessions.
func (st *sessionState) key() reassembly.ConnKey {
	return reassembly.ConnKey{Client: st.s.Client, Server: st.s.Server}
}

// Analyzer builds sessions from control lines and packets. It is not safe for
// concurrent use: feed it from one goroutine.
type Analyzer struct {
	cfg      Config
	sink     Sink
	sessions sessionTable
	// slots caches sessions lookups (session, sessionOf).
	slots    sessionSlots
	lru      lru.List[sessionState, *sessionState] // the sessions, most recently active first
	data     dataTracker
	now      time.Time
	stats    Stats
	nextTick time.Time
	ending   deadline.Queue[sessionState, *sessionState] // ended sessions, by emission time
	// used counts the bytes held against Config.MaxMemory; judged lists
	// the listed judged channels, the first to go when it runs short.
	used   int64
	judged judgedQueue
	// hosts counts the sessions held per pair of addresses: a connection
	// between two hosts that hold an FTP session may be one of its data
	// connections, announced later (dataTracker.newAttempt).
	hosts hostCounts
	dups  dupFilter
	// notes is the state of the notices across sessions (notice.go).
	notes notices
}

// New returns an Analyzer that reports to sink.
func New(cfg Config, sink Sink) *Analyzer {
	cfg = cfg.withDefaults()
	a := &Analyzer{cfg: cfg, sink: sink, sessions: newSessionTable(), hosts: newHostCounts()}
	a.data.init(a)
	return a
}

// Stats returns the counters so far.
func (a *Analyzer) Stats() Stats {
	st := a.stats
	st.MatchSteps = a.data.wait.steps
	return st
}

// OpenSessions returns the number of sessions held.
func (a *Analyzer) OpenSessions() int { return a.sessions.len() }

func (a *Analyzer) clock(t time.Time) {
	if t.After(a.now) {
		a.now = t
	}
}

// Open implements reassembly.Handler.
func (a *Analyzer) Open(conn reassembly.ConnKey, t time.Time, mid bool) {
	a.clock(t)
	if old := a.sessions.get(conn); old != nil {
		// Port reuse: a new connection on the same four-tuple. Close the old one.
		a.endSession(old, t, "reused")
		a.emitSession(old)
	}
	if a.sessions.len() >= a.cfg.MaxSessions {
		a.evictSession(&a.stats.EvictedSessions)
	}
	st := &sessionState{
		s: &Session{Client: conn.Client, Server: conn.Server, Start: t, End: t, Midstream: mid, dataAt: noData},
	}
	st.replies.MaxLines = a.cfg.MaxReplyLines
	if _, v4 := key4(conn); v4 {
		a.charge(st.s, sessionCost)
	} else {
		a.charge(st.s, sessionCost6)
	}
	a.sessions.put(conn, st)
	a.hosts.add(conn.Client.Addr(), conn.Server.Addr())
	a.lru.PushFront(st)
	a.stats.Sessions++
	// The connection itself may have been taken for a data-connection attempt
	// before it was recognised as FTP.
	// A connection recognised as FTP from its conversation opens "mid-stream"
	// in reassembly, yet its SYN may be here among the unmatched attempts.
	if a.data.forget(conn.Client, conn.Server) {
		st.s.Midstream = false
	}
	st.clientSuspect = st.s.Midstream
	if a.overBudget() {
		a.shed()
	}
}

// replyGrace is how long after a transfer's final reply its channel waits
// for stray packets before it is judged.
const replyGrace = 2 * time.Second

// evictSession drops the least recently active session, to stay under
// MaxSessions or the memory budget, and counts it in *counter. It reports
// false when there was none to drop.
func (a *Analyzer) evictSession(counter *uint64) bool {
	victim := a.lru.Back()
	if victim == nil {
		return false
	}
	*counter++
	a.note(victim, Note{Time: a.now, Kind: NoteEviction, What: NoteSessionEvicted})
	a.endSession(victim, a.now, "evicted")
	a.emitSession(victim)
	return true
}

// Line implements reassembly.Handler.
func (a *Analyzer) Line(l reassembly.Line) {
	a.clock(l.Time)
	st := a.session(l.Conn)
	if st == nil {
		return
	}
	st.lastAt = l.Time.Sub(st.s.Start)
	a.lru.Touch(st)
	st.s.End = l.Time
	if st.opaque && !a.clearAgain(st, &l) {
		return
	}
	clearedLine(st, &l)
	if st.tls == tlsNone && a.implicitTLS(st, l) {
		return
	}
	// From here on, the line is what the analysis may keep and show.
	w := a.wireLine(st, l)
	l.Text = w.b
	a.lintLine(st, l, w)
	switch l.From {
	case reassembly.RoleClient:
		a.command(st, l, w)
	case reassembly.RoleServer:
		// The text may be a view of the line: what the analysis keeps of
		// it is copied (firstLine; the STOU name in transferPrelim).
		code, text, done, err := st.replies.Next(w.b)
		a.recostReplies(st)
		if err != nil {
			a.stats.Malformed++
			a.note(st, quoted(Note{Time: l.Time, Kind: NoteProtocol, What: NoteNotReply}, w))
		} else if done {
			a.reply(st, code, text, l.Time)
		}
	}
	a.recostPending(st)
	if a.overBudget() {
		a.shed()
	}
}

// recostReplies counts the multi-line reply being read.
func (a *Analyzer) recostReplies(st *sessionState) {
	n := min(int64(st.replies.Held()), math.MaxInt32)
	a.charge(st.s, n-int64(st.replyCost))
	st.replyCost = int32(n)
}

// recostPending counts the commands awaiting a reply.
func (a *Analyzer) recostPending(st *sessionState) {
	n := int64(0)
	for i := range st.pending {
		n += pendingCost + strCost(st.pending[i].arg)
	}
	n = min(n, math.MaxInt32)
	a.charge(st.s, n-int64(st.pendCost))
	st.pendCost = int32(n)
}

// Gap implements reassembly.Handler.
func (a *Analyzer) Gap(conn reassembly.ConnKey, from reassembly.Role, t time.Time, n int) {
	a.clock(t)
	st := a.session(conn)
	if st == nil {
		return
	}
	st.s.GapBytes += n
	for _, ch := range st.s.Channels {
		if !ch.final {
			ch.gap = true
		}
	}
	if from == reassembly.RoleServer {
		st.replies.Reset()
		a.recostReplies(st)
	} else {
		st.clientSuspect = true
	}
	a.note(st, Note{Time: t, Kind: NoteGap, What: NoteBytesMissing, N: uint64(n), FromServer: from == reassembly.RoleServer})
	if a.overBudget() {
		a.shed()
	}
}

// LastActivity implements reassembly.ActivityHandler: a control connection
// whose data connection still carries a transfer is not idle, however long
// the transfer takes.
func (a *Analyzer) LastActivity(conn reassembly.ConnKey) time.Time {
	st := a.session(conn)
	if st == nil {
		return time.Time{}
	}
	if st.s.dataAt == noData {
		return time.Time{}
	}
	// Both are offsets from the session's start: compare them as they are.
	if st.s.dataAt > st.lastAt {
		st.lastAt = st.s.dataAt
		a.lru.Touch(st)
	}
	return st.s.Start.Add(st.s.dataAt)
}

// Close implements reassembly.Handler.
func (a *Analyzer) Close(conn reassembly.ConnKey, t time.Time, why reassembly.CloseReason) {
	a.clock(t)
	st := a.session(conn)
	if st == nil {
		return
	}
	// The assembler closes what is still open when the input ends, before
	// Finish: those sessions were open at the end and are counted here, once.
	if why == reassembly.CloseCaptureEnd && !st.s.ended {
		a.stats.OpenAtEnd++
		a.note(st, Note{Time: t, Kind: NoteCaptureEnd, What: NoteOpenAtEnd})
	}
	a.endSession(st, t, why.String())
}

func (a *Analyzer) endSession(st *sessionState, t time.Time, why string) {
	if st.s.ended {
		return
	}
	st.s.ended = true
	st.s.Closed = why
	if t.After(st.s.End) {
		st.s.End = t
	}
	a.sessionEnded(st)
	// Data connections can trail the control connection's end a little
	// (a 226 is sent after the data is flushed, but packets still cross).
	a.ending.Push(st, t.Add(2*time.Second))
}

// sessionEnded re-indexes the session's waiting channels: pick prefers
// channels of open sessions.
func (a *Analyzer) sessionEnded(st *sessionState) {
	for _, ch := range st.s.Channels {
		if !ch.final {
			a.data.reindex(ch)
		}
	}
}

func (a *Analyzer) exchange(st *sessionState, t time.Time, fromClient bool, text string) {
	s := st.s
	if !a.keepsExchange(s) {
		return
	}
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	s.Exchanges = append(s.Exchanges, Exchange{Time: t, FromClient: fromClient, Text: text})
	a.charge(s, exchangeCost+strCost(text))
}

// keepsExchange says whether s's transcript takes another line.
func (a *Analyzer) keepsExchange(s *Session) bool {
	return !a.cfg.NoTranscript && len(s.Exchanges) < a.cfg.MaxExchanges
}

// exchangeReply records a server reply in the transcript as its code and
// first line, built only when a transcript is kept: most runs keep none, and
// formatting every reply was a few per cent of the control path's time.
func (a *Analyzer) exchangeReply(st *sessionState, t time.Time, code ftp.ReplyCode, text string) {
	if !a.keepsExchange(st.s) {
		return
	}
	line := firstLine(text)
	b := make([]byte, 0, 4+len(line))
	b = strconv.AppendUint(b, uint64(code), 10)
	b = append(b, ' ')
	b = append(b, line...)
	a.exchange(st, t, false, string(b))
}

func (a *Analyzer) note(st *sessionState, n Note) {
	s := st.s
	if len(s.Notes) >= a.cfg.MaxNotes {
		a.stats.EvictedNotes++
		return
	}
	s.Notes = append(s.Notes, n)
	a.charge(s, noteCost+strCost(n.Wire)+strCost(n.Detail))
}

// command handles one client line.
func (a *Analyzer) command(st *sessionState, l reassembly.Line, w wireText) {
	cmd, err := ftp.ParseCommand(w.b)
	if err != nil {
		a.stats.Malformed++
		a.note(st, quoted(Note{Time: l.Time, Kind: NoteProtocol, What: NoteNotCommand}, w))
		return
	}
	s := st.s
	s.Commands++
	// What a session keeps of an argument is cut (StoredMax); the parsers
	// below still read it whole.
	arg, argLen := a.stored(cmd.Arg)
	p := pending{verb: cmd.Verb, arg: arg, at: l.Time.Sub(st.s.Start), cut: argLen > len(arg)}
	vi := ftp.Verb(cmd.Verb)
	// Commands outside the transcript are not shown in the ladder; the
	// text shown is built only when a transcript is kept.
	shown, redacted := vi.Transcript, false
	switch cmd.Verb {
	case "USER":
		a.charge(s, strCost(arg)-strCost(s.User))
		s.User, s.UserLen = arg, wireLen(argLen)
	case "PASS":
		if a.cfg.ShowPasswords {
			a.charge(s, strCost(arg)-strCost(s.Password))
			s.Password, s.PasswordLen = arg, wireLen(argLen)
		} else {
			shown, redacted = true, true
		}
	}
	if a.cfg.Audit {
		a.auditCommand(st, &p, cmd.Verb, arg, argLen, l.Time)
	}
	switch vi.Class {
	case ftp.ActiveSetup:
		p.ch = a.announceActive(st, cmd, l)
	case ftp.TransferVerb:
		p.ch = a.useChannel(st, cmd.Verb, arg, argLen, l.Time)
		a.transferCommand(st, cmd.Verb, arg, p.ch)
		if a.cfg.Audit && p.rec > 0 && cmd.Verb == "STOR" {
			a.markOverwrite(st, int(p.rec)-1, arg)
		}
	case ftp.AbortVerb:
		a.abort(st)
	}
	if shown && a.keepsExchange(s) {
		text := "PASS <redacted>"
		if !redacted {
			text = cmd.Verb
			if cmd.Arg != "" {
				text += " " + cmd.Arg
			}
		}
		a.exchange(st, l.Time, true, text)
	}
	if len(st.pending) >= a.cfg.MaxPending {
		st.pending = st.pending[1:]
		a.stats.EvictedPending++
	}
	st.pending = append(st.pending, p)
}

// announceActive creates the channel a PORT/EPRT/LPRT announces. It is
// provisional until the server accepts the command: a refusal removes it.
func (a *Analyzer) announceActive(st *sessionState, cmd ftp.Command, l reassembly.Line) *Channel {
	var (
		ep     netip.AddrPort
		err    error
		method = methodOf(cmd.Verb)
	)
	switch method {
	case PORT:
		ep, err = ftp.ParsePORT(cmd.Arg)
	case EPRT:
		ep, err = ftp.ParseEPRT(cmd.Arg)
	default:
		ep, err = ftp.ParseLPRT(cmd.Arg)
	}
	if err != nil {
		a.stats.Malformed++
		wire, _ := stored(cmd.Arg)
		a.note(st, Note{Time: l.Time, Kind: NoteProtocol, What: NoteMalformedArgument, Verb: cmd.Verb, Wire: wire, Cut: len(wire) < len(cmd.Arg), Detail: unwrapSyntax(err).Error()})
		return nil
	}
	s := st.s
	if s.EPSVAll {
		a.note(st, Note{Time: l.Time, Kind: NoteProtocol, What: NoteAfterEPSVAll, Verb: cmd.Verb})
	}
	client := s.Client.Addr()
	ep = spelledAs(ep, client)
	thirdParty := !sameAddr(ep.Addr(), client) && !isPrivate(ep.Addr())
	privileged := ep.Port() < 1024 && ep.Port() != 0
	if thirdParty {
		// A private address behind the client's is NAT without a helper; a
		// public one that is not the client is a third party.
		a.note(st, Note{Time: l.Time, Kind: NoteBounce, What: NoteThirdParty, Verb: cmd.Verb, Endpoint: ep, Addr: client})
	}
	if privileged {
		a.note(st, Note{Time: l.Time, Kind: NoteBounce, What: NotePrivilegedPort, Verb: cmd.Verb, Endpoint: ep})
	}
	if thirdParty || privileged {
		a.stats.Bounces++
	}
	if a.cfg.Audit {
		a.noticePort(st, cmd.Verb, ep, thirdParty, privileged, l.Time)
	}
	alt := netip.AddrPortFrom(client, ep.Port())
	return a.addChannel(st, method, ep, alt, l.Time, l.Packet)
}

// addChannel records a new announcement, retiring the previous unused one:
// FTP servers close a passive listener when a new PASV arrives, and the
// Linux FTP helper keeps one expectation per control connection.
func (a *Analyzer) addChannel(st *sessionState, m SetupMethod, ep, alt netip.AddrPort, t time.Time, pkt uint64) *Channel {
	s := st.s
	for _, old := range s.Channels {
		if !old.final && old.Command == "" && len(old.Attempts) == 0 {
			old.Superseded = true
			a.finalize(old, t, false)
		}
	}
	ch := &Channel{
		Method: m, Announced: ep, Alternate: alt, Time: t, Packet: pkt,
		NAT: !sameAddr(ep.Addr(), alt.Addr()), session: s,
	}
	if ch.NAT {
		a.stats.NAT++
	}
	a.stats.Channels++
	if countLive(s) >= a.cfg.MaxChannels {
		// Keep the newest; the oldest final one leaves the listing. When
		// every listed channel still waits for its outcome (transfers asked
		// for and never answered), the oldest is judged now with what was
		// seen, or the listing would grow without bound.
		victim := -1
		for i, c := range s.Channels {
			if c.final {
				victim = i
				break
			}
		}
		if victim < 0 && len(s.Channels) > 0 {
			victim = 0
			s.Channels[0].early = true
			a.finalize(s.Channels[0], t, false)
		}
		if victim >= 0 {
			a.unlist(s.Channels[victim])
			s.ChannelsDropped++
			a.stats.EvictedChannels++
		}
	}
	s.Channels = append(s.Channels, ch)
	a.recost(ch)
	a.data.expect(ch)
	return ch
}

func countLive(s *Session) int { return len(s.Channels) }

// useChannel ties a transfer command to the newest announcement not yet used.
func (a *Analyzer) useChannel(st *sessionState, verb, arg string, argLen int, t time.Time) *Channel {
	s := st.s
	for i := len(s.Channels) - 1; i >= 0; i-- {
		ch := s.Channels[i]
		if ch.Command != "" || ch.final {
			break
		}
		ch.Command, ch.Argument, ch.ArgumentLen, ch.CommandTime = verb, arg, argLen, t
		a.recost(ch)
		return ch
	}
	a.note(st, Note{Time: t, Kind: NoteNoSetup, What: NoteUnannounced, Verb: verb})
	return nil
}

// reply handles one complete server reply: its code and its text, which
// may be a view of the wire's bytes, so whatever is kept of it is a copy.
func (a *Analyzer) reply(st *sessionState, code ftp.ReplyCode, text string, t time.Time) {
	s := st.s
	s.Replies++
	if code == 220 && s.Greeting == "" && len(st.pending) == 0 {
		s.Greeting = firstLine(text)
		a.charge(s, strCost(s.Greeting))
		a.exchangeReply(st, t, code, s.Greeting)
		return
	}
	i := a.matchPending(st, code)
	if i < 0 {
		a.stats.UnmatchedReplies++
		// A capture that starts mid-session still shows passive announcements:
		// 227/228/229 describe themselves.
		if ftp.Announces(code) {
			a.exchangeReply(st, t, code, text)
			a.announcePassive(st, "", code, text, t)
		}
		return
	}
	p := &st.pending[i]
	a.observeReply(st, p, int(code), t)
	if p.rec != 0 || p.login != 0 {
		a.auditReply(st, p, code, text, t)
	}
	vi := ftp.Verb(p.verb)
	interesting := p.ch != nil || code == 234 || code == 425 || code == 426 || code >= 500 || ftp.Announces(code) || code == 221 || code == 230 || code == 530
	if interesting || vi.TranscriptReply {
		a.exchangeReply(st, t, code, text)
	}
	if p.ch != nil && p.ch.Command != "" && vi.Class == ftp.TransferVerb {
		ch := p.ch
		addReply(ch, code)
		ch.Reply, ch.ReplyText, ch.ReplyTime = code, firstLine(text), t
		if code.Class() == ftp.Preliminary {
			a.transferPrelim(st, ch, code, text)
		}
		a.recost(ch)
	}
	if code.Class() == ftp.Preliminary {
		return // the final reply is still to come
	}
	// Everything before the matched command lost its reply (gap, mid-session).
	pv := *p // before the shift below moves a later command into *p
	st.pending = append(st.pending[:0], st.pending[i+1:]...)
	a.stateReply(st, &pv, code, text)
	switch vi.Class {
	case ftp.ActiveSetup:
		if pv.ch != nil && code.Class() == ftp.Completion {
			pv.ch.SetupCode = code
		}
		if pv.ch != nil && code.Class() != ftp.Completion {
			a.refuseActive(st, pv, code, text, t)
		}
	case ftp.PassiveSetup:
		switch {
		case strings.EqualFold(strings.TrimSpace(pv.arg), "ALL") && pv.verb == "EPSV":
			if code.Class() == ftp.Completion {
				s.EPSVAll = true
			}
		case ftp.Announces(code):
			if s.EPSVAll && pv.verb != "EPSV" {
				a.note(st, Note{Time: t, Kind: NoteProtocol, What: NoteAfterEPSVAll, Verb: pv.verb})
			}
			before := len(s.Channels)
			a.announcePassive(st, pv.verb, code, text, t)
			if n := len(s.Channels); n > 0 && (n > before || s.Channels[n-1].Time.Equal(t)) && s.Channels[n-1].Asked.IsZero() {
				s.Channels[n-1].Asked, s.Channels[n-1].SetupReplyTime = pv.when(s), t
			}
		case code.Class() == ftp.TransientNegative || code.Class() == ftp.PermanentNegative:
			a.note(st, Note{Time: t, Kind: NoteRefusedSetup, What: NotePassiveRefused, Verb: pv.verb, Code: code, Wire: firstLine(text)})
		}
	case ftp.SecurityVerb:
		if pv.verb == "AUTH" && code == 234 {
			s.setTLS(t)
			st.opaque, st.tls = true, tlsExplicit
			a.stats.TLS++
			a.note(st, Note{Time: t, Kind: NoteTLS, What: NoteEncrypted, Verb: pv.verb, Wire: pv.arg, Code: code})
		}
	case ftp.TransferVerb:
		if pv.ch != nil {
			// The final reply settles the outcome (after 425 or 226 the server
			// tries no more); a short grace lets trailing packets land.
			pv.ch.settleAt = t.Add(min(replyGrace, a.cfg.DataTimeout))
			a.data.settleLater(pv.ch)
		}
	}
}

// maxReplies bounds a channel's reply codes: a server repeating 150 (or
// alternating codes) forever must not grow the channel.
const maxReplies = 16

// addReply records a reply code to the channel's transfer. A repeat of the
// last code is not kept twice; past maxReplies the newest replaces the last
// kept, so the final reply that decides the verdict is always there.
func addReply(ch *Channel, code ftp.ReplyCode) {
	n := len(ch.Replies)
	switch {
	case n > 0 && ch.Replies[n-1] == code:
	case n >= maxReplies:
		ch.Replies[n-1] = code
	default:
		ch.Replies = append(ch.Replies, code)
	}
}

// matchPending finds the command a reply answers: the oldest one that can
// take this code. Commands whose replies were lost (a gap, a client that gave
// up on a transfer and sent QUIT) are skipped that way; replies that describe
// themselves (227, 228, 229) are never forced onto another command.
func (a *Analyzer) matchPending(st *sessionState, code ftp.ReplyCode) int {
	for i, p := range st.pending {
		if ftp.Verb(p.verb).Takes(code) {
			return i
		}
	}
	if ftp.Announces(code) || len(st.pending) == 0 {
		return -1
	}
	return 0
}

// refuseActive drops the provisional channel of a PORT the server refused:
// a refused PORT predicts nothing.
func (a *Analyzer) refuseActive(st *sessionState, p pending, code ftp.ReplyCode, text string, t time.Time) {
	ch := p.ch
	a.note(st, Note{Time: t, Kind: NoteRefusedSetup, What: NoteActiveRefused, Verb: p.verb, Endpoint: ch.Announced, Code: code, Wire: firstLine(text)})
	ch.SetupCode, ch.SetupRefused = code, true
	if len(ch.Attempts) > 0 || ch.final {
		return // something connected anyway: keep it, the packets speak
	}
	// The channel stays in the report as unused: a refused announcement
	// predicts nothing, so nothing may be matched to it any more.
	a.finalize(ch, t, false)
}

// announcePassive creates the channel a 227/228/229 reply announces. asked is
// the command it answers ("" when the capture missed it).
func (a *Analyzer) announcePassive(st *sessionState, asked string, code ftp.ReplyCode, text string, t time.Time) {
	s := st.s
	server := s.Server.Addr()
	var (
		ep     netip.AddrPort
		method SetupMethod
	)
	switch code {
	case 227:
		got, err := ftp.ParsePASVReply(text)
		if err != nil {
			a.stats.Malformed++
			a.note(st, Note{Time: t, Kind: NoteProtocol, What: NoteUnusableAnnouncement, Code: code, Wire: firstLine(text)})
			return
		}
		ep, method = got, PASV
	case 228:
		got, err := ftp.ParseLPSVReply(text)
		if err != nil {
			a.stats.Malformed++
			a.note(st, Note{Time: t, Kind: NoteProtocol, What: NoteUnusableAnnouncement, Code: code, Wire: firstLine(text)})
			return
		}
		ep, method = got, LPSV
	case 229:
		got, err := ftp.ParseEPSVReply(text)
		if err != nil {
			a.stats.Malformed++
			a.note(st, Note{Time: t, Kind: NoteProtocol, What: NoteUnusableAnnouncement, Code: code, Wire: firstLine(text)})
			return
		}
		addr := server
		if got.Addr.IsValid() {
			addr = got.Addr
		}
		ep, method = netip.AddrPortFrom(addr, got.Port), EPSV
	}
	if asked != "" && asked != method.String() {
		a.note(st, Note{Time: t, Kind: NoteInfo, What: NoteAnsweredWith, Verb: asked, Code: code})
	}
	ep = spelledAs(ep, server)
	alt := netip.AddrPortFrom(server, ep.Port())
	a.addChannel(st, method, ep, alt, t, 0)
}

// firstLine is what a session keeps of a reply's text: its first line,
// trimmed and cut to 160 bytes, always its own copy.
func firstLine(text string) string {
	s := text
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		// A new string already; the ellipsis is not space, so only the
		// front is trimmed.
		return strings.TrimLeftFunc(s[:160], unicode.IsSpace) + "…"
	}
	// A copy: the text may be a view of the wire's bytes (ReplyReader.Next),
	// and the line of a multi-line reply must not keep the whole reply's
	// text alive for as long as the session holds it.
	return strings.Clone(strings.TrimSpace(s))
}

// stored is the package's stored for a wire string, counted when it was cut.
func (a *Analyzer) stored(s string) (string, int) {
	out, n := stored(s)
	if len(out) < n {
		a.stats.LongArguments++
	}
	return out, n
}

func unwrapSyntax(err error) error {
	var se *ftp.SyntaxError
	if errors.As(err, &se) {
		return se
	}
	return err
}

// spelledAs writes an announced endpoint's address the way the control
// connection's packets write their addresses: an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, which dual-stack clients put in EPRT) as plain IPv4 on an
// IPv4 connection, and the other way round, so that the same host is never
// taken for NAT or a third party, and the data connection's packets find
// the endpoint they go to.
func spelledAs(ep netip.AddrPort, control netip.Addr) netip.AddrPort {
	a := ep.Addr()
	switch {
	case control.Is4In6() && a.Is4():
		a = netip.AddrFrom16(a.As16())
	case a.Is4In6() && !control.Is4In6():
		a = a.Unmap()
	default:
		return ep
	}
	return netip.AddrPortFrom(a, ep.Port())
}

// isPrivate reports addresses that only make sense behind a NAT.
func isPrivate(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return true
	}
	if a.Is4() {
		b := a.As4()
		return b[0] == 100 && b[1]&0xc0 == 64 // 100.64.0.0/10, carrier-grade NAT
	}
	return false
}

// sessionSlots is a direct-mapped cache in front of the sessions map: the
// analysis looks a control connection's session up for each of its lines
// and again for each of its segments (the capture-point trace), and on a
// control-heavy capture hashing the two endpoints for the map was several
// per cent of the run. A slot is chosen by the XOR of the two ports, the
// same for both directions of a connection, and holds the session last
// looked up there; the map stays the truth.
type sessionSlots [256]*sessionState

func sessionSlot(a, b uint16) uint8 { x := a ^ b; return uint8(x ^ x>>8) }

// session returns the session of conn, or nil.
func (a *Analyzer) session(conn reassembly.ConnKey) *sessionState {
	i := sessionSlot(conn.Client.Port(), conn.Server.Port())
	if st := a.slots[i]; st != nil && st.s.Client == conn.Client && st.s.Server == conn.Server {
		return st
	}
	st := a.sessions.get(conn)
	if st != nil {
		a.slots[i] = st
	}
	return st
}

// sessionOf returns the session of the control segment from src to dst,
// sent by either end, or nil.
func (a *Analyzer) sessionOf(src, dst netip.AddrPort) *sessionState {
	i := sessionSlot(src.Port(), dst.Port())
	if st := a.slots[i]; st != nil && (st.s.Client == src && st.s.Server == dst || st.s.Client == dst && st.s.Server == src) {
		return st
	}
	st := a.sessions.get(reassembly.ConnKey{Client: src, Server: dst})
	if st == nil {
		st = a.sessions.get(reassembly.ConnKey{Client: dst, Server: src})
	}
	if st != nil {
		a.slots[i] = st
	}
	return st
}

// forgetSession takes st out of the map and the cache.
func (a *Analyzer) forgetSession(st *sessionState) {
	a.sessions.del(st.key())
	if i := sessionSlot(st.s.Client.Port(), st.s.Server.Port()); a.slots[i] == st {
		a.slots[i] = nil
	}
}

// sessionKey is a control connection's two endpoints as five words, the
// key of Analyzer.sessions: plain memory, which the map hashes in one pass,
// where a pair of netip.AddrPorts is hashed field by field; and 40 bytes a
// slot instead of 64, per held session. The last word carries both ports
// and whether each address is IPv4 (As16 writes it IPv4-mapped, which a
// real IPv6 address can be too). Packets carry no IPv6 zones.
type sessionKey [5]uint64

func keyOf(k reassembly.ConnKey) sessionKey {
	c, s := k.Client.Addr().As16(), k.Server.Addr().As16()
	last := uint64(k.Client.Port())<<16 | uint64(k.Server.Port())
	if k.Client.Addr().Is4() {
		last |= 1 << 32
	}
	if k.Server.Addr().Is4() {
		last |= 1 << 33
	}
	return sessionKey{
		binary.BigEndian.Uint64(c[:8]), binary.BigEndian.Uint64(c[8:]),
		binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:]), last,
	}
}
