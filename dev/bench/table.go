package bench

import (
	"fmt"
	"strings"
	"sync"
)

// Table is what one run measured: a row per path, before and after the records are stored.
type Table struct {
	// Title heads the table: the machine and the engine it ran on.
	Title string

	mu    sync.Mutex
	rows  []*Row
	notes []string
}

// Row is one path: ours against its yardstick, measured side by side.
type Row struct {
	// Path names the path and its unit, such as "taps (taps/s)".
	Path string
	// Seconds is true when the figures are times (lower is better, as a cold start), false when they
	// are rates (higher is better).
	Seconds bool
	// Goal is the ratio the path must reach, such as "≥ 0.8".
	Goal string
	// Before and After are the figures on the tables as the run found them and after the records
	// were stored; nil when not measured.
	Before, After *Pair
	// Note says what ours did per operation, such as the AWS calls it made.
	Note string
}

// Pair is ours and its yardstick: the raw calls, or the hello world.
type Pair struct {
	Ours, Raw float64
}

// Ratio is ours over raw: a share of the raw throughput, or a multiple of the hello world's time.
func (p Pair) Ratio() float64 {
	if p.Raw == 0 {
		return 0
	}
	return p.Ours / p.Raw
}

// Set records a path's figures, before (after false) or after the records were stored. A row
// keeps the order in which its path was first set.
func (t *Table) Set(path string, seconds bool, goal string, after bool, p Pair, note string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var r *Row
	for _, x := range t.rows {
		if x.Path == path {
			r = x
		}
	}
	if r == nil {
		r = &Row{Path: path, Seconds: seconds, Goal: goal}
		t.rows = append(t.rows, r)
	}
	if after {
		r.After = &p
	} else {
		r.Before = &p
	}
	if note != "" {
		r.Note = note
	}
}

// Note adds a line under the table, such as how the records were stored.
func (t *Table) Note(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notes = append(t.notes, line)
}

// Rows returns a copy of the rows.
func (t *Table) Rows() []Row {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Row, len(t.rows))
	for i, r := range t.rows {
		out[i] = *r
	}
	return out
}

// String renders the table in Markdown, its columns aligned, the notes under it.
func (t *Table) String() string {
	header := []string{"path", "ours", "raw", "ratio", "after 50k: ours", "raw", "ratio", "goal"}
	lines := [][]string{header}
	var notes []string
	for _, r := range t.Rows() {
		line := []string{r.Path}
		for _, p := range []*Pair{r.Before, r.After} {
			if p == nil {
				line = append(line, "–", "–", "–")
				continue
			}
			line = append(line, r.figure(p.Ours), r.figure(p.Raw), fmt.Sprintf("%.2f", p.Ratio()))
		}
		lines = append(lines, append(line, r.Goal))
		if r.Note != "" {
			notes = append(notes, "- "+r.Path+": "+r.Note)
		}
	}
	widths := make([]int, len(header))
	for _, l := range lines {
		for i, c := range l {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n\n")
	}
	row := func(cells []string) {
		for i, c := range cells {
			pad := widths[i] - len([]rune(c))
			if i == 0 {
				fmt.Fprintf(&b, "| %s%s ", c, strings.Repeat(" ", pad))
			} else {
				fmt.Fprintf(&b, "| %s%s ", strings.Repeat(" ", pad), c)
			}
		}
		b.WriteString("|\n")
	}
	row(lines[0])
	for i, w := range widths {
		if i == 0 {
			fmt.Fprintf(&b, "|%s", strings.Repeat("-", w+2))
		} else {
			fmt.Fprintf(&b, "|%s:", strings.Repeat("-", w+1))
		}
	}
	b.WriteString("|\n")
	for _, l := range lines[1:] {
		row(l)
	}
	t.mu.Lock()
	notes = append(notes, t.notes...)
	t.mu.Unlock()
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

// figure renders a rate per second, or a time in milliseconds.
func (r Row) figure(v float64) string {
	if r.Seconds {
		return fmt.Sprintf("%.1f ms", v*1000)
	}
	return fmt.Sprintf("%.0f/s", v)
}
