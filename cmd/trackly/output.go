package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// text is a JSON value printed exactly as the function sent it: a string's
// content, or a number's digits (money is never parsed into a float).
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	default:
		*t = text(b)
	}
	return nil
}

func (t text) String() string { return string(t) }

// or returns t, or alt when t is empty.
func (t text) or(alt string) string {
	if t == "" {
		return alt
	}
	return string(t)
}

// amounts are per-currency money amounts, e.g. {"USD": "12.50"}.
type amounts map[string]text

// String prints "12.50 USD, 3.00 EUR" (currencies sorted), or "-".
func (a amounts) String() string {
	if len(a) == 0 {
		return "-"
	}
	curs := make([]string, 0, len(a))
	for c := range a {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	parts := make([]string, len(curs))
	for i, c := range curs {
		parts[i] = string(a[c]) + " " + c
	}
	return strings.Join(parts, ", ")
}

// when prints a timestamp compactly in UTC, or "-".
func when(t text) string {
	if t == "" {
		return "-"
	}
	ts, err := time.Parse(time.RFC3339Nano, string(t))
	if err != nil {
		return string(t)
	}
	if ts.IsZero() {
		return "-"
	}
	return ts.UTC().Format("2006-01-02 15:04:05Z")
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// emit prints a function's answer: as is (indented) with --output json,
// else decoded into a V and printed by table.
func emit[V any](c *cli, raw json.RawMessage, table func(w io.Writer, v V)) error {
	_, err := emitV(c, raw, table)
	return err
}

// emitV is emit that also returns the decoded answer, for what follows the table.
func emitV[V any](c *cli, raw json.RawMessage, table func(w io.Writer, v V)) (V, error) {
	var v V
	decodeErr := json.Unmarshal(raw, &v)
	if c.output == "json" {
		return v, printJSON(c.stdout, raw)
	}
	if decodeErr != nil {
		return v, fmt.Errorf("read the function's answer: %w", decodeErr)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	table(tw, v)
	return v, tw.Flush()
}

func printJSON(w io.Writer, raw json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("read the function's answer: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// row writes one tab-separated table row.
func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// nextPage tells how to read the next page, on stderr so that tables stay clean.
func (c *cli) nextPage(cursor text) {
	if cursor != "" && c.output == "table" {
		fmt.Fprintf(c.stderr, "More: repeat with --cursor %s\n", cursor)
	}
}

// isTerminal reports whether w is a terminal. Tests replace it.
var isTerminal = func(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
