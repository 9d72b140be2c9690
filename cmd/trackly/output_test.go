package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/trackly/tune-integration/internal/adminapi"
)

// fakeFunctions is a Lambda Invoke API whose functions answer each action with answer(action).
// An answer whose errorType is set is sent as a function error.
func fakeFunctions(t *testing.T, answer func(action adminapi.Action) any) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var payload struct {
			Action adminapi.Action `json:"action"`
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Errorf("payload is not JSON: %s", body)
		}
		a := answer(payload.Action)
		if fe, ok := a.(functionError); ok {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			a = fe
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(a); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// hostile holds what a terminal would act on rather than show: escape sequences (colour, the
// window title, the clipboard), a carriage return that overwrites the line, a line break and a
// tab that forge table rows and columns, a bidirectional override and DEL.
const hostile = "A\x1b[31mB\x1b]0;owned\x07C\x1b]52;c;cm0gLXJm\x07\rD\nE\tF\u202eG\x7fH"

// fillHostile sets every string of v (and of what it holds) to hostile, every slice and map to
// one such element, every number to 1 and every bool to on; values that decode themselves from
// JSON (times, amounts) keep their zero value.
func fillHostile(v reflect.Value, on bool) {
	if v.CanAddr() {
		if _, ok := v.Addr().Interface().(json.Unmarshaler); ok {
			return
		}
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(hostile)
	case reflect.Bool:
		v.SetBool(on)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillHostile(v.Elem(), on)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillHostile(v.Field(i), on)
			}
		}
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		fillHostile(e, on)
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), e))
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillHostile(k, on)
		fillHostile(e, on)
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(k, e)
	}
}

// unescaped returns the first rune of s a terminal would act on: a control character other
// than a line break, a format character such as a bidirectional override, or a byte that is
// not UTF-8.
func unescaped(s string) (string, bool) {
	for i, r := range s {
		if r == '\n' {
			continue
		}
		if r == unicode.ReplacementChar && !strings.HasPrefix(s[i:], "\uFFFD") {
			return fmt.Sprintf("byte %#x at %d", s[i], i), true
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("%U at %d", r, i), true
		}
	}
	return "", false
}

// TestServerStringsPrintedEscaped runs every command against functions whose answers hold
// hostile strings everywhere: tables and text show them escaped, never raw.
func TestServerStringsPrintedEscaped(t *testing.T) {
	commands := [][]string{
		{"integrations", "list"},
		{"integrations", "show", "in_x"},
		{"integrations", "update", "in_x", "--rate-limit", "2"},
		{"integrations", "test", "in_x"},
		{"integrations", "postback-url", "in_x"},
		{"integrations", "rotate-token", "in_x"},
		{"integrations", "auto-sync", "on", "-i", "in_x"},
		{"offers", "remote", "-i", "in_x"},
		{"offers", "import", "-i", "in_x", "--offer", "1"},
		{"offers", "list", "-i", "in_x"},
		{"offers", "sync", "-i", "in_x"},
		{"sync-runs", "list", "-i", "in_x"},
		{"sync", "due"},
		{"links", "create", "--account", "a", "-i", "in_x", "--offer", "1", "--message", "m"},
		{"links", "show", "l"},
		{"report", "--account", "a"},
		{"report", "--account", "a", "--by-day"},
		{"conversions", "list", "--account", "a"},
		{"conversions", "orphans", "--account", "a"},
		{"postbacks", "list"},
		{"__complete", "integrations", "show", ""},
	}
	for _, on := range []bool{true, false} {
		endpoint := fakeFunctions(t, func(a adminapi.Action) any {
			v := a.NewAnswer()
			fillHostile(reflect.ValueOf(v).Elem(), on)
			return v
		})
		for _, args := range commands {
			t.Run(fmt.Sprintf("%s/%v", strings.Join(args, " "), on), func(t *testing.T) {
				r := tracklyAt(t, endpoint, "", args...)
				if args[0] == "__complete" { // a completion is a value, a tab, and its description
					var lines []string
					for line := range strings.Lines(r.stdout) {
						lines = append(lines, strings.Replace(line, "\t", " ", 1))
					}
					r.stdout = strings.Join(lines, "")
				}
				for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
					if what, ok := unescaped(out); ok {
						t.Errorf("%s holds %s raw:\n%q", name, what, out)
					}
				}
				if !strings.Contains(r.stdout+r.stderr, `A\x1b[31mB`) {
					t.Errorf("the server's strings are not shown escaped:\nstdout %q\nstderr %q", r.stdout, r.stderr)
				}
			})
		}
	}
}

// TestServerErrorsPrintedEscaped checks the one line of a function error: its message's first
// line, escaped.
func TestServerErrorsPrintedEscaped(t *testing.T) {
	endpoint := fakeFunctions(t, func(adminapi.Action) any {
		return functionError{Type: adminapi.ErrorInvalidInput, Message: "name: " + hostile}
	})
	r := tracklyAt(t, endpoint, "", "integrations", "list")
	line := oneLine(t, r)
	if r.code != exitFailed {
		t.Errorf("exit %d, want %d", r.code, exitFailed)
	}
	if what, ok := unescaped(line); ok {
		t.Errorf("the error line holds %s raw: %q", what, line)
	}
	if want := `trackly: invalid input: name: A\x1b[31mB\x1b]0;owned\x07C\x1b]52;c;cm0gLXJm\x07\rD`; line != want {
		t.Errorf("error line\n got %s\nwant %s", line, want)
	}
}

// TestCountsInWords checks that counts agree with their nouns.
func TestCountsInWords(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		answer any
		want   string
	}{
		{[]string{"sync", "due"}, adminapi.DueResult{Due: 1, Runs: []adminapi.SyncRun{}}, "1 integration due."},
		{[]string{"sync", "due"}, adminapi.DueResult{Due: 2, Runs: []adminapi.SyncRun{}}, "2 integrations due."},
		{[]string{"sync", "due"}, adminapi.DueResult{Runs: []adminapi.SyncRun{}}, "No integrations due."},
		{[]string{"offers", "import", "-i", "in_x", "--offer", "1"}, adminapi.ImportResult{IntegrationID: "in_x", RunID: "sr_1", Imported: 1, New: 1, Complete: true},
			"Imported 1 offer into in_x: 1 new, 0 updated, 0 unchanged (run sr_1)."},
	} {
		endpoint := fakeFunctions(t, func(adminapi.Action) any { return tc.answer })
		r := tracklyAt(t, endpoint, "", tc.args...)
		if !strings.Contains(r.stdout, tc.want) {
			t.Errorf("trackly %s: want %q in:\n%s%s", strings.Join(tc.args, " "), tc.want, r.stdout, r.stderr)
		}
	}
}
