package tunesim

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Conversion is a conversion of the simulated network, as its conversions
// report (getConversions) shows it.
type Conversion struct {
	// EventID is TUNE's tune_event_id; AddConversion generates one when
	// empty. The report's Stat.id is a number the simulator assigns.
	EventID string
	// TransactionID is the click session's transaction id, Stat.ad_id: the
	// conversion_id of the postback.
	TransactionID string
	// AffiliateID is the affiliate credited; AddConversion sets
	// Options.AffiliateID when empty. Affiliate keys see only their own.
	AffiliateID string
	// OfferID and GoalID are sent as they are; TUNE's default goal is "0".
	OfferID string
	GoalID  string
	// Status is approved, pending or rejected; AddConversion sets approved
	// when empty. Any other text is sent as it is, to test clients with.
	Status string
	// StatusCode explains the status: 21 to 23 are test conversions.
	StatusCode int
	// Payout and SaleAmount are decimals, sent as strings with five places
	// ("12.50000"). An empty Payout is sent as "0.00000", an empty
	// SaleAmount as null; text that is not a decimal is sent as it is.
	Payout     string
	SaleAmount string
	// Currency is sent as null when empty (the network's default currency).
	Currency string
	// At is when the conversion happened; AddConversion sets now when zero.
	// The report gives it in Options.TimeZone.
	At time.Time
	// Subs are the values of aff_sub to aff_sub5 (Stat.affiliate_info1..5).
	Subs [5]string
	// ClickID is the value of aff_click_id (ConversionsMobile.affiliate_click_id).
	ClickID      string
	Source       string
	IsAdjustment bool
}

// conversionStore is a simulator's conversions, in the order added.
type conversionStore struct {
	rows    []storedConversion
	lastRow int
}

// storedConversion is a conversion with its report row id, Stat.id.
type storedConversion struct {
	row int
	Conversion
}

// find returns the index of the conversion with eventID, or -1.
func (cs *conversionStore) find(eventID string) int {
	return slices.IndexFunc(cs.rows, func(r storedConversion) bool { return r.EventID == eventID })
}

// AddConversion adds c, or replaces the conversion with its event id, and
// returns its event id. Empty fields take the defaults Conversion documents.
func (s *Simulator) AddConversion(c Conversion) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n := s.conv.lastRow + 1; c.EventID == ""; n++ {
		if id := fmt.Sprintf("00000000-0000-4000-8000-%012d", n); s.conv.find(id) < 0 {
			c.EventID = id
		}
	}
	c.AffiliateID = cmp.Or(c.AffiliateID, s.opts.AffiliateID)
	c.Status = cmp.Or(c.Status, "approved")
	if c.At.IsZero() {
		c.At = s.now()
	}
	if i := s.conv.find(c.EventID); i >= 0 {
		s.conv.rows[i].Conversion = c
		return c.EventID
	}
	s.conv.lastRow++
	s.conv.rows = append(s.conv.rows, storedConversion{row: s.conv.lastRow, Conversion: c})
	return c.EventID
}

// UpdateConversion changes the conversion with eventID with fn, as a
// network adjusts a conversion after the fact, and reports whether it
// exists. The event id cannot change.
func (s *Simulator) UpdateConversion(eventID string, fn func(*Conversion)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.conv.find(eventID)
	if i < 0 {
		return false
	}
	changed := s.conv.rows[i].Conversion
	fn(&changed)
	changed.EventID = eventID
	s.conv.rows[i].Conversion = changed
	return true
}

// Conversions returns copies of the conversions, in the order added.
func (s *Simulator) Conversions() []Conversion {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Conversion, len(s.conv.rows))
	for i, r := range s.conv.rows {
		out[i] = r.Conversion
	}
	return out
}

// reportField is a field of the conversions report: the key kind that may
// ask for it ("" for both) and its value in a row.
type reportField struct {
	kind  string
	value func(s *Simulator, c *storedConversion) any
}

// reportFields are the fields getConversions knows, by their name in
// fields[] ("Model.field").
var reportFields = func() map[string]reportField {
	both := func(v func(s *Simulator, c *storedConversion) any) reportField { return reportField{value: v} }
	text := func(f func(c *storedConversion) string) reportField {
		return both(func(_ *Simulator, c *storedConversion) any { return f(c) })
	}
	fields := map[string]reportField{
		"Stat.id":            text(func(c *storedConversion) string { return strconv.Itoa(c.row) }),
		"Stat.tune_event_id": text(func(c *storedConversion) string { return c.EventID }),
		"Stat.date": both(func(s *Simulator, c *storedConversion) any {
			return c.At.In(s.opts.TimeZone).Format(time.DateOnly)
		}),
		"Stat.datetime": both(func(s *Simulator, c *storedConversion) any {
			return c.At.In(s.opts.TimeZone).Format(time.DateTime)
		}),
		"Stat.ad_id":         text(func(c *storedConversion) string { return c.TransactionID }),
		"Stat.offer_id":      text(func(c *storedConversion) string { return c.OfferID }),
		"Stat.goal_id":       text(func(c *storedConversion) string { return c.GoalID }),
		"Stat.status_code":   text(func(c *storedConversion) string { return strconv.Itoa(c.StatusCode) }),
		"Stat.payout":        text(func(c *storedConversion) string { return fixed5(c.Payout) }),
		"Stat.source":        text(func(c *storedConversion) string { return c.Source }),
		"Stat.is_adjustment": text(func(c *storedConversion) string { return boolString(c.IsAdjustment) }),
		"Stat.currency":      both(func(_ *Simulator, c *storedConversion) any { return orNull(c.Currency) }),
		"Stat.sale_amount":   both(func(_ *Simulator, c *storedConversion) any { return saleAmount(c) }),
		"Offer.name": both(func(s *Simulator, c *storedConversion) any {
			if id, err := strconv.Atoi(c.OfferID); err == nil && s.offers[id] != nil {
				return s.offers[id].Name
			}
			return ""
		}),
		"ConversionsMobile.affiliate_click_id": text(func(c *storedConversion) string { return c.ClickID }),

		"Stat.affiliate_id": {kind: "network", value: func(_ *Simulator, c *storedConversion) any { return c.AffiliateID }},
		"Stat.status":       {kind: "network", value: func(_ *Simulator, c *storedConversion) any { return c.Status }},
		// The simulated network keeps no margin: the advertiser pays the payout.
		"Stat.revenue": {kind: "network", value: func(_ *Simulator, c *storedConversion) any { return fixed5(c.Payout) }},

		"Stat.conversion_status": {kind: "affiliate", value: func(_ *Simulator, c *storedConversion) any { return c.Status }},
		"Stat.approved_payout": {kind: "affiliate", value: func(_ *Simulator, c *storedConversion) any {
			if c.Status == "approved" {
				return fixed5(c.Payout)
			}
			return fixed5("0")
		}},
		"Stat.conversion_sale_amount": {kind: "affiliate", value: func(_ *Simulator, c *storedConversion) any { return saleAmount(c) }},
	}
	for i := range 5 {
		fields["Stat.affiliate_info"+strconv.Itoa(i+1)] = text(func(c *storedConversion) string { return c.Subs[i] })
	}
	return fields
}()

// fixed5 renders a decimal with five places, as TUNE sends amounts; an
// empty amount is 0 and text that is not a decimal is kept as it is.
func fixed5(amount string) string {
	d, err := decimal.NewFromString(cmp.Or(amount, "0"))
	if err != nil {
		return amount
	}
	return d.StringFixed(5)
}

// saleAmount is a conversion's sale amount, null when it has none.
func saleAmount(c *storedConversion) any {
	if c.SaleAmount == "" {
		return nil
	}
	return fixed5(c.SaleAmount)
}

// orNull is s, or null when s is empty.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// getConversions answers Report::getConversions (network keys: every
// affiliate's conversions) and Affiliate_Report::getConversions (affiliate
// keys: Options.AffiliateID's only).
//
// fields[] chooses the fields of each row, which must be the key kind's;
// without it a row has all of them. The date filter
// filters[Stat.date][conditional]=BETWEEN with two filters[Stat.date][values][]
// selects the days, inclusive, in Options.TimeZone; without it the report
// covers the network's current day. A range of more than
// Options.MaxReportDays days answers a gateway time-out. Rows are sorted
// by Stat.datetime (sort[Stat.datetime]=desc reverses it), paged by limit
// and page (without a limit, all rows on page 1), inside a page wrapper
// whose data is a list, an id-keyed object with
// Options.KeyedConversionRows, or [] when the page has no row.
func (s *Simulator) getConversions(kind string, form url.Values) (answer, bool) {
	fields := form["fields[]"]
	for _, f := range fields {
		if rf, ok := reportFields[f]; !ok || (rf.kind != "" && rf.kind != kind) {
			return failure(form, apiError{PublicMessage: "Invalid field: " + f, AttributeName: "fields"}), false
		}
	}
	if len(fields) == 0 {
		for name, rf := range reportFields {
			if rf.kind == "" || rf.kind == kind {
				fields = append(fields, name)
			}
		}
	}
	from, to, err := s.reportDates(form)
	if err != nil {
		return failure(form, apiError{PublicMessage: err.Error(), AttributeName: "filters"}), false
	}
	if days := int(to.Sub(from)/(24*time.Hour)) + 1; s.opts.MaxReportDays > 0 && days > s.opts.MaxReportDays {
		return s.injected(FailGatewayTimeout, form, ""), false
	}

	var rows []*storedConversion
	for i := range s.conv.rows {
		c := &s.conv.rows[i]
		day, _ := time.Parse(time.DateOnly, c.At.In(s.opts.TimeZone).Format(time.DateOnly))
		if (kind == "network" || c.AffiliateID == s.opts.AffiliateID) && !day.Before(from) && !day.After(to) {
			rows = append(rows, c)
		}
	}
	desc := strings.EqualFold(form.Get("sort[Stat.datetime]"), "desc")
	slices.SortStableFunc(rows, func(a, b *storedConversion) int {
		if desc {
			return b.At.Compare(a.At)
		}
		return a.At.Compare(b.At)
	})

	perPage, _ := strconv.Atoi(form.Get("limit"))
	if perPage <= 0 {
		perPage = max(len(rows), 1)
	}
	pageNo, _ := strconv.Atoi(form.Get("page"))
	pageNo = max(pageNo, 1)
	first := min((pageNo-1)*perPage, len(rows))
	onPage := rows[first:min(first+perPage, len(rows))]

	p := emptyPage()
	p["page"], p["current"], p["count"], p["pageCount"] = pageNo, len(onPage), len(rows), (len(rows)+perPage-1)/perPage
	if len(onPage) > 0 {
		p["data"] = s.reportRows(onPage, fields)
	}
	return success(form, p), true
}

// reportDates reads the Stat.date filter: the first and last day, as
// midnight UTC dates.
func (s *Simulator) reportDates(form url.Values) (from, to time.Time, err error) {
	const prefix = "filters[Stat.date]"
	conditional, values := form.Get(prefix+"[conditional]"), form[prefix+"[values][]"]
	if conditional == "" && len(values) == 0 {
		today, _ := time.Parse(time.DateOnly, s.now().In(s.opts.TimeZone).Format(time.DateOnly))
		return today, today, nil
	}
	if !strings.EqualFold(conditional, "BETWEEN") || len(values) != 2 {
		return from, to, fmt.Errorf("the Stat.date filter must be BETWEEN with two values, got %q with %d", conditional, len(values))
	}
	if from, err = time.Parse(time.DateOnly, values[0]); err == nil {
		to, err = time.Parse(time.DateOnly, values[1])
	}
	switch {
	case err != nil:
		return from, to, fmt.Errorf("the Stat.date values must be dates YYYY-MM-DD, got %q and %q", values[0], values[1])
	case to.Before(from):
		return from, to, fmt.Errorf("the Stat.date range ends (%s) before it starts (%s)", values[1], values[0])
	}
	return from, to, nil
}

// reportRows renders rows with the given fields, each in its model's
// object, as a list or, with Options.KeyedConversionRows, keyed by Stat.id.
func (s *Simulator) reportRows(rows []*storedConversion, fields []string) any {
	list := make([]map[string]any, len(rows))
	byID := make(keyed, len(rows))
	for i, c := range rows {
		r := map[string]any{}
		for _, f := range fields {
			model, name, _ := strings.Cut(f, ".")
			if r[model] == nil {
				r[model] = map[string]any{}
			}
			r[model].(map[string]any)[name] = reportFields[f].value(s, c)
		}
		list[i], byID[i] = r, keyedRecord{id: c.row, record: r}
	}
	if s.opts.KeyedConversionRows {
		return byID
	}
	return list
}
