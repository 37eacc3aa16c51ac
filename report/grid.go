package report

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// grid draws a table exactly as tablewriter draws it with newGrid's options
// (ASCII borders, left-aligned, no header formatting, no wrapping), for the
// grids every session gets: tablewriter's NewTable and Reset allocate a
// stringer cache sized for 10240 entries (about 300 KB) and its rendering
// builds contexts, maps and lines per cell, so with two grids per session
// the default table output ran ten times slower than CSV on a control-heavy
// capture (small-20k: 15.5 s against 1.5 s). Widths come from tablewriter's
// own width function (twwidth), cells are trimmed as tablewriter trims them
// (strings.TrimSpace), and TestGridMatchesTablewriter and FuzzGrid hold the
// output to tablewriter's byte for byte. The one-off tables (the totals, the
// firewall view) still go through tablewriter.
type grid struct {
	header []string
	rows   [][]string
	widths []int
	buf    []byte
}

// reset empties g for another table, keeping its memory.
func (g *grid) reset() {
	g.header = g.header[:0]
	clear(g.rows)
	g.rows = g.rows[:0]
	g.widths = g.widths[:0]
}

// Header sets the header cells.
func (g *grid) Header(cells ...string) {
	for _, c := range cells {
		g.header = append(g.header, strings.TrimSpace(c))
	}
}

// Row adds a row, every cell escaped first (as appendRow does for
// tablewriter) and then trimmed.
func (g *grid) Row(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = strings.TrimSpace(Escape(c))
	}
	g.rows = append(g.rows, row)
}

// Render writes the table to w in one Write.
func (g *grid) Render(w io.Writer) error {
	n := len(g.header)
	for _, r := range g.rows {
		n = max(n, len(r))
	}
	g.widths = g.widths[:0]
	for range n {
		g.widths = append(g.widths, 0)
	}
	measure := func(cells []string) {
		for i, c := range cells {
			g.widths[i] = max(g.widths[i], twwidth.Width(c))
		}
	}
	measure(g.header)
	for _, r := range g.rows {
		measure(r)
	}
	b := g.buf[:0]
	border := func(b []byte) []byte {
		b = append(b, '+')
		for _, wd := range g.widths {
			for range wd + 2 {
				b = append(b, '-')
			}
			b = append(b, '+')
		}
		return append(b, '\n')
	}
	line := func(b []byte, cells []string) []byte {
		b = append(b, '|')
		for i, wd := range g.widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			b = append(b, ' ')
			b = append(b, c...)
			for range wd - twwidth.Width(c) + 1 {
				b = append(b, ' ')
			}
			b = append(b, '|')
		}
		return append(b, '\n')
	}
	b = border(b)
	if len(g.header) > 0 {
		b = line(b, g.header)
		b = border(b)
	}
	for _, r := range g.rows {
		b = line(b, r)
	}
	b = border(b)
	g.buf = b
	_, err := w.Write(b)
	return err
}
