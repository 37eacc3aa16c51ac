package report

import (
	"encoding/json"
	"io"
	"math"
	"net/netip"
	"sort"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/flowid"
)

// SessionUID is the session's Zeek-style uid: derived from its control
// connection and the time of its first packet, so every run over the same
// capture, and every output format, names the session the same.
func SessionUID(s *analysis.Session) string { return flowid.UID(s.Client, s.Server, s.Start) }

// jsonWriter writes JSON Lines: one "session" object per session (its
// channels inside), or one "channel" object per channel when streaming, and a
// last "summary" object. The field names are a public contract. Strings
// carry DEL, C1 and bidi controls as \uNNNN (see jsonSafe).
type jsonWriter struct {
	w       *recordWriter
	enc     *json.Encoder
	o       Options
	scratch jsonScratch
}

func newJSON(w io.Writer, o Options) *jsonWriter {
	bw := newRecordWriter(w, 64<<10, true)
	return &jsonWriter{w: bw, enc: newJSONEncoder(bw), o: o}
}

type jsonConn struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type jsonICMP struct {
	From string `json:"from"`
	Type uint8  `json:"type"`
	Code uint8  `json:"code"`
	Text string `json:"text"`
	V6   bool   `json:"v6"`
}

type jsonChannel struct {
	Method     string    `json:"method"`
	Mode       string    `json:"mode"`
	Announced  string    `json:"announced"`
	Time       string    `json:"time"`
	Command    string    `json:"command"`
	Argument   string    `json:"argument"`
	Reply      *int      `json:"reply"`
	Connection *jsonConn `json:"connection"`
	SYN        int       `json:"syn"`
	Bytes      uint64    `json:"bytes"`
	Verdict    string    `json:"verdict"`
	Blocked    bool      `json:"blocked"`
	NAT        bool      `json:"nat"`
	Reason     string    `json:"reason"`
	// Fields beyond the original contract.
	Alternate  string    `json:"control_endpoint"`
	Matched    string    `json:"matched,omitempty"`
	Replies    []int     `json:"replies"`
	ReplyText  string    `json:"reply_text,omitempty"`
	Attempts   int       `json:"attempts"`
	SYNACK     bool      `json:"synack"`
	RST        bool      `json:"rst"`
	ICMP       *jsonICMP `json:"icmp,omitempty"`
	Superseded bool      `json:"superseded,omitempty"`
	SetupReply *int      `json:"setup_reply,omitempty"`
	// SetupRefused marks a PORT/EPRT/LPRT the server refused.
	SetupRefused bool   `json:"setup_refused,omitempty"`
	Packet       uint64 `json:"packet,omitempty"`
	// Diagnosis: where the capture point
	// sits relative to the block, the NAT hypothesis, the delays.
	Vantage      string       `json:"vantage"`
	NATDiagnosis *jsonNATDiag `json:"nat_diagnosis,omitempty"`
	Timings      jsonTimings  `json:"timings"`
	// ArgumentLen is the argument's length on the wire, there only when
	// "argument" holds less of it (analysis.StoredMax bytes are kept).
	ArgumentLen *int `json:"argument_len,omitempty"`
	// CommunityID is the Community ID (v1) of the data connection in
	// "connection" (there only when one was seen).
	CommunityID string `json:"community_id,omitempty"`
	// Transfer is the ledger entry of the transfer command that used
	// the channel (issue 13); absent when none did.
	Transfer *jsonTransfer `json:"transfer,omitempty"`
	// Path follows the data connection along the capture points (--point;
	// absent otherwise): what each point saw and where it was lost.
	Path *jsonPath `json:"path,omitempty"`
	// DataProtection is what the data connection carried: "tls" when its
	// first bytes were a TLS handshake (PROT P), "clear" otherwise; absent
	// when it carried no byte.
	DataProtection string `json:"data_protection,omitempty"`
}

type jsonNote struct {
	Time string `json:"time"`
	Kind string `json:"kind"`
	Text string `json:"text"`
}

type jsonSession struct {
	Type     string        `json:"type"`
	Client   string        `json:"client"`
	Server   string        `json:"server"`
	Start    string        `json:"start"`
	End      string        `json:"end"`
	User     string        `json:"user"`
	TLS      bool          `json:"tls"`
	Modes    []string      `json:"modes"`
	Channels []jsonChannel `json:"channels"`
	// Fields beyond the original contract.
	Password        string           `json:"password,omitempty"`
	Midstream       bool             `json:"midstream"`
	EPSVAll         bool             `json:"epsv_all,omitempty"`
	Greeting        string           `json:"greeting,omitempty"`
	Commands        int              `json:"commands"`
	Replies         int              `json:"replies"`
	GapBytes        int              `json:"gap_bytes"`
	Closed          string           `json:"closed"`
	ChannelsDropped int              `json:"channels_dropped,omitempty"`
	Notes           []jsonNote       `json:"notes"`
	CapturePoint    jsonCapturePoint `json:"capture_point"`
	Lint            []jsonLint       `json:"lint"`
	Latency         jsonLatency      `json:"latency"`
	// UserLen and PasswordLen are the lengths on the wire of a user name
	// or password cut to analysis.StoredMax bytes (there only then).
	UserLen     *int `json:"user_len,omitempty"`
	PasswordLen *int `json:"password_len,omitempty"`
	// UID is the control connection's Zeek-style uid (the uid of its rows
	// in --zeek-logs), CommunityID its Community ID (v1).
	UID         string `json:"uid"`
	CommunityID string `json:"community_id"`
	// Login and CommandLog are the session's audit ("commands" was
	// taken: it counts them) (there when its client
	// sent a command and the run keeps audits: JSON and --zeek-logs).
	Login             *jsonLogin    `json:"login,omitempty"`
	CommandLog        []jsonCommand `json:"command_log,omitempty"`
	CommandLogDropped int           `json:"command_log_dropped,omitempty"`
	// TLSMode says how the control channel was protected: "explicit" (AUTH
	// TLS/SSL), "implicit" (TLS from the first byte, implicit FTPS),
	// "ccc" (AUTH, then clear again after CCC); absent without TLS.
	TLSMode string `json:"tls_mode,omitempty"`
	// Points, PointSessions, Rewrites and PointsNote are there in a run
	// over several capture points (--point): the points that saw the
	// control connection (path order), how each saw it, what NAT or an
	// FTP helper rewrote between them, and what is odd about it.
	Points        []string           `json:"points,omitempty"`
	PointSessions []jsonPointSession `json:"point_sessions,omitempty"`
	Rewrites      *[]jsonRewrite     `json:"rewrites,omitempty"`
	PointsNote    string             `json:"points_note,omitempty"`
}

// dataProtection names what a channel's data connection carried: "tls"
// (PROT P), "clear", or "" when no byte crossed.
func dataProtection(c *analysis.Channel) string {
	switch {
	case c.DataTLS:
		return "tls"
	case c.Bytes() > 0:
		return "clear"
	}
	return ""
}

// tlsMode names a session's TLS from its notes.
func tlsMode(s *analysis.Session) string {
	if !s.TLS {
		return ""
	}
	mode := "explicit"
	for _, n := range s.Notes {
		switch n.What {
		case analysis.NoteImplicitTLS:
			return "implicit"
		case analysis.NoteClearAgain:
			mode = "ccc"
		}
	}
	return mode
}

type jsonLogin struct {
	User            string             `json:"user"`
	Outcome         string             `json:"outcome"`
	Anonymous       bool               `json:"anonymous"`
	Time            string             `json:"time,omitempty"`
	Failures        int                `json:"failures"`
	Attempts        []jsonLoginAttempt `json:"attempts"`
	AttemptsDropped int                `json:"attempts_dropped,omitempty"`
}

type jsonLoginAttempt struct {
	Time         string `json:"time"`
	User         string `json:"user"`
	Password     string `json:"password,omitempty"`
	PasswordSent bool   `json:"password_sent"`
	Reply        *int   `json:"reply"`
	Outcome      string `json:"outcome"`
}

type jsonCommand struct {
	Time        string `json:"time"`
	Command     string `json:"command"`
	Argument    string `json:"argument"`
	ArgumentLen *int   `json:"argument_len,omitempty"`
	Reply       *int   `json:"reply"`
	ReplyText   string `json:"reply_text,omitempty"`
	Risk        string `json:"risk,omitempty"`
	// Overwrite marks a STOR over a file a listing of the session showed.
	Overwrite bool `json:"overwrite,omitempty"`
}

// auditJSON fills the session record's login and commands.
func auditJSON(rec *jsonSession, au *analysis.Audit, x *jsonScratch) {
	if au == nil {
		return
	}
	l := &au.Login
	x.login = jsonLogin{User: l.User, Outcome: l.Outcome.String(), Anonymous: l.Anonymous, Time: x.stamp(l.Time),
		Failures: l.Failures, Attempts: fresh(x.attempts, len(l.Attempts)), AttemptsDropped: l.AttemptsDropped}
	j := &x.login
	for _, at := range l.Attempts {
		j.Attempts = append(j.Attempts, jsonLoginAttempt{Time: x.stamp(at.Time), User: at.User, Password: at.Password,
			PasswordSent: at.PasswordSent, Reply: x.reply(at.Code), Outcome: at.Outcome.String()})
	}
	x.attempts = j.Attempts
	rec.Login = j
	rec.CommandLog = fresh(x.commands, len(au.Commands))
	for _, c := range au.Commands {
		rec.CommandLog = append(rec.CommandLog, jsonCommand{Time: x.stamp(c.Time), Command: c.Verb, Argument: c.Arg,
			ArgumentLen: cutLen(c.Arg, int(c.ArgLen)), Reply: x.reply(c.Code), ReplyText: c.ReplyText, Risk: c.Risk.String(), Overwrite: c.Overwrite})
	}
	x.commands = rec.CommandLog
	rec.CommandLogDropped = au.CommandsDropped
}

type jsonStreamChannel struct {
	Type   string `json:"type"`
	Client string `json:"client"`
	Server string `json:"server"`
	jsonChannel
}

func channelJSON(c *analysis.Channel, x *jsonScratch) jsonChannel {
	j := jsonChannel{
		Method:       c.Method.String(),
		Mode:         c.Mode().String(),
		Announced:    x.ap(c.Announced),
		Time:         x.stamp(c.Time),
		Command:      c.Command,
		Argument:     c.Argument,
		SYN:          c.SYNs(),
		Bytes:        c.Bytes(),
		Verdict:      c.Verdict.String(),
		Blocked:      c.Blocked,
		NAT:          c.NAT,
		Reason:       x.keep(appendReason(x.text[:0], c)),
		Alternate:    x.ap(c.Alternate),
		Replies:      x.intList(len(c.Replies)),
		ReplyText:    c.ReplyText,
		Attempts:     len(c.Attempts),
		Superseded:   c.Superseded,
		SetupRefused: c.SetupRefused,
		Packet:       c.Packet,
	}
	j.Reply, j.SetupReply = x.reply(c.Reply), x.reply(c.SetupCode)
	for _, r := range c.Replies {
		j.Replies = append(j.Replies, int(r))
	}
	if at := c.Connection(); at != nil {
		j.Connection = &jsonConn{From: x.ap(at.From), To: x.ap(at.To)}
		j.CommunityID = flowid.CommunityID(at.From, at.To, flowid.ProtoTCP)
		j.Matched = at.Match.String()
	}
	for _, at := range c.Attempts {
		j.SYNACK = j.SYNACK || !at.SYNACK.IsZero()
		j.RST = j.RST || !at.RST.IsZero()
		if at.ICMP != nil && j.ICMP == nil {
			j.ICMP = &jsonICMP{From: at.ICMP.From.String(), Type: at.ICMP.Type, Code: at.ICMP.Code, Text: at.ICMP.Describe(), V6: at.ICMP.V6}
		}
	}
	j.Vantage, j.NATDiagnosis, j.Timings = c.Vantage.String(), natJSON(c.NATDiag), timingsJSON(c.Timings(), x)
	j.ArgumentLen = cutLen(c.Argument, c.ArgumentLen)
	j.Transfer = transferJSON(c, x)
	j.DataProtection = dataProtection(c)
	return j
}

func (j *jsonWriter) Session(s *analysis.Session) error {
	if j.o.Stream {
		// Channels went out one by one; the session closes the story.
	}
	rec := sessionJSON(s, &j.scratch)
	j.o.Points.pointsJSON(&rec, j.o.Points.Of(s))
	if err := j.w.appendRecord(func(b []byte) []byte { return appendSessionJSON(b, &rec) }); err != nil {
		return err
	}
	if !j.o.Stream { // streamed, each notice went out when it was raised
		ns := sessionNotices(s)
		for i := range ns {
			rec := noticeJSON(s, &ns[i], &j.scratch)
			if err := j.w.appendRecord(func(b []byte) []byte { return appendNoticeJSON(b, &rec) }); err != nil {
				return err
			}
		}
	}
	// Each parsed directory listing follows its session as a record of
	// its own: a listing of thousands of entries would make the session's
	// record unwieldy.
	for i, c := range s.Channels {
		if c.Transfer == nil || c.Transfer.Listing == nil {
			continue
		}
		rc := &rec.Channels[i]
		if err := j.w.appendRecord(func(b []byte) []byte { return appendListingJSON(b, s, c, rc, &j.scratch) }); err != nil {
			return err
		}
	}
	return nil
}

// sessionJSON returns a session's record.
func sessionJSON(s *analysis.Session, x *jsonScratch) jsonSession {
	x.reset()
	rec := jsonSession{
		Type: "session", Client: x.ap(s.Client), Server: x.ap(s.Server),
		Start: x.stamp(s.Start), End: x.stamp(s.End), User: s.User, TLS: s.TLS,
		Modes: modes(s), Channels: fresh(x.channels, len(s.Channels)), Password: s.Password,
		Midstream: s.Midstream, EPSVAll: s.EPSVAll, Greeting: s.Greeting,
		Commands: int(s.Commands), Replies: int(s.Replies), GapBytes: s.GapBytes,
		Closed: s.Closed, ChannelsDropped: s.ChannelsDropped, Notes: fresh(x.notes, len(s.Notes)),
	}
	for _, c := range s.Channels {
		rec.Channels = append(rec.Channels, channelJSON(c, x))
	}
	x.channels = rec.Channels
	for _, n := range s.Notes {
		rec.Notes = append(rec.Notes, jsonNote{Time: x.stamp(n.Time), Kind: n.Kind.String(), Text: NoteText(n)})
	}
	x.notes = rec.Notes
	rec.CapturePoint, rec.Lint, rec.Latency = capturePointJSON(s, x), lintJSON(s, x), latencyJSON(s.Latency, x)
	rec.UserLen, rec.PasswordLen = cutLen(s.User, int(s.UserLen)), cutLen(s.Password, int(s.PasswordLen))
	rec.UID, rec.CommunityID = SessionUID(s), flowid.CommunityID(s.Client, s.Server, flowid.ProtoTCP)
	auditJSON(&rec, s.Audit, x)
	rec.TLSMode = tlsMode(s)
	return rec
}

// Notice implements Writer: with Options.Stream the notice record is
// written as soon as it is raised (before its session's record).
func (j *jsonWriter) Notice(s *analysis.Session, n *analysis.Notice) error {
	if !j.o.Stream {
		return nil
	}
	rec := noticeJSON(s, n, &j.scratch)
	return j.w.appendRecord(func(b []byte) []byte { return appendNoticeJSON(b, &rec) })
}

func (j *jsonWriter) Channel(s *analysis.Session, c *analysis.Channel) error {
	if !j.o.Stream {
		return nil
	}
	j.scratch.reset()
	rec := jsonStreamChannel{Type: "channel", Client: ap(s.Client), Server: ap(s.Server), jsonChannel: channelJSON(c, &j.scratch)}
	if err := j.w.appendRecord(func(b []byte) []byte { return appendStreamChannelJSON(b, &rec) }); err != nil {
		return err
	}
	return j.w.Flush()
}

func (j *jsonWriter) Close(sum Summary) error {
	if err := j.enc.Encode(summaryJSON(sum)); err != nil {
		return err
	}
	return j.w.Flush()
}

// Flush pushes buffered records out (live capture flushes after each session).
func (j *jsonWriter) Flush() error { return j.w.Flush() }

func ap(a netip.AddrPort) string { return a.String() }

// cutLen returns the wire length of a stored string when the string holds
// less than that (it was cut), else nil.
func cutLen(s string, n int) *int {
	if n <= len(s) {
		return nil
	}
	v := n // a copy: &n would move n to the heap on every call, cut or not
	return &v
}

// The diagnosis fields of issue 4: capture point, NAT, lint, timings.

type jsonNATDiag struct {
	Kind        string `json:"kind"`
	Announced   string `json:"announced"`
	Control     string `json:"control"`
	ConnectedTo string `json:"connected_to"`
	Established bool   `json:"established"`
	Supported   string `json:"supported"`
	Hypothesis  string `json:"hypothesis"`
	Fix         string `json:"fix"`
}

func natJSON(d *analysis.NATDiagnosis) *jsonNATDiag {
	if d == nil {
		return nil
	}
	to := d.ConnectedTo.String()
	if to == "" {
		to = "none"
	}
	return &jsonNATDiag{Kind: d.Kind.String(), Announced: d.Announced.String(), Control: d.Control.String(),
		ConnectedTo: to, Established: d.Established, Supported: d.Supported, Hypothesis: NATHypothesis(d), Fix: NATFix(d)}
}

// jsonTimings holds delays in milliseconds; a delay the capture cannot
// measure is left out.
type jsonTimings struct {
	SetupReply     *float64 `json:"setup_reply_ms,omitempty"`
	AnnounceToSYN  *float64 `json:"announce_to_syn_ms,omitempty"`
	SYNToSYNACK    *float64 `json:"syn_to_synack_ms,omitempty"`
	CommandToReply *float64 `json:"command_to_reply_ms,omitempty"`
	PrelimToData   *float64 `json:"prelim_to_data_ms,omitempty"`
}

func ms(d time.Duration) *float64 {
	if d == analysis.NoTiming {
		return nil
	}
	v := math.Round(float64(d)/float64(time.Microsecond)) / 1000
	return &v
}

func timingsJSON(t analysis.Timings, x *jsonScratch) jsonTimings {
	return jsonTimings{SetupReply: x.ms(t.SetupReply), AnnounceToSYN: x.ms(t.AnnounceToSYN), SYNToSYNACK: x.ms(t.SYNToSYNACK),
		CommandToReply: x.ms(t.CommandToReply), PrelimToData: x.ms(t.PrelimToData)}
}

type jsonCapturePoint struct {
	Position   string `json:"position"`
	ClientTTL  *int   `json:"client_ttl,omitempty"`
	ClientHops *int   `json:"client_hops,omitempty"`
	ServerTTL  *int   `json:"server_ttl,omitempty"`
	ServerHops *int   `json:"server_hops,omitempty"`
}

func capturePointJSON(s *analysis.Session, x *jsonScratch) jsonCapturePoint {
	j := jsonCapturePoint{Position: s.CapturePosition().String()}
	ttl := func(h analysis.HostTrace) (*int, *int) {
		n, ok := h.Hops()
		if !ok {
			return nil, nil
		}
		return x.int(int(h.TTLMax)), x.int(n)
	}
	j.ClientTTL, j.ClientHops = ttl(s.ClientTrace)
	j.ServerTTL, j.ServerHops = ttl(s.ServerTrace)
	return j
}

type jsonLint struct {
	Code   string `json:"code"`
	Time   string `json:"time"`
	Packet uint64 `json:"packet,omitempty"`
	Count  int    `json:"count"`
	Text   string `json:"text"`
}

// lintFindings returns a session's findings by first occurrence.
func lintFindings(s *analysis.Session) []analysis.LintFinding {
	out := append([]analysis.LintFinding(nil), s.Lint...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func lintJSON(s *analysis.Session, x *jsonScratch) []jsonLint {
	out := fresh(x.lint, len(s.Lint))
	for _, f := range lintFindings(s) {
		out = append(out, jsonLint{Code: f.Code.String(), Time: x.stamp(f.Time), Packet: f.Packet, Count: f.Count, Text: LintText(f)})
	}
	x.lint = out
	return out
}

type jsonLatency struct {
	Commands int      `json:"commands"`
	Mean     *float64 `json:"mean_ms,omitempty"`
	Min      *float64 `json:"min_ms,omitempty"`
	Max      *float64 `json:"max_ms,omitempty"`
}

func latencyJSON(l analysis.Latency, x *jsonScratch) jsonLatency {
	j := jsonLatency{Commands: l.Count}
	if l.Count > 0 {
		j.Mean, j.Min, j.Max = x.ms(l.Mean()), x.ms(l.Min), x.ms(l.Max)
	}
	return j
}
