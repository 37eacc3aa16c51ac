package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// NoticeReason writes a notice in one sentence: the "reason" of its JSON
// record and the msg of its notice.log row.
func NoticeReason(n *analysis.Notice) string {
	switch n.Kind {
	case analysis.NoticeBruteforce:
		// Zeek's FTP::Bruteforcing message, word for word.
		return fmt.Sprintf("%s had %d failed logins on %d FTP server%s in %s", n.Source, n.Failures, n.Servers, plural(n.Servers), minsSecs(n.Time.Sub(n.First)))
	case analysis.NoticeBruteforceSuccess:
		return fmt.Sprintf("%s logged in as %s after %d failed logins on %d FTP server%s in %s", n.Source, quoteWire(n.User), n.Failures, n.Servers, plural(n.Servers), minsSecs(n.Time.Sub(n.First)))
	case analysis.NoticePasswordSpray:
		return fmt.Sprintf("%s failed logins as %d different users (%s) in %s", n.Source, len(n.Users), quoteList(n.Users), minsSecs(n.Time.Sub(n.First)))
	case analysis.NoticeAnonymousWrite:
		return fmt.Sprintf("anonymous login %s ran %s %s and the server answered %s", quoteWire(n.User), n.Verb, quoteWire(n.Arg), n.Code)
	case analysis.NoticeSiteExec:
		return fmt.Sprintf("SITE EXEC runs a program on the server: %s", quoteWire(n.Arg))
	case analysis.NoticePortPrivileged:
		return fmt.Sprintf("%s asks the server to connect to privileged port %d of %s", n.Verb, n.Endpoint.Port(), n.Endpoint.Addr())
	case analysis.NoticeFXP:
		return fmt.Sprintf("%s names %s, the server of another FTP session of this client: a server-to-server (FXP) transfer", n.Verb, n.Endpoint)
	case analysis.NoticeBounce:
		return fmt.Sprintf("%s names %s, a third party, not the client %s: an FTP bounce", n.Verb, n.Endpoint, n.Source)
	case analysis.NoticeDistributedBruteforce:
		return fmt.Sprintf("%d sources failed logins as %s in %s", len(n.Sources), quoteWire(n.User), minsSecs(n.Time.Sub(n.First)))
	case analysis.NoticeCleartextCredentials:
		return fmt.Sprintf("the password of %s crossed between public addresses in clear text (no AUTH TLS)", quoteWire(n.User))
	}
	return n.Kind.String()
}

// minsSecs writes a duration as Zeek's duration_to_mins_secs ("0m37s").
func minsSecs(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%dm%ds", s/60, s%60)
}

// quoteWire quotes wire text for a sentence.
func quoteWire(s string) string { return fmt.Sprintf("%q", s) }

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = quoteWire(s)
	}
	return strings.Join(q, ", ")
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
		Server: ap(s.Server), Client: ap(s.Client), UID: SessionUID(s), Reason: NoticeReason(n),
		Failures: n.Failures, Servers: n.Servers, First: x.stamp(n.First), Users: n.Users, User: n.User,
		Command: n.Verb, Argument: n.Arg, Reply: replyPtr(n.Code)}
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
