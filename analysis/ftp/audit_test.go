package ftp

import "testing"

func TestRiskOf(t *testing.T) {
	for verb, want := range map[string]Risk{"DELE": Delete, "RMD": Delete, "RNFR": Rename, "RNTO": Rename, "MKD": Write,
		"STOR": Write, "APPE": Write, "SITE": Site, "RETR": NoRisk, "LIST": NoRisk, "CWD": NoRisk, "dele": NoRisk} {
		if got := RiskOf(verb); got != want {
			t.Errorf("RiskOf(%q) = %v, want %v", verb, got, want)
		}
	}
}

func TestIsAnonymous(t *testing.T) {
	for user, want := range map[string]bool{"anonymous": true, "FTP": true, "Guest": true, "ftpuser": true, "alice": false, "": false, "anonymous2": false} {
		if IsAnonymous(user) != want {
			t.Errorf("IsAnonymous(%q) = %v", user, !want)
		}
	}
}

func TestJudgeLogin(t *testing.T) {
	for _, tc := range []struct {
		verb string
		code ReplyCode
		want LoginReply
	}{
		{"USER", 331, LoginPending}, {"USER", 230, LoginAccepted}, {"USER", 530, LoginRefused}, {"USER", 202, LoginPending},
		{"PASS", 230, LoginAccepted}, {"PASS", 202, LoginAccepted}, {"PASS", 530, LoginRefused}, {"PASS", 421, LoginRefused},
		{"PASS", 332, LoginPending}, {"PASS", 503, LoginRefused}, {"ACCT", 230, LoginAccepted},
	} {
		if got := JudgeLogin(tc.verb, tc.code); got != tc.want {
			t.Errorf("JudgeLogin(%s, %d) = %d, want %d", tc.verb, tc.code, got, tc.want)
		}
	}
}
