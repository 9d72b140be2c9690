package validate_test

import (
	"strings"
	"testing"

	"github.com/trackly/tune-integration/internal/validate"
)

func TestText(t *testing.T) {
	for _, v := range []string{"", "Acme", "Café – Zürich ✓", "日本のネットワーク", "family 👨‍👩‍👧 (a joined emoji)", "a b"} {
		if err := validate.Text("name", v); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
	for _, tc := range []struct{ v, says string }{
		{"\x1b[31mred", "U+001B at character 1"},
		{"bell\a", "U+0007"},
		{"two\nlines", "U+000A"},
		{"tab\there", "U+0009"},
		{"nul\x00", "U+0000"},
		{"del\x7f", "U+007F"},
		{"c1\u0085", "U+0085"},
		{"line\u2028sep", "U+2028"},
		{"para\u2029sep", "U+2029"},
		{"evil\u202etxt.exe", "U+202E"},
		{"isolate\u2066x", "U+2066"},
		{"broken\ufffd", "U+FFFD"},
		{"not utf-8 \xff", "UTF-8"},
	} {
		err := validate.Text("name", tc.v)
		fe, ok := validate.AsFieldError(err)
		if !ok || fe.Field != "name" || !strings.Contains(fe.Message, tc.says) {
			t.Errorf("%q: error %v, want a field error naming name that says %q", tc.v, err, tc.says)
		}
		if ok && strings.Contains(fe.Message, tc.v) {
			t.Errorf("%q: the message quotes the value: %q", tc.v, fe.Message)
		}
	}
}

func TestCurrency(t *testing.T) {
	for _, c := range []string{"USD", "EUR", "JPY", "GBP", "BRL", "INR", "CHF", "XCG", "ZWG", "SLE", "VES", "XOF"} {
		if !validate.Currency(c) {
			t.Errorf("%s refused", c)
		}
	}
	for _, c := range []string{"", "usd", "US", "USDT", "ABC", "XXX", "XTS", "HRK", "MRO", "VEF", "ZWL", "ANG", "BTC"} {
		if validate.Currency(c) {
			t.Errorf("%q taken", c)
		}
	}
}

func TestDate(t *testing.T) {
	if d, err := validate.Date("day", "2000-01-01"); err != nil || d.Year() != 2000 {
		t.Errorf("2000-01-01: %v, %v", d, err)
	}
	for _, tc := range []struct{ v, says string }{
		{"1999-12-31", "2000-01-01 or later"},
		{"0001-01-01", "2000-01-01 or later"},
		{"2026-02-30", "date like"},
		{"2026-3-1", "date like"},
		{"", "date like"},
	} {
		if _, err := validate.Date("day", tc.v); err == nil || !strings.Contains(err.Error(), tc.says) || !strings.HasPrefix(err.Error(), "day: ") {
			t.Errorf("%q: error %v, want day: … %q", tc.v, err, tc.says)
		}
	}
}

func TestIDs(t *testing.T) {
	long := strings.Repeat("a", validate.MaxIDLength)
	for _, v := range []string{"sms-1", "a.b_c:d-e", long} {
		if err := validate.ID("id", v); err != nil {
			t.Errorf("ID %q: %v", v, err)
		}
	}
	for _, v := range []string{"", long + "a", "a b", "a/b", "ü"} {
		if err := validate.ID("id", v); err == nil {
			t.Errorf("ID %q taken", v)
		}
	}
	for _, v := range []string{"demo", "acc_1-x", strings.Repeat("a", validate.MaxAccountIDLength)} {
		if err := validate.AccountID("account_id", v); err != nil {
			t.Errorf("AccountID %q: %v", v, err)
		}
	}
	for _, v := range []string{"", "a.b", "a:b", strings.Repeat("a", validate.MaxAccountIDLength+1)} {
		if err := validate.AccountID("account_id", v); err == nil {
			t.Errorf("AccountID %q taken", v)
		}
	}
}

func TestPageSize(t *testing.T) {
	for _, n := range []int{0, 1, 500} {
		if err := validate.PageSize(n, 500); err != nil {
			t.Errorf("%d: %v", n, err)
		}
	}
	for _, n := range []int{-1, 501} {
		if err := validate.PageSize(n, 500); err == nil || !strings.Contains(err.Error(), "limit: must be between 1 and 500") {
			t.Errorf("%d: error %v", n, err)
		}
	}
}
