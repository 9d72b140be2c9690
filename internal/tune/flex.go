package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The types below decode TUNE's loosely typed JSON values: numbers that come
// as strings or numbers, booleans as "0"/"1"/0/1/true, dates as
// "YYYY-MM-DD HH:MM:SS" or unix seconds, and null or "" for nothing.
// Numbers are never decoded through float64.

// isNull reports whether b is JSON null.
func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// scalarText returns the text of a JSON string, number or boolean, and ""
// for null. Objects and arrays are an error.
func scalarText(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || isNull(b):
		return "", nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return s, nil
	case b[0] == '{' || b[0] == '[':
		return "", fmt.Errorf("got %s where a value was expected", kindOf(b))
	default: // number, true or false
		return string(b), nil
	}
}

// trimmedText returns the text of a JSON scalar as scalarText does, trimmed
// of white space; what names the expected value in errors.
func trimmedText(b []byte, what string) (string, error) {
	s, err := scalarText(b)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return strings.TrimSpace(s), nil
}

func kindOf(b []byte) string {
	if len(b) > 0 && b[0] == '[' {
		return "an array"
	}
	return "an object"
}

// flexString is a string that may arrive as a string, a number, a boolean or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b)
	if err != nil {
		return fmt.Errorf("text: %w", err)
	}
	*f = flexString(s)
	return nil
}

// flexInt is an integer that may arrive as a number, a string, "" or null.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s, err := trimmedText(b, "integer")
	if err != nil {
		return err
	}
	if s == "" {
		*f = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		// Accept integral decimals such as "24.0".
		d, derr := decimal.NewFromString(s)
		if derr != nil || !d.IsInteger() {
			return fmt.Errorf("invalid integer %q", s)
		}
		n = int(d.IntPart())
	}
	*f = flexInt(n)
	return nil
}

// flexBool is a boolean that may arrive as true/false, 0/1, "0"/"1",
// "true"/"false", "" or null (false).
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b)
	if err != nil {
		return fmt.Errorf("boolean: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes":
		*f = true
	case "0", "false", "no", "":
		*f = false
	default:
		return fmt.Errorf("invalid boolean %q", s)
	}
	return nil
}

// flexDecimal is an exact decimal that may arrive as a string
// ("900.00000"), a number literal, "" or null (zero).
type flexDecimal struct{ decimal.Decimal }

func (f *flexDecimal) UnmarshalJSON(b []byte) error {
	s, err := trimmedText(b, "decimal")
	if err != nil {
		return err
	}
	if s == "" {
		f.Decimal = decimal.Zero
		return nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("invalid decimal %q", s)
	}
	f.Decimal = d
	return nil
}

// flexTime is a moment that may arrive as "YYYY-MM-DD HH:MM:SS" (read as
// UTC), "YYYY-MM-DD", RFC 3339, unix seconds as a number or a string, or
// "0000-00-00 00:00:00", "", 0 or null for none (the zero time).
type flexTime struct{ time.Time }

var timeLayouts = []string{time.DateTime, time.DateOnly, time.RFC3339}

func (f *flexTime) UnmarshalJSON(b []byte) error {
	s, err := trimmedText(b, "date")
	if err != nil {
		return err
	}
	f.Time = time.Time{}
	if s == "" || s == "0" || strings.HasPrefix(s, "0000-00-00") {
		return nil
	}
	if digits().MatchString(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid unix time %q", s)
		}
		f.Time = time.Unix(n, 0).UTC()
		return nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			f.Time = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("invalid date %q", s)
}

// optional is a model object that TUNE may send as an object, or as null,
// "", false or an empty array when there is none.
type optional[T any] struct {
	Value T
	OK    bool
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	if isEmptyJSON(b) {
		*o = optional[T]{}
		return nil
	}
	if bytes.TrimSpace(b)[0] != '{' {
		return fmt.Errorf("expected an object, got %.20s", b)
	}
	o.OK = true
	return json.Unmarshal(b, &o.Value)
}

// isEmptyJSON reports whether b is one of TUNE's ways of saying "nothing":
// absent, null, "", false, [] or {}.
func isEmptyJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return true
	}
	switch string(b) {
	case "null", `""`, "false", "0", `"0"`:
		return true
	}
	if len(b) >= 2 && (b[0] == '[' || b[0] == '{') {
		inner := bytes.TrimSpace(b[1 : len(b)-1])
		return len(inner) == 0
	}
	return false
}
