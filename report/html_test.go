package report_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/reassembly"
	"github.com/ftpscope/ftpscope/report"
)

// htmlHostile are names and texts that try to become markup or script in
// an HTML page: an element with a handler, the end of the data block and a
// script after it, a comment opener that changes how a script element
// ends, an attribute break-out, entities that must stay literal, the JS
// line separators and a bidi override.
var htmlHostile = []string{
	`<img src=x onerror="document.title='pwned'">`,
	`</script><script>document.title='pwned'</script>`,
	`</ScRiPt/ ><img src=x onerror="document.title='pwned'">`,
	`<!--<script>document.title='pwned'//`,
	`"'><iframe src="javascript:document.title='pwned'"></iframe>`,
	`</style><svg onload="document.title='pwned'">`,
	`&lt;b&gt;bold&amp;`,
	"line\u2028sep\u2029arator",
	"evil\u202egnp.exe",
}

// hostileHTMLCapture has one session per hostile text, which reaches every
// string field it can: the greeting, the user and password, a refused
// PASV's reply (a note), an EPRT naming a hostile address (refused), the
// file name and the reply refusing it (the reason quotes it), and a
// PORT-announced active channel that is never used.
func hostileHTMLCapture(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "hostile-html.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := craft.NewWriter(bw)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("198.51.100.21:21")
	for i, h := range htmlHostile {
		at0 := t0.Add(time.Duration(i) * time.Minute)
		client := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.50"), uint16(40000+i))
		c := w.Dial(at0, client, server)
		at := func(ms int) time.Time { return at0.Add(time.Duration(ms) * time.Millisecond) }
		c.Server(at(1), "220 "+h+"\r\n")
		c.Client(at(2), "USER "+h+"\r\n")
		c.Server(at(3), "331 "+h+"\r\n")
		c.Client(at(4), "PASS "+h+"\r\n")
		c.Server(at(5), "230 "+h+"\r\n")
		c.Client(at(6), "PASV\r\n")
		c.Server(at(7), "500 "+h+"\r\n")
		c.Client(at(8), "EPRT |1|"+h+"|5000|\r\n")
		c.Server(at(9), "500 "+h+"\r\n")
		c.Client(at(10), "PASV\r\n")
		c.Server(at(11), "227 Entering Passive Mode (198,51,100,21,4,1). "+h+"\r\n")
		w.SYNUnanswered(at(12), netip.AddrPortFrom(client.Addr(), 50000), netip.MustParseAddrPort("198.51.100.21:1025"), 2)
		c.Client(at(13), "RETR "+h+"\r\n")
		c.Server(at(14), "550 "+h+"\r\n")
		c.Client(at(15), "PORT 192,0,2,50,195,80\r\n")
		c.Server(at(16), "200 "+h+"\r\n")
		c.Close(at(1000))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// renderBoth runs the engine over files once and writes the JSON report
// and the HTML report of the same run.
func renderBoth(t *testing.T, showPasswords bool, inputs []string, files ...string) (jsonOut, page string) {
	t.Helper()
	src, err := capture.OpenFiles(files, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var j, h bytes.Buffer
	jw, err := report.New(report.JSON, &j, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hw, err := report.NewHTML(&h, report.HTMLOptions{Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{Reassembly: reassembly.Config{ControlPorts: []uint16{21}},
		Analysis: analysis.Config{ShowPasswords: showPasswords, DataTimeout: 30 * time.Second, Audit: true}}
	if _, err := pipeline.Run(context.Background(), src, cfg, report.Tee(jw, hw)); err != nil {
		t.Fatal(err)
	}
	return j.String(), h.String()
}

// pageParts is what a page holds, read the way a browser's parser reads it.
type pageParts struct {
	title    string
	tags     map[string]int
	scripts  []string // the text of each script element without a type
	blocks   map[string][]string
	csp      string
	handlers []string // on* attributes
	inputs   []string // the text of the heading's code elements
}

func parsePage(t *testing.T, page string) pageParts {
	t.Helper()
	p := pageParts{tags: map[string]int{}, blocks: map[string][]string{}}
	z := html.NewTokenizer(strings.NewReader(page))
	var open, class, id string
	inScript, json := false, false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return p
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			p.tags[tok.Data]++
			open = tok.Data
			class, id, json = "", "", false
			for _, a := range tok.Attr {
				if strings.HasPrefix(a.Key, "on") {
					p.handlers = append(p.handlers, a.Key)
				}
				switch {
				case a.Key == "class":
					class = a.Val
				case a.Key == "id":
					id = a.Val
				case a.Key == "type" && a.Val == "application/json":
					json = true
				case tok.Data == "meta" && a.Key == "http-equiv" && a.Val == "Content-Security-Policy":
					for _, b := range tok.Attr {
						if b.Key == "content" {
							p.csp = b.Val
						}
					}
				}
			}
			inScript = tok.Data == "script"
		case html.EndTagToken:
			open, inScript = "", false
		case html.TextToken:
			text := string(z.Text())
			switch {
			case inScript && json:
				p.blocks[class+id] = append(p.blocks[class+id], text)
			case inScript:
				p.scripts = append(p.scripts, text)
			case open == "title":
				p.title += text
			case open == "code":
				p.inputs = append(p.inputs, text)
			}
		}
	}
}

// TestHTMLHostile: hostile names in every field that reaches the page, and
// in the capture's file name, stay data: the page has the skeleton's
// elements and no others, one script (the one its policy allows by hash),
// no handler attribute, its title; the data blocks give back every hostile
// string as it was on the wire and the same records as the JSON report.
func TestHTMLHostile(t *testing.T) {
	file := hostileHTMLCapture(t)
	names := []string{htmlHostile[0] + ".pcap", htmlHostile[1]}
	jsonOut, page := renderBoth(t, true, names, file)
	p := parsePage(t, page)
	if p.title != "ftpscope report" {
		t.Errorf("title %q", p.title)
	}
	allowed := map[string]bool{"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
		"header": true, "h1": true, "p": true, "code": true, "noscript": true, "main": true, "section": true,
		"h2": true, "div": true, "script": true}
	for tag := range p.tags {
		if !allowed[tag] {
			t.Errorf("element <%s> in the page", tag)
		}
	}
	if len(p.handlers) > 0 {
		t.Errorf("handler attributes: %v", p.handlers)
	}
	if len(p.scripts) != 1 {
		t.Fatalf("%d scripts that run, want 1", len(p.scripts))
	}
	h := sha256.Sum256([]byte(p.scripts[0]))
	if want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"; !strings.Contains(p.csp, want) {
		t.Errorf("the policy %q does not allow the page's script by its hash", p.csp)
	}
	for _, dir := range []string{"default-src 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(p.csp, dir) {
			t.Errorf("policy %q lacks %s", p.csp, dir)
		}
	}
	if !reflect.DeepEqual(p.inputs, names) {
		t.Errorf("heading shows %q, want %q", p.inputs, names)
	}
	// Every data block holds JSON whose strings carry the hostile texts.
	var all strings.Builder
	var records []json.RawMessage
	for _, b := range p.blocks["fs-sessions"] {
		var rs []json.RawMessage
		if err := json.Unmarshal([]byte(b), &rs); err != nil {
			t.Fatalf("sessions block: %v", err)
		}
		records = append(records, rs...)
	}
	for _, k := range []string{"fs-summary", "fs-firewall"} {
		if len(p.blocks[k]) != 1 {
			t.Fatalf("%d %s blocks", len(p.blocks[k]), k)
		}
	}
	if len(records) != len(htmlHostile) {
		t.Fatalf("%d sessions in the page, want %d", len(records), len(htmlHostile))
	}
	for i, raw := range records {
		var r struct {
			N       int `json:"n"`
			Session struct {
				User, Password, Greeting string
				Notes                    []struct{ Text string }
				Channels                 []struct{ Argument, Reason, Verdict string }
			} `json:"session"`
			Ladder [][]any
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		all.Write(raw)
		h := htmlHostile[i]
		if r.N != i+1 {
			t.Errorf("session %d numbered %d", i+1, r.N)
		}
		s := r.Session
		if s.User != h || s.Password != h || !strings.Contains(s.Greeting, h) {
			t.Errorf("session %d: user %q password %q greeting %q, want %q", i+1, s.User, s.Password, s.Greeting, h)
		}
		quoted := 0
		for _, n := range s.Notes {
			if strings.Contains(n.Text, h) {
				quoted++
			}
		}
		for _, c := range s.Channels {
			if strings.Contains(c.Argument, h) || strings.Contains(c.Reason, h) {
				quoted++
			}
		}
		for _, l := range r.Ladder {
			if label, _ := l[3].(string); strings.Contains(label, h) {
				quoted++
			}
		}
		if quoted < 3 {
			t.Errorf("session %d: hostile text reached only %d notes, channels and ladder rows:\n%s", i+1, quoted, raw)
		}
	}
	// The page says what the JSON report says, record for record.
	var jsonSessions []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(jsonOut), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "session" {
			jsonSessions = append(jsonSessions, m)
		}
	}
	for i, raw := range records {
		var r struct {
			Session map[string]any `json:"session"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Session, jsonSessions[i]) {
			t.Errorf("session %d: the page's record differs from the JSON report's", i+1)
		}
	}
}

// TestHTMLCorpus: on lab captures the page holds one record per session
// with every channel, the same as the JSON report, a ladder row per
// control exchange and data attempt, totals, and a firewall profile per
// server with its rule snippets.
func TestHTMLCorpus(t *testing.T) {
	for _, file := range []string{"../pcaps/04-active-drop/server.pcap", "../pcaps/10-dnat-pasv-private/client.pcap",
		"../pcaps/14-ftps-helper-firewall/client.pcap", "../pcaps/handmade/blocked-v4.pcap",
		"../pcaps/15-long-session-abort-kill/client.pcap", "../pcaps/17-bruteforce-proftpd/client.pcap"} {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			jsonOut, page := renderBoth(t, false, []string{file}, file)
			p := parsePage(t, page)
			channels := map[string]int{}
			sessions := 0
			for _, b := range p.blocks["fs-sessions"] {
				var rs []struct {
					Session struct {
						Channels []struct {
							Verdict string
							SYN     int
						}
					}
					Ladder [][]any
				}
				if err := json.Unmarshal([]byte(b), &rs); err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					sessions++
					for _, c := range r.Session.Channels {
						channels[c.Verdict]++
					}
					// Every channel that saw a connection attempt has a
					// data row tagged with its number.
					tagged := map[float64]bool{}
					for _, l := range r.Ladder {
						if len(l) < 4 {
							t.Fatalf("ladder row %v", l)
						}
						if l[1] == "d" && len(l) > 4 {
							tagged[l[4].(float64)] = true
						}
					}
					if len(r.Ladder) == 0 {
						t.Errorf("session %d has no ladder", sessions)
					}
					for i, c := range r.Session.Channels {
						if c.SYN > 0 && !tagged[float64(i+1)] {
							t.Errorf("session %d channel %d (%s, %d SYNs) has no data row in the ladder", sessions, i+1, c.Verdict, c.SYN)
						}
					}
				}
			}
			var sum struct {
				Sessions int            `json:"session_count"`
				Verdicts map[string]int `json:"verdicts"`
			}
			lines := strings.Split(strings.TrimSpace(jsonOut), "\n")
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
				t.Fatal(err)
			}
			if sessions != sum.Sessions || sessions == 0 {
				t.Errorf("%d sessions in the page, %d in the JSON report", sessions, sum.Sessions)
			}
			for v, n := range sum.Verdicts {
				if channels[v] != n {
					t.Errorf("verdict %s: %d channels in the page, %d in the JSON report", v, channels[v], n)
				}
			}
			// The records the JSON report writes after each session
			// (notices, directory listings) are in the page too.
			var notices, listings int
			for _, b := range p.blocks["fs-sessions"] {
				var rs []struct {
					Notices  []json.RawMessage `json:"notices"`
					Listings []json.RawMessage `json:"listings"`
				}
				if err := json.Unmarshal([]byte(b), &rs); err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					notices, listings = notices+len(r.Notices), listings+len(r.Listings)
				}
			}
			if n, l := strings.Count(jsonOut, `{"type":"notice"`), strings.Count(jsonOut, `{"type":"listing"`); notices != n || listings != l {
				t.Errorf("%d notices and %d listings in the page, %d and %d in the JSON report", notices, listings, n, l)
			}
			var fw struct {
				Servers []struct {
					Server      string
					Suggestions []struct{ Title, Text string }
				}
			}
			if err := json.Unmarshal([]byte(p.blocks["fs-firewall"][0]), &fw); err != nil {
				t.Fatal(err)
			}
			if len(fw.Servers) == 0 || len(fw.Servers[0].Suggestions) == 0 {
				t.Errorf("firewall view without a server or a rule snippet: %+v", fw)
			}
		})
	}
}

// TestHTMLSection: a section added with AddSection reaches the page as a
// data block, its hostile title and records as data.
func TestHTMLSection(t *testing.T) {
	var b bytes.Buffer
	h, err := report.NewHTML(&b, report.HTMLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recs := []map[string]string{{"file": htmlHostile[1], "sha256": "00"}}
	if err := h.AddSection(htmlHostile[0], recs); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(report.Summary{}); err != nil {
		t.Fatal(err)
	}
	p := parsePage(t, b.String())
	if len(p.blocks["fs-section"]) != 1 || len(p.scripts) != 1 || p.tags["img"] > 0 {
		t.Fatalf("page parts: %+v", p)
	}
	var got struct {
		Title   string
		Records []map[string]string
	}
	if err := json.Unmarshal([]byte(p.blocks["fs-section"][0]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Title != htmlHostile[0] || !reflect.DeepEqual(got.Records, recs) {
		t.Errorf("section %+v", got)
	}
}

// TestHTMLLadderMatchesASCII: the page's ladder has the rows of --ladder,
// in its order, with the same labels, directions and fates.
func TestHTMLLadderMatchesASCII(t *testing.T) {
	for _, file := range []string{"../pcaps/handmade/blocked-v4.pcap", "../pcaps/handmade/nat-227.pcap",
		"../pcaps/handmade/auth-tls.pcap", "../pcaps/05-active-reset/server.pcap"} {
		_, page := renderBoth(t, false, nil, file)
		p := parsePage(t, page)
		var rs []struct {
			Ladder [][]any `json:"ladder"`
		}
		for _, b := range p.blocks["fs-sessions"] {
			var part []struct {
				Ladder [][]any `json:"ladder"`
			}
			if err := json.Unmarshal([]byte(b), &part); err != nil {
				t.Fatal(err)
			}
			rs = append(rs, part...)
		}
		sessions := sessionsOf(t, file)
		if len(rs) != len(sessions) {
			t.Fatalf("%s: %d sessions in the page, %d analysed", file, len(rs), len(sessions))
		}
		for i, s := range sessions {
			var b bytes.Buffer
			if err := report.Ladder(&b, i+1, s); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")[2:]
			if len(rs[i].Ladder) == 0 {
				lines = nil // the ASCII ladder says there is nothing to draw
			}
			if len(lines) != len(rs[i].Ladder) {
				t.Fatalf("%s session %d: %d rows in the page, %d in --ladder", file, i+1, len(rs[i].Ladder), len(lines))
			}
			for j, row := range rs[i].Ladder {
				line, label := lines[j], row[3].(string)
				if len(label) > 40 {
					label = label[:40] // the ASCII ladder cuts long labels
				}
				if !strings.Contains(line, label) {
					t.Errorf("%s session %d row %d: %q not in %q", file, i+1, j+1, label, line)
				}
				toServer := row[2].(float64) == 1
				switch row[1] {
				case "c":
					if toServer != strings.Contains(line, "->|") {
						t.Errorf("%s session %d row %d: direction differs from %q", file, i+1, j+1, line)
					}
				case "d":
					dies := len(row) > 5 && int(row[5].(float64))&1 != 0
					if dies != (strings.Contains(line, "X=") || strings.Contains(line, "=X")) {
						t.Errorf("%s session %d row %d: fate differs from %q", file, i+1, j+1, line)
					}
				}
			}
		}
	}
}
