package reports_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

func amount(s string) money.Amount {
	a, err := money.Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

// counters is a report row's or increment's counters written as decimals, e.g. {"clicks": "1"}.
type counters map[string]string

func amounts(c counters) map[string]money.Amount {
	out := make(map[string]money.Amount, len(c))
	for name, v := range c {
		// Stored sums may pass money.Max, which bounds a single postback only.
		out[name] = money.FromDecimal(decimal.RequireFromString(v))
	}
	return out
}

// increment is an increment in comparable form.
type increment struct {
	account, dimension, id, day string
	counters                    string // fmt.Sprint of the counters as decimal strings
}

func asText(incs []trackly.ReportIncrement) []increment {
	out := make([]increment, len(incs))
	for i, inc := range incs {
		c := counters{}
		for name, v := range inc.Counters {
			c[name] = v.String()
		}
		out[i] = increment{inc.AccountID, string(inc.Dimension), inc.DimensionID, inc.Day, fmt.Sprint(c)}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dimension < out[j].dimension })
	return out
}

// onEveryDimension is the increment of counters c on each of the four rows of
// account acc1, message msg1, offer off1 and campaign camp1 on day.
func onEveryDimension(day string, c counters) []increment {
	return onDimensions(day, c, map[string]string{"account": "acc1", "message": "msg1", "offer": "off1", "campaign": "camp1"})
}

func onDimensions(day string, c counters, ids map[string]string) []increment {
	var out []increment
	for dim, id := range ids {
		out = append(out, increment{"acc1", dim, id, day, fmt.Sprint(c)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dimension < out[j].dimension })
	return out
}

// A click counts when it is stored: the change that inserts it.
func TestClickIncrements(t *testing.T) {
	at := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	person := trackly.Click{ClickID: "ck1", Placement: trackly.Placement{AccountID: "acc1", MessageID: "msg1", OfferID: "off1", CampaignID: "camp1"}, CreatedAt: at}
	tests := []struct {
		name  string
		click func(c trackly.Click) trackly.Click
		want  []increment
	}{
		{
			name:  "a person's click counts once in each dimension",
			click: func(c trackly.Click) trackly.Click { return c },
			want:  onEveryDimension("2026-03-14", counters{"clicks": "1"}),
		},
		{
			name:  "a bot's click counts nowhere",
			click: func(c trackly.Click) trackly.Click { c.Bot = true; return c },
			want:  []increment{},
		},
		{
			name:  "a click without campaign has no campaign row",
			click: func(c trackly.Click) trackly.Click { c.CampaignID = ""; return c },
			want:  onDimensions("2026-03-14", counters{"clicks": "1"}, map[string]string{"account": "acc1", "message": "msg1", "offer": "off1"}),
		},
		{
			name: "a click counts on its UTC day",
			click: func(c trackly.Click) trackly.Click {
				c.CreatedAt = time.Date(2026, 3, 14, 22, 0, 0, 0, time.FixedZone("CDT", -5*3600)) // 03:00 UTC on the 15th
				return c
			},
			want: onEveryDimension("2026-03-15", counters{"clicks": "1"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.click(person)
			got := asText(reports.ChangeIncrements(trackly.Change{ID: "e1", NewClick: &c}))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// A conversion counts when it is recorded: the change that inserts it.
func TestConversionIncrements(t *testing.T) {
	receivedAt := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	conv := func(status trackly.ConversionStatus, payout, currency string) trackly.Conversion {
		return trackly.Conversion{
			AccountID: "acc1", MessageID: "msg1", OfferID: "off1", CampaignID: "camp1", Status: status, Attribution: trackly.ConversionAttributed,
			Payout: amount(payout), Currency: currency, ReceivedAt: receivedAt,
			ClickedAt: receivedAt.AddDate(0, 0, -3),
		}
	}
	tests := []struct {
		name string
		c    trackly.Conversion
		want []increment
	}{
		{"approved counts a conversion and its revenue in its currency", conv(trackly.StatusApproved, "12.50", "EUR"), onEveryDimension("2026-03-14", counters{"conversions": "1", "revenue_EUR": "12.5"})},
		{"pending counts apart, its revenue apart", conv(trackly.StatusPending, "12.50", "EUR"), onEveryDimension("2026-03-14", counters{"pending_conversions": "1", "pending_revenue_EUR": "12.5"})},
		{"rejected counts only as a rejection", conv(trackly.StatusRejected, "12.50", "EUR"), onEveryDimension("2026-03-14", counters{"rejected_conversions": "1"})},
		{"a payout keeps every decimal", conv(trackly.StatusApproved, "0.00000001", "USD"), onEveryDimension("2026-03-14", counters{"conversions": "1", "revenue_USD": "0.00000001"})},
		{"an orphan counts nowhere", func() trackly.Conversion {
			c := conv(trackly.StatusApproved, "12.50", "EUR")
			c.Attribution = trackly.ConversionOrphan
			return c
		}(), []increment{}},
		{
			"a conversion counts on the UTC day it was received, not the click's",
			func() trackly.Conversion {
				c := conv(trackly.StatusApproved, "1", "USD")
				c.ReceivedAt = time.Date(2026, 3, 31, 20, 30, 0, 0, time.FixedZone("AEST-ish", -7*3600)) // 03:30 UTC on April 1st
				return c
			}(),
			onEveryDimension("2026-04-01", counters{"conversions": "1", "revenue_USD": "1"}),
		},
		{
			"no campaign, no campaign row",
			func() trackly.Conversion { c := conv(trackly.StatusApproved, "2", "USD"); c.CampaignID = ""; return c }(),
			onDimensions("2026-03-14", counters{"conversions": "1", "revenue_USD": "2"}, map[string]string{"account": "acc1", "message": "msg1", "offer": "off1"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := asText(reports.ChangeIncrements(trackly.Change{ID: "e1", NewConversion: &tt.c}))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// storedRows stands for the report table: it answers ReportRows as the store
// does (one account and dimension, one id or all, days between from and to
// inclusive) and remembers what it was asked.
type storedRows struct {
	rows  []trackly.ReportRow
	err   error
	asked []string // "account dimension id from to", one per call
}

func (s *storedRows) ReportRows(_ context.Context, accountID string, dimension trackly.Dimension, dimensionID, fromDay, toDay string) ([]trackly.ReportRow, error) {
	s.asked = append(s.asked, strings.Join([]string{accountID, string(dimension), dimensionID, fromDay, toDay}, " "))
	if s.err != nil {
		return nil, s.err
	}
	var out []trackly.ReportRow
	for _, r := range s.rows {
		if r.AccountID == accountID && r.Dimension == dimension && (dimensionID == "" || r.DimensionID == dimensionID) && r.Day >= fromDay && r.Day <= toDay {
			out = append(out, r)
		}
	}
	return out, nil
}

func row(dimension trackly.Dimension, id, day string, c counters) trackly.ReportRow {
	return trackly.ReportRow{AccountID: "acc1", Dimension: dimension, DimensionID: id, Day: day, Counters: amounts(c)}
}

// today is the clock of the report tests: 23:30 on March 14th in UTC-5, the 15th in UTC.
var today = time.Date(2026, 3, 14, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))

func newService(rows reports.RowReader) *reports.Service {
	return reports.NewService(rows, func() time.Time { return today })
}

// line is a report line in comparable form, every number as text.
type line struct {
	ID, Day                                    string
	Clicks, Conversions, Pending, Rejected     int64
	Revenue, PendingRevenue, EPC, ConversionRt string
}

func lineOf(l reports.Line) line {
	text := func(m map[string]money.Amount) string {
		s := map[string]string{}
		for k, v := range m {
			s[k] = v.String()
		}
		return fmt.Sprint(s)
	}
	return line{
		ID: l.ID, Day: l.Day, Clicks: l.Clicks, Conversions: l.Conversions, Pending: l.PendingConversions, Rejected: l.RejectedConversions,
		Revenue: text(l.Revenue), PendingRevenue: text(l.PendingRevenue), EPC: fmt.Sprint(l.EPC), ConversionRt: l.ConversionRate,
	}
}

func TestReportSumsLines(t *testing.T) {
	rows := []trackly.ReportRow{
		row("message", "msg1", "2026-03-01", counters{"clicks": "3", "conversions": "1", "revenue_USD": "10"}),
		row("message", "msg1", "2026-03-02", counters{"clicks": "1", "conversions": "1", "revenue_USD": "2.5"}),
		row("message", "msg2", "2026-03-01", counters{"clicks": "4"}),
		row("message", "msg0", "2026-03-02", counters{"clicks": "2", "pending_conversions": "1", "pending_revenue_USD": "7", "rejected_conversions": "1"}),
		row("offer", "off1", "2026-03-01", counters{"clicks": "100"}), // another dimension
	}
	q := reports.Query{AccountID: "acc1", Dimension: "message", From: "2026-03-01", To: "2026-03-02"}
	tests := []struct {
		name  string
		q     func(q reports.Query) reports.Query
		lines []line
		total line
	}{
		{
			name: "one line per id, summed over the days",
			q:    func(q reports.Query) reports.Query { return q },
			lines: []line{
				// msg0: pending and rejected conversions are neither revenue nor in the rate.
				{ID: "msg0", Clicks: 2, Pending: 1, Rejected: 1, Revenue: "map[]", PendingRevenue: "map[USD:7]", EPC: "map[]", ConversionRt: "0.00"},
				// msg1: 12.5 over 4 clicks; 2 conversions of 4 clicks.
				{ID: "msg1", Clicks: 4, Conversions: 2, Revenue: "map[USD:12.5]", PendingRevenue: "map[]", EPC: "map[USD:3.1250]", ConversionRt: "50.00"},
				{ID: "msg2", Clicks: 4, Revenue: "map[]", PendingRevenue: "map[]", EPC: "map[]", ConversionRt: "0.00"},
			},
			// 12.5 over 10 clicks; 2 conversions of 10 clicks.
			total: line{Clicks: 10, Conversions: 2, Pending: 1, Rejected: 1, Revenue: "map[USD:12.5]", PendingRevenue: "map[USD:7]", EPC: "map[USD:1.2500]", ConversionRt: "20.00"},
		},
		{
			name: "by day, one line per id and day, in id then day order",
			q:    func(q reports.Query) reports.Query { q.ByDay = true; return q },
			lines: []line{
				{ID: "msg0", Day: "2026-03-02", Clicks: 2, Pending: 1, Rejected: 1, Revenue: "map[]", PendingRevenue: "map[USD:7]", EPC: "map[]", ConversionRt: "0.00"},
				// 10 over 3 clicks is 3.333…; 1 of 3 is 33.333…%.
				{ID: "msg1", Day: "2026-03-01", Clicks: 3, Conversions: 1, Revenue: "map[USD:10]", PendingRevenue: "map[]", EPC: "map[USD:3.3333]", ConversionRt: "33.33"},
				{ID: "msg1", Day: "2026-03-02", Clicks: 1, Conversions: 1, Revenue: "map[USD:2.5]", PendingRevenue: "map[]", EPC: "map[USD:2.5000]", ConversionRt: "100.00"},
				{ID: "msg2", Day: "2026-03-01", Clicks: 4, Revenue: "map[]", PendingRevenue: "map[]", EPC: "map[]", ConversionRt: "0.00"},
			},
			total: line{Clicks: 10, Conversions: 2, Pending: 1, Rejected: 1, Revenue: "map[USD:12.5]", PendingRevenue: "map[USD:7]", EPC: "map[USD:1.2500]", ConversionRt: "20.00"},
		},
		{
			name: "one id",
			q:    func(q reports.Query) reports.Query { q.ID = "msg1"; return q },
			lines: []line{
				{ID: "msg1", Clicks: 4, Conversions: 2, Revenue: "map[USD:12.5]", PendingRevenue: "map[]", EPC: "map[USD:3.1250]", ConversionRt: "50.00"},
			},
			total: line{Clicks: 4, Conversions: 2, Revenue: "map[USD:12.5]", PendingRevenue: "map[]", EPC: "map[USD:3.1250]", ConversionRt: "50.00"},
		},
		{
			name: "one day of the range",
			q:    func(q reports.Query) reports.Query { q.From = "2026-03-02"; return q },
			lines: []line{
				{ID: "msg0", Clicks: 2, Pending: 1, Rejected: 1, Revenue: "map[]", PendingRevenue: "map[USD:7]", EPC: "map[]", ConversionRt: "0.00"},
				{ID: "msg1", Clicks: 1, Conversions: 1, Revenue: "map[USD:2.5]", PendingRevenue: "map[]", EPC: "map[USD:2.5000]", ConversionRt: "100.00"},
			},
			total: line{Clicks: 3, Conversions: 1, Pending: 1, Rejected: 1, Revenue: "map[USD:2.5]", PendingRevenue: "map[USD:7]", EPC: "map[USD:0.8333]", ConversionRt: "33.33"},
		},
		{
			name:  "no rows, an empty report",
			q:     func(q reports.Query) reports.Query { q.From, q.To = "2025-01-01", "2025-01-31"; return q },
			lines: []line{},
			total: line{Revenue: "map[]", PendingRevenue: "map[]", EPC: "map[]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := newService(&storedRows{rows: rows}).Report(context.Background(), tt.q(q))
			if err != nil {
				t.Fatal(err)
			}
			got := make([]line, len(rep.Lines))
			for i, l := range rep.Lines {
				got[i] = lineOf(l)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.lines) {
				t.Errorf("lines\n got  %+v\n want %+v", got, tt.lines)
			}
			if got := lineOf(rep.Total); got != tt.total {
				t.Errorf("total\n got  %+v\n want %+v", got, tt.total)
			}
		})
	}
}

func TestReportRatesAndMoney(t *testing.T) {
	tests := []struct {
		name     string
		counters counters
		epc      string // EPC map as text
		rate     string
		revenue  string
	}{
		{"EPC has 4 places, rounded down below the half", counters{"clicks": "3", "revenue_USD": "1"}, "map[USD:0.3333]", "0.00", "map[USD:1]"},
		{"EPC has 4 places, rounded up above the half", counters{"clicks": "3", "revenue_USD": "2"}, "map[USD:0.6667]", "0.00", "map[USD:2]"},
		{"EPC rounds a half away from zero", counters{"clicks": "2", "revenue_USD": "0.0001"}, "map[USD:0.0001]", "0.00", "map[USD:0.0001]"},
		{"EPC of an exact division is padded to 4 places", counters{"clicks": "4", "revenue_USD": "10"}, "map[USD:2.5000]", "0.00", "map[USD:10]"},
		{"EPC per currency", counters{"clicks": "4", "revenue_USD": "10", "revenue_EUR": "2"}, "map[EUR:0.5000 USD:2.5000]", "0.00", "map[EUR:2 USD:10]"},
		{"conversion rate is a percentage with 2 places, rounded down", counters{"clicks": "3", "conversions": "1"}, "map[]", "33.33", "map[]"},
		{"conversion rate rounded up", counters{"clicks": "3", "conversions": "2"}, "map[]", "66.67", "map[]"},
		{"conversion rate rounds a half away from zero", counters{"clicks": "800", "conversions": "1"}, "map[]", "0.13", "map[]"},
		{"conversion rate can pass 100% (several goals per click)", counters{"clicks": "2", "conversions": "3"}, "map[]", "150.00", "map[]"},
		{"no clicks: no EPC and no rate, no division by zero", counters{"conversions": "1", "revenue_USD": "5"}, "map[]", "", "map[USD:5]"},
		{"revenue keeps all its decimals", counters{"clicks": "1", "revenue_USD": "123456789.12345678"}, "map[USD:123456789.1235]", "0.00", "map[USD:123456789.12345678]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := &storedRows{rows: []trackly.ReportRow{row("message", "msg1", "2026-03-01", tt.counters)}}
			rep, err := newService(rows).Report(context.Background(), reports.Query{AccountID: "acc1", From: "2026-03-01", To: "2026-03-01"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Lines) != 1 {
				t.Fatalf("%d lines, want 1", len(rep.Lines))
			}
			for name, l := range map[string]line{"line": lineOf(rep.Lines[0]), "total": lineOf(rep.Total)} {
				if l.EPC != tt.epc || l.ConversionRt != tt.rate || l.Revenue != tt.revenue {
					t.Errorf("%s: EPC %s, rate %q, revenue %s; want %s, %q, %s", name, l.EPC, l.ConversionRt, l.Revenue, tt.epc, tt.rate, tt.revenue)
				}
			}
		})
	}

	t.Run("revenue sums exactly across rows, as decimals", func(t *testing.T) {
		rows := &storedRows{rows: []trackly.ReportRow{
			row("message", "msg1", "2026-03-01", counters{"clicks": "1", "revenue_USD": "0.1"}),
			row("message", "msg1", "2026-03-02", counters{"clicks": "1", "revenue_USD": "0.2"}),
			row("message", "msg2", "2026-03-02", counters{"clicks": "1", "revenue_USD": "0.00000001"}),
		}}
		rep, err := newService(rows).Report(context.Background(), reports.Query{AccountID: "acc1", From: "2026-03-01", To: "2026-03-02"})
		if err != nil {
			t.Fatal(err)
		}
		// In float64, 0.1 + 0.2 is 0.30000000000000004.
		if got := rep.Lines[0].Revenue["USD"].String(); got != "0.3" {
			t.Errorf("msg1 revenue %s, want exactly 0.3", got)
		}
		if got := rep.Total.Revenue["USD"].String(); got != "0.30000001" {
			t.Errorf("total revenue %s, want exactly 0.30000001", got)
		}
		js, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		// Amounts travel as JSON strings so that no client reads them as floats.
		for _, want := range []string{`"revenue":{"USD":"0.30000001"}`, `"epc":{"USD":"0.1000"}`} {
			if !strings.Contains(string(js), want) {
				t.Errorf("report JSON lacks %s: %s", want, js)
			}
		}
	})

	t.Run("an empty report lists no lines as an empty list", func(t *testing.T) {
		rep, err := newService(&storedRows{}).Report(context.Background(), reports.Query{AccountID: "acc1"})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(rep)
		if !strings.Contains(string(js), `"lines":[]`) {
			t.Errorf("report JSON %s, want \"lines\":[]", js)
		}
	})
}

func TestReportQuery(t *testing.T) {
	tests := []struct {
		name  string
		q     reports.Query
		field string // the field the error names; "" for none
		asked string // what the row reader is asked when the query is valid
	}{
		{"the account is required", reports.Query{Dimension: "message"}, "account_id", ""},
		{"an unknown dimension is named", reports.Query{AccountID: "acc1", Dimension: "country"}, "dimension", ""},
		{"dimensions are lower case", reports.Query{AccountID: "acc1", Dimension: "Message"}, "dimension", ""},
		{"a bad from date", reports.Query{AccountID: "acc1", From: "2026-13-01", To: "2026-03-01"}, "from", ""},
		{"a from date that does not exist", reports.Query{AccountID: "acc1", From: "2026-02-30", To: "2026-03-01"}, "from", ""},
		{"a bad to date", reports.Query{AccountID: "acc1", From: "2026-03-01", To: "yesterday"}, "to", ""},
		{"a bad to date without from", reports.Query{AccountID: "acc1", To: "03/01/2026"}, "to", ""},
		{"a date with a time", reports.Query{AccountID: "acc1", From: "2026-03-01T00:00:00Z", To: "2026-03-02"}, "from", ""},
		{"from after to", reports.Query{AccountID: "acc1", From: "2026-03-02", To: "2026-03-01"}, "from", ""},
		{"from after the default to (today)", reports.Query{AccountID: "acc1", From: "2026-03-16"}, "from", ""},
		// Today is March 15th in UTC; 30 days inclusive start on February 14th (2026 is not a leap year).
		{"no dates: the last 30 days to today (UTC), by message", reports.Query{AccountID: "acc1"}, "", "acc1 message  2026-02-14 2026-03-15"},
		{"only to: the 30 days that end then", reports.Query{AccountID: "acc1", Dimension: "offer", To: "2026-01-10"}, "", "acc1 offer  2025-12-12 2026-01-10"},
		{"only from: from then to today", reports.Query{AccountID: "acc1", Dimension: "campaign", From: "2026-01-01"}, "", "acc1 campaign  2026-01-01 2026-03-15"},
		{"from equal to to is one day", reports.Query{AccountID: "acc1", Dimension: "account", From: "2026-03-01", To: "2026-03-01"}, "", "acc1 account  2026-03-01 2026-03-01"},
		{"one id", reports.Query{AccountID: "acc1", ID: "msg1", From: "2026-03-01", To: "2026-03-02"}, "", "acc1 message msg1 2026-03-01 2026-03-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := &storedRows{}
			rep, err := newService(rows).Report(context.Background(), tt.q)
			if tt.field != "" {
				fe, ok := validate.AsFieldError(err)
				if !ok || fe.Field != tt.field {
					t.Fatalf("error %v, want a field error naming %q", err, tt.field)
				}
				if len(rows.asked) != 0 {
					t.Errorf("an invalid query read rows: %v", rows.asked)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(rows.asked) != fmt.Sprint([]string{tt.asked}) {
				t.Errorf("asked %q, want %q", rows.asked, tt.asked)
			}
			// The report says which query it answers, defaults filled in.
			echo := strings.Join([]string{rep.AccountID, string(rep.Dimension), rep.ID, rep.From, rep.To}, " ")
			if echo != tt.asked {
				t.Errorf("report answers %q, want %q", echo, tt.asked)
			}
		})
	}

	t.Run("two bad dates are named the same way every time", func(t *testing.T) {
		q := reports.Query{AccountID: "acc1", From: "first", To: "last"}
		named := map[string]bool{}
		for range 50 {
			_, err := newService(&storedRows{}).Report(context.Background(), q)
			fe, ok := validate.AsFieldError(err)
			if !ok {
				t.Fatalf("error %v, want a field error", err)
			}
			named[fe.Field] = true
		}
		if len(named) != 1 {
			t.Errorf("the same query's error named %v on different calls", keys(named))
		}
	})

	t.Run("a failed read is an error, not the caller's fault", func(t *testing.T) {
		down := errors.New("throttled")
		_, err := newService(&storedRows{err: down}).Report(context.Background(), reports.Query{AccountID: "acc1"})
		if !errors.Is(err, down) {
			t.Fatalf("error %v, want it to wrap %v", err, down)
		}
		if _, ok := validate.AsFieldError(err); ok {
			t.Errorf("a storage failure is reported as a field error: %v", err)
		}
	})
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
