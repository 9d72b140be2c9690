package money_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/internal/money"
)

func TestParse(t *testing.T) {
	valid := map[string]string{"0": "0", "12": "12", "1.5": "1.5", "900.00000": "900", "0.00000001": "0.00000001", "1000000": "1000000",
		"1.123456789": "1.123456789"}
	for in, want := range valid {
		got, err := money.Parse(in)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", in, err)
			continue
		}
		if got.String() != want {
			t.Errorf("Parse(%q) = %s, want %s", in, got, want)
		}
	}
	invalid := map[string]string{
		"":           "empty",
		"-1":         "non-negative",
		"1e3":        "non-negative decimal",
		"NaN":        "non-negative decimal",
		"Infinity":   "non-negative decimal",
		"1000000.01": "more than 1000000",
		"1,5":        "non-negative decimal",
		" 1":         "non-negative decimal",
		"0x10":       "non-negative decimal",
		".5":         "non-negative decimal",
	}
	for in, want := range invalid {
		_, err := money.Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want it to mention %q", in, err, want)
		}
	}
}

func TestAmountRoundTripsExactly(t *testing.T) {
	a, err := money.Parse("0.10000001")
	if err != nil {
		t.Fatal(err)
	}
	sum := money.Zero
	for range 10 {
		sum = sum.Add(a)
	}
	if sum.String() != "1.0000001" {
		t.Fatalf("sum = %s, want 1.0000001", sum)
	}
	js, err := json.Marshal(struct{ A money.Amount }{sum})
	if err != nil {
		t.Fatal(err)
	}
	if string(js) != `{"A":"1.0000001"}` {
		t.Fatalf("json = %s", js)
	}
}

func TestRoundKeepsEightPlaces(t *testing.T) {
	tests := map[string]string{
		"0.123456789":       "0.12345679",
		"0.123456785":       "0.12345679", // half away from zero
		"0.123456784999":    "0.12345678",
		"0.12345678":        "0.12345678",
		"2.000000005":       "2.00000001",
		"0.000000004":       "0",
		"999999.999999999":  "1000000",
		"12.5":              "12.5",
		"1000000.000000001": "", // more than Max before rounding: refused by Parse
	}
	for in, want := range tests {
		a, err := money.Parse(in)
		if want == "" {
			if err == nil {
				t.Errorf("Parse(%q) accepted", in)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q) error: %v", in, err)
			continue
		}
		if got := a.Round().String(); got != want {
			t.Errorf("%s rounds to %s, want %s", in, got, want)
		}
	}
}
