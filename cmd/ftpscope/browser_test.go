//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ftpscope/ftpscope/craft"
)

// htmlHostile are names that try to become markup or script in the HTML
// report (report/html_test.go tries the same on the page model).
var htmlHostile = []string{
	`<img src=x onerror="document.title='pwned'">`,
	`</script><script>document.title='pwned'</script>`,
	`</ScRiPt/ ><img src=x onerror="document.title='pwned'">`,
	`<!--<script>document.title='pwned'//`,
	`"'><iframe src="javascript:document.title='pwned'"></iframe>`,
	`</style><svg onload="document.title='pwned'">`,
	`<a href="http://127.0.0.1:9/x">link</a><link rel=stylesheet href=http://127.0.0.1:9/s.css>`,
	"evil\u202egnp.exe \x1b[31mred",
}

// htmlShown is how the page shows a hostile name: as it is, but with
// control and bidi characters written out, as the table writes them.
func htmlShown(h string) string {
	return strings.NewReplacer("\u202e", `\u202e`, "\x1b", `\x1b`).Replace(h)
}

// htmlHostileCapture has one session per hostile name: the greeting, the
// user, a refused PASV's reply, a file name and the reply refusing it, and
// a passive channel nobody answers.
func htmlHostileCapture(t *testing.T) string {
	return writeCapture(t, "hostile-html.pcap", func(w *craft.Writer) {
		for i, h := range htmlHostile {
			t0 := hostileT0.Add(time.Duration(i) * time.Minute)
			client := netip.AddrPortFrom(hostileClient.Addr(), uint16(40000+i))
			c := w.Dial(t0, client, hostileServer)
			at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
			c.Server(at(1), "220 "+h+"\r\n")
			c.Client(at(2), "USER "+h+"\r\n")
			c.Server(at(3), "230 "+h+"\r\n")
			c.Client(at(4), "PASV\r\n")
			c.Server(at(5), "500 "+h+"\r\n")
			c.Client(at(6), "PASV\r\n")
			c.Server(at(7), "227 Entering Passive Mode (198,51,100,21,4,1). "+h+"\r\n")
			w.SYNUnanswered(at(8), netip.AddrPortFrom(client.Addr(), 50000), netip.AddrPortFrom(hostileServer.Addr(), 1025), 2)
			c.Client(at(9), "RETR "+h+"\r\n")
			c.Server(at(10), "550 "+h+"\r\n")
			c.Close(at(1000))
		}
	})
}

// chromium returns the path of Debian's chromium, installing it when the
// test runs as root and it is missing, or skips the test saying why.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("chromium is not installed and the test is not root to install it (apt-get install chromium)")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("chromium is not installed and there is no apt-get to install it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	install := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get %s: %w: %s", strings.Join(args, " "), err, lastLines(string(out), 5))
		}
		return nil
	}
	err := install("install", "-y", "-qq", "chromium")
	if err != nil {
		if err = install("update", "-qq"); err == nil {
			err = install("install", "-y", "-qq", "chromium")
		}
	}
	if err != nil {
		t.Skipf("chromium is not installed and could not be installed: %v", err)
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Skipf("chromium installed but not found: %v", err)
	}
	return p
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// artifacts is where the test keeps what a person may want to look at
// after it: $FTPSCOPE_ARTIFACTS, or a directory under the temporary one
// that the test does not remove.
func artifacts(t *testing.T, sub string) string {
	t.Helper()
	dir := os.Getenv("FTPSCOPE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ftpscope-artifacts")
	}
	dir = filepath.Join(dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserExec returns the program the browser starts as: chromium itself,
// or, as root where unshare works, a wrapper that starts it in a network
// namespace of its own, where there is no network at all (only a loopback
// that is down). The browser speaks to the test over a pipe, so it needs
// none.
func browserExec(t *testing.T, path string) (string, bool) {
	if os.Geteuid() != 0 {
		return path, false
	}
	un, err := exec.LookPath("unshare")
	if err != nil || exec.Command(un, "-n", "true").Run() != nil {
		return path, false
	}
	wrapper := filepath.Join(t.TempDir(), "chromium-no-network")
	script := fmt.Sprintf("#!/bin/sh\nexec %s -n %s \"$@\"\n", un, path)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return wrapper, true
}

// startBrowser starts headless Chromium for the test, with no network, and
// returns its context; the browser is stopped when the test ends.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	browser := chromium(t)
	execPath, isolated := browserExec(t, browser)
	if !isolated {
		t.Log("no network namespace (not root, or unshare failed): the browser runs with a proxy that refuses every connection instead")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1800),
		chromedp.DisableGPU,
		// Nothing outside can be reached even without the namespace.
		chromedp.ProxyServer("127.0.0.1:9"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.Flag("hide-scrollbars", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses its sandbox as root
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Skipf("chromium does not start: %v", err)
	}
	return bctx
}

// TestBrowserHTMLLarge measures a large report in the browser, by hand:
// FTPSCOPE_HTML_LARGE=report.html go test ./cmd/ftpscope -run
// TestBrowserHTMLLarge -v logs how long the page took to be parsed, decoded
// and drawn, and to show the next page of sessions and the sessions with a
// dropped channel (the README's numbers come from it).
func TestBrowserHTMLLarge(t *testing.T) {
	file := os.Getenv("FTPSCOPE_HTML_LARGE")
	if file == "" {
		t.Skip("set FTPSCOPE_HTML_LARGE to an HTML report to measure it")
	}
	file, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	bctx := startBrowser(t)
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.documentElement.dataset.ready === 'true'`, chromedp.WithPollingTimeout(2*time.Minute))); err != nil {
		t.Fatal(err)
	}
	t.Logf("ready after %v", time.Since(start).Round(time.Millisecond))
	times, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => { const d = document.documentElement.dataset;
	  return {parsed: d.parsedMs, first: d.firstPageMs, decoded: d.decodedMs, drawn: d.drawnMs, sessions: d.sessions, channels: d.channels,
	    rows: String(document.querySelectorAll('[data-verdict]').length), heap: String(performance.memory ? performance.memory.usedJSHeapSize : 0)}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page: %v", times)
	for _, step := range []struct{ name, js string }{
		{"next page", `document.querySelector('#pager button:last-child').click()`},
		{"verdict dropped", `(() => { const s = document.getElementById('f-verdict'); s.value = 'dropped'; s.dispatchEvent(new Event('change')); })()`},
		{"text search", `(() => { const s = document.getElementById('f-text'); s.value = 'data-9'; s.dispatchEvent(new Event('change')); })()`},
	} {
		t0 := time.Now()
		js := `(() => { const t = performance.now(); ` + step.js + `; return String(Math.round(performance.now() - t)) + ' ms in the page, ' + document.documentElement.dataset.pageSessions + ' sessions shown'; })()`
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s (%v round trip)", step.name, got, time.Since(t0).Round(time.Millisecond))
	}
}

// pageFacts is what the test reads from the rendered page.
type pageFacts struct {
	Ready        string         `json:"ready"`
	Title        string         `json:"title"`
	Verdicts     map[string]int `json:"verdicts"`
	Sessions     int            `json:"sessions"`
	PageSessions int            `json:"pageSessions"`
	AllSessions  int            `json:"allSessions"`
	Injected     []string       `json:"injected"`
	Handlers     []string       `json:"handlers"`
	Scripts      int            `json:"scripts"`
	Violations   string         `json:"violations"`
	Text         string         `json:"text"`
	Ladders      int            `json:"ladders"`
	Firewall     int            `json:"firewall"`
	Copy         int            `json:"copy"`
	Transfers    map[string]int `json:"transfers"`
	Notices      int            `json:"notices"`
}

const readPage = `(() => {
  const d = document, root = d.documentElement, verdicts = {};
  d.querySelectorAll('[data-verdict]').forEach(e => { verdicts[e.dataset.verdict] = (verdicts[e.dataset.verdict] || 0) + 1; });
  const injected = [...d.querySelectorAll('img, iframe, object, embed, frame, link, base, form, a, audio, video, style:not(head > style)')].map(e => e.outerHTML.slice(0, 120));
  const handlers = [];
  d.querySelectorAll('*').forEach(e => { for (const a of e.attributes) { if (a.name.startsWith('on') || /^\s*javascript:/i.test(a.value)) { handlers.push(e.tagName + ' ' + a.name); } } });
  const transfers = {};
  d.querySelectorAll('[data-transfer-result]').forEach(e => { transfers[e.dataset.transferResult] = (transfers[e.dataset.transferResult] || 0) + 1; });
  return {transfers, notices: d.querySelectorAll('[data-notice]').length, ready: root.dataset.ready || '', title: d.title, verdicts, sessions: d.querySelectorAll('[data-session]').length,
    pageSessions: +root.dataset.pageSessions, allSessions: +root.dataset.sessions, injected, handlers,
    scripts: d.scripts.length, violations: root.dataset.cspViolations || '', text: d.body.innerText,
    ladders: d.querySelectorAll('svg.ladder').length, firewall: d.querySelectorAll('#firewall .card').length,
    copy: d.querySelectorAll('#firewall button.copy').length};
})()`

// TestBrowserHTML loads the HTML report of corpus captures and of a capture
// of hostile names in headless Chromium with no network: the rendered page
// has one data-verdict element per channel with the JSON report's counts,
// a data-session element per session, its ladders and firewall view;
// nothing was fetched but the file itself; no hostile name ran (the title
// is the page's, no dialog, no exception) or became markup (no element or
// handler the page does not make), and the names show as text. A
// screenshot of each page is kept (see artifacts).
func TestBrowserHTML(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := ftpscopeBinary(t)
	bctx := startBrowser(t)
	out := artifacts(t, "browser")

	for _, tc := range []struct {
		name, file string
		hostile    bool
	}{
		{"04-active-drop", "../../pcaps/04-active-drop/server.pcap", false},
		{"10-dnat-pasv-private", "../../pcaps/10-dnat-pasv-private/client.pcap", false},
		{"14-ftps-helper-firewall", "../../pcaps/14-ftps-helper-firewall/client.pcap", false},
		{"blocked-v4", "../../pcaps/handmade/blocked-v4.pcap", false},
		{"15-long-session-abort-kill", "../../pcaps/15-long-session-abort-kill/client.pcap", false},
		{"17-bruteforce-proftpd", "../../pcaps/17-bruteforce-proftpd/client.pcap", false},
		{"hostile", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if tc.hostile {
				file = htmlHostileCapture(t)
			}
			dir := t.TempDir()
			report := filepath.Join(dir, "report.html")
			if tc.hostile {
				// The capture's file name reaches the page's heading.
				named := filepath.Join(dir, "a<img src=x onerror=\"document.title='pwned'\">.pcap")
				if err := os.Link(file, named); err != nil {
					t.Fatal(err)
				}
				file = named
			}
			cmd := exec.Command(bin, "-r", file, "--format", "json", "--html", report)
			jsonOut, err := cmd.Output()
			if err != nil {
				t.Fatalf("ftpscope: %v", err)
			}
			want, sessions, transfers := jsonVerdicts(t, jsonOut)
			bySession := jsonFilters(t, jsonOut)

			tctx, tcancel := chromedp.NewContext(bctx)
			defer tcancel()
			var mu sync.Mutex
			var fetched, problems []string
			dialogs := make(chan struct{}, 16)
			err = chromedp.Listen(tctx, func(ev any) {
				mu.Lock()
				defer mu.Unlock()
				switch e := ev.(type) {
				case *network.EventRequestWillBeSent:
					fetched = append(fetched, e.Request.URL)
				case *runtime.EventExceptionThrown:
					problems = append(problems, "exception: "+e.ExceptionDetails.Text)
				case *page.EventJavascriptDialogOpening:
					problems = append(problems, "dialog: "+e.Message)
					select {
					case dialogs <- struct{}{}:
					default:
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				// A dialog would block the page: close it (the test has
				// failed already).
				for range dialogs {
					_, _ = chromedp.Call(tctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{})
				}
			}()
			defer close(dialogs)
			url := "file://" + report + "#all"
			pctx, pcancel := context.WithTimeout(tctx, time.Minute)
			defer pcancel()
			start := time.Now()
			if _, err := chromedp.Call(pctx, network.Enable, network.EnableParams{}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(pctx, runtime.Enable, cdp.Empty{}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(pctx, chromedp.Navigate(url)); err != nil {
				t.Fatalf("loading %s: %v", url, err)
			}
			if _, err := chromedp.Run(pctx, chromedp.Poll[bool](`document.documentElement.dataset.ready === 'true'`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
				t.Fatalf("%s never drew itself: %v", url, err)
			}
			facts, err := chromedp.Run(pctx, chromedp.Evaluate[pageFacts](readPage))
			if err != nil {
				t.Fatalf("reading the page: %v", err)
			}
			shot, err := chromedp.Run(pctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			t.Logf("rendered in %v", time.Since(start).Round(time.Millisecond))
			png := filepath.Join(out, tc.name+".png")
			if err := os.WriteFile(png, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", png)
			if page, err := os.ReadFile(report); err == nil {
				_ = os.WriteFile(filepath.Join(out, tc.name+".html"), page, 0o644)
			}

			if facts.Title != "ftpscope report" {
				t.Errorf("title %q: a hostile name ran", facts.Title)
			}
			if facts.PageSessions != facts.AllSessions || facts.AllSessions != sessions || facts.Sessions != sessions {
				t.Errorf("%d data-session elements (%d on the page, %d in the report), %d sessions in the JSON report",
					facts.Sessions, facts.PageSessions, facts.AllSessions, sessions)
			}
			if !reflect.DeepEqual(facts.Verdicts, want) {
				t.Errorf("data-verdict elements by verdict %v, JSON report %v", facts.Verdicts, want)
			}
			if !reflect.DeepEqual(facts.Transfers, transfers) {
				t.Errorf("transfer rows by result %v, JSON report %v", facts.Transfers, transfers)
			}
			if n := strings.Count(string(jsonOut), `{"type":"notice"`); facts.Notices != n {
				t.Errorf("%d notice rows, %d notices in the JSON report", facts.Notices, n)
			}
			if facts.Ladders != sessions {
				t.Errorf("%d ladders for %d sessions opened", facts.Ladders, sessions)
			}
			if facts.Firewall == 0 || facts.Copy == 0 {
				t.Errorf("firewall view: %d servers, %d copy buttons", facts.Firewall, facts.Copy)
			}
			if len(facts.Injected) > 0 || len(facts.Handlers) > 0 {
				t.Errorf("markup the page does not make: %q, handlers %q", facts.Injected, facts.Handlers)
			}
			if facts.Violations != "" {
				t.Errorf("%s Content-Security-Policy violations", facts.Violations)
			}
			mu.Lock()
			if len(fetched) == 0 {
				t.Error("no request seen, not even the report's own: the network listener is broken")
			}
			for _, u := range fetched {
				if !strings.HasPrefix(u, "file://"+report) {
					t.Errorf("fetched %s", u)
				}
			}
			if len(problems) > 0 {
				t.Errorf("%q", problems)
			}
			mu.Unlock()
			// The copy button copies, or says to copy by hand where the
			// browser lets no page write the clipboard.
			copyJS := `(() => { const b = document.querySelector('#firewall button.copy'); b.click(); return true; })()`
			if _, err := chromedp.Run(pctx, chromedp.Evaluate[bool](copyJS)); err != nil {
				t.Fatalf("copy: %v", err)
			}
			said, err := chromedp.Run(pctx, chromedp.Poll[string](`(() => { const t = document.querySelector('#firewall button.copy').textContent; return t !== 'copy' && t; })()`, chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil || said != "copied" && said != "select and copy by hand" {
				t.Errorf("the copy button says %q (%v)", said, err)
			}
			t.Logf("copy button: %s", said)
			// The filters: each shows the sessions the JSON report says
			// match it, and only those.
			for _, f := range []struct {
				name, js string
				want     int
			}{
				{"verdict", `(() => { const s = document.getElementById('f-verdict'); s.value = ` + jsString(bySession.verdict) + `; s.dispatchEvent(new Event('change')); })()`, bySession.withVerdict},
				{"server", `(() => { const s = document.getElementById('f-server'); s.value = ` + jsString(bySession.firstServer) + `; s.dispatchEvent(new Event('change')); })()`, bySession.server},
				{"client", `(() => { const s = document.getElementById('f-client'); s.value = ` + jsString(bySession.firstClient) + `; s.dispatchEvent(new Event('change')); })()`, bySession.client},
				{"text", `(() => { const s = document.getElementById('f-text'); s.value = '#1'; s.dispatchEvent(new Event('change')); })()`, 1},
			} {
				js := `(() => { document.querySelector('#filters button').click(); ` + f.js + `; return document.querySelectorAll('[data-session]').length; })()`
				got, err := chromedp.Run(pctx, chromedp.Evaluate[int](js))
				if err != nil {
					t.Fatalf("filter %s: %v", f.name, err)
				}
				if got != f.want {
					t.Errorf("filter by %s: %d sessions shown, want %d", f.name, got, f.want)
				}
			}
			if tc.hostile {
				for _, h := range append(htmlHostile, filepath.Base(file)) {
					if !strings.Contains(facts.Text, htmlShown(h)) {
						t.Errorf("the page does not show %q as text", htmlShown(h))
					}
				}
				if strings.ContainsAny(facts.Text, "\u202e\x1b") {
					t.Error("a bidi override or an escape character reached the page raw")
				}
			}
		})
	}
}

// filterCounts are how many sessions of a JSON report each filter of the
// page must show.
type filterCounts struct {
	verdict                  string // the verdict of the first channel
	withVerdict              int    // sessions with a channel of that verdict
	firstServer, firstClient string
	server, client           int // sessions of the first session's server, and of its client
}

func jsonFilters(t *testing.T, out []byte) filterCounts {
	t.Helper()
	var f filterCounts
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var all []struct {
		Client, Server string
		Channels       []struct{ Verdict string }
	}
	for _, l := range lines[:len(lines)-1] {
		var s struct {
			Type, Client, Server string
			Channels             []struct{ Verdict string }
		}
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatal(err)
		}
		if s.Type == "session" {
			all = append(all, struct {
				Client, Server string
				Channels       []struct{ Verdict string }
			}{s.Client, s.Server, s.Channels})
		}
	}
	if len(all) == 0 {
		t.Fatal("no session in the JSON report")
	}
	f.firstServer, f.firstClient = all[0].Server, all[0].Client
	for _, s := range all {
		if len(s.Channels) > 0 && f.verdict == "" {
			f.verdict = s.Channels[0].Verdict
		}
	}
	for _, s := range all {
		for _, c := range s.Channels {
			if c.Verdict == f.verdict {
				f.withVerdict++
				break
			}
		}
		if s.Server == f.firstServer {
			f.server++
		}
		if strings.Contains(s.Client, f.firstClient) {
			f.client++
		}
	}
	return f
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsonVerdicts returns the JSON report's channel count per verdict (those
// with channels), its session count and its transfers by result.
func jsonVerdicts(t *testing.T, out []byte) (map[string]int, int, map[string]int) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	transfers := map[string]int{}
	for _, l := range lines[:len(lines)-1] {
		var s struct {
			Channels []struct {
				Transfer *struct{ Result string } `json:"transfer"`
			} `json:"channels"`
		}
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatal(err)
		}
		for _, c := range s.Channels {
			if c.Transfer != nil {
				transfers[c.Transfer.Result]++
			}
		}
	}
	var sum struct {
		Type     string         `json:"type"`
		Sessions int            `json:"session_count"`
		Verdicts map[string]int `json:"verdicts"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Type != "summary" {
		t.Fatalf("JSON report's last line: %v %q", err, lines[len(lines)-1])
	}
	want := map[string]int{}
	for v, n := range sum.Verdicts {
		if n > 0 {
			want[v] = n
		}
	}
	if len(want) == 0 {
		t.Fatal(errors.New("the capture has no channel"))
	}
	return want, sum.Sessions, transfers
}
