package report

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

// viaTablewriter draws header and rows the way the table writer did before
// grid: tablewriter with newGrid's options, every cell through appendRow.
func viaTablewriter(t testing.TB, header []string, rows [][]string) string {
	var b bytes.Buffer
	g := newGrid(&b)
	h := make([]any, len(header))
	for i, c := range header {
		h[i] = c
	}
	g.Header(h...)
	for _, r := range rows {
		if err := appendRow(g, append([]string(nil), r...)...); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Render(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func viaGrid(t testing.TB, g *grid, header []string, rows [][]string) string {
	var b bytes.Buffer
	g.reset()
	g.Header(header...)
	for _, r := range rows {
		g.Row(r...)
	}
	if err := g.Render(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGridMatchesTablewriter: the session grids are byte for byte what
// tablewriter draws, for hostile wire text, wide and combining characters,
// spaces to trim, empty cells, and random mixtures of them, with one grid
// reused for every table.
func TestGridMatchesTablewriter(t *testing.T) {
	cells := append([]string{"", " ", "-", "x", "  padded  ", "日本語", "e\u0301", "\u200b", "emoji \U0001F600", "tab\there",
		"a  b", strings.Repeat("long ", 40), "\u00e9t\u00e9", "ｆｕｌｌ", "\u0300lead", "a\u3000"}, hostileWire...)
	var g grid
	rng := rand.New(rand.NewSource(5))
	for round := range 400 {
		cols := 1 + rng.Intn(9)
		header := make([]string, cols)
		for i := range header {
			header[i] = []string{"#", "Method", "Path", "Verdict", "Bytes"}[rng.Intn(5)]
		}
		rows := make([][]string, 1+rng.Intn(5))
		for i := range rows {
			rows[i] = make([]string, cols)
			for j := range rows[i] {
				rows[i][j] = cells[rng.Intn(len(cells))]
			}
		}
		want, got := viaTablewriter(t, header, rows), viaGrid(t, &g, header, rows)
		if got != want {
			t.Fatalf("round %d: grid draws\n%s\ntablewriter\n%s", round, got, want)
		}
	}
}

// FuzzGrid holds grid to tablewriter on any cell text.
func FuzzGrid(f *testing.F) {
	for _, s := range hostileWire {
		f.Add(s, "x")
	}
	f.Add("日本語", " a ")
	var g grid
	f.Fuzz(func(t *testing.T, a, b string) {
		header := []string{"#", "Path"}
		rows := [][]string{{a, b}, {b, "-"}}
		if got, want := viaGrid(t, &g, header, rows), viaTablewriter(t, header, rows); got != want {
			t.Fatalf("grid draws\n%s\ntablewriter\n%s", got, want)
		}
	})
}
