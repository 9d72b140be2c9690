package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trackly/tune-integration/internal/adminapi"
)

// when prints a timestamp compactly in UTC, or "-".
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// amounts prints per-currency amounts (revenue, EPC) as "12.5 USD, 3 EUR",
// currencies sorted and each amount exactly as the function sent it, or "-".
func amounts[V any](a map[string]V) string {
	if len(a) == 0 {
		return "-"
	}
	curs := slices.Sorted(maps.Keys(a))
	parts := make([]string, len(curs))
	for i, c := range curs {
		parts[i] = fmt.Sprint(a[c]) + " " + c
	}
	return strings.Join(parts, ", ")
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// or returns s, or alt when s is empty.
func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func dash(s string) string { return or(s, "-") }

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

// send sends action req and prints the function's answer as emit does.
func send[V any](ctx context.Context, c *cli, action adminapi.Action, req any, table func(w io.Writer, v V)) error {
	_, err := sendV(ctx, c, action, req, table)
	return err
}

// sendV is send that also returns the decoded answer, as emitV does.
func sendV[V any](ctx context.Context, c *cli, action adminapi.Action, req any, table func(w io.Writer, v V)) (V, error) {
	raw, err := c.invoke(ctx, action, req)
	if err != nil {
		var zero V
		return zero, err
	}
	return emitV(c, raw, table)
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

// isTerminal reports whether w is a terminal. Tests replace it.
var isTerminal = func(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
