package tune

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/internal/money"
)

// MaxConversionLimit is the most rows ConversionQuery.Limit may ask for.
const MaxConversionLimit = 10000

// ConversionQuery asks for one page of the conversions report.
type ConversionQuery struct {
	// From and To are the first and last day, YYYY-MM-DD in the network's
	// time zone, both included: From == To asks for one day. TUNE answers
	// wide ranges slowly or with a gateway time-out: ask for a day per call.
	From, To string
	// Location is the network's time zone, in which TUNE gives
	// Stat.datetime; nil means UTC.
	Location *time.Location
	// ClickParam is the integration's click parameter, aff_sub to aff_sub5
	// or aff_click_id: the one whose value ReportConversion.ClickID holds.
	ClickParam string
	// Page is the 1-based page to return.
	Page int
	// Limit is the number of rows per page, 1 to MaxConversionLimit.
	Limit int
}

// ConversionPage is one page of the conversions report, oldest first.
type ConversionPage struct {
	Page      int
	PageCount int
	// Count is the number of conversions on all pages.
	Count       int
	Conversions []ReportConversion
}

// ReportConversion is one row of the conversions report: a conversion as
// the network now sees it, adjustments included.
type ReportConversion struct {
	// EventID is Stat.tune_event_id when TUNE gives one, else Stat.id.
	EventID string
	// At is Stat.datetime, read in ConversionQuery.Location.
	At time.Time
	// TransactionID is Stat.ad_id: the postback's conversion_id.
	TransactionID string
	// ClickID is the value of the query's ClickParam: Stat.affiliate_info1
	// to 5 for aff_sub to aff_sub5, ConversionsMobile.affiliate_click_id for
	// aff_click_id.
	ClickID string
	// OfferID and GoalID are kept as TUNE gives them: the default goal comes
	// as "0" or "", and callers must treat both alike.
	OfferID string
	GoalID  string
	// Status is approved, pending or rejected: Stat.status (network keys),
	// or Stat.conversion_status (affiliate keys).
	Status string
	// StatusCode is Stat.status_code, 0 when TUNE gives none.
	StatusCode int
	// Payout is Stat.payout, rounded to money.MaxDecimals; an adjustment's
	// may be negative.
	Payout money.Amount
	// Currency is an upper-case ISO code, or "" when TUNE gives null: the
	// network's default currency.
	Currency string
	// SaleAmount is Stat.sale_amount, nil when TUNE gives none.
	SaleAmount   *money.Amount
	Source       string
	IsAdjustment bool
}

// IsTest reports whether the conversion is a test (TUNE's postback tester,
// an employee's test): status codes 21 to 23. Never count one.
func (r ReportConversion) IsTest() bool { return r.StatusCode >= 21 && r.StatusCode <= 23 }

// clickParams maps each click parameter to where the report gives its
// value: 0 for ConversionsMobile.affiliate_click_id, n for
// Stat.affiliate_info<n>.
var clickParams = map[string]int{"aff_click_id": 0, "aff_sub": 1, "aff_sub2": 2, "aff_sub3": 3, "aff_sub4": 4, "aff_sub5": 5}

// clickField is the report field holding the value of click parameter p.
func clickField(p string) string {
	if n := clickParams[p]; n > 0 {
		return "Stat.affiliate_info" + strconv.Itoa(n)
	}
	return "ConversionsMobile.affiliate_click_id"
}

// validate checks q; its error names every bad field.
func (q ConversionQuery) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("tune: Conversions: %s %s", field, fmt.Sprintf(format, args...)))
	}
	from, ferr := time.Parse(time.DateOnly, q.From)
	if ferr != nil {
		bad("From", "%q is not a date YYYY-MM-DD", q.From)
	}
	to, terr := time.Parse(time.DateOnly, q.To)
	if terr != nil {
		bad("To", "%q is not a date YYYY-MM-DD", q.To)
	}
	if ferr == nil && terr == nil && to.Before(from) {
		bad("To", "%s is before From %s", q.To, q.From)
	}
	if _, ok := clickParams[q.ClickParam]; !ok {
		bad("ClickParam", "%q is not aff_sub, aff_sub2, aff_sub3, aff_sub4, aff_sub5 or aff_click_id", q.ClickParam)
	}
	if q.Page < 1 {
		bad("Page", "%d is not 1 or more", q.Page)
	}
	if q.Limit < 1 || q.Limit > MaxConversionLimit {
		bad("Limit", "%d is not between 1 and %d", q.Limit, MaxConversionLimit)
	}
	return errors.Join(errs...)
}

// Conversions returns one page of the conversions report for the days q
// selects, sorted by time: Report::getConversions with a network key (every
// affiliate's conversions), Affiliate_Report::getConversions with an
// affiliate key (its own). It asks for the fields a ReportConversion needs,
// and no more.
//
// Like every call, it is retried as Config says when TUNE answers its
// rate-limit error or a gateway time-out (which a range too wide for TUNE
// to answer in time causes); after the retries those fail with an *Error
// of kind RateLimited or ServerError, worth retrying later, and with a
// narrower range for the latter. A row TUNE gives with an unknown status,
// no id or no datetime fails the page with an *Error of kind Other naming
// the row.
func (c *Client) Conversions(ctx context.Context, q ConversionQuery) (ConversionPage, error) {
	if err := q.validate(); err != nil {
		return ConversionPage{}, err
	}
	target, status := "Report", "Stat.status"
	if c.s.keyKind == KeyKindAffiliate {
		target, status = "Affiliate_Report", "Stat.conversion_status"
	}
	params := url.Values{
		"fields[]": {"Stat.id", "Stat.tune_event_id", "Stat.datetime", "Stat.ad_id", clickField(q.ClickParam),
			"Stat.offer_id", "Stat.goal_id", status, "Stat.status_code", "Stat.payout", "Stat.currency",
			"Stat.sale_amount", "Stat.source", "Stat.is_adjustment"},
		"filters[Stat.date][conditional]": {"BETWEEN"},
		"filters[Stat.date][values][]":    {q.From, q.To},
		"sort[Stat.datetime]":             {"asc"},
		"limit":                           {strconv.Itoa(q.Limit)},
		"page":                            {strconv.Itoa(q.Page)},
		"totals":                          {"0"},
	}
	data, err := c.call(ctx, target, "getConversions", params)
	if err != nil {
		return ConversionPage{}, err
	}
	p, err := decodeConversions(data, q)
	if err != nil {
		return ConversionPage{}, c.fail(Other, target+"::getConversions", "unexpected data: %v", err)
	}
	return p, nil
}

// statModel is the Stat model of a conversions report row as it arrives.
type statModel struct {
	ID               flexString  `json:"id"`
	TuneEventID      flexString  `json:"tune_event_id"`
	Datetime         flexString  `json:"datetime"`
	AdID             flexString  `json:"ad_id"`
	AffiliateInfo1   flexString  `json:"affiliate_info1"`
	AffiliateInfo2   flexString  `json:"affiliate_info2"`
	AffiliateInfo3   flexString  `json:"affiliate_info3"`
	AffiliateInfo4   flexString  `json:"affiliate_info4"`
	AffiliateInfo5   flexString  `json:"affiliate_info5"`
	OfferID          flexString  `json:"offer_id"`
	GoalID           flexString  `json:"goal_id"`
	Status           flexString  `json:"status"`
	ConversionStatus flexString  `json:"conversion_status"`
	StatusCode       flexInt     `json:"status_code"`
	Payout           flexDecimal `json:"payout"`
	Currency         flexString  `json:"currency"`
	SaleAmount       flexString  `json:"sale_amount"`
	Source           flexString  `json:"source"`
	IsAdjustment     flexBool    `json:"is_adjustment"`
}

// conversionRow is one row of the report: one object per model.
type conversionRow struct {
	Stat              optional[statModel] `json:"Stat"`
	ConversionsMobile optional[struct {
		AffiliateClickID flexString `json:"affiliate_click_id"`
	}] `json:"ConversionsMobile"`
}

// decodeConversions decodes the data of a getConversions answer: a page
// wrapper around rows, or rows alone, where rows are a list, an object
// keyed by id, or nothing ([], null...). Rows keep the order TUNE gives.
func decodeConversions(data json.RawMessage, q ConversionQuery) (ConversionPage, error) {
	p := ConversionPage{Page: q.Page}
	rows, wrapped, paged := data, page{}, false
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &members); err != nil {
			return p, err
		}
		if isPage(members) {
			if err := json.Unmarshal(trimmed, &wrapped); err != nil {
				return p, fmt.Errorf("page: %w", err)
			}
			rows, paged = wrapped.Data, true
		}
	}
	raw, err := rowList(rows)
	if err != nil {
		return p, err
	}
	for _, r := range raw {
		conv, err := decodeConversion(r.raw, q)
		if err != nil {
			return p, fmt.Errorf("%s: %w", r.name, err)
		}
		p.Conversions = append(p.Conversions, conv)
	}
	p.Count = len(p.Conversions)
	p.PageCount = min(p.Count, 1)
	if paged {
		p.Page = cmp.Or(int(wrapped.Page), p.Page)
		p.Count = int(wrapped.Count)
		p.PageCount = int(wrapped.PageCount)
		if p.PageCount == 0 && p.Count > 0 {
			p.PageCount = (p.Count + q.Limit - 1) / q.Limit
		}
	}
	return p, nil
}

// namedRow is a row's JSON with a name for errors.
type namedRow struct {
	name string
	raw  json.RawMessage
}

// rowList splits rows given as a list or as an object keyed by id, in the
// order given; nothing at all is no row.
func rowList(rows json.RawMessage) ([]namedRow, error) {
	if isEmptyJSON(rows) {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(rows))
	open, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("rows: %w", err)
	}
	if open != json.Delim('[') && open != json.Delim('{') {
		return nil, fmt.Errorf("rows: expected a list or an object, got %.20s", rows)
	}
	var list []namedRow
	for i := 1; d.More(); i++ {
		name := "row " + strconv.Itoa(i)
		if open == json.Delim('{') {
			key, err := d.Token()
			if err != nil {
				return nil, fmt.Errorf("rows: %w", err)
			}
			name = fmt.Sprintf("row %q", key)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		list = append(list, namedRow{name: name, raw: raw})
	}
	return list, nil
}

// decodeConversion decodes one row.
func decodeConversion(raw json.RawMessage, q ConversionQuery) (ReportConversion, error) {
	var row conversionRow
	if err := json.Unmarshal(raw, &row); err != nil {
		return ReportConversion{}, err
	}
	if !row.Stat.OK {
		return ReportConversion{}, errors.New("no Stat object")
	}
	m := row.Stat.Value
	r := ReportConversion{
		EventID:       strings.TrimSpace(string(cmp.Or(m.TuneEventID, m.ID))),
		TransactionID: string(m.AdID),
		OfferID:       strings.TrimSpace(string(m.OfferID)),
		GoalID:        strings.TrimSpace(string(m.GoalID)),
		Status:        strings.ToLower(strings.TrimSpace(string(cmp.Or(m.Status, m.ConversionStatus)))),
		StatusCode:    int(m.StatusCode),
		Payout:        money.FromDecimal(m.Payout.Decimal).Round(),
		Currency:      strings.ToUpper(strings.TrimSpace(string(m.Currency))),
		Source:        string(m.Source),
		IsAdjustment:  bool(m.IsAdjustment),
	}
	if r.EventID == "" {
		return r, errors.New("no Stat.tune_event_id or Stat.id")
	}
	switch r.Status {
	case "approved", "pending", "rejected":
	default:
		return r, fmt.Errorf("event %s: unknown status %q", r.EventID, r.Status)
	}
	at, err := time.ParseInLocation(time.DateTime, strings.TrimSpace(string(m.Datetime)), cmp.Or(q.Location, time.UTC))
	if err != nil {
		return r, fmt.Errorf("event %s: datetime %q is not YYYY-MM-DD HH:MM:SS", r.EventID, m.Datetime)
	}
	r.At = at
	if s := strings.TrimSpace(string(m.SaleAmount)); s != "" {
		d, err := decimal.NewFromString(s)
		if err != nil {
			return r, fmt.Errorf("event %s: sale_amount %q is not a decimal", r.EventID, s)
		}
		amount := money.FromDecimal(d).Round()
		r.SaleAmount = &amount
	}
	infos := [...]flexString{row.ConversionsMobile.Value.AffiliateClickID,
		m.AffiliateInfo1, m.AffiliateInfo2, m.AffiliateInfo3, m.AffiliateInfo4, m.AffiliateInfo5}
	r.ClickID = string(infos[clickParams[q.ClickParam]])
	return r, nil
}
