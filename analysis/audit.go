package analysis

import (
	"time"
	"unsafe"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// LoginOutcome is how a session's login ended.
type LoginOutcome uint8

// The outcomes.
const (
	// LoginNone: no login was tried, or none was answered.
	LoginNone LoginOutcome = iota
	// LoginSuccess: the server accepted a login (230, or 202 to PASS).
	LoginSuccess
	// LoginFailure: every answered login was refused (530, 4yz, 5yz).
	LoginFailure
)

var loginOutcomeNames = [...]string{"none", "success", "failure"}

// String returns "none", "success" or "failure".
func (o LoginOutcome) String() string {
	if int(o) < len(loginOutcomeNames) {
		return loginOutcomeNames[o]
	}
	return "none"
}

// LoginAttempt is one USER (and the PASS or ACCT after it) and the reply
// that settled it.
type LoginAttempt struct {
	// Time is when the USER was sent (the PASS, when no USER came first).
	Time time.Time
	// User is the USER argument (cut to StoredMax bytes).
	User string
	// Password is the PASS argument, kept only with Config.ShowPasswords;
	// PasswordSent says a PASS was sent, shown or not.
	Password     string
	PasswordSent bool
	// Code is the last reply to the attempt (331 while it waits for a
	// password; 0 when none came); Outcome what it meant.
	Code    ftp.ReplyCode
	Outcome LoginOutcome
}

// Login sums up a session's logins.
type Login struct {
	// User is the user of the accepted login, else the last one tried.
	User string
	// Outcome is success once any login was accepted, failure when all
	// answered ones were refused, none otherwise.
	Outcome LoginOutcome
	// Anonymous says User is a guest name (anonymous, ftp, ftpuser, guest).
	Anonymous bool
	// Time is when the login was accepted (zero unless Outcome is success).
	Time time.Time
	// Attempts are the first maxLoginAttempts attempts; AttemptsDropped
	// counts those after; Failures counts every refused attempt.
	Attempts        []LoginAttempt
	AttemptsDropped int
	Failures        int
}

// CommandRecord is one command of a session's command log.
type CommandRecord struct {
	// Time is when the command was sent.
	Time time.Time
	// Verb is the command, upper-case; Arg its argument (PASS's is
	// ftp.Redacted unless Config.ShowPasswords), cut to StoredMax bytes,
	// and ArgLen the argument's length on the wire.
	Verb, Arg string
	// ReplyText is the first line of the last reply to the command, Code
	// (below) its code. The small fields come last, together: a record is
	// 80 bytes, not the 88 their padding took between the strings.
	ReplyText string
	ArgLen    int32
	// Code is the last reply to the command (the 226 after a 150; 0 when
	// none came).
	Code ftp.ReplyCode
	// Risk marks commands that change the server's files (ftp.RiskOf).
	Risk ftp.Risk
	// Overwrite marks a STOR to a path that a listing earlier in the
	// session showed as a file (with its size): it replaces a file the
	// client had seen, not a new one.
	Overwrite bool
}

// Audit is what a session's client did: its logins and its commands.
type Audit struct {
	Login Login
	// Commands are the session's first Config.MaxExchanges commands, in
	// order; CommandsDropped counts those after.
	Commands        []CommandRecord
	CommandsDropped int
	// Notices are the session's notices, in order (notice.go).
	Notices []Notice
}

// maxLoginAttempts bounds a session's listed login attempts: a brute force
// over one control connection must not grow it (the failures stay counted).
const maxLoginAttempts = 64

// What the audit is counted for in the memory budget, without its strings.
var (
	auditCost        = int64(unsafe.Sizeof(Audit{}))
	commandCost      = int64(unsafe.Sizeof(CommandRecord{}))
	loginAttemptCost = int64(unsafe.Sizeof(LoginAttempt{}))
)

// audit returns the session's Audit, made on first use.
func (a *Analyzer) audit(st *sessionState) *Audit {
	if st.s.Audit == nil {
		st.s.Audit = &Audit{}
		a.charge(st.s, auditCost)
	}
	return st.s.Audit
}

// markOverwrite marks the STOR recorded at Commands[i] when a listing
// earlier in the session showed a file where it stores (the listed sizes
// the ledger keeps, bounded by maxListedSizes).
func (a *Analyzer) markOverwrite(st *sessionState, i int, arg string) {
	x := a.xfer(st)
	p, relative := x.resolve(arg)
	if _, ok := x.listedSizes[p]; ok && p != "" && !relative {
		st.s.Audit.Commands[i].Overwrite = true
	}
}

// auditCommand records a command in the session's audit and ties the
// awaited command p to its record and login attempt.
func (a *Analyzer) auditCommand(st *sessionState, p *pending, verb, arg string, argLen int, t time.Time) {
	au := a.audit(st)
	s := st.s
	if len(au.Commands) < a.cfg.MaxExchanges {
		v, _ := a.stored(verb)
		au.Commands = append(au.Commands, CommandRecord{Time: t, Verb: v, Arg: arg, ArgLen: int32(argLen), Risk: ftp.RiskOf(verb)})
		p.rec = int32(len(au.Commands))
		a.charge(s, commandCost+strCost(arg)+strCost(v))
	} else {
		au.CommandsDropped++
		a.stats.EvictedCommands++
	}
	a.noticeCommand(st, verb, arg, t)
	l := &au.Login
	switch verb {
	case "USER":
		p.login = a.newLoginAttempt(st, LoginAttempt{Time: t, User: arg})
	case "PASS", "ACCT":
		n := len(l.Attempts)
		if n > 0 && l.AttemptsDropped == 0 && l.Attempts[n-1].Outcome == LoginNone && (verb == "ACCT" || !l.Attempts[n-1].PasswordSent) {
			p.login = int32(n)
		} else {
			p.login = a.newLoginAttempt(st, LoginAttempt{Time: t, User: s.User})
		}
		if p.login != 0 && verb == "PASS" {
			at := &l.Attempts[p.login-1]
			at.PasswordSent = true
			if a.cfg.ShowPasswords {
				a.charge(s, strCost(arg)-strCost(at.Password))
				at.Password = arg
			}
		}
	}
}

// newLoginAttempt lists a login attempt and returns its place plus one, or
// -1 when the list is full (the attempt is then counted, not listed, and
// its reply still judged).
func (a *Analyzer) newLoginAttempt(st *sessionState, at LoginAttempt) int32 {
	l := &st.s.Audit.Login
	if len(l.Attempts) >= maxLoginAttempts {
		l.AttemptsDropped++
		a.stats.EvictedLoginAttempts++
		return -1
	}
	l.Attempts = append(l.Attempts, at)
	a.charge(st.s, loginAttemptCost+strCost(at.User))
	return int32(len(l.Attempts))
}

// auditReply records a reply to an awaited command in its command record
// and, for USER, PASS and ACCT, in the login.
func (a *Analyzer) auditReply(st *sessionState, p *pending, code ftp.ReplyCode, text string, t time.Time) {
	au := st.s.Audit
	if au == nil {
		return
	}
	if p.rec > 0 {
		r := &au.Commands[p.rec-1]
		a.noticeWrite(st, r, code, t)
		line := firstLine(text)
		a.charge(st.s, strCost(line)-strCost(r.ReplyText))
		r.Code, r.ReplyText = code, line
	}
	if p.login == 0 {
		return
	}
	var at *LoginAttempt
	if p.login > 0 {
		at = &au.Login.Attempts[p.login-1]
	}
	l := &au.Login
	switch ftp.JudgeLogin(p.verb, code) {
	case ftp.LoginAccepted:
		user := st.s.User
		if at != nil {
			at.Code, at.Outcome = code, LoginSuccess
			user = at.User
		}
		l.Outcome, l.Time = LoginSuccess, p.when(st.s)
		a.loginUser(st, user)
		a.loginSucceeded(st, user, t)
	case ftp.LoginRefused:
		l.Failures++
		user := st.s.User
		if at != nil {
			at.Code, at.Outcome = code, LoginFailure
			user = at.User
		}
		if l.Outcome != LoginSuccess {
			l.Outcome = LoginFailure
			a.loginUser(st, user)
		}
		a.loginFailed(st, user, t)
	default:
		if at != nil {
			at.Code = code
		}
	}
	p.login = 0 // a later reply (after a 1yz) judges nothing more
}

// loginUser sets the login's user.
func (a *Analyzer) loginUser(st *sessionState, user string) {
	l := &st.s.Audit.Login
	// User strings come from the attempts or the session: shared, not copied.
	l.User, l.Anonymous = user, ftp.IsAnonymous(user)
}
