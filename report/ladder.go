package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// The ladder's geometry: a time column, the client's lifeline, an arrow
// area, the server's lifeline, then a tag naming the channel.
const (
	ladderTimeWidth = 10 // "  61.050 " and the client lifeline after it
	ladderSpan      = 72 // characters between the two lifelines
)

// ladderWriter draws a sequence diagram of each session after the inner
// writer rendered it.
type ladderWriter struct {
	inner Writer
	w     *recordWriter // each session's ladder is one record
	n     int
}

// WithLadder returns a Writer that renders each session with inner and then
// draws its ladder: a plain-ASCII sequence diagram with the client and server
// lifelines, the control exchanges that matter and every data-connection
// attempt with its fate, on a capture-time axis in seconds from the
// session's start. The output is deterministic.
func WithLadder(inner Writer, w io.Writer) Writer {
	return &ladderWriter{inner: inner, w: newRecordWriter(w, 64<<10, false)}
}

func (l *ladderWriter) Session(s *analysis.Session) error {
	if err := l.inner.Session(s); err != nil {
		return err
	}
	l.n++
	if err := Ladder(l.w, l.n, s); err != nil {
		return err
	}
	return l.w.Flush()
}

func (l *ladderWriter) Channel(s *analysis.Session, c *analysis.Channel) error {
	return l.inner.Channel(s, c)
}

// Notice passes a notice on to the inner writer.
func (l *ladderWriter) Notice(s *analysis.Session, n *analysis.Notice) error {
	return l.inner.Notice(s, n)
}

func (l *ladderWriter) Close(sum Summary) error { return l.inner.Close(sum) }

// Flush passes a flush on to the inner writer.
func (l *ladderWriter) Flush() error {
	if err := l.w.Flush(); err != nil {
		return err
	}
	return l.inner.Flush()
}

// ladderStep is one row of a session's ladder, in the terms both drawings
// use: the ASCII one (Ladder) and the SVG one of the HTML report.
type ladderStep struct {
	t    time.Time
	rank int // ties: exchanges first, then data attempts, in input order
	seq  int
	kind ladderKind
	// toRight: the arrow goes from the client to the server.
	toRight bool
	// label is the arrow's text as on the wire (the drawings make it
	// printable).
	label string
	// channel is the number (from 1) of the tagged channel: data attempts
	// and the exchange that announced the channel; 0 for other rows. The
	// ASCII ladder writes the tag ("#2 dropped") from it and verdict.
	channel int
	verdict analysis.Verdict
	// dies: the arrow ends in X (no answer, reset, ICMP); short: it stops
	// before the far lifeline (nothing came back from there).
	dies, short bool
}

// ladderKind says what a ladder step draws.
type ladderKind uint8

const (
	stepControl ladderKind = iota // a command or a reply
	stepTLS                       // the control channel turns opaque
	stepData                      // a data-connection attempt
)

// ladderSteps returns a session's ladder rows in drawing order.
func ladderSteps(s *analysis.Session) []ladderStep {
	n := len(s.Exchanges) + 1
	for _, c := range s.Channels {
		n += len(c.Attempts)
	}
	evs := make([]ladderStep, 0, n)
	add := func(st ladderStep) {
		st.seq = len(evs)
		evs = append(evs, st)
	}
	// Tag the exchange that announced each channel with the channel's number.
	tags := map[int]int{}
	for i, c := range s.Channels {
		for j, e := range s.Exchanges {
			if _, taken := tags[j]; taken || !e.Time.Equal(c.Time) {
				continue
			}
			if e.FromClient == (c.Mode() == analysis.Active) && announces(e.Text) {
				tags[j] = i
				break
			}
		}
	}
	for j, e := range s.Exchanges {
		st := ladderStep{t: e.Time, rank: 0, kind: stepControl, toRight: e.FromClient, label: e.Text}
		if i, ok := tags[j]; ok {
			st.channel, st.verdict = i+1, s.Channels[i].Verdict
		}
		add(st)
	}
	if s.TLS {
		add(ladderStep{t: s.TLSTime(), rank: 1, kind: stepTLS, label: "TLS: the control channel is encrypted from here on"})
	}
	for i, c := range s.Channels {
		for _, at := range c.Attempts {
			st := dataStep(c, at)
			st.t, st.rank = at.First, 2
			st.channel, st.verdict = i+1, c.Verdict
			add(st)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if !a.t.Equal(b.t) {
			return a.t.Before(b.t)
		}
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		return a.seq < b.seq
	})
	return evs
}

// ascii draws the step as one line between the lifelines.
func (st *ladderStep) ascii() string {
	switch st.kind {
	case stepTLS:
		return "|" + fill(" "+st.label+" ", '~', ladderSpan) + "|"
	case stepData:
		head := byte('>')
		if st.dies {
			head = 'X'
		} else if !st.toRight {
			head = '<'
		}
		return arrow(st.label, '=', st.toRight, head, st.short) + st.tag()
	}
	return controlArrow(st.toRight, st.label) + st.tag()
}

// Ladder draws session number n as a sequence diagram.
func Ladder(w io.Writer, n int, s *analysis.Session) error {
	evs := ladderSteps(s)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Ladder %d: client %s -> server %s, t=0 at %s\n", n, s.Client, s.Server, stamp(s.Start))
	left := "client " + s.Client.Addr().String()
	right := "server " + s.Server.Addr().String()
	gap := ladderSpan + 2 - len(left) - len(right)
	if gap < 1 {
		gap = 1
	}
	fmt.Fprintf(bw, "%*s %s%s%s\n", ladderTimeWidth-1, "seconds", left, strings.Repeat(" ", gap), right)
	for i := range evs {
		fmt.Fprintf(bw, "%*.3f %s\n", ladderTimeWidth-1, evs[i].t.Sub(s.Start).Seconds(), evs[i].ascii())
	}
	if len(evs) == 0 {
		fmt.Fprintf(bw, "%*s (no control exchange or data connection recorded)\n", ladderTimeWidth-1, "")
	}
	bw.WriteString("\n")
	return bw.Flush()
}

// announces reports whether a control line is a setup command or reply.
func announces(text string) bool {
	for _, p := range []string{"PORT", "EPRT", "LPRT", "227", "228", "229"} {
		if strings.HasPrefix(strings.ToUpper(text), p) {
			return true
		}
	}
	return false
}

// tag names the row's channel and its verdict after the lifelines.
func (st *ladderStep) tag() string {
	if st.channel == 0 {
		return ""
	}
	return fmt.Sprintf("  #%d %s", st.channel, st.verdict)
}

// ascii keeps a label printable: control and non-ASCII characters become '?'.
func ascii(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fill centres text in a run of c n characters wide, clipping it when needed.
func fill(text string, c byte, n int) string {
	text = ascii(text)
	if len(text) > n-2 {
		text = text[:n-5] + "..."
	}
	l := (n - len(text)) / 2
	return strings.Repeat(string(c), l) + text + strings.Repeat(string(c), n-l-len(text))
}

// arrow draws a labelled arrow between the lifelines. toRight says the
// direction; head is the character at the arrow's end ('>' or '<' when it
// arrives, 'X' when it dies); short leaves the far end unreached.
func arrow(label string, line byte, toRight bool, head byte, short bool) string {
	label = ascii(label)
	room := ladderSpan - 6
	if short {
		room -= 4
	}
	if len(label) > room {
		label = label[:room-3] + "..."
	}
	body := make([]byte, 0, ladderSpan)
	if toRight {
		body = append(body, line, line, ' ')
		body = append(body, label...)
		body = append(body, ' ')
		end := ladderSpan - 1
		if short {
			end -= 4
		}
		for len(body) < end {
			body = append(body, line)
		}
		body = append(body, head)
		for len(body) < ladderSpan {
			body = append(body, ' ')
		}
	} else {
		start := 0
		if short {
			for ; start < 4; start++ {
				body = append(body, ' ')
			}
		}
		body = append(body, head)
		body = append(body, line, ' ')
		body = append(body, label...)
		body = append(body, ' ')
		for len(body) < ladderSpan {
			body = append(body, line)
		}
	}
	return "|" + string(body) + "|"
}

func controlArrow(fromClient bool, text string) string {
	if fromClient {
		return arrow(text, '-', true, '>', false)
	}
	return arrow(text, '-', false, '<', false)
}

// dataStep describes one data-connection attempt with its fate.
func dataStep(c *analysis.Channel, at *analysis.Attempt) ladderStep {
	toRight := c.Mode() == analysis.Passive // passive: the client connects to the server
	var b strings.Builder
	switch {
	case at.NoSYN:
		b.WriteString("data (begun before the capture)")
	case at.SYNs > 1:
		fmt.Fprintf(&b, "SYN x%d", at.SYNs)
	case at.SYNs == 1:
		b.WriteString("SYN")
	default:
		b.WriteString("SYN (not in capture)")
	}
	// The lifelines name the hosts; an address is written only when the
	// attempt went elsewhere (a NATed or third-party endpoint).
	to := fmt.Sprintf(":%d", at.To.Port())
	if at.To.Addr() != c.Alternate.Addr() {
		to = at.To.String()
	}
	fmt.Fprintf(&b, " :%d -> %s", at.From.Port(), to)
	if at.Match == analysis.MatchControl && c.NAT {
		b.WriteString(" (control address)")
	}
	dies, short := false, false
	switch {
	case at.Established():
		if at.Bytes > 0 {
			fmt.Fprintf(&b, ", %d bytes", at.Bytes)
		} else {
			b.WriteString(", connected")
		}
		if at.ResetLater {
			b.WriteString(", reset later")
		}
	case !at.RST.IsZero():
		b.WriteString(", RST")
		dies = true
	case at.ICMP != nil:
		fmt.Fprintf(&b, ", ICMP %s from %s", shortICMP(at.ICMP.Describe()), at.ICMP.From)
		dies, short = true, true
	default:
		b.WriteString(", no answer")
		dies, short = true, true
	}
	return ladderStep{kind: stepData, toRight: toRight, label: b.String(), dies: dies, short: short}
}

// shortICMP abbreviates the long ICMP code names so the ladder line keeps
// the sender in view.
func shortICMP(d string) string {
	return strings.NewReplacer("administratively prohibited", "admin-prohibited", "destination", "dest").Replace(d)
}
