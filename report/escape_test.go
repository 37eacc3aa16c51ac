package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/ftpscope/ftpscope/analysis"
)

// hostileWire are strings a client or server can put on the wire, as user
// names, file names and reply texts: spreadsheet formulas, terminal
// escapes, bidi overrides, DEL, C1 controls and bytes that are not UTF-8.
var hostileWire = []string{
	`=HYPERLINK("http://x")`,
	"+1",
	"@SUM(A1)",
	"\t=1",
	"-la",
	"\x1b[31mred",
	"file\u202egnp.exe",
	"del\x7fete",
	"next\u0085line",
	"not UTF-8 \xff\xfe",
	"\u2066isolate\u2069 \u200e\u200f\u061c",
	"plain.txt",
}

// rawHidden returns the first rune or byte of out that must not reach an
// output raw (newline apart), and whether there is one.
func rawHidden(out string) (string, bool) {
	for i := 0; i < len(out); {
		r, n := utf8.DecodeRuneInString(out[i:])
		if r == utf8.RuneError && n == 1 || r != '\n' && hidden(r) {
			return out[i : i+n], true
		}
		i += n
	}
	return "", false
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, tables |-+ and …", "plain text, tables |-+ and …"},
		{"USER \x1b]0;owned\x07\x1b[2J", `USER \x1b]0;owned\x07\x1b[2J`},
		{"RETR a\rfake line\tx\x7f\ny", `RETR a\x0dfake line\x09x\x7f\x0ay`},
		{"C1 \u009b31m \u0085 and bidi \u202eevil\u2066 \u200e\u200f\u061c", `C1 \u009b31m \u0085 and bidi \u202eevil\u2066 \u200e\u200f\u061c`},
		{"not UTF-8: \xff\xfe end \xe2\x80 cut", `not UTF-8: \xff\xfe end \xe2\x80 cut`},
		{`already \x1b escaped`, `already \x1b escaped`},
	}
	for _, tc := range tests {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		// The terminal stream escapes the same way (it keeps newlines).
		var b bytes.Buffer
		if _, err := TerminalSafe(&b).Write([]byte(strings.ReplaceAll(tc.in, "\n", ""))); err != nil {
			t.Fatal(err)
		}
		if want := strings.ReplaceAll(tc.want, `\x0a`, ""); b.String() != want {
			t.Errorf("TerminalSafe(%q) = %q, Escape gives %q", tc.in, b.String(), want)
		}
	}
}

// hostileSession is one session whose user, greeting, commands, file names
// and reply texts are the hostile strings, with a note quoting one.
func hostileSession() *analysis.Session {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("198.51.100.21:21")
	s := &analysis.Session{
		Client: netip.MustParseAddrPort("192.0.2.50:40000"), Server: server,
		Start: t0, End: t0.Add(time.Second), User: hostileWire[0], Greeting: strings.Join(hostileWire, " | "),
		Closed: "fin",
	}
	for i, arg := range hostileWire {
		at := netip.AddrPortFrom(server.Addr(), uint16(50000+i))
		s.Channels = append(s.Channels, &analysis.Channel{
			Method: analysis.PASV, Time: t0.Add(time.Duration(i) * time.Millisecond), Announced: at, Alternate: at,
			Command: "RETR", Argument: arg, Reply: 550, ReplyText: arg, Verdict: analysis.NotSeen,
		})
	}
	s.Notes = append(s.Notes, analysis.Note{Time: t0, Kind: analysis.NoteProtocol, What: analysis.NoteNotCommand, Wire: hostileWire[5]})
	return s
}

// jsonText is s as encoding/json decodes it back: each byte that is not
// UTF-8 becomes U+FFFD.
func jsonText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

func render(t *testing.T, f Format, s *analysis.Session) string {
	t.Helper()
	var b bytes.Buffer
	w, err := New(f, &b, Options{Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Session(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCSVWireCells: a cell holding wire text that starts like a formula
// gets a leading quote (OWASP), every wire cell is escaped as the terminal
// escapes, and the cells ftpscope writes itself (numbers) are untouched.
func TestCSVWireCells(t *testing.T) {
	out := render(t, CSV, hostileSession())
	if r, ok := rawHidden(out); ok {
		t.Errorf("CSV output holds a raw %q:\n%q", r, out)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, out)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if len(rows) != 1+len(hostileWire) {
		t.Fatalf("%d rows, want a header and %d channels", len(rows), len(hostileWire))
	}
	for i, arg := range hostileWire {
		row := rows[1+i]
		want := Escape(arg)
		if formulaStart(arg[0]) {
			want = "'" + want
		}
		if got := row[col["argument"]]; got != want {
			t.Errorf("argument %q: cell %q, want %q", arg, got, want)
		}
		if got, want := row[col["user"]], `'=HYPERLINK("http://x")`; got != want {
			t.Errorf("user cell %q, want %q", got, want)
		}
		for _, c := range []string{"user", "command", "argument", "reason"} {
			if v := row[col[c]]; v != "" && formulaStart(v[0]) {
				t.Errorf("%s cell %q starts like a formula", c, v)
			}
		}
		for c, want := range map[string]string{"reply": "550", "syn": "0", "bytes": "0"} {
			if got := row[col[c]]; got != want {
				t.Errorf("%s cell %q, want %q (numbers are not guarded)", c, got, want)
			}
		}
	}
}

// TestJSONEscapesHidden: DEL, C1 and bidi controls are written as \uNNNN,
// the output stays valid JSON, and it decodes back to the text on the wire
// (bytes that are not UTF-8 become U+FFFD, as encoding/json writes them).
func TestJSONEscapesHidden(t *testing.T) {
	s := hostileSession()
	out := render(t, JSON, s)
	if r, ok := rawHidden(out); ok {
		t.Errorf("JSON output holds a raw %q:\n%q", r, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line %d is not JSON: %s", i+1, l)
		}
	}
	var rec struct {
		User     string `json:"user"`
		Greeting string `json:"greeting"`
		Channels []struct {
			Argument  string `json:"argument"`
			ReplyText string `json:"reply_text"`
		} `json:"channels"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.User != s.User || rec.Greeting != jsonText(s.Greeting) {
		t.Errorf("user %q and greeting %q do not decode to what was on the wire", rec.User, rec.Greeting)
	}
	for i, arg := range hostileWire {
		want := jsonText(arg)
		if c := rec.Channels[i]; c.Argument != want || c.ReplyText != want {
			t.Errorf("argument %q decodes to %q and reply text to %q, want %q", arg, c.Argument, c.ReplyText, want)
		}
	}
	for _, esc := range []string{`\u202e`, `\u007f`, `\u0085`, `\u2066`, `\u061c`, `\u001b`, `\ufffd\ufffd`} {
		if !strings.Contains(out, esc) {
			t.Errorf("JSON output does not hold %s", esc)
		}
	}
}

// TestJSONOrdinaryTextUnchanged: a record without hidden runes is written
// byte for byte as encoding/json writes it.
func TestJSONOrdinaryTextUnchanged(t *testing.T) {
	for _, in := range []string{"plain", "tables |-+ and … é 日本", `quote " backslash \ <html> &`, "tab\tnewline\n", "\u2028\u2029", "\b\f\r\x00\x1f"} {
		want, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			t.Fatal(err)
		}
		plain := b.String()
		b.Reset()
		if err := newJSONEncoder(&b).Encode(in); err != nil {
			t.Fatal(err)
		}
		if b.String() != plain {
			t.Errorf("%q: %s, encoding/json writes %s (Marshal %s)", in, b.String(), plain, want)
		}
		if got := string(appendJSONString(nil, in)) + "\n"; got != plain {
			t.Errorf("%q: appendJSONString writes %s, encoding/json %s", in, got, plain)
		}
	}
}

// TestTableWidthAfterEscape: a row holding an ESC and a bidi override is
// escaped before the table measures it, so every line of the table is as
// wide as its border on the terminal.
func TestTableWidthAfterEscape(t *testing.T) {
	s := hostileSession()
	var b bytes.Buffer
	w, err := New(Table, TerminalSafe(&b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Session(s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if r, ok := rawHidden(out); ok {
		t.Errorf("table output holds a raw %q", r)
	}
	var grid []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "|") {
			grid = append(grid, l)
		}
	}
	if len(grid) != 4+len(hostileWire) {
		t.Fatalf("no table in:\n%s", out)
	}
	for _, l := range grid {
		if twwidth.Width(l) != twwidth.Width(grid[0]) {
			t.Errorf("line %q is %d wide, the border %d:\n%s", l, twwidth.Width(l), twwidth.Width(grid[0]), out)
		}
	}
	if !strings.Contains(out, `RETR \x1b[31mred`) || !strings.Contains(out, `RETR file\u202egnp.exe`) {
		t.Errorf("the table does not show the escaped file names:\n%s", out)
	}
}

// TestJSONFastHostile: the hand-written records match encoding/json on the
// hostile strings and on sessions with every optional field set.
func TestJSONFastHostile(t *testing.T) {
	sessions := append(recordSessions(), hostileSession())
	full := hostileSession()
	full.Password, full.EPSVAll, full.ChannelsDropped, full.Midstream, full.TLS = "se\"cret\\", true, 3, true, true
	sessions = append(sessions, full, &analysis.Session{})
	for _, s := range sessions {
		fast, reflected := JSONBothWays(s, true)
		if fast != reflected {
			t.Errorf("session %s differs:\n--- by hand\n%s--- encoding/json\n%s", s.Client, fast, reflected)
		}
	}
}

func TestJSONFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.001, 1.5, 123456.789, 1e-7, 1.234e-9, 1e21, 1e20, 5e-324, 1.7976931348623157e308, -2.5e-8} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONFloat(nil, f); string(got) != string(want) {
			t.Errorf("%v: %s, encoding/json %s", f, got, want)
		}
	}
}
