// Package validate describes bad input: which field, and what is wrong with it.
// It also holds the rules that every kind of input shares: what counts as
// plain text, a date, an id, a page size and a currency code.
package validate

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldError names an input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Field returns a FieldError for field with a formatted message.
func Field(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsFieldError reports whether err is, or wraps, a FieldError.
func AsFieldError(err error) (*FieldError, bool) {
	var fe *FieldError
	ok := errors.As(err, &fe)
	return fe, ok
}

// Text returns a FieldError naming field unless v is plain text: valid UTF-8
// without control characters (C0 such as NUL, BEL, ESC, tab and newline; DEL;
// C1), line or paragraph separators, bidirectional overrides and isolates, or
// the replacement character that stands for broken text. Such characters
// rewrite what a terminal, a log line or a page shows. The message names the
// first such character by its code point and never quotes v, which may be a
// secret.
func Text(field, v string) error {
	if !utf8.ValidString(v) {
		return Field(field, "must be UTF-8 text")
	}
	for i, r := range []rune(v) {
		if !plain(r) {
			return Field(field, "must be plain text, without control or escape characters (%U at character %d)", r, i+1)
		}
	}
	return nil
}

func plain(r rune) bool {
	switch {
	case unicode.IsControl(r), r == '\u2028', r == '\u2029', r == utf8.RuneError:
		return false
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return false
	}
	return true
}

// FirstDate is the earliest date any date field takes.
const FirstDate = "2000-01-01"

// Date reads v, the value of a date field, as a day like 2026-01-31, from
// FirstDate on.
func Date(field, v string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, Field(field, "must be a date like 2026-01-31, not %q", v)
	}
	if v < FirstDate {
		return time.Time{}, Field(field, "must be %s or later, not %s", FirstDate, v)
	}
	return d, nil
}

// MaxIDLength is the length of the longest message, campaign or offer id a
// link keeps, and so of any id a report line can have.
const MaxIDLength = 128

// ID returns a FieldError naming field unless v is an id a link can keep: 1 to
// MaxIDLength letters, digits, '.', '_', ':' or '-'.
func ID(field, v string) error {
	if v == "" || len(v) > MaxIDLength || !onlyOf(v, "._:-") {
		return Field(field, "must be 1 to %d letters, digits or . _ : -, not %q", MaxIDLength, v)
	}
	return nil
}

// MaxAccountIDLength is the length of the longest account id.
const MaxAccountIDLength = 64

// AccountID returns a FieldError naming field unless v is an account id: 1 to
// MaxAccountIDLength letters, digits, '-' or '_'.
func AccountID(field, v string) error {
	if v == "" || len(v) > MaxAccountIDLength || !onlyOf(v, "_-") {
		return Field(field, "must be 1 to %d letters, digits, '-' or '_', not %q", MaxAccountIDLength, v)
	}
	return nil
}

// onlyOf reports whether v holds only ASCII letters, digits and the runes of extra.
func onlyOf(v, extra string) bool {
	for _, r := range v {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		for _, e := range extra {
			ok = ok || r == e
		}
		if !ok {
			return false
		}
	}
	return true
}

// MaxPageSize is the most records one page of a list action holds.
const MaxPageSize = 1000

// PageSize returns a FieldError naming "limit" unless limit is 0 (left out:
// the action's default) or 1 to max. An admin who gives a limit of 0 is
// refused before this, when the payload is read.
func PageSize(limit, max int) error {
	if limit < 0 || limit > max {
		return Field("limit", "must be between 1 and %d, not %d", max, limit)
	}
	return nil
}
