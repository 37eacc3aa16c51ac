package ftp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// step is what one Feed call is expected to return.
type step struct {
	line    string
	done    bool
	rep     Reply // compared only when done
	err     bool
	pending bool // Pending() after the call
}

// replyCases is shared by TestReplyReader and the FuzzReplyReader seeds.
var replyCases = []struct {
	name     string
	maxLines int
	steps    []step
}{
	{"single line (RFC 959 4.2)", 0, []step{
		{line: "220 Service ready for new user.", done: true, rep: Reply{Code: 220, Lines: []string{"Service ready for new user."}}},
	}},
	{"bare code, no text", 0, []step{
		{line: "200", done: true, rep: Reply{Code: 200, Lines: []string{""}}},
	}},
	{"code and a space only", 0, []step{
		{line: "200 ", done: true, rep: Reply{Code: 200, Lines: []string{""}}},
	}},
	{"trailing CRLF tolerated", 0, []step{
		{line: "331 Password required\r\n", done: true, rep: Reply{Code: 331, Lines: []string{"Password required"}}},
	}},
	{"RFC 959 p.36 multi-line example, middle line starting with another code", 0, []step{
		{line: "123-First line", pending: true},
		{line: "Second line", pending: true},
		{line: "  234 A line beginning with numbers", pending: true},
		{line: "123 The last line", done: true, rep: Reply{Code: 123, Multiline: true,
			Lines: []string{"First line", "Second line", "  234 A line beginning with numbers", "The last line"}}},
	}},
	{"middle line with another code at column 0 does not close", 0, []step{
		{line: "230-Welcome", pending: true},
		{line: "220 not the end", pending: true},
		{line: "230-also not the end", pending: true},
		{line: "2301 not the end either", pending: true},
		{line: "230 Login successful.", done: true, rep: Reply{Code: 230, Multiline: true,
			Lines: []string{"Welcome", "220 not the end", "also not the end", "2301 not the end either", "Login successful."}}},
	}},
	{"ProFTPD/IIS style: every line repeats ddd-", 0, []step{
		{line: "230-Welcome to the archive", pending: true},
		{line: "230-Be nice", pending: true},
		{line: "230 User anonymous logged in.", done: true, rep: Reply{Code: 230, Multiline: true,
			Lines: []string{"Welcome to the archive", "Be nice", "User anonymous logged in."}}},
	}},
	{"aioftp#85: multi-line 227", 0, []step{
		{line: "227-listen socket created", pending: true},
		{line: "227 Entering Passive Mode (127,0,0,1,4,51)", done: true, rep: Reply{Code: 227, Multiline: true,
			Lines: []string{"listen socket created", "Entering Passive Mode (127,0,0,1,4,51)"}}},
	}},
	{"RFC 2389 FEAT closed by a bare code", 0, []step{
		{line: "211-Extensions supported:", pending: true},
		{line: " MLST size*;create;modify*;", pending: true},
		{line: " EPSV", pending: true},
		{line: "211", done: true, rep: Reply{Code: 211, Multiline: true,
			Lines: []string{"Extensions supported:", " MLST size*;create;modify*;", " EPSV", ""}}},
	}},
	{"empty middle line", 0, []step{
		{line: "214-Help", pending: true},
		{line: "", pending: true},
		{line: "214 End", done: true, rep: Reply{Code: 214, Multiline: true, Lines: []string{"Help", "", "End"}}},
	}},
	{"back-to-back replies", 0, []step{
		{line: "150 Opening BINARY mode data connection", done: true, rep: Reply{Code: 150, Lines: []string{"Opening BINARY mode data connection"}}},
		{line: "226 Transfer complete", done: true, rep: Reply{Code: 226, Lines: []string{"Transfer complete"}}},
	}},
	{"not a reply: error, line dropped, reader usable", 0, []step{
		{line: "hello there", err: true},
		{line: "", err: true},
		{line: "2200 four digits", err: true},
		{line: "22 two digits", err: true},
		{line: "220\tTAB separator", err: true},
		{line: "600 RFC 2228 protected reply is outside 100..599", err: true},
		{line: "099 first digit 0", err: true},
		{line: "220 ok", done: true, rep: Reply{Code: 220, Lines: []string{"ok"}}},
	}},
	{"pure-ftpd#175 malformed 227 is still a reply", 0, []step{
		{line: "227 Logout.", done: true, rep: Reply{Code: 227, Lines: []string{"Logout."}}},
	}},
	{"MaxLines: truncated reply returned, rest swallowed up to the closing line", 3, []step{
		{line: "211-a", pending: true},
		{line: "b", pending: true},
		{line: "c", pending: true},
		{line: "d", done: true, pending: true, rep: Reply{Code: 211, Multiline: true, Truncated: true, Lines: []string{"a", "b", "c"}}},
		{line: "e", pending: true},
		{line: "junk that is not a reply", pending: true},
		{line: "211 End", pending: false},
		{line: "200 next", done: true, rep: Reply{Code: 200, Lines: []string{"next"}}},
	}},
	{"MaxLines: closing line arrives when full", 2, []step{
		{line: "211-a", pending: true},
		{line: "b", pending: true},
		{line: "211 End", done: true, rep: Reply{Code: 211, Multiline: true, Truncated: true, Lines: []string{"a", "b"}}},
		{line: "200 next", done: true, rep: Reply{Code: 200, Lines: []string{"next"}}},
	}},
	{"MaxLines 1", 1, []step{
		{line: "211-a", pending: true},
		{line: "211 End", done: true, rep: Reply{Code: 211, Multiline: true, Truncated: true, Lines: []string{"a"}}},
	}},
	{"MaxLines exactly met is not truncated", 3, []step{
		{line: "211-a", pending: true},
		{line: "b", pending: true},
		{line: "211 c", done: true, rep: Reply{Code: 211, Multiline: true, Lines: []string{"a", "b", "c"}}},
	}},
	{"single-line reply with MaxLines 1", 1, []step{
		{line: "200 ok", done: true, rep: Reply{Code: 200, Lines: []string{"ok"}}},
	}},
}

func TestReplyReader(t *testing.T) {
	for _, tc := range replyCases {
		t.Run(tc.name, func(t *testing.T) {
			r := ReplyReader{MaxLines: tc.maxLines}
			for i, st := range tc.steps {
				rep, done, err := r.Feed([]byte(st.line))
				if st.err {
					var se *SyntaxError
					if !errors.As(err, &se) {
						t.Fatalf("step %d Feed(%q): got err %v, want a *SyntaxError", i, st.line, err)
					}
				} else if err != nil {
					t.Fatalf("step %d Feed(%q): got error %v", i, st.line, err)
				}
				if done != st.done {
					t.Fatalf("step %d Feed(%q): got done=%v, want %v", i, st.line, done, st.done)
				}
				if done && !reflect.DeepEqual(rep, st.rep) {
					t.Errorf("step %d Feed(%q): got %#v, want %#v", i, st.line, rep, st.rep)
				}
				if !done && !reflect.DeepEqual(rep, Reply{}) {
					t.Errorf("step %d Feed(%q): got %#v with done=false, want the zero Reply", i, st.line, rep)
				}
				if got := r.Pending(); got != st.pending {
					t.Errorf("step %d Feed(%q): got Pending()=%v, want %v", i, st.line, got, st.pending)
				}
			}
		})
	}
}

// TestReplyReaderDefaultMaxLines checks that the zero value bounds a reply at
// DefaultMaxLines lines: a server that never closes its reply cannot grow it.
func TestReplyReaderDefaultMaxLines(t *testing.T) {
	var r ReplyReader
	if _, done, err := r.Feed([]byte("220-banner")); done || err != nil {
		t.Fatalf("got done=%v err=%v, want an open reply", done, err)
	}
	for i := 1; i < DefaultMaxLines; i++ {
		if _, done, err := r.Feed([]byte("x")); done || err != nil {
			t.Fatalf("line %d: got done=%v err=%v, want the reply still open", i, done, err)
		}
	}
	rep, done, err := r.Feed([]byte("one too many"))
	if !done || err != nil || !rep.Truncated || len(rep.Lines) != DefaultMaxLines {
		t.Fatalf("got done=%v err=%v truncated=%v lines=%d, want a truncated reply of %d lines",
			done, err, rep.Truncated, len(rep.Lines), DefaultMaxLines)
	}
	for range 5000 {
		if _, done, _ := r.Feed([]byte("more")); done {
			t.Fatal("got a reply while swallowing the rest of a truncated one")
		}
	}
	if len(r.lines) != 0 {
		t.Errorf("got %d lines kept while swallowing, want 0", len(r.lines))
	}
}

// TestReplyReaderReset checks that Reset forgets an open reply (after a
// capture gap) so that the next line starts afresh.
func TestReplyReaderReset(t *testing.T) {
	r := ReplyReader{MaxLines: 7}
	r.Feed([]byte("230-Welcome"))
	r.Feed([]byte("more"))
	r.Reset()
	if r.Pending() {
		t.Fatal("got Pending() after Reset, want false")
	}
	rep, done, err := r.Feed([]byte("230 ok"))
	want := Reply{Code: 230, Lines: []string{"ok"}}
	if !done || err != nil || !reflect.DeepEqual(rep, want) {
		t.Errorf("after Reset got %#v, %v, %v; want %#v", rep, done, err, want)
	}
	if r.MaxLines != 7 {
		t.Errorf("got MaxLines %d after Reset, want 7 kept", r.MaxLines)
	}
}

// TestReplyReaderDoesNotRetain reuses one buffer for every line, as a
// reassembler does, and checks that the replies keep their own text.
func TestReplyReaderDoesNotRetain(t *testing.T) {
	var r ReplyReader
	buf := make([]byte, 0, 64)
	var got []Reply
	for _, l := range []string{"220 hello", "227-first", "middle", "227 (1,2,3,4,5,6)"} {
		buf = append(buf[:0], l...)
		rep, done, _ := r.Feed(buf)
		for i := range buf {
			buf[i] = '#'
		}
		if done {
			got = append(got, rep)
		}
	}
	want := []Reply{
		{Code: 220, Lines: []string{"hello"}},
		{Code: 227, Multiline: true, Lines: []string{"first", "middle", "(1,2,3,4,5,6)"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestReplyText(t *testing.T) {
	for _, tc := range []struct {
		rep  Reply
		want string
	}{
		{Reply{Code: 220, Lines: []string{"ready"}}, "ready"},
		{Reply{Code: 227, Lines: []string{"listen socket created", "(127,0,0,1,4,51)"}}, "listen socket created\n(127,0,0,1,4,51)"},
		{Reply{Code: 200, Lines: []string{""}}, ""},
		{Reply{}, ""},
	} {
		if got := tc.rep.Text(); got != tc.want {
			t.Errorf("%#v.Text(): got %q, want %q", tc.rep, got, tc.want)
		}
	}
}

func TestReplyCode(t *testing.T) {
	for _, tc := range []struct {
		code  ReplyCode
		str   string
		class ReplyClass
		cstr  string
		valid bool
	}{
		{150, "150", Preliminary, "preliminary", true},
		{226, "226", Completion, "completion", true},
		{331, "331", Intermediate, "intermediate", true},
		{425, "425", TransientNegative, "transient negative", true},
		{530, "530", PermanentNegative, "permanent negative", true},
		{100, "100", Preliminary, "preliminary", true},
		{599, "599", PermanentNegative, "permanent negative", true},
		{631, "631", 6, "class(6)", false}, // RFC 2228 protected reply
		{99, "099", 0, "class(0)", false},
		{0, "000", 0, "class(0)", false},
		{1000, "1000", 0, "class(0)", false},
	} {
		if got := tc.code.String(); got != tc.str {
			t.Errorf("ReplyCode(%d).String(): got %q, want %q", tc.code, got, tc.str)
		}
		if got := tc.code.Class(); got != tc.class {
			t.Errorf("ReplyCode(%d).Class(): got %d, want %d", tc.code, got, tc.class)
		}
		if got := tc.code.Class().String(); got != tc.cstr {
			t.Errorf("ReplyCode(%d).Class().String(): got %q, want %q", tc.code, got, tc.cstr)
		}
		if got := tc.code.Valid(); got != tc.valid {
			t.Errorf("ReplyCode(%d).Valid(): got %v, want %v", tc.code, got, tc.valid)
		}
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		line string
		code ReplyCode
		ok   bool
	}{
		{"220 ready", 220, true},
		{"227-first line", 227, true},
		{"200", 200, true},
		{"550 ", 550, true},
		{"  234 indented", 0, false},
		{"2345 four digits", 0, false},
		{"22", 0, false},
		{"", 0, false},
		{"600 out of range", 0, false},
		{"099 out of range", 0, false},
		{"22a x", 0, false},
		{"220\tx", 0, false},
		{"220_x", 0, false},
	} {
		code, ok := Code([]byte(tc.line))
		if code != tc.code || ok != tc.ok {
			t.Errorf("Code(%q): got %d, %v; want %d, %v", tc.line, code, ok, tc.code, tc.ok)
		}
	}
}

// TestReplyReaderLongMultiline feeds a realistic HELP reply in one go to
// check Text against the original.
func TestReplyReaderLongMultiline(t *testing.T) {
	body := []string{"The following commands are recognized.", " ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT",
		" HELP LIST MDTM MKD  MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN"}
	var r ReplyReader
	r.Feed([]byte("214-" + body[0]))
	r.Feed([]byte(body[1]))
	r.Feed([]byte(body[2]))
	rep, done, err := r.Feed([]byte("214 Help OK."))
	if !done || err != nil {
		t.Fatalf("got done=%v err=%v", done, err)
	}
	want := strings.Join(append(body, "Help OK."), "\n")
	if got := rep.Text(); got != want {
		t.Errorf("got text %q, want %q", got, want)
	}
}

// TestReplyReaderHeld: Held counts what an open multi-line reply keeps,
// and nothing once the reply is handed over or reset.
func TestReplyReaderHeld(t *testing.T) {
	var r ReplyReader
	for _, tc := range []struct {
		line string
		want int
	}{
		{"220 single", 0},
		{"211-Features:", len("Features:") + 16},
		{" MDTM", len("Features:") + 16 + len(" MDTM") + 16},
		{"211 End", 0},
		{"211-again", len("again") + 16},
	} {
		if _, _, err := r.Feed([]byte(tc.line)); err != nil {
			t.Fatal(err)
		}
		if got := r.Held(); got != tc.want {
			t.Errorf("after %q: Held %d, want %d", tc.line, got, tc.want)
		}
	}
	r.Reset()
	if r.Held() != 0 {
		t.Errorf("after Reset: Held %d", r.Held())
	}
}
