package analysis

import (
	"fmt"
	"testing"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// TestAuditLogin: failed logins then a success, each USER/PASS pair with
// the reply that settled it; the password is redacted, the outcome success.
func TestAuditLogin(t *testing.T) {
	h := newHarness(t, "192.0.2.10:40000", "198.51.100.20:21", Config{Audit: true})
	h.rep(0, "220 ready")
	sec := 1.0
	for i := range 25 {
		h.cmd(sec, fmt.Sprintf("USER user%d", i))
		h.rep(sec+0.01, "331 Password required")
		h.cmd(sec+0.02, "PASS secret")
		h.rep(sec+0.03, "530 Login incorrect")
		sec++
	}
	h.cmd(sec, "USER alice")
	h.rep(sec+0.01, "331 Password required")
	h.cmd(sec+0.02, "PASS right")
	h.rep(sec+0.03, "230 Logged in")
	h.cmd(sec+1, "DELE old.txt")
	h.rep(sec+1.01, "250 Deleted")
	h.cmd(sec+2, "SITE CHMOD 777 x")
	h.rep(sec+2.01, "200 ok")
	h.cmd(sec+3, "RETR x")
	h.rep(sec+3.01, "150 Opening")
	h.rep(sec+3.02, "226 Done")
	s := h.finish(sec + 10)
	au := s.Audit
	if au == nil {
		t.Fatal("no audit")
	}
	l := au.Login
	if l.Outcome != LoginSuccess || l.User != "alice" || l.Anonymous || l.Failures != 25 || len(l.Attempts) != 26 {
		t.Fatalf("login %+v", l)
	}
	for i, at := range l.Attempts[:25] {
		if at.User != fmt.Sprintf("user%d", i) || at.Code != 530 || at.Outcome != LoginFailure || !at.PasswordSent || at.Password != "" {
			t.Errorf("attempt %d: %+v", i, at)
		}
	}
	if at := l.Attempts[25]; at.Code != 230 || at.Outcome != LoginSuccess {
		t.Errorf("last attempt %+v", at)
	}
	if !l.Time.Equal(h.at(sec + 0.02)) {
		t.Errorf("login time %v", l.Time)
	}
	if n := len(au.Commands); n != 55 {
		t.Fatalf("%d commands, want 55", n)
	}
	pass := au.Commands[1]
	if pass.Verb != "PASS" || pass.Arg != ftp.Redacted || pass.Code != 530 {
		t.Errorf("PASS record %+v", pass)
	}
	for _, tc := range []struct {
		i    int
		verb string
		code ftp.ReplyCode
		risk ftp.Risk
	}{{52, "DELE", 250, ftp.Delete}, {53, "SITE", 200, ftp.Site}, {54, "RETR", 226, ftp.NoRisk}} {
		c := au.Commands[tc.i]
		if c.Verb != tc.verb || c.Code != tc.code || c.Risk != tc.risk {
			t.Errorf("command %d: %+v", tc.i, c)
		}
	}
	for _, c := range au.Commands {
		if c.Arg == "secret" || c.Arg == "right" {
			t.Errorf("a password is kept: %+v", c)
		}
	}
}

// TestAuditBounds: the command log stops at MaxExchanges and the login
// attempts at maxLoginAttempts, each counting the rest; the outcome is still
// judged past the list.
func TestAuditBounds(t *testing.T) {
	h := newHarness(t, "192.0.2.10:40000", "198.51.100.20:21", Config{Audit: true, MaxExchanges: 10})
	h.rep(0, "220 ready")
	for i := range maxLoginAttempts + 5 {
		sec := float64(i + 1)
		h.cmd(sec, "USER anonymous")
		h.rep(sec+0.01, "530 no")
	}
	h.cmd(200, "USER ftp")
	h.rep(200.01, "230 welcome")
	s := h.finish(300)
	au := s.Audit
	if len(au.Commands) != 10 || au.CommandsDropped != maxLoginAttempts+5+1-10 {
		t.Errorf("%d commands listed, %d dropped", len(au.Commands), au.CommandsDropped)
	}
	if st := h.a.Stats(); st.EvictedCommands != uint64(au.CommandsDropped) || st.EvictedLoginAttempts != 6 {
		t.Errorf("stats count %d commands and %d attempts evicted", st.EvictedCommands, st.EvictedLoginAttempts)
	}
	l := au.Login
	if len(l.Attempts) != maxLoginAttempts || l.AttemptsDropped != 6 || l.Failures != maxLoginAttempts+5 {
		t.Errorf("%d attempts listed, %d dropped, %d failures", len(l.Attempts), l.AttemptsDropped, l.Failures)
	}
	if l.Outcome != LoginSuccess || l.User != "ftp" || !l.Anonymous {
		t.Errorf("login %s as %q (anonymous %v)", l.Outcome, l.User, l.Anonymous)
	}
}

// TestAuditOff: without Config.Audit a session keeps no audit.
func TestAuditOff(t *testing.T) {
	h := newHarness(t, "192.0.2.10:40000", "198.51.100.20:21", Config{})
	h.rep(0, "220 ready")
	h.cmd(1, "USER alice")
	h.rep(1.01, "230 ok")
	if s := h.finish(10); s.Audit != nil {
		t.Errorf("audit kept: %+v", s.Audit)
	}
}

// TestAuditFailureOnly: refused logins and no success give failure; a
// session with no login gives none.
func TestAuditFailureOnly(t *testing.T) {
	h := newHarness(t, "192.0.2.10:40000", "198.51.100.20:21", Config{Audit: true})
	h.rep(0, "220 ready")
	h.cmd(1, "USER bob")
	h.rep(1.01, "331 pw")
	h.cmd(2, "PASS x")
	h.rep(2.01, "530 no")
	h.cmd(3, "QUIT")
	h.rep(3.01, "221 bye")
	s := h.finish(10)
	if l := s.Audit.Login; l.Outcome != LoginFailure || l.User != "bob" || l.Failures != 1 {
		t.Errorf("login %+v", l)
	}
	h = newHarness(t, "192.0.2.10:40001", "198.51.100.20:21", Config{Audit: true})
	h.rep(0, "220 ready")
	h.cmd(1, "SYST")
	h.rep(1.01, "215 UNIX")
	s = h.finish(10)
	if l := s.Audit.Login; l.Outcome != LoginNone || len(l.Attempts) != 0 {
		t.Errorf("login %+v", l)
	}
}
