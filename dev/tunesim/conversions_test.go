package tunesim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
)

// day is the day the report tests' conversions happen on.
var day = time.Date(2026, time.November, 24, 0, 0, 0, 0, time.UTC)

// between is the date filter of a report from one day to another.
func between(from, to string) []string {
	return []string{"filters[Stat.date][conditional]", "BETWEEN",
		"filters[Stat.date][values][]", from, "filters[Stat.date][values][]", to}
}

// report calls getConversions with the key kind's target and returns the
// page wrapper of a successful answer.
func report(t *testing.T, sim http.Handler, kind string, kv ...string) obj {
	t.Helper()
	call := network("Report", "getConversions", kv...)
	if kind == "affiliate" {
		call = affiliate("Affiliate_Report", "getConversions", kv...)
	}
	r := response(t, sim, call)
	if r["status"] != json.Number("1") {
		t.Fatalf("status %v: %v", r["status"], r["errors"])
	}
	return r["data"].(obj)
}

// rows returns the rows of a page wrapper given as a list.
func rows(t *testing.T, page obj) []obj {
	t.Helper()
	list, ok := page["data"].([]any)
	if !ok {
		t.Fatalf("data %T, want a list", page["data"])
	}
	out := make([]obj, len(list))
	for i, r := range list {
		out[i] = r.(obj)
	}
	return out
}

func TestAddAndUpdateConversion(t *testing.T) {
	clk := &clock{t: day.Add(10 * time.Hour)}
	sim := newSim(tunesim.Options{Clock: clk.Now})
	id := sim.AddConversion(tunesim.Conversion{TransactionID: "tx1", Payout: "2"})
	if id == "" {
		t.Fatal("no event id generated")
	}
	if other := sim.AddConversion(tunesim.Conversion{TransactionID: "tx2"}); other == id {
		t.Errorf("two conversions share event id %s", id)
	}
	got := sim.Conversions()[0]
	want := tunesim.Conversion{EventID: id, TransactionID: "tx1", AffiliateID: "3", Status: "approved", Payout: "2", At: clk.Now()}
	if got != want {
		t.Errorf("added\n got %+v\nwant %+v", got, want)
	}

	if !sim.UpdateConversion(id, func(c *tunesim.Conversion) { c.Status, c.EventID = "rejected", "changed" }) {
		t.Fatal("UpdateConversion did not find the conversion")
	}
	if c := sim.Conversions()[0]; c.Status != "rejected" || c.EventID != id {
		t.Errorf("updated: %+v, want rejected under the same event id", c)
	}
	if sim.UpdateConversion("nosuch", func(*tunesim.Conversion) {}) {
		t.Error("UpdateConversion found an unknown event id")
	}

	if again := sim.AddConversion(tunesim.Conversion{EventID: id, TransactionID: "tx3"}); again != id {
		t.Errorf("re-added under %s, want %s", again, id)
	}
	if all := sim.Conversions(); len(all) != 2 || all[0].TransactionID != "tx3" {
		t.Errorf("after replacing: %+v, want tx3 in the first place of two", all)
	}
}

func TestGetConversionsFieldsPerKeyKind(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 3})
	sim.AddConversion(tunesim.Conversion{EventID: "e-mine", TransactionID: "tx1", OfferID: "2", GoalID: "0",
		Status: "pending", StatusCode: 0, Payout: "12.5", At: day.Add(time.Hour), Subs: [5]string{"c1"}, ClickID: "k1"})
	sim.AddConversion(tunesim.Conversion{EventID: "e-other", AffiliateID: "9", OfferID: "99", Payout: "1", Currency: "EUR",
		SaleAmount: "100", At: day.Add(2 * time.Hour)})
	offer2, _ := sim.Offer(2)
	dates := between("2026-11-24", "2026-11-24")

	tests := []struct {
		kind   string
		fields []string
		want   []obj
	}{
		{"network", []string{"Stat.tune_event_id", "Stat.status", "Stat.payout", "Stat.revenue", "Stat.currency", "Stat.sale_amount", "Offer.name"},
			[]obj{
				{"Stat": obj{"tune_event_id": "e-mine", "status": "pending", "payout": "12.50000", "revenue": "12.50000", "currency": nil, "sale_amount": nil},
					"Offer": obj{"name": offer2.Name}},
				{"Stat": obj{"tune_event_id": "e-other", "status": "approved", "payout": "1.00000", "revenue": "1.00000", "currency": "EUR", "sale_amount": "100.00000"},
					"Offer": obj{"name": ""}},
			}},
		{"affiliate", []string{"Stat.id", "Stat.conversion_status", "Stat.payout", "Stat.approved_payout", "Stat.datetime", "Stat.date",
			"Stat.ad_id", "Stat.affiliate_info1", "Stat.status_code", "ConversionsMobile.affiliate_click_id"},
			[]obj{{"Stat": obj{"id": "1", "conversion_status": "pending", "payout": "12.50000", "approved_payout": "0.00000",
				"datetime": "2026-11-24 01:00:00", "date": "2026-11-24", "ad_id": "tx1", "affiliate_info1": "c1", "status_code": "0"},
				"ConversionsMobile": obj{"affiliate_click_id": "k1"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			kv := slices.Clone(dates)
			for _, f := range tt.fields {
				kv = append(kv, "fields[]", f)
			}
			got := rows(t, report(t, sim, tt.kind, kv...))
			if js, wjs := mustJSON(t, got), mustJSON(t, tt.want); js != wjs {
				t.Errorf("rows\n got %s\nwant %s", js, wjs)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGetConversionsRefusesTheOtherKindsFields(t *testing.T) {
	sim := newSim(tunesim.Options{})
	tests := []struct {
		name string
		call url.Values
		want string
	}{
		{"network asks conversion_status", network("Report", "getConversions", "fields[]", "Stat.conversion_status"), "Stat.conversion_status"},
		{"affiliate asks status", affiliate("Affiliate_Report", "getConversions", "fields[]", "Stat.status"), "Stat.status"},
		{"affiliate asks revenue", affiliate("Affiliate_Report", "getConversions", "fields[]", "Stat.revenue"), "Stat.revenue"},
		{"unknown field", network("Report", "getConversions", "fields[]", "Stat.nosuch"), "Stat.nosuch"},
		{"one date", network("Report", "getConversions", "filters[Stat.date][conditional]", "BETWEEN",
			"filters[Stat.date][values][]", "2026-11-24"), "two values"},
		{"not a date", network("Report", "getConversions", between("2026-11-24", "tomorrow")...), "YYYY-MM-DD"},
		{"backwards", network("Report", "getConversions", between("2026-11-24", "2026-11-23")...), "before it starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstError(t, response(t, sim, tt.call)); !strings.Contains(got, tt.want) {
				t.Errorf("error %q, want it to name %q", got, tt.want)
			}
		})
	}
}

func TestGetConversionsDaysPagesAndOrder(t *testing.T) {
	zone := time.FixedZone("UTC-5", -5*3600)
	sim := newSim(tunesim.Options{TimeZone: zone, MaxReportDays: 2})
	// Added out of order; at 23:30 network time on the 24th, 04:30 UTC on the 25th.
	for _, at := range []string{"2026-11-24 23:30:00", "2026-11-24 08:00:00", "2026-11-25 00:10:00", "2026-11-24 12:00:00", "2026-11-23 23:59:59"} {
		ts, _ := time.ParseInLocation(time.DateTime, at, zone)
		sim.AddConversion(tunesim.Conversion{TransactionID: at, At: ts})
	}
	ids := func(page obj) []string {
		var out []string
		for _, r := range rows(t, page) {
			out = append(out, r["Stat"].(obj)["ad_id"].(string))
		}
		return out
	}
	wrapper := func(page obj) []json.Number {
		return []json.Number{page["page"].(json.Number), page["current"].(json.Number), page["count"].(json.Number), page["pageCount"].(json.Number)}
	}
	for _, tt := range []struct {
		name     string
		kv       []string
		want     []string
		wrapping string // page, current, count, pageCount
	}{
		{"one day, sorted", between("2026-11-24", "2026-11-24"),
			[]string{"2026-11-24 08:00:00", "2026-11-24 12:00:00", "2026-11-24 23:30:00"}, "[1 3 3 1]"},
		{"descending", append(between("2026-11-24", "2026-11-24"), "sort[Stat.datetime]", "desc"),
			[]string{"2026-11-24 23:30:00", "2026-11-24 12:00:00", "2026-11-24 08:00:00"}, "[1 3 3 1]"},
		{"first page", append(between("2026-11-24", "2026-11-25"), "limit", "3", "page", "1"),
			[]string{"2026-11-24 08:00:00", "2026-11-24 12:00:00", "2026-11-24 23:30:00"}, "[1 3 4 2]"},
		{"last page", append(between("2026-11-24", "2026-11-25"), "limit", "3", "page", "2"),
			[]string{"2026-11-25 00:10:00"}, "[2 1 4 2]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page := report(t, sim, "network", append(tt.kv, "fields[]", "Stat.ad_id")...)
			if got := ids(page); !slices.Equal(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
			if got := fmt.Sprint(wrapper(page)); got != tt.wrapping {
				t.Errorf("page, current, count, pageCount %s, want %s", got, tt.wrapping)
			}
		})
	}

	for _, tt := range []struct {
		name string
		kv   []string
	}{
		{"empty day", between("2026-11-27", "2026-11-27")},
		{"past the last page", append(between("2026-11-24", "2026-11-24"), "limit", "3", "page", "5")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page := report(t, sim, "network", tt.kv...)
			if d, ok := page["data"].([]any); !ok || len(d) != 0 {
				t.Errorf("data %v, want []", page["data"])
			}
		})
	}
}

func TestGetConversionsWithoutDateFilterCoversToday(t *testing.T) {
	clk := &clock{t: day.Add(12 * time.Hour)}
	sim := newSim(tunesim.Options{Clock: clk.Now})
	sim.AddConversion(tunesim.Conversion{TransactionID: "yesterday", At: day.Add(-time.Hour)})
	sim.AddConversion(tunesim.Conversion{TransactionID: "today", At: day.Add(time.Hour)})
	got := rows(t, report(t, sim, "network", "fields[]", "Stat.ad_id"))
	if len(got) != 1 || got[0]["Stat"].(obj)["ad_id"] != "today" {
		t.Errorf("rows %v, want today's only", got)
	}
}

func TestGetConversionsKeyedRows(t *testing.T) {
	sim := newSim(tunesim.Options{KeyedConversionRows: true})
	sim.AddConversion(tunesim.Conversion{TransactionID: "late", At: day.Add(3 * time.Hour)})
	sim.AddConversion(tunesim.Conversion{TransactionID: "early", At: day.Add(time.Hour)})
	rec := get(t, sim, network("Report", "getConversions", append(between("2026-11-24", "2026-11-24"), "fields[]", "Stat.ad_id")...))
	var env struct {
		Response struct {
			Data struct {
				Data json.RawMessage `json:"data"`
			} `json:"data"`
		} `json:"response"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if keys := keyOrder(t, env.Response.Data.Data); !slices.Equal(keys, []string{"2", "1"}) {
		t.Errorf("keys %v, want Stat.id 2 then 1 (sorted by time)", keys)
	}
	empty := report(t, sim, "network", between("2026-11-20", "2026-11-20")...)
	if d, ok := empty["data"].([]any); !ok || len(d) != 0 {
		t.Errorf("no rows: data %v, want []", empty["data"])
	}
}

func TestGetConversionsWideRangeTimesOut(t *testing.T) {
	for _, tt := range []struct {
		name    string
		maxDays int
		from    string
		want    int
	}{
		{"default: one day", 0, "2026-11-24", http.StatusOK},
		{"default: two days", 0, "2026-11-23", http.StatusGatewayTimeout},
		{"seven of seven", 7, "2026-11-18", http.StatusOK},
		{"eight of seven", 7, "2026-11-17", http.StatusGatewayTimeout},
		{"no limit", -1, "2024-01-01", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(tunesim.Options{MaxReportDays: tt.maxDays})
			rec := get(t, sim, affiliate("Affiliate_Report", "getConversions", between(tt.from, "2026-11-24")...))
			if rec.Code != tt.want {
				t.Errorf("HTTP %d, want %d", rec.Code, tt.want)
			}
			if tt.want == http.StatusGatewayTimeout && !strings.Contains(rec.Body.String(), "504 Gateway Time-out") {
				t.Errorf("body %q, want the gateway's page", rec.Body)
			}
			if n := sim.CallCount("Affiliate_Report", "getConversions"); n != 1 {
				t.Errorf("%d calls recorded, want 1", n)
			}
		})
	}
}

func TestGetConversionsRateLimitAndFailures(t *testing.T) {
	clk := &clock{t: day}
	sim := newSim(tunesim.Options{RateLimit: 1, Clock: clk.Now})
	call := network("Report", "getConversions")
	response(t, sim, call)
	if got := firstError(t, response(t, sim, call)); !strings.Contains(got, "rate limit") {
		t.Errorf("second call in the window: %q, want the rate-limit error", got)
	}
	clk.Advance(time.Minute)
	sim.FailNext(tunesim.FailServerError, 1)
	if rec := get(t, sim, call); rec.Code != http.StatusInternalServerError {
		t.Errorf("injected failure: HTTP %d, want 500", rec.Code)
	}
	var failures []string
	for _, c := range sim.Calls() {
		failures = append(failures, c.Target+"::"+c.Method+" "+c.Failure)
	}
	want := []string{"Report::getConversions ", "Report::getConversions rate_limited", "Report::getConversions server_error"}
	if !slices.Equal(failures, want) {
		t.Errorf("calls %q, want %q", failures, want)
	}
}

func TestControlHandler(t *testing.T) {
	zone := time.FixedZone("UTC+2", 2*3600)
	sim := newSim(tunesim.Options{TimeZone: zone})
	h := sim.ControlHandler()
	do := func(method, path, body string) (int, map[string]string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		var answer map[string]string
		if rec.Code != http.StatusMethodNotAllowed {
			if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
				t.Fatalf("%s %s: HTTP %d, not JSON: %s", method, path, rec.Code, rec.Body)
			}
		}
		return rec.Code, answer
	}

	code, answer := do("POST", "/conversions", `{"transaction_id":"tx9","offer_id":"4","goal_id":"0","payout":"3.25",`+
		`"sale_amount":"40","currency":"USD","status":"pending","status_code":0,"at":"2026-11-24 23:30:00",`+
		`"aff_sub":"click-1","aff_click_id":"k","source":"sms","is_adjustment":false}`)
	if code != http.StatusCreated || answer["event_id"] == "" {
		t.Fatalf("POST: %d %v", code, answer)
	}
	id := answer["event_id"]
	want := tunesim.Conversion{EventID: id, TransactionID: "tx9", AffiliateID: "3", OfferID: "4", GoalID: "0", Status: "pending",
		Payout: "3.25", SaleAmount: "40", Currency: "USD", At: time.Date(2026, 11, 24, 21, 30, 0, 0, time.UTC),
		Subs: [5]string{"click-1"}, ClickID: "k", Source: "sms"}
	if got := sim.Conversions()[0]; got.At.Equal(want.At) {
		got.At = want.At
		if got != want {
			t.Errorf("stored\n got %+v\nwant %+v", got, want)
		}
	} else {
		t.Errorf("at %s, want %s", got.At, want.At)
	}

	if code, answer = do("PATCH", "/conversions/"+id, `{"status":"rejected","status_code":12,"payout":"0","currency":""}`); code != http.StatusOK {
		t.Fatalf("PATCH: %d %v", code, answer)
	}
	if got := sim.Conversions()[0]; got.Status != "rejected" || got.StatusCode != 12 || got.Payout != "0" || got.Currency != "" || got.Source != "sms" {
		t.Errorf("patched: %+v", got)
	}

	for _, tt := range []struct {
		name, method, path, body string
		code                     int
		says                     []string
	}{
		{"bad fields", "POST", "/conversions", `{"payout":"12,50","status":"paid","currency":"usd","offer_id":"x","at":"yesterday"}`,
			400, []string{"payout", "status", "currency", "offer_id", "at"}},
		{"unknown field", "POST", "/conversions", `{"payout_amount":"1"}`, 400, []string{"payout_amount"}},
		{"not JSON", "POST", "/conversions", `payout=1`, 400, []string{"body"}},
		{"two values", "POST", "/conversions", `{} {}`, 400, []string{"more than one"}},
		{"nothing to change", "PATCH", "/conversions/" + id, `{}`, 400, []string{"nothing to change"}},
		{"bad change", "PATCH", "/conversions/" + id, `{"status":"","status_code":-1}`, 400, []string{"status", "status_code"}},
		{"unknown event", "PATCH", "/conversions/nosuch", `{"status":"approved"}`, 404, []string{"nosuch"}},
		{"wrong method", "GET", "/conversions", ``, 405, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, answer := do(tt.method, tt.path, tt.body)
			if code != tt.code {
				t.Errorf("HTTP %d %v, want %d", code, answer, tt.code)
			}
			for _, s := range tt.says {
				if !strings.Contains(answer["error"], s) {
					t.Errorf("error %q does not name %q", answer["error"], s)
				}
			}
		})
	}
	if n := len(sim.Conversions()); n != 1 {
		t.Errorf("%d conversions after refused input, want 1", n)
	}
}
