package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"

	"github.com/ftpscope/ftpscope/analysis"
)

// The page's parts live in report/html/: the skeleton is an html/template,
// the stylesheet and the script are inlined verbatim and allowed by their
// hashes in the page's Content-Security-Policy, so nothing else can run or
// style the page, even markup that somehow got in.
//
//go:embed html/page.tmpl html/page.css html/page.js
var htmlFiles embed.FS

var (
	htmlCSS  = mustRead("html/page.css")
	htmlJS   = mustRead("html/page.js")
	htmlPage = template.Must(template.New("page.tmpl").ParseFS(htmlFiles, "html/page.tmpl"))
	// htmlCSP forbids every fetch (default-src 'none': no script, style,
	// font, image, frame or connection from anywhere, the file itself
	// included) but the inline script and stylesheet whose hashes it names.
	// No base URL, no form target.
	htmlCSP = "default-src 'none'; script-src " + cspHash(htmlJS) + "; style-src " + cspHash(htmlCSS) +
		"; base-uri 'none'; form-action 'none'"
)

func mustRead(name string) string {
	b, err := htmlFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

// htmlChunk is the size at which the pending session records go out as one
// JSON block: the page holds many blocks, the writer one at most.
const htmlChunk = 256 << 10

// HTMLOptions says what the HTML report is about.
type HTMLOptions struct {
	// Inputs names the capture files (or the interface) read, shown in the
	// page's heading.
	Inputs []string
}

// HTMLWriter writes the one-file HTML report (--html): a page that draws
// itself in the browser from JSON blocks in the file, with nothing fetched
// from anywhere. Sessions stream into the file as they come, so its memory
// is one block of records (htmlChunk) and the firewall book, whatever the
// capture's size; the summary, the firewall view and the script come last.
type HTMLWriter struct {
	w     *bufio.Writer
	book  *analysis.FirewallBook
	chunk []byte
	n     int
	err   error
}

// NewHTML starts an HTML report on w and writes the page's head at once.
func NewHTML(w io.Writer, o HTMLOptions) (*HTMLWriter, error) {
	h := &HTMLWriter{w: bufio.NewWriterSize(w, 64<<10), book: analysis.NewFirewallBook(0)}
	inputs := o.Inputs
	if inputs == nil {
		inputs = []string{}
	}
	err := htmlPage.ExecuteTemplate(h.w, "head", struct {
		CSP    string
		CSS    template.CSS
		Inputs []string
	}{htmlCSP, template.CSS(htmlCSS), inputs})
	if err != nil {
		return nil, fmt.Errorf("html report: %w", err)
	}
	return h, nil
}

// htmlStep is one row of the SVG ladder as the page's script reads it,
// written as a JSON array to keep the file small (a session's ladder is as
// large as its record): [t, kind, to_server, label, channel, flags].
type htmlStep struct {
	// T is the time in seconds since the session's start.
	T float64
	// Kind is 'c' (a command or reply), 't' (TLS begins) or 'd' (a
	// data-connection attempt).
	Kind byte
	// ToServer says the arrow goes from the client to the server.
	ToServer bool
	Label    string
	// Channel is the number (from 1) of the channel the row belongs to,
	// 0 for none; the page tags the row with it and its verdict.
	Channel int
	// Dies: the arrow ends in X; Short: it stops before the far lifeline.
	Dies, Short bool
}

// htmlSession is a session as the page holds it: its JSON record (the same
// facts as --format json, so fields other issues add to that record reach
// the page too) with its number and its ladder.
type htmlSession struct {
	N       int
	Session jsonSession
	Ladder  []htmlStep
	s       *analysis.Session
}

var stepKinds = [...]byte{stepControl: 'c', stepTLS: 't', stepData: 'd'}

// htmlModel returns session number n as the page holds it.
func htmlModel(n int, s *analysis.Session) htmlSession {
	steps := ladderSteps(s)
	m := htmlSession{N: n, Session: sessionJSON(s, &jsonScratch{}), Ladder: make([]htmlStep, 0, len(steps)), s: s}
	for i := range steps {
		st := &steps[i]
		m.Ladder = append(m.Ladder, htmlStep{T: math.Round(st.t.Sub(s.Start).Seconds()*1e6) / 1e6, Kind: stepKinds[st.kind],
			ToServer: st.toRight, Label: st.label, Channel: st.channel, Dies: st.dies, Short: st.short})
	}
	return m
}

// appendHTMLSession appends m as {"n":N,"session":{...},"ladder":[...]},
// with "notices" and "listings" when it has them: the session record by
// the fast path the JSON output uses.
func appendHTMLSession(b []byte, m *htmlSession) []byte {
	b = append(b, `{"n":`...)
	b = strconv.AppendInt(b, int64(m.N), 10)
	b = append(b, `,"session":`...)
	b = appendSessionJSON(b, &m.Session)
	b = append(b, `,"ladder":[`...)
	for i := range m.Ladder {
		st := &m.Ladder[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONFloat(b, st.T)
		b = append(b, ',', '"', st.Kind, '"', ',')
		if st.ToServer {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
		b = append(b, ',')
		b = appendJSONString(b, st.Label)
		flags := 0
		if st.Dies {
			flags |= 1
		}
		if st.Short {
			flags |= 2
		}
		if st.Channel != 0 || flags != 0 {
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(st.Channel), 10)
		}
		if flags != 0 {
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(flags), 10)
		}
		b = append(b, ']')
	}
	b = append(b, ']')
	// The records the JSON report writes after the session (its notices
	// and directory listings) go with it here.
	if ns := sessionNotices(m.s); len(ns) > 0 {
		b = append(b, `,"notices":[`...)
		for i := range ns {
			if i > 0 {
				b = append(b, ',')
			}
			j, err := json.Marshal(noticeJSON(m.s, &ns[i], &jsonScratch{}))
			if err != nil {
				j = []byte("null")
			}
			b = append(b, j...)
		}
		b = append(b, ']')
	}
	first := true
	for i, c := range m.s.Channels {
		if c.Transfer == nil || c.Transfer.Listing == nil {
			continue
		}
		if first {
			b, first = append(b, `,"listings":[`...), false
		} else {
			b = append(b, ',')
		}
		b = appendListingJSON(b, m.s, c, &m.Session.Channels[i], &jsonScratch{})
	}
	if !first {
		b = append(b, ']')
	}
	return append(b, '}')
}

// scriptSafe writes a JSON text to w so that it can stand inside a script
// element: '<', '>' and '&' become \u003c, \u003e and \u0026. In JSON they
// can stand only inside strings, where the escape means the same rune, so
// the value does not change; without a '<' nothing can close the element
// (</script>) or open a comment (<!--) in it. The next place of each of the
// three is found with bytes.IndexByte and kept until it is passed, so the
// text is read once by the fast byte search, however many there are.
func scriptSafe(w *bufio.Writer, src []byte) {
	special := [3]byte{'<', '>', '&'}
	escaped := [3]string{`\u003c`, `\u003e`, `\u0026`}
	var next [3]int
	for k, c := range special {
		next[k] = indexFrom(src, c, 0)
	}
	start := 0
	for {
		k := -1
		for j := range next {
			if next[j] >= 0 && (k < 0 || next[j] < next[k]) {
				k = j
			}
		}
		if k < 0 {
			break
		}
		i := next[k]
		w.Write(src[start:i])
		w.WriteString(escaped[k])
		start = i + 1
		next[k] = indexFrom(src, special[k], start)
	}
	w.Write(src[start:])
}

// indexFrom is the index of the first c in src at or after from, or -1.
func indexFrom(src []byte, c byte, from int) int {
	i := bytes.IndexByte(src[from:], c)
	if i < 0 {
		return -1
	}
	return from + i
}

// block writes one JSON data block: a script element the browser never
// runs (its type is not a script's) holding data, made safe for it.
func (h *HTMLWriter) block(attrs string, data []byte) {
	if h.err != nil {
		return
	}
	h.w.WriteString(`<script type="application/json" `)
	h.w.WriteString(attrs)
	h.w.WriteString(">")
	scriptSafe(h.w, data)
	_, h.err = h.w.WriteString("</script>\n")
}

func (h *HTMLWriter) flushChunk() {
	if len(h.chunk) == 0 {
		return
	}
	h.chunk = append(h.chunk, ']')
	h.block(`class="fs-sessions"`, h.chunk)
	h.chunk = h.chunk[:0]
}

// Session adds a session and its ladder to the page.
func (h *HTMLWriter) Session(s *analysis.Session) error {
	if h.err != nil {
		return h.err
	}
	h.book.Add(s)
	h.n++
	m := htmlModel(h.n, s)
	if len(h.chunk) == 0 {
		h.chunk = append(h.chunk, '[')
	} else {
		h.chunk = append(h.chunk, ',')
	}
	h.chunk = appendHTMLSession(h.chunk, &m)
	if len(h.chunk) >= htmlChunk {
		h.flushChunk()
	}
	return h.err
}

// Channel does nothing: each session brings its channels.
func (h *HTMLWriter) Channel(*analysis.Session, *analysis.Channel) error { return h.err }

// Notice implements Writer: the page shows each session's notices with it.
func (h *HTMLWriter) Notice(*analysis.Session, *analysis.Notice) error { return h.err }

// Flush writes the records held so far to the file (live capture flushes
// after each session; the page is whole once Close ran).
func (h *HTMLWriter) Flush() error {
	h.flushChunk()
	if h.err == nil {
		h.err = h.w.Flush()
	}
	return h.err
}

// AddSection adds a section of records to the page: a table titled title
// with a column per field of records (a slice of structs or maps, encoded
// as JSON). It is how views that are not part of a session record (a
// capture-wide list of transfers or notices) reach the page.
func (h *HTMLWriter) AddSection(title string, records any) error {
	data, err := json.Marshal(struct {
		Title   string `json:"title"`
		Records any    `json:"records"`
	}{title, records})
	if err != nil {
		return fmt.Errorf("html report: section %q: %w", title, err)
	}
	h.block(`class="fs-section"`, data)
	return h.err
}

// htmlFirewall is the firewall view as the page holds it.
type htmlFirewall struct {
	Servers []jsonFirewall `json:"servers"`
	// Evicted counts servers not profiled to keep memory bounded.
	Evicted uint64 `json:"evicted"`
}

// Close writes the summary, the firewall view and the script, and ends the
// page.
func (h *HTMLWriter) Close(sum Summary) error {
	h.flushChunk()
	if h.err != nil {
		return h.err
	}
	data, err := json.Marshal(summaryJSON(sum))
	if err != nil {
		return fmt.Errorf("html report: summary: %w", err)
	}
	h.block(`id="fs-summary"`, data)
	fw := htmlFirewall{Servers: []jsonFirewall{}, Evicted: h.book.Evicted}
	for _, p := range h.book.Profiles() {
		fw.Servers = append(fw.Servers, firewallRecord(p))
	}
	if data, err = json.Marshal(fw); err != nil {
		return fmt.Errorf("html report: firewall view: %w", err)
	}
	h.block(`id="fs-firewall"`, data)
	if h.err != nil {
		return h.err
	}
	if err := htmlPage.ExecuteTemplate(h.w, "tail", struct{ JS template.JS }{template.JS(htmlJS)}); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return h.w.Flush()
}

// Tee returns a Writer that hands every call to each of ws in order. Every
// writer is closed even when one fails (an HTML report still ends when the
// terminal went away); the first error is returned.
func Tee(ws ...Writer) Writer { return tee(ws) }

type tee []Writer

func (t tee) Session(s *analysis.Session) error {
	for _, w := range t {
		if err := w.Session(s); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Channel(s *analysis.Session, c *analysis.Channel) error {
	for _, w := range t {
		if err := w.Channel(s, c); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Notice(s *analysis.Session, n *analysis.Notice) error {
	for _, w := range t {
		if err := w.Notice(s, n); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Flush() error {
	var first error
	for _, w := range t {
		if err := w.Flush(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (t tee) Close(sum Summary) error {
	var first error
	for _, w := range t {
		if err := w.Close(sum); err != nil && first == nil {
			first = err
		}
	}
	return first
}
