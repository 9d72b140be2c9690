// Package money holds exact decimal amounts: parsed from postbacks and TUNE,
// stored as DynamoDB numbers (package store maps them) and sent in JSON as
// strings, never as float64.
package money

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/shopspring/decimal"
)

// MaxDecimals is the precision of every amount this system stores: an amount
// that comes in with more decimal places (a postback's payout, an offer's
// default payout from TUNE) is rounded to it once, where it comes in, so that a
// conversion and the report counters it moves hold the same value.
const MaxDecimals = 8

// Max is the largest amount a single postback may report.
var Max = decimal.NewFromInt(1_000_000)

var plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// Amount is an exact decimal amount. The zero value is 0.
type Amount struct {
	decimal.Decimal
}

// Zero is the amount 0.
var Zero = Amount{}

// FromDecimal wraps d.
func FromDecimal(d decimal.Decimal) Amount { return Amount{Decimal: d} }

// Parse reads a non-negative plain decimal ("12", "1.50") of at most Max,
// exactly as written, whatever its decimal places: Round brings it to the
// stored precision. Exponents, signs, NaN and infinities are refused.
func Parse(s string) (Amount, error) {
	if s == "" {
		return Amount{}, errors.New("is empty")
	}
	if !plainDecimal.MatchString(s) {
		return Amount{}, fmt.Errorf("%q is not a non-negative decimal number like 12.50", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Amount{}, fmt.Errorf("%q is not a decimal number: %w", s, err)
	}
	if d.GreaterThan(Max) {
		return Amount{}, fmt.Errorf("%q is more than %s", s, Max)
	}
	return Amount{Decimal: d}, nil
}

// Round returns a rounded to MaxDecimals places, half away from zero
// (0.123456785 is 0.12345679), the precision every stored amount has.
func (a Amount) Round() Amount { return Amount{Decimal: a.Decimal.Round(MaxDecimals)} }

// Add returns a+b exactly.
func (a Amount) Add(b Amount) Amount { return Amount{Decimal: a.Decimal.Add(b.Decimal)} }
