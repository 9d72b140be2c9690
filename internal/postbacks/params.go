package postbacks

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// MaxValueLength is the longest value any postback parameter may have (TUNE's sub id limit).
const MaxValueLength = 500

// maxExtraParams bounds how many unknown parameters are kept with a postback.
const maxExtraParams = 50

// Conversion statuses a postback may report.
var statuses = map[trackly.ConversionStatus]bool{trackly.StatusApproved: true, trackly.StatusPending: true, trackly.StatusRejected: true}

// known lists the parameters this endpoint reads; every other one is kept as extra.
var known = map[string]bool{
	"click_id": true, "conversion_id": true, "payout": true, "goal_id": true, "currency": true,
	"sale_amount": true, "offer_id": true, "status": true, "source": true, "token": true,
}

// Message is a validated postback as it travels through the queue to attribution.
// It never carries the token itself, only whether one came and whose it was.
type Message struct {
	// PostbackID and ReceivedAt also name the postback in the postback log,
	// where attribution records what became of it.
	PostbackID   string        `json:"postback_id"`
	ReceivedAt   time.Time     `json:"received_at"`
	ClickID      string        `json:"click_id"`
	LinkID       string        `json:"link_id"`
	ConversionID string        `json:"conversion_id"`
	GoalID       string        `json:"goal_id"`
	Payout       *money.Amount `json:"payout,omitempty"`
	Currency     string        `json:"currency,omitempty"`
	SaleAmount   *money.Amount `json:"sale_amount,omitempty"`
	OfferID      string        `json:"offer_id,omitempty"`
	// Status is the status the postback reports, "" when it names none: a
	// new conversion is then approved, and a recorded one keeps its status.
	Status       trackly.ConversionStatus `json:"status"`
	Source       string                   `json:"source,omitempty"`
	TokenPresent bool                     `json:"token_present"`
	TokenOwner   string                   `json:"token_integration_id,omitempty"`
	Extra        map[string]string        `json:"extra,omitempty"`
}

// flatten collapses repeated parameters: the same value twice is one value,
// different values are an error naming the parameter.
func flatten(values url.Values) (map[string]string, []*validate.FieldError) {
	out := make(map[string]string, len(values))
	var errs []*validate.FieldError
	for name, vs := range values {
		for _, v := range vs[1:] {
			if v != vs[0] {
				errs = append(errs, &validate.FieldError{Field: name, Message: fmt.Sprintf("was sent %d times with different values; send it once", len(vs))})
				break
			}
		}
		out[name] = vs[0]
	}
	return out, errs
}

// checkText refuses every parameter name and value that is not valid UTF-8 or
// that holds a control character: JSON (the queue's) and DynamoDB would store
// another string than the one sent, so two different values could become one.
// An error names a bad value's parameter, or a bad name quoted in Go syntax.
func checkText(values url.Values) []*validate.FieldError {
	var errs []*validate.FieldError
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if problem := textProblem(name); problem != "" {
			errs = append(errs, &validate.FieldError{Field: strconv.QuoteToASCII(name), Message: "as a parameter name " + problem})
			continue
		}
		for _, v := range values[name] {
			if problem := textProblem(v); problem != "" {
				errs = append(errs, &validate.FieldError{Field: name, Message: problem})
				break
			}
		}
	}
	return errs
}

// textProblem says why s cannot be taken as text exactly as sent, or "" when it can.
func textProblem(s string) string {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Sprintf("is not valid UTF-8 (byte 0x%02X at offset %d); send text as UTF-8", s[i], i)
			}
		}
		if unicode.IsControl(r) {
			return fmt.Sprintf("holds the control character %U at offset %d; control characters (NUL, tab, CR, LF, …) are not accepted", r, i)
		}
	}
	return ""
}

// parse validates postback parameters into a Message (without its log fields)
// or returns every problem found, each naming its field. Its notes say what it
// did to values it accepted: an amount of more than money.MaxDecimals places
// is rounded, here and only here.
func parse(params map[string]string) (m Message, notes []string, errs []*validate.FieldError) {
	fail := func(field, format string, args ...any) {
		errs = append(errs, &validate.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}

	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := params[name]
		if len(v) > MaxValueLength {
			fail(name, "is %d characters long; the limit is %d", len(v), MaxValueLength)
			continue
		}
		if !known[name] {
			continue
		}
		if macro, found := tune.UnreplacedMacro(v); found {
			fail(name, "still holds the TUNE macro %s, which TUNE did not replace: fix the postback URL in TUNE (use a macro TUNE knows and make sure the tracking link sets that sub id)", macro)
		}
	}
	for _, req := range []string{"click_id", "conversion_id"} {
		if strings.TrimSpace(params[req]) == "" {
			fail(req, "is required")
		}
	}
	if len(errs) > 0 {
		return Message{}, nil, errs
	}

	m = Message{
		ClickID:      params["click_id"],
		ConversionID: params["conversion_id"],
		GoalID:       params["goal_id"],
		OfferID:      params["offer_id"],
		Source:       params["source"],
		Status:       trackly.ConversionStatus(strings.ToLower(params["status"])),
		TokenPresent: params["token"] != "",
	}
	if m.GoalID == "" {
		m.GoalID = "0"
	}
	if m.Status != "" && !statuses[m.Status] {
		fail("status", "must be approved, pending or rejected, not %q", params["status"])
	}
	for _, f := range []struct {
		field string
		dst   **money.Amount
	}{{"payout", &m.Payout}, {"sale_amount", &m.SaleAmount}} {
		v, ok := params[f.field]
		if !ok || v == "" {
			continue
		}
		a, err := money.Parse(v)
		if err != nil {
			fail(f.field, "%v", err)
			continue
		}
		if r := a.Round(); !r.Equal(a.Decimal) {
			notes = append(notes, fmt.Sprintf("%s %s was rounded to %s (%d decimal places)", f.field, v, r, money.MaxDecimals))
			a = r
		}
		*f.dst = &a
	}
	if c := params["currency"]; c != "" {
		m.Currency = strings.ToUpper(c)
		if !validate.Currency(m.Currency) {
			fail("currency", "must be an ISO 4217 currency code in use, like USD, not %q", c)
		}
	}
	for _, name := range names {
		if known[name] {
			continue
		}
		if len(m.Extra) >= maxExtraParams {
			fail(name, "is one unknown parameter too many; at most %d are kept", maxExtraParams)
			break
		}
		if m.Extra == nil {
			m.Extra = map[string]string{}
		}
		m.Extra[name] = params[name]
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return m, notes, errs
}
