package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

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

// count says how many of something there are: "1 offer", "2 offers".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
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

// row writes one tab-separated table row, each cell as printable shows it.
func row(w io.Writer, cells ...string) {
	shown := make([]string, len(cells))
	for i, c := range cells {
		shown[i] = printable(c)
	}
	fmt.Fprintln(w, strings.Join(shown, "\t"))
}

// printf is fmt.Fprintf for text that holds strings of a function's answer:
// every argument of a string kind is printed as printable shows it.
func printf(w io.Writer, format string, args ...any) {
	shown := make([]any, len(args))
	for i, a := range args {
		shown[i] = a
		if v := reflect.ValueOf(a); v.Kind() == reflect.String {
			shown[i] = printable(v.String())
		}
	}
	fmt.Fprintf(w, format, shown...)
}

// printable is the one way trackly shows a string that came from a function
// (a name, an id, a reason, an error message) in a table or in text: each
// character a terminal would act on rather than show is escaped as in Go
// source, so that a stored string can neither send escape sequences to the
// terminal nor forge lines or columns. That is every control character (ESC
// as \x1b, a line break as \n, a tab as \t, DEL as \x7f), every format or
// separator character (a bidirectional override as \u202e) and every byte that
// is not UTF-8 (\xff); the rest is kept as is. JSON output needs none of this:
// JSON escapes control characters itself.
func printable(s string) string {
	if !strings.ContainsFunc(s, needsEscape) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], string(utf8.RuneError)):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < utf8.RuneSelf && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r > 0xffff && needsEscape(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// needsEscape reports whether a terminal acts on r rather than shows it.
func needsEscape(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
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
