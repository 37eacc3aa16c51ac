package report_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/report"
)

// FuzzHTMLPage puts any text into every string of a session that reaches
// the page, and into the heading and a section: the page keeps its own
// elements and no others, one script, no handler attribute and its title,
// and the data blocks give the text back.
func FuzzHTMLPage(f *testing.F) {
	for _, h := range htmlHostile {
		f.Add(h)
	}
	f.Add("</script\t>")
	f.Add("<!--<script></script>-->")
	f.Add("\xff\xfe<\x00>")
	f.Fuzz(func(t *testing.T, text string) {
		t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		s := &analysis.Session{
			Client: netip.MustParseAddrPort("192.0.2.1:40000"), Server: netip.MustParseAddrPort("198.51.100.1:21"),
			Start: t0, End: t0.Add(time.Second), User: text, Password: text, Greeting: text, Closed: text,
			Exchanges: []analysis.Exchange{{Time: t0, FromClient: true, Text: text}, {Time: t0, Text: "227 " + text}},
			Channels: []*analysis.Channel{{Method: analysis.PASV, Time: t0, Command: "RETR", Argument: text, ReplyText: text,
				Announced: netip.MustParseAddrPort("198.51.100.1:1025"), Alternate: netip.MustParseAddrPort("198.51.100.1:1025"),
				Verdict: analysis.Dropped}},
		}
		var b bytes.Buffer
		h, err := report.NewHTML(&b, report.HTMLOptions{Inputs: []string{text}})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Session(s); err != nil {
			t.Fatal(err)
		}
		if err := h.AddSection(text, []map[string]string{{text: text}}); err != nil {
			t.Fatal(err)
		}
		if err := h.Close(report.Summary{}); err != nil {
			t.Fatal(err)
		}
		p := parsePage(t, b.String())
		if p.title != "ftpscope report" || len(p.scripts) != 1 || len(p.handlers) > 0 {
			t.Fatalf("title %q, %d scripts, handlers %v", p.title, len(p.scripts), p.handlers)
		}
		want := map[string]int{"fs-sessions": 1, "fs-section": 1, "fs-summary": 1, "fs-firewall": 1}
		for k, n := range want {
			if len(p.blocks[k]) != n {
				t.Fatalf("%d %s blocks, want %d", len(p.blocks[k]), k, n)
			}
		}
		for _, tag := range []string{"img", "iframe", "svg", "a", "link", "form", "object", "embed", "template"} {
			if p.tags[tag] > 0 {
				t.Fatalf("<%s> in the page", tag)
			}
		}
		var rs []struct {
			Session struct{ User string } `json:"session"`
		}
		if err := json.Unmarshal([]byte(p.blocks["fs-sessions"][0]), &rs); err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 {
			t.Fatalf("%d sessions", len(rs))
		}
		// JSON carries bytes that are not UTF-8 as U+FFFD: compare the rest.
		if utf8.ValidString(text) && rs[0].Session.User != text {
			t.Fatalf("user %q, want %q", rs[0].Session.User, text)
		}
	})
}
