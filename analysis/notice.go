package analysis

import (
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/lru"
)

// NoticeKind says what a notice is about: something in the sessions a
// security team wants told (notice.go).
type NoticeKind uint8

// The notices.
const (
	NoticeNone NoticeKind = iota
	// NoticeBruteforce: one source had Config.BruteforceThreshold failed
	// logins within Config.BruteforceWindow (Zeek's FTP::Bruteforcing).
	NoticeBruteforce
	// NoticeBruteforceSuccess: a source noticed for brute force then
	// logged in within the window.
	NoticeBruteforceSuccess
	// NoticePasswordSpray: one source failed logins as
	// Config.SprayUsers or more distinct users within the window.
	NoticePasswordSpray
	// NoticeAnonymousWrite: an anonymous login stored, created, deleted or
	// renamed something, and the server went along (a 1yz, 2yz or 3yz).
	NoticeAnonymousWrite
	// NoticeSiteExec: SITE EXEC (runs a program on the server).
	NoticeSiteExec
	// NoticePortPrivileged: PORT/EPRT/LPRT naming a port below 1024.
	NoticePortPrivileged
	// NoticeFXP: PORT/EPRT/LPRT naming a host the client holds another
	// FTP session with: a server-to-server transfer.
	NoticeFXP
	// NoticeBounce: PORT/EPRT/LPRT naming a public third party (FTP bounce).
	NoticeBounce
	// NoticeCleartextCredentials: a password crossed between public
	// addresses on a control channel without TLS.
	NoticeCleartextCredentials
	// NoticeDistributedBruteforce: Config.DistributedSources or more
	// sources failed logins as one user within the window.
	NoticeDistributedBruteforce
)

var noticeKindNames = [...]string{"none", "bruteforce", "bruteforce-success", "password-spray", "anonymous-write",
	"site-exec", "port-privileged", "fxp", "bounce", "cleartext-credentials", "distributed-bruteforce"}

// String names the notice as a stable token.
func (k NoticeKind) String() string {
	if int(k) < len(noticeKindNames) {
		return noticeKindNames[k]
	}
	return "none"
}

// NoticeKinds lists every notice, in declaration order.
func NoticeKinds() []NoticeKind {
	out := make([]NoticeKind, 0, len(noticeKindNames)-1)
	for k := NoticeBruteforce; int(k) < len(noticeKindNames); k++ {
		out = append(out, k)
	}
	return out
}

// Notice is one finding a security team wants told, with the facts behind
// it (report writes the sentence). It belongs to the session whose event
// raised it: the last failed login of a brute force, the command.
type Notice struct {
	Kind NoticeKind
	Time time.Time
	// Source is the host the notice is about (the client).
	Source netip.Addr
	// Failures counts the failed logins from Source within the window that
	// began at First, against Servers servers; Users are the user names
	// tried (at most maxNoticeUsers), for the brute-force notices.
	Failures, Servers int
	First             time.Time
	Users             []string
	// Sources are the hosts that failed as User, for a distributed brute
	// force (at most maxNoticeUsers).
	Sources []netip.Addr
	// User is the login concerned (a success, an anonymous write, a
	// password sent in clear).
	User string
	// Verb and Arg are the command concerned; Code the server's reply;
	// Endpoint the endpoint a PORT named.
	Verb, Arg string
	Code      ftp.ReplyCode
	Endpoint  netip.AddrPort
}

// Bounds of the notice state.
const (
	// maxSessionNotices bounds a session's notices (more are counted in
	// Stats.EvictedNotices).
	maxSessionNotices = 32
	// maxNoticeUsers and maxSourceServers bound the distinct user names and
	// servers remembered per source.
	maxNoticeUsers   = 16
	maxSourceServers = 16
)

// The defaults of the brute-force notices: Zeek's (FTP::bruteforce_threshold
// 20 in FTP::bruteforce_measurement_interval 15 min), and ten users for a
// spray.
const (
	DefaultBruteforceThreshold = 20
	DefaultBruteforceWindow    = 15 * time.Minute
	DefaultSprayUsers          = 10
	DefaultMaxLoginSources     = 16384
	DefaultDistributedSources  = 10
)

// loginSource is what the brute-force notices remember of one client host.
type loginSource struct {
	lru.Links[loginSource]
	addr netip.Addr
	// fails are the times of its latest failed logins within the window
	// (at most the threshold), oldest first.
	fails []time.Time
	// total counts its failures since the window began at first.
	total   int
	first   time.Time
	servers []netip.Addr
	users   []string
	// bruteUntil and sprayUntil: a notice was raised; no other until then.
	// successDone: the success after this brute force was told.
	bruteUntil, sprayUntil time.Time
	successDone            bool
}

var loginSourceCost = int64(unsafe.Sizeof(loginSource{})) + mapSlot

// loginUser is what the distributed brute-force notice remembers of one
// user name: the sources that failed as it, with the time of each one's
// latest failure, oldest first.
type loginUser struct {
	lru.Links[loginUser]
	name    string
	sources []netip.Addr
	last    []time.Time
	first   time.Time
	until   time.Time // a notice was raised; no other until then
}

// notices holds the Analyzer's state across sessions for the notices.
type notices struct {
	sources map[netip.Addr]*loginSource
	lru     lru.List[loginSource, *loginSource]
	users   map[string]*loginUser
	ulru    lru.List[loginUser, *loginUser]
}

// notice gives a session a notice.
func (a *Analyzer) notice(st *sessionState, n Notice) {
	au := a.audit(st)
	a.stats.Notices[n.Kind]++
	if len(au.Notices) >= maxSessionNotices {
		a.stats.EvictedNotices++
		return
	}
	if n.Source == (netip.Addr{}) {
		n.Source = st.s.Client.Addr()
	}
	au.Notices = append(au.Notices, n)
	if a.sink.Notice != nil {
		a.sink.Notice(st.s, &au.Notices[len(au.Notices)-1])
	}
	cost := int64(unsafe.Sizeof(n)) + strCost(n.User) + strCost(n.Verb) + strCost(n.Arg) + int64(len(n.Sources))*24
	for _, u := range n.Users {
		cost += strCost(u) + 16
	}
	a.charge(st.s, cost)
}

// hasNotice reports whether the session already has a notice of kind k.
func hasNotice(s *Session, k NoticeKind) bool {
	if s.Audit == nil {
		return false
	}
	for i := range s.Audit.Notices {
		if s.Audit.Notices[i].Kind == k {
			return true
		}
	}
	return false
}

// source returns the state of a client host, made (and the least recently
// active one forgotten, counted, past Config.MaxLoginSources) on first use.
func (a *Analyzer) source(addr netip.Addr) *loginSource {
	ns := &a.notes
	if ns.sources == nil {
		ns.sources = make(map[netip.Addr]*loginSource)
	}
	if src := ns.sources[addr]; src != nil {
		ns.lru.Touch(src)
		return src
	}
	if len(ns.sources) >= a.cfg.MaxLoginSources {
		if old := ns.lru.Back(); old != nil {
			ns.lru.Remove(old)
			delete(ns.sources, old.addr)
			a.stats.EvictedLoginSources++
		}
	}
	src := &loginSource{addr: addr}
	ns.sources[addr] = src
	ns.lru.PushFront(src)
	return src
}

// window drops the failures that left the window before t.
func (a *Analyzer) window(src *loginSource, t time.Time) {
	cut := t.Add(-a.cfg.BruteforceWindow)
	i := 0
	for i < len(src.fails) && src.fails[i].Before(cut) {
		i++
	}
	if i > 0 {
		src.fails = append(src.fails[:0], src.fails[i:]...)
	}
	if len(src.fails) == 0 {
		src.total, src.servers, src.users, src.first = 0, src.servers[:0], src.users[:0], time.Time{}
	}
}

// loginFailed counts a refused login from the session's client and raises
// the brute-force and spray notices when they hold.
func (a *Analyzer) loginFailed(st *sessionState, user string, t time.Time) {
	s := st.s
	src := a.source(s.Client.Addr())
	a.window(src, t)
	if len(src.fails) == 0 {
		src.first = t
	}
	if len(src.fails) >= a.cfg.BruteforceThreshold {
		src.fails = append(src.fails[:0], src.fails[1:]...)
	}
	src.fails = append(src.fails, t)
	src.total++
	if server := s.Server.Addr(); !containsAddr(src.servers, server) && len(src.servers) < maxSourceServers {
		src.servers = append(src.servers, server)
	}
	if !containsStr(src.users, user) && len(src.users) < maxNoticeUsers {
		src.users = append(src.users, strings.Clone(user))
	}
	n := Notice{Time: t, Source: s.Client.Addr(), Failures: src.total, Servers: len(src.servers), First: src.first,
		Users: append([]string(nil), src.users...)}
	if len(src.fails) >= a.cfg.BruteforceThreshold && !t.Before(src.bruteUntil) {
		n.Kind = NoticeBruteforce
		a.notice(st, n)
		src.bruteUntil, src.successDone = t.Add(a.cfg.BruteforceWindow), false
	}
	if len(src.users) >= a.cfg.SprayUsers && !t.Before(src.sprayUntil) {
		n.Kind = NoticePasswordSpray
		a.notice(st, n)
		src.sprayUntil = t.Add(a.cfg.BruteforceWindow)
	}
	a.userFailed(st, user, t)
}

// userFailed counts a refused login as user from the session's client
// and raises distributed-bruteforce when enough sources failed as it
// within the window. The users remembered are bounded like the sources.
func (a *Analyzer) userFailed(st *sessionState, user string, t time.Time) {
	ns := &a.notes
	if ns.users == nil {
		ns.users = make(map[string]*loginUser)
	}
	u := ns.users[user]
	if u == nil {
		if len(ns.users) >= a.cfg.MaxLoginSources {
			if old := ns.ulru.Back(); old != nil {
				ns.ulru.Remove(old)
				delete(ns.users, old.name)
				a.stats.EvictedLoginSources++
			}
		}
		u = &loginUser{name: strings.Clone(user)}
		ns.users[u.name] = u
		ns.ulru.PushFront(u)
	} else {
		ns.ulru.Touch(u)
	}
	cut := t.Add(-a.cfg.BruteforceWindow)
	keep := 0
	src := st.s.Client.Addr()
	for i := range u.sources {
		if !u.last[i].Before(cut) && u.sources[i] != src {
			u.sources[keep], u.last[keep] = u.sources[i], u.last[i]
			keep++
		}
	}
	u.sources, u.last = u.sources[:keep], u.last[:keep]
	if len(u.sources) >= maxNoticeUsers {
		u.sources, u.last = append(u.sources[:0], u.sources[1:]...), append(u.last[:0], u.last[1:]...)
	}
	u.sources, u.last = append(u.sources, src), append(u.last, t)
	u.first = u.last[0]
	if len(u.sources) >= a.cfg.DistributedSources && !t.Before(u.until) {
		u.until = t.Add(a.cfg.BruteforceWindow)
		a.notice(st, Notice{Kind: NoticeDistributedBruteforce, Time: t, User: u.name, First: u.first,
			Sources: append([]netip.Addr(nil), u.sources...), Failures: len(u.sources)})
	}
}

// loginSucceeded raises bruteforce-success when the session's client was
// noticed for brute force within the window.
func (a *Analyzer) loginSucceeded(st *sessionState, user string, t time.Time) {
	src := a.notes.sources[st.s.Client.Addr()]
	if src == nil || src.successDone || src.bruteUntil.IsZero() || !t.Before(src.bruteUntil) {
		return
	}
	src.successDone = true
	a.notice(st, Notice{Kind: NoticeBruteforceSuccess, Time: t, User: user, Failures: src.total, Servers: len(src.servers),
		First: src.first, Users: append([]string(nil), src.users...)})
}

// noticeCommand raises the notices a command itself holds: SITE EXEC, and a
// password sent in clear between public addresses.
func (a *Analyzer) noticeCommand(st *sessionState, verb, arg string, t time.Time) {
	s := st.s
	switch verb {
	case "SITE":
		if w, _, _ := strings.Cut(strings.TrimSpace(arg), " "); strings.EqualFold(w, "EXEC") {
			a.notice(st, Notice{Kind: NoticeSiteExec, Time: t, Verb: verb, Arg: arg, User: s.User})
		}
	case "PASS":
		if !s.TLS && !ftp.IsAnonymous(s.User) && !isPrivate(s.Client.Addr()) && !isPrivate(s.Server.Addr()) &&
			!hasNotice(s, NoticeCleartextCredentials) {
			a.notice(st, Notice{Kind: NoticeCleartextCredentials, Time: t, User: s.User, Verb: verb})
		}
	}
}

// noticeWrite raises anonymous-write when an anonymous login's command that
// changes files got its first positive reply.
func (a *Analyzer) noticeWrite(st *sessionState, r *CommandRecord, code ftp.ReplyCode, t time.Time) {
	au := st.s.Audit
	if r.Risk == ftp.NoRisk || r.Risk == ftp.Site || r.Code != 0 || !au.Login.Anonymous || au.Login.Outcome != LoginSuccess {
		return
	}
	if c := code.Class(); c != ftp.Preliminary && c != ftp.Completion && c != ftp.Intermediate {
		return
	}
	a.notice(st, Notice{Kind: NoticeAnonymousWrite, Time: t, User: au.Login.User, Verb: r.Verb, Arg: r.Arg, Code: code})
}

// noticePort raises the notices of an active announcement: a privileged
// port, a host the client holds another FTP session with (FXP), a public
// third party (bounce).
func (a *Analyzer) noticePort(st *sessionState, verb string, ep netip.AddrPort, thirdParty, privileged bool, t time.Time) {
	client := st.s.Client.Addr()
	if privileged {
		a.notice(st, Notice{Kind: NoticePortPrivileged, Time: t, Verb: verb, Endpoint: ep})
	}
	switch {
	case !sameAddr(ep.Addr(), client) && a.hosts.held(client, ep.Addr()):
		a.notice(st, Notice{Kind: NoticeFXP, Time: t, Verb: verb, Endpoint: ep})
	case thirdParty:
		a.notice(st, Notice{Kind: NoticeBounce, Time: t, Verb: verb, Endpoint: ep})
	}
}

func containsStr(list []string, x string) bool {
	for _, s := range list {
		if s == x {
			return true
		}
	}
	return false
}
