package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/correlate"
)

// pointsLadderSpan is the width between the first and the last point's
// lifelines of a ladder over several capture points.
const pointsLadderSpan = 72

// pointsRow is one row of a ladder over capture points: an arrow between
// two lifelines (indexes into the drawn points), ending in X when what it
// carries was lost past the arrow's end.
type pointsRow struct {
	t    time.Time
	rank int
	// from and to are character positions (lifelines or between them).
	from, to int
	label    string
	line     byte
	dies     bool
	tag      string
}

// PointsLadder draws session number n of a run over capture points: one
// lifeline per point that saw it, in path order, the client's side on the
// left. Control lines cross every point; each data connection's SYN is drawn
// from the point nearest its sender to the last point that saw it, and its
// answer back as far as it came, so the gap where it died shows between two
// lifelines. Times are the first point's clock.
func (p *Points) PointsLadder(w io.Writer, n int, g *correlate.Session) error {
	pts := g.Points()
	prim := g.Seen[g.Primary]
	col := map[int]int{} // point index -> lifeline
	for i, pt := range pts {
		col[pt] = i
	}
	last := len(pts) - 1
	pos := lifelines(len(pts))
	// lost is where an arrow lost between lifelines a and b ends: half way.
	lost := func(a, b int) int { return (pos[a] + pos[b]) / 2 }
	// beyond is where an arrow lost past the outermost lifeline a ends.
	beyond := func(a int) int {
		if a == 0 {
			return pos[0] - ladderMargin + 1
		}
		return pos[a] + ladderMargin - 1
	}
	off := p.Result.Offsets[g.Primary].Offset
	var rows []pointsRow
	for _, e := range prim.Exchanges {
		r := pointsRow{t: e.Time.Add(-off), from: pos[0], to: pos[last], label: e.Text, line: '-'}
		if !e.FromClient {
			r.from, r.to = pos[last], pos[0]
		}
		rows = append(rows, r)
	}
	for ci, pa := range g.Paths {
		if pa.NoSYN {
			continue
		}
		first := time.Time{}
		for _, s := range pa.Sightings {
			if s.Channel == nil {
				continue
			}
			for _, a := range s.Channel.Attempts {
				if t := a.First.Add(-p.Result.Offsets[s.Point].Offset); !a.First.IsZero() && (first.IsZero() || t.Before(first)) {
					first = t
				}
			}
		}
		if first.IsZero() {
			continue
		}
		start, end := 0, last
		if pa.ServerOpens {
			start, end = last, 0
		}
		// The SYN as far as it went.
		reach := pos[end]
		switch {
		case pa.Lost == correlate.LostSYN:
			reach = lost(col[pa.LastSaw], col[pa.FirstMissed])
		case pa.Beyond:
			reach = beyond(col[pa.LastSaw])
		}
		syns := 0
		for _, s := range pa.Sightings {
			syns = max(syns, s.SYNs)
		}
		label := "SYN"
		if syns > 1 {
			label = fmt.Sprintf("SYN x%d", syns)
		}
		tag := fmt.Sprintf("  #%d", ci+1)
		if pa.Broken() {
			tag += " " + strings.ToUpper(pa.Lost.String()) + " lost"
			if pa.Beyond {
				tag = fmt.Sprintf("  #%d lost beyond %s", ci+1, p.Names[pa.LastSaw])
			}
		} else {
			tag += " ok"
		}
		rows = append(rows, pointsRow{t: first, rank: 1, from: pos[start], to: reach, label: label, line: '=', dies: pa.Lost == correlate.LostSYN || pa.Beyond, tag: tag})
		// What answered the SYN short of where it was lost: a forged
		// reset, an ICMP error from a router.
		if pa.Lost == correlate.LostSYN {
			for _, s := range pa.Sightings {
				if s.Point != pa.LastSaw {
					continue
				}
				var what string
				switch {
				case s.Reset:
					what = "RST (forged)"
				case s.ICMP != nil:
					what = "ICMP from " + s.ICMP.From.String()
				}
				if what != "" {
					rows = append(rows, pointsRow{t: first, rank: 2, from: reach, to: pos[col[pa.LastSaw]], label: what, line: '.'})
				}
			}
		}
		// The answer, as far back as it came.
		if pa.Lost == correlate.LostSYNACK || pa.Lost == correlate.LostReset || pa.Lost == correlate.LostNothing && !pa.Beyond {
			what := "SYN-ACK"
			if pa.Lost == correlate.LostReset {
				what = "RST"
			}
			back := pos[start]
			if pa.Lost != correlate.LostNothing {
				back = lost(col[pa.LastSaw], col[pa.FirstMissed])
			}
			rows = append(rows, pointsRow{t: first, rank: 2, from: pos[end], to: back, label: what, line: '=', dies: pa.Lost != correlate.LostNothing})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].t.Equal(rows[j].t) {
			return rows[i].t.Before(rows[j].t)
		}
		return rows[i].rank < rows[j].rank
	})
	bw := bufio.NewWriter(w)
	t0 := prim.Start.Add(-off)
	fmt.Fprintf(bw, "Ladder %d over the points: client %s -> server %s, t=0 at %s (point %s's clock)\n", n, prim.Client, prim.Server, stamp(t0), p.name(0))
	head := []byte(strings.Repeat(" ", pointsLadderSpan+2*ladderMargin))
	for i, pt := range pts {
		name := ascii(p.Names[pt])
		at := pos[i] - len(name)/2
		at = max(0, min(at, len(head)-len(name)))
		copy(head[at:], name)
	}
	fmt.Fprintf(bw, "%*s %s\n", ladderTimeWidth-2, "seconds", strings.TrimRight(string(head), " "))
	for _, r := range rows {
		fmt.Fprintf(bw, "%*.3f %s%s\n", ladderTimeWidth-2, r.t.Sub(t0).Seconds(), drawRow(pos, r), r.tag)
	}
	bw.WriteString("\n")
	return bw.Flush()
}

// ladderMargin is the room left of the first lifeline and right of the
// last, where an arrow lost beyond every point ends.
const ladderMargin = 5

// lifelines places n lifelines over the ladder's width.
func lifelines(n int) []int {
	pos := make([]int, n)
	for i := range pos {
		pos[i] = ladderMargin
		if n > 1 {
			pos[i] += i * pointsLadderSpan / (n - 1)
		}
	}
	return pos
}

// drawRow draws one row: every lifeline, and the arrow between two.
func drawRow(pos []int, r pointsRow) string {
	width := pos[len(pos)-1] + ladderMargin
	b := []byte(strings.Repeat(" ", width))
	for _, p := range pos {
		b[p] = '|'
	}
	a, z := r.from, r.to
	lo, hi := min(a, z), max(a, z)
	if hi-lo < 2 {
		return strings.TrimRight(string(b), " ")
	}
	for i := lo + 1; i < hi; i++ {
		if b[i] != '|' {
			b[i] = r.line
		}
	}
	head := byte('>')
	if z < a {
		head = '<'
	}
	if r.dies {
		head = 'X'
	}
	// An arrow that arrives stops short of the lifeline; one that dies
	// ends in its X.
	switch {
	case r.dies && z > a:
		b[hi] = head
	case r.dies:
		b[lo] = head
	case z > a:
		b[hi-1] = head
	default:
		b[lo+1] = head
	}
	label := " " + ascii(r.label) + " "
	// The label stays between the arrow's tail and the next lifeline
	// (or the arrow's end), so that every lifeline stays drawn.
	seg := hi - lo
	for _, p := range pos {
		if z > a && p > a && p-a < seg {
			seg = p - a
		}
		if z < a && p < a && a-p < seg {
			seg = a - p
		}
	}
	room := seg - 5
	if room < 5 {
		return strings.TrimRight(string(b), " ")
	}
	if len(label) > room {
		label = label[:room-4] + "... "
	}
	// The label sits near the arrow's tail.
	at := a + 3
	if z < a {
		at = a - 2 - len(label)
	}
	copy(b[at:], label)
	return strings.TrimRight(string(b), " ")
}

// ladderPointsWriter draws the ladders of a run over capture points.
type ladderPointsWriter struct {
	ladderWriter
	pts *Points
}

// WithLadderAt is WithLadder for a run over several capture points: a
// joined session's ladder has one lifeline per point (PointsLadder); a
// session seen at one point gets the one-point ladder.
func WithLadderAt(inner Writer, w io.Writer, pts *Points) Writer {
	return &ladderPointsWriter{ladderWriter: ladderWriter{inner: inner, w: newRecordWriter(w, 64<<10, false)}, pts: pts}
}

func (l *ladderPointsWriter) Session(s *analysis.Session) error {
	g := l.pts.Of(s)
	if g == nil || len(g.Points()) < 2 {
		return l.ladderWriter.Session(s)
	}
	if err := l.inner.Session(s); err != nil {
		return err
	}
	l.n++
	if err := l.pts.PointsLadder(l.w, l.n, g); err != nil {
		return err
	}
	return l.w.Flush()
}
