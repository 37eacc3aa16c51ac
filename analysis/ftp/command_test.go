package ftp

import (
	"errors"
	"strings"
	"testing"
)

// commandCases is shared by TestParseCommand and the FuzzParseCommand seeds.
var commandCases = []struct {
	name    string
	line    string
	want    Command
	wantErr bool
}{
	// RFC 959 5.3.1 forms.
	{"user", "USER anonymous", Command{"USER", "anonymous"}, false},
	{"no argument", "PASV", Command{"PASV", ""}, false},
	{"port", "PORT 10,0,0,1,4,1", Command{"PORT", "10,0,0,1,4,1"}, false},
	{"lower-case verb is upper-cased (RFC 959 5.3: case-insensitive)", "retr file.txt", Command{"RETR", "file.txt"}, false},
	{"mixed case", "ePsV ALL", Command{"EPSV", "ALL"}, false},
	{"trailing CRLF tolerated", "NOOP\r\n", Command{"NOOP", ""}, false},
	{"trailing CR only", "CWD /pub\r", Command{"CWD", "/pub"}, false},
	{"bare LF", "TYPE I\n", Command{"TYPE", "I"}, false},
	{"argument kept as written, spaces included", "STOR  name with spaces ", Command{"STOR", " name with spaces "}, false},
	{"TAB separator", "DELE\tfile", Command{"DELE", "file"}, false},
	{"verb then one space, empty argument", "LIST ", Command{"LIST", ""}, false},
	{"RFC 775 X-command", "XMKD newdir", Command{"XMKD", "newdir"}, false},
	{"RFC 2228", "AUTH TLS", Command{"AUTH", "TLS"}, false},
	{"RFC 2428 EPRT", "EPRT |2|1080::8:800:200C:417A|5282|", Command{"EPRT", "|2|1080::8:800:200C:417A|5282|"}, false},
	{"SITE with spaces", "SITE CHMOD 755 a b", Command{"SITE", "CHMOD 755 a b"}, false},
	{"unknown verb is still a command", "frobnicate x", Command{"FROBNICATE", "x"}, false},
	// Serv-U and FileZilla Server hash extensions end in digits.
	{"hash extension XSHA1", "XSHA1 /pub/f", Command{"XSHA1", "/pub/f"}, false},
	{"hash extension lower-case xsha256", "xsha256 f", Command{"XSHA256", "f"}, false},
	{"unknown verb with digits", "RETR2 x", Command{"RETR2", "x"}, false},
	{"16 letters is the limit", "ABCDEFGHIJKLMNOP x", Command{"ABCDEFGHIJKLMNOP", "x"}, false},
	{"password kept for the caller to redact", "PASS s3cr3t", Command{"PASS", "s3cr3t"}, false},
	{"argument with CR inside is kept", "RETR a\rb", Command{"RETR", "a\rb"}, false},
	{"non-ASCII argument", "RETR caf\xc3\xa9", Command{"RETR", "caf\xc3\xa9"}, false},
	// RFC 959 4.1.3: IAC IP, then the Synch (IAC DM) before ABOR.
	{"telnet IP and DM before ABOR", "\xff\xf4\xff\xf2ABOR", Command{"ABOR", ""}, false},
	{"telnet IP and DM before ABOR with CRLF", "\xff\xf4\xff\xf2ABOR\r\n", Command{"ABOR", ""}, false},
	{"telnet IP only before STAT", "\xff\xf4STAT", Command{"STAT", ""}, false},
	{"telnet option negotiation (IAC DO ECHO) skipped", "\xff\xfd\x01NOOP", Command{"NOOP", ""}, false},

	{"empty line", "", Command{}, true},
	{"CRLF only", "\r\n", Command{}, true},
	{"leading space", " USER bob", Command{}, true},
	{"starts with a digit (a reply sent the wrong way)", "220 ready", Command{}, true},
	{"verb with a digit inside", "RE2TR x", Command{}, true},
	{"verb glued to a letter after digits", "XSHA1A x", Command{}, true},
	{"verb glued to punctuation", "USER:bob", Command{}, true},
	{"17 letters", "ABCDEFGHIJKLMNOPQ", Command{}, true},
	{"17 bytes with digits", "ABCDEFGHIJKLMNO12", Command{}, true},
	{"telnet bytes only", "\xff\xf4\xff\xf2", Command{}, true},
	{"truncated telnet option", "\xff\xfd", Command{}, true},
	{"escaped IAC data byte is not a letter", "\xff\xffABOR", Command{}, true},
	{"TLS record (client hello) on the control port", "\x16\x03\x01\x02\x00\x01", Command{}, true},
	{"non-ASCII letter", "\xc3\xa9TAT", Command{}, true},
}

func TestParseCommand(t *testing.T) {
	for _, tc := range commandCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand([]byte(tc.line))
			if tc.wantErr {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("ParseCommand(%q) = %+v, %v; want a *SyntaxError", tc.line, got, err)
				}
				if got != (Command{}) {
					t.Errorf("ParseCommand(%q) got %+v with an error, want the zero Command", tc.line, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCommand(%q): got error %v, want %+v", tc.line, err, tc.want)
			}
			if got != tc.want {
				t.Errorf("ParseCommand(%q): got %+v, want %+v", tc.line, got, tc.want)
			}
		})
	}
}

// TestParseCommandDoesNotAlias checks that the Command owns its strings: the
// reassembly buffer the line came from is reused for the next line.
func TestParseCommandDoesNotAlias(t *testing.T) {
	buf := []byte("frob argument")
	c, err := ParseCommand(buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'X'
	}
	if c.Verb != "FROB" || c.Arg != "argument" {
		t.Errorf("after reusing the buffer got %+v, want {FROB argument}", c)
	}
}

// TestParseCommandAllocs guards the per-line cost: a standard verb without an
// argument allocates nothing, with an argument only the argument.
func TestParseCommandAllocs(t *testing.T) {
	for _, tc := range []struct {
		line string
		want float64
	}{
		{"PASV", 0},
		{"epsv", 0},
		{"RETR /pub/file.txt", 1},
	} {
		line := []byte(tc.line)
		got := testing.AllocsPerRun(100, func() {
			if _, err := ParseCommand(line); err != nil {
				t.Fatal(err)
			}
		})
		if got != tc.want {
			t.Errorf("ParseCommand(%q): got %v allocations, want %v", tc.line, got, tc.want)
		}
	}
}

func TestSyntaxError(t *testing.T) {
	long := strings.Repeat("A", 300) + "\r\n"
	_, err := ParseCommand([]byte(long))
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *SyntaxError", err)
	}
	if len(se.Input) != maxErrorInput {
		t.Errorf("got Input of %d bytes, want it cut to %d", len(se.Input), maxErrorInput)
	}
	want := `command verb longer than 16 bytes: "` + strings.Repeat("A", 64) + `"`
	if got := err.Error(); got != want {
		t.Errorf("got message %q, want %q", got, want)
	}
	// A wrapped error is still found by errors.As.
	wrapped := errors.Join(errors.New("line 7"), err)
	if !errors.As(wrapped, &se) {
		t.Errorf("errors.As through a wrapper failed")
	}
	short := &SyntaxError{What: "bad", Input: "x\x00"}
	if got, want := short.Error(), `bad: "x\x00"`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIsTransferAndIsDataSetup(t *testing.T) {
	transfer := map[string]bool{"RETR": true, "STOR": true, "STOU": true, "APPE": true, "LIST": true, "NLST": true, "MLSD": true}
	setup := map[string]bool{"PORT": true, "EPRT": true, "LPRT": true, "PASV": true, "EPSV": true, "LPSV": true}
	for _, v := range []string{"RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD", "PORT", "EPRT", "LPRT",
		"PASV", "EPSV", "LPSV", "MLST", "USER", "ABOR", "retr", "pasv", "", "REST", "SIZE"} {
		if got := IsTransfer(v); got != transfer[v] {
			t.Errorf("IsTransfer(%q): got %v, want %v", v, got, transfer[v])
		}
		if got := IsDataSetup(v); got != setup[v] {
			t.Errorf("IsDataSetup(%q): got %v, want %v", v, got, setup[v])
		}
	}
}

// TestKnownVerbsAreCanonical makes sure the interning table cannot change a
// verb and holds only verbs ParseCommand can produce: parsing each one in
// lower case gives the key back.
func TestKnownVerbsAreCanonical(t *testing.T) {
	for k, v := range knownVerbs {
		c, err := ParseCommand([]byte(strings.ToLower(k)))
		if k != v || err != nil || c.Verb != k {
			t.Errorf("knownVerbs[%q] = %q; ParseCommand of its lower case got %+v, %v", k, v, c, err)
		}
	}
}
