package ftp

import (
	"slices"
	"strings"
	"testing"
)

// TestVerbClasses pins every verb's class, written out independently of the table.
func TestVerbClasses(t *testing.T) {
	cases := []struct {
		verbs string
		class VerbClass
	}{
		{"USER PASS ACCT", LoginVerb},
		{"PORT EPRT LPRT", ActiveSetup},
		{"PASV EPSV LPSV", PassiveSetup},
		{"RETR STOR STOU APPE LIST NLST MLSD", TransferVerb},
		{"AUTH ADAT", SecurityVerb},
		{"QUIT REIN", QuitVerb},
		{"ABOR", AbortVerb},
		{"CWD CDUP TYPE MODE STRU REST RNFR RNTO DELE MKD RMD PWD SIZE MDTM MLST FEAT OPTS SYST NOOP SITE HELP STAT PROT PBSZ CCC FROB retr", OtherVerb},
	}
	listed := 0
	for _, c := range cases {
		for _, v := range strings.Fields(c.verbs) {
			got := Verb(v)
			if got.Class != c.class {
				t.Errorf("Verb(%q).Class = %s, want %s", v, got.Class, c.class)
			}
			if got.Name != v {
				t.Errorf("Verb(%q).Name = %q", v, got.Name)
			}
			if got.IsSetup() != (c.class == ActiveSetup || c.class == PassiveSetup) || IsDataSetup(v) != got.IsSetup() {
				t.Errorf("%s: IsSetup %v, IsDataSetup %v", v, got.IsSetup(), IsDataSetup(v))
			}
			if IsTransfer(v) != (c.class == TransferVerb) {
				t.Errorf("IsTransfer(%q) = %v", v, IsTransfer(v))
			}
			if c.class != OtherVerb {
				listed++
			}
		}
	}
	// Every verb of the table is pinned above.
	if listed != len(verbTable) {
		t.Errorf("%d verbs pinned, the table has %d", listed, len(verbTable))
	}
	for _, v := range verbTable {
		if v.Name != strings.ToUpper(v.Name) || v.Class == OtherVerb {
			t.Errorf("table entry %+v: not upper-case or without a class", v)
		}
	}
}

// TestAnnouncements pins which reply carries each passive verb's endpoint.
func TestAnnouncements(t *testing.T) {
	want := map[string]ReplyCode{"PASV": 227, "LPSV": 228, "EPSV": 229}
	for _, v := range verbTable {
		if got := v.Announcement; got != want[v.Name] {
			t.Errorf("%s: announcement %d, want %d", v.Name, got, want[v.Name])
		}
	}
	for c := ReplyCode(100); c < 600; c++ {
		if Announces(c) != (c == 227 || c == 228 || c == 229) {
			t.Errorf("Announces(%d) = %v", c, Announces(c))
		}
	}
}

// TestReplyRules pins, for every reply rule, the verbs that can take each
// code: the reserved codes go only to their commands, the others by class.
func TestReplyRules(t *testing.T) {
	const (
		transfers = "RETR STOR STOU APPE LIST NLST MLSD "
		passive   = "PASV LPSV EPSV "
		// Verbs that take any code no verb owns.
		anyCode = "USER PASS ACCT PORT EPRT LPRT AUTH ADAT REIN ABOR CWD FROB "
	)
	all := strings.Fields(transfers + passive + anyCode + "QUIT")
	cases := []struct {
		codes string
		takes string // the verbs (of all) that can take each code
		why   string
	}{
		{"125 150 425 451", transfers, "about the data connection: transfers only"},
		{"226 426", transfers + "ABOR", "closing a transfer, also the one ABOR ends"},
		{"227 228 229", passive, "passive announcements describe themselves"},
		{"234 334", "AUTH ADAT", "RFC 2228 security exchange"},
		{"221", "QUIT REIN", "closing the login"},
		{"331 332", "USER", "password or account needed"},
		{"230", "USER PASS ACCT", "logged in"},
		{"200 257 211 213", passive + anyCode, "completion: not a transfer, not QUIT"},
		{"250", transfers + passive + anyCode, "a transfer may end in 250"},
		{"350 110 120", anyCode, "1yz and 3yz answer neither a transfer nor a passive setup, nor QUIT"},
		{"421 450 452 500 501 502 503 530 550 553", strings.Join(all, " "), "every command can fail"},
	}
	for _, c := range cases {
		want := strings.Fields(c.takes)
		for _, f := range strings.Fields(c.codes) {
			var code ReplyCode
			for _, d := range f {
				code = code*10 + ReplyCode(d-'0')
			}
			for _, v := range all {
				if got := Verb(v).Takes(code); got != slices.Contains(want, v) {
					t.Errorf("%s takes %d: %v, want %v (%s)", v, code, got, !got, c.why)
				}
			}
		}
	}
}
