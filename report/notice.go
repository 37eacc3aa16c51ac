package report

import (
	"strconv"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// NoticeReason writes a notice in one sentence: the "reason" of its JSON
// record and the msg of its notice.log row.
func NoticeReason(n *analysis.Notice) string {
	return string(appendNoticeReason(make([]byte, 0, 128), n))
}

// appendNoticeReason appends NoticeReason(n) to b.
func appendNoticeReason(b []byte, n *analysis.Notice) []byte {
	t := &sentence{b: b}
	switch n.Kind {
	case analysis.NoticeBruteforce:
		// Zeek's FTP::Bruteforcing message, word for word.
		t.addr(n.Source).str(" had ").int(n.Failures).str(" failed logins on ").int(n.Servers).str(" FTP server").plural(n.Servers).
			str(" in ").minsSecs(n.Time.Sub(n.First))
	case analysis.NoticeBruteforceSuccess:
		t.addr(n.Source).str(" logged in as ").quote(n.User).str(" after ").int(n.Failures).str(" failed logins on ").int(n.Servers).
			str(" FTP server").plural(n.Servers).str(" in ").minsSecs(n.Time.Sub(n.First))
	case analysis.NoticePasswordSpray:
		t.addr(n.Source).str(" failed logins as ").int(len(n.Users)).str(" different users (")
		for i, u := range n.Users {
			if i > 0 {
				t.str(", ")
			}
			t.quote(u)
		}
		t.str(") in ").minsSecs(n.Time.Sub(n.First))
	case analysis.NoticeAnonymousWrite:
		t.str("anonymous login ").quote(n.User).str(" ran ").str(n.Verb).str(" ").quote(n.Arg).str(" and the server answered ").code(n.Code)
	case analysis.NoticeSiteExec:
		t.str("SITE EXEC runs a program on the server: ").quote(n.Arg)
	case analysis.NoticePortPrivileged:
		t.str(n.Verb).str(" asks the server to connect to privileged port ").uint(uint64(n.Endpoint.Port())).str(" of ").addr(n.Endpoint.Addr())
	case analysis.NoticeFXP:
		t.str(n.Verb).str(" names ").addrPort(n.Endpoint).str(", the server of another FTP session of this client: a server-to-server (FXP) transfer")
	case analysis.NoticeBounce:
		t.str(n.Verb).str(" names ").addrPort(n.Endpoint).str(", a third party, not the client ").addr(n.Source).str(": an FTP bounce")
	case analysis.NoticeDistributedBruteforce:
		t.int(len(n.Sources)).str(" sources failed logins as ").quote(n.User).str(" in ").minsSecs(n.Time.Sub(n.First))
	case analysis.NoticeCleartextCredentials:
		t.str("the password of ").quote(n.User).str(" crossed between public addresses in clear text (no AUTH TLS)")
	default:
		t.str(n.Kind.String())
	}
	return t.b
}

// minsSecs appends a duration as Zeek's duration_to_mins_secs ("0m37s").
func (t *sentence) minsSecs(d time.Duration) *sentence {
	s := int64(d / time.Second)
	t.b = strconv.AppendInt(t.b, s/60, 10)
	t.b = append(t.b, 'm')
	t.b = strconv.AppendInt(t.b, s%60, 10)
	t.b = append(t.b, 's')
	return t
}

// quote appends wire text quoted for a sentence (%q: strconv's Go quoting).
func (t *sentence) quote(s string) *sentence {
	t.b = strconv.AppendQuote(t.b, s)
	return t
}

// jsonNotice is a notice record of the JSON output ("type":"notice"),
// written after the record of the session that raised it.
type jsonNotice struct {
	Type     string   `json:"type"`
	Kind     string   `json:"kind"`
	Time     string   `json:"time"`
	Source   string   `json:"source"`
	Server   string   `json:"server"`
	Client   string   `json:"client"`
	UID      string   `json:"uid"`
	Reason   string   `json:"reason"`
	Failures int      `json:"failures,omitempty"`
	Servers  int      `json:"servers,omitempty"`
	First    string   `json:"first,omitempty"`
	Users    []string `json:"users,omitempty"`
	Sources  []string `json:"sources,omitempty"`
	User     string   `json:"user,omitempty"`
	Command  string   `json:"command,omitempty"`
	Argument string   `json:"argument,omitempty"`
	Reply    *int     `json:"reply,omitempty"`
	Endpoint string   `json:"endpoint,omitempty"`
}

func noticeJSON(s *analysis.Session, n *analysis.Notice, x *jsonScratch) jsonNotice {
	j := jsonNotice{Type: "notice", Kind: n.Kind.String(), Time: x.stamp(n.Time), Source: n.Source.String(),
		Server: x.ap(s.Server), Client: x.ap(s.Client), UID: SessionUID(s), Reason: x.keep(appendNoticeReason(x.text[:0], n)),
		Failures: n.Failures, Servers: n.Servers, First: x.stamp(n.First), Users: n.Users, User: n.User,
		Command: n.Verb, Argument: n.Arg, Reply: x.reply(n.Code)}
	if n.Endpoint.IsValid() {
		j.Endpoint = n.Endpoint.String()
	}
	for _, a := range n.Sources {
		j.Sources = append(j.Sources, a.String())
	}
	return j
}

// sessionNotices returns the session's notices (none without an audit).
func sessionNotices(s *analysis.Session) []analysis.Notice {
	if s.Audit == nil {
		return nil
	}
	return s.Audit.Notices
}

// appendNoticeJSON appends a notice record and its newline, byte for byte
// what newJSONEncoder writes for it (JSONBothWays holds it to that).
func appendNoticeJSON(b []byte, n *jsonNotice) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, n.Type)
	for _, f := range [...]struct{ k, v string }{{`,"kind":`, n.Kind}, {`,"time":`, n.Time}, {`,"source":`, n.Source},
		{`,"server":`, n.Server}, {`,"client":`, n.Client}, {`,"uid":`, n.UID}, {`,"reason":`, n.Reason}} {
		b = appendJSONString(append(b, f.k...), f.v)
	}
	if n.Failures != 0 {
		b = strconv.AppendInt(append(b, `,"failures":`...), int64(n.Failures), 10)
	}
	if n.Servers != 0 {
		b = strconv.AppendInt(append(b, `,"servers":`...), int64(n.Servers), 10)
	}
	if n.First != "" {
		b = appendJSONString(append(b, `,"first":`...), n.First)
	}
	if len(n.Users) > 0 {
		b = appendJSONStrings(append(b, `,"users":`...), n.Users)
	}
	if len(n.Sources) > 0 {
		b = appendJSONStrings(append(b, `,"sources":`...), n.Sources)
	}
	for _, f := range [...]struct{ k, v string }{{`,"user":`, n.User}, {`,"command":`, n.Command}, {`,"argument":`, n.Argument}} {
		if f.v != "" {
			b = appendJSONString(append(b, f.k...), f.v)
		}
	}
	b = appendOptInt(b, `,"reply":`, n.Reply)
	if n.Endpoint != "" {
		b = appendJSONString(append(b, `,"endpoint":`...), n.Endpoint)
	}
	return append(b, "}\n"...)
}
