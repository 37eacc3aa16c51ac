package main

import (
	"encoding/csv"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/report"
)

// hostileTexts are what a client or server puts on the wire to attack the
// reader of a report: spreadsheet formulas (OWASP's CSV injection), a
// terminal escape, a bidi override, DEL, a C1 control, bytes that are not
// UTF-8 (issue 12 item 8).
var hostileTexts = []string{
	`=HYPERLINK("http://x")`,
	"+1",
	"@SUM(A1)",
	"\t=1",
	"\x1b[31mred",
	"evil\u202egnp.exe",
	"del\x7fete",
	"next\u0085line",
	"bad \xff\xfe utf8",
}

// hostileTextCapture has one session per hostile text: the server greets
// with it, the client logs in with it as the user name, a PASV is refused
// with it (a note quotes the reply), and a RETR of it as the file name is
// refused with it (the reason quotes the reply).
func hostileTextCapture(t *testing.T) string {
	return writeCapture(t, "hostile-text.pcap", func(w *craft.Writer) {
		for i, h := range hostileTexts {
			t0 := hostileT0.Add(time.Duration(i) * time.Minute)
			client := netip.AddrPortFrom(hostileClient.Addr(), uint16(40000+i))
			c := w.Dial(t0, client, hostileServer)
			at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
			c.Server(at(1), "220 "+h+"\r\n")
			c.Client(at(2), "USER "+h+"\r\n")
			c.Server(at(3), "230 logged in\r\n")
			c.Client(at(4), "PASV\r\n")
			c.Server(at(5), "500 "+h+"\r\n")
			c.Client(at(6), "PASV\r\n")
			c.Server(at(7), "227 Entering Passive Mode (198,51,100,21,4,1).\r\n")
			c.Client(at(8), "RETR "+h+"\r\n")
			c.Server(at(9), "550 "+h+"\r\n")
			c.Close(at(1000))
		}
	})
}

// rawControl returns the first rune of out (or byte that is not UTF-8)
// that must not reach an output raw, newlines apart.
func rawControl(out string) (string, bool) {
	for i := 0; i < len(out); {
		r, n := utf8.DecodeRuneInString(out[i:])
		if r == utf8.RuneError && n == 1 || r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			return out[i : i+n], true
		}
		i += n
	}
	return "", false
}

// asJSONDecodes is s as a JSON decoder gives it back: each byte that is not
// UTF-8 is U+FFFD (encoding/json writes it so).
func asJSONDecodes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

func startsLikeFormula(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// TestHostileTextEveryOutput runs every output mode on the hostile texts,
// through the whole engine: no output holds a raw control, bidi or non-UTF-8
// byte; CSV cells of wire text are quoted against formulas and numbers are
// not; JSON is valid and decodes back to the text on the wire; the table's
// lines are as wide as its border.
func TestHostileTextEveryOutput(t *testing.T) {
	path := hostileTextCapture(t)
	for _, m := range outputModes {
		out, errs, code := runTool(t, append([]string{"-r", path}, m.args...)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", m.name, code, errs)
		}
		if r, ok := rawControl(out); ok {
			t.Errorf("%s output holds a raw %q:\n%q", m.name, r, out)
		}
	}

	t.Run("csv", func(t *testing.T) {
		out, _, _ := runTool(t, "-r", path, "--format", "csv")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v\n%s", err, out)
		}
		if len(rows) != 1+len(hostileTexts) {
			t.Fatalf("%d rows, want a header and %d channels:\n%s", len(rows), len(hostileTexts), out)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for i, h := range hostileTexts {
			row := rows[1+i]
			want := report.Escape(h)
			if startsLikeFormula(h) {
				want = "'" + want
			}
			for _, c := range []string{"user", "argument"} {
				if row[col[c]] != want {
					t.Errorf("%s cell for %q is %q, want %q", c, h, row[col[c]], want)
				}
			}
			for _, c := range []string{"user", "command", "argument", "reason"} {
				if startsLikeFormula(row[col[c]]) {
					t.Errorf("%s cell %q starts like a formula", c, row[col[c]])
				}
			}
			if !strings.Contains(row[col["reason"]], report.Escape(strings.TrimSpace(h))) {
				t.Errorf("reason %q does not quote %q escaped", row[col["reason"]], h)
			}
			for c, want := range map[string]string{"reply": "550", "syn": "0", "bytes": "0", "to": ""} {
				if row[col[c]] != want {
					t.Errorf("%s cell %q, want %q (ftpscope's own cells are not guarded)", c, row[col[c]], want)
				}
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		for _, args := range [][]string{{"--format", "json"}, {"--format", "json", "--report", "sessions,firewall"}} {
			out, _, _ := runTool(t, append([]string{"-r", path}, args...)...)
			type session struct {
				User     string `json:"user"`
				Greeting string `json:"greeting"`
				Channels []struct {
					Argument  string `json:"argument"`
					ReplyText string `json:"reply_text"`
					Reason    string `json:"reason"`
				} `json:"channels"`
				Notes []struct {
					Text string `json:"text"`
				} `json:"notes"`
			}
			var sessions []session
			for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if !json.Valid([]byte(line)) {
					t.Fatalf("%v: line %d is not JSON: %s", args, i+1, line)
				}
				if strings.HasPrefix(line, `{"type":"session"`) {
					var s session
					if err := json.Unmarshal([]byte(line), &s); err != nil {
						t.Fatal(err)
					}
					sessions = append(sessions, s)
				}
			}
			if len(sessions) != len(hostileTexts) {
				t.Fatalf("%v: %d sessions, want %d", args, len(sessions), len(hostileTexts))
			}
			for i, h := range hostileTexts {
				// A reply's text is kept without the spaces around it.
				s, want, reply := sessions[i], asJSONDecodes(h), asJSONDecodes(strings.TrimSpace(h))
				if s.User != want || s.Greeting != reply {
					t.Errorf("user %q and greeting %q, want %q and %q", s.User, s.Greeting, want, reply)
				}
				if len(s.Channels) != 1 || s.Channels[0].Argument != want || s.Channels[0].ReplyText != reply ||
					!strings.Contains(s.Channels[0].Reason, reply) {
					t.Errorf("channels %+v, want one with argument %q and reply text %q", s.Channels, want, reply)
				}
				noted := false
				for _, n := range s.Notes {
					noted = noted || strings.Contains(n.Text, "refused PASV: 500 "+reply)
				}
				if !noted {
					t.Errorf("no note quotes the refused PASV's %q: %+v", reply, s.Notes)
				}
			}
		}
	})

	t.Run("table", func(t *testing.T) {
		out, _, _ := runTool(t, "-r", path, "-v")
		var grid []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "|") {
				grid = append(grid, l)
			} else if len(grid) > 0 {
				for _, g := range grid {
					if twwidth.Width(g) != twwidth.Width(grid[0]) {
						t.Errorf("table line %q is %d wide, its border %d", g, twwidth.Width(g), twwidth.Width(grid[0]))
					}
				}
				grid = nil
			}
		}
		for _, h := range hostileTexts {
			if !strings.Contains(out, "user "+report.Escape(h)+";") {
				t.Errorf("the table does not show user %q escaped:\n%s", h, out)
			}
		}
	})
}
