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

// MaxDecimals is the most decimal places an amount may carry.
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

// Parse reads a non-negative plain decimal ("12", "1.50") of at most MaxDecimals
// places and at most Max. Exponents, signs, NaN and infinities are refused.
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
	if -d.Exponent() > MaxDecimals {
		return Amount{}, fmt.Errorf("%q has more than %d decimal places", s, MaxDecimals)
	}
	if d.GreaterThan(Max) {
		return Amount{}, fmt.Errorf("%q is more than %s", s, Max)
	}
	return Amount{Decimal: d}, nil
}

// Add returns a+b exactly.
func (a Amount) Add(b Amount) Amount { return Amount{Decimal: a.Decimal.Add(b.Decimal)} }
