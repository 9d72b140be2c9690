package tune_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/tune"
)

// reportDay is the day the conversions tests' conversions happen on.
var reportDay = time.Date(2026, time.November, 24, 0, 0, 0, 0, time.UTC)

// oneDay asks for the first page of reportDay's conversions.
func oneDay() tune.ConversionQuery {
	return tune.ConversionQuery{From: "2026-11-24", To: "2026-11-24", ClickParam: "aff_sub", Page: 1, Limit: 100}
}

// recording puts a recorder of every call's query in front of sim and
// returns the endpoint and the queries received.
func recording(t *testing.T, sim *tunesim.Simulator) (string, func() []url.Values) {
	t.Helper()
	var (
		mu      sync.Mutex
		queries []url.Values
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query())
		mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/Apiv3/json", func() []url.Values {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(queries)
	}
}

// describe renders a conversion for comparison, its time in UTC.
func describe(r tune.ReportConversion) string {
	sale := "nil"
	if r.SaleAmount != nil {
		sale = r.SaleAmount.String()
	}
	return fmt.Sprintf("%s at %s tx=%s click=%s offer=%s goal=%s %s/%d payout=%s %q sale=%s source=%s adj=%t",
		r.EventID, r.At.UTC().Format(time.RFC3339), r.TransactionID, r.ClickID, r.OfferID, r.GoalID,
		r.Status, r.StatusCode, r.Payout, r.Currency, sale, r.Source, r.IsAdjustment)
}

func describeAll(rs []tune.ReportConversion) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = describe(r)
	}
	return out
}

func TestConversionsPerKeyKind(t *testing.T) {
	sim, _ := simulator(t, tunesim.Options{Offers: 3})
	base, queries := recording(t, sim)
	sim.AddConversion(tunesim.Conversion{EventID: "e1", TransactionID: "tx1", OfferID: "2", GoalID: "0", Status: "pending",
		Payout: "12.5", At: reportDay.Add(time.Hour), Subs: [5]string{"click-1", "other"}, Source: "sms"})
	sim.AddConversion(tunesim.Conversion{EventID: "e2", TransactionID: "tx2", AffiliateID: "9", OfferID: "3", GoalID: "4",
		Status: "rejected", StatusCode: 12, Payout: "7.125", Currency: "eur", SaleAmount: "99.9", IsAdjustment: true,
		At: reportDay.Add(2 * time.Hour)})
	mine := "e1 at 2026-11-24T01:00:00Z tx=tx1 click=click-1 offer=2 goal=0 pending/0 payout=12.5 \"\" sale=nil source=sms adj=false"
	others := "e2 at 2026-11-24T02:00:00Z tx=tx2 click= offer=3 goal=4 rejected/12 payout=7.125 \"EUR\" sale=99.9 source= adj=true"

	common := []string{"Stat.id", "Stat.tune_event_id", "Stat.datetime", "Stat.ad_id", "Stat.affiliate_info1", "Stat.offer_id",
		"Stat.goal_id", "Stat.status_code", "Stat.payout", "Stat.currency", "Stat.sale_amount", "Stat.source", "Stat.is_adjustment"}
	for _, tt := range []struct {
		kind, target, status string
		want                 []string
	}{
		{tune.KeyKindNetwork, "Report", "Stat.status", []string{mine, others}},
		{tune.KeyKindAffiliate, "Affiliate_Report", "Stat.conversion_status", []string{mine}},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			c, _ := client(t, base, tt.kind, nil)
			page, err := c.Conversions(t.Context(), oneDay())
			if err != nil {
				t.Fatal(err)
			}
			if got := describeAll(page.Conversions); !slices.Equal(got, tt.want) {
				t.Errorf("conversions\n got %q\nwant %q", got, tt.want)
			}
			if page.Page != 1 || page.PageCount != 1 || page.Count != len(tt.want) {
				t.Errorf("page %d/%d of %d, want 1/1 of %d", page.Page, page.PageCount, page.Count, len(tt.want))
			}
			q := queries()[len(queries())-1]
			if q.Get("Target") != tt.target || q.Get("Method") != "getConversions" {
				t.Errorf("called %s::%s", q.Get("Target"), q.Get("Method"))
			}
			fields := slices.Sorted(slices.Values(q["fields[]"]))
			want := slices.Sorted(slices.Values(append(slices.Clone(common), tt.status)))
			if !slices.Equal(fields, want) {
				t.Errorf("fields %v, want %v", fields, want)
			}
			for name, want := range map[string]string{"filters[Stat.date][conditional]": "BETWEEN", "sort[Stat.datetime]": "asc",
				"limit": "100", "page": "1", "totals": "0"} {
				if got := q.Get(name); got != want {
					t.Errorf("%s=%q, want %q", name, got, want)
				}
			}
			if got := q["filters[Stat.date][values][]"]; !slices.Equal(got, []string{"2026-11-24", "2026-11-24"}) {
				t.Errorf("date values %v", got)
			}
		})
	}
}

func TestConversionsClickParam(t *testing.T) {
	sim, base := simulator(t, tunesim.Options{})
	sim.AddConversion(tunesim.Conversion{At: reportDay, Subs: [5]string{"s1", "s2", "s3", "s4", "s5"}, ClickID: "ck"})
	c, _ := client(t, base, tune.KeyKindAffiliate, nil)
	for param, want := range map[string]string{"aff_sub": "s1", "aff_sub2": "s2", "aff_sub3": "s3", "aff_sub4": "s4",
		"aff_sub5": "s5", "aff_click_id": "ck"} {
		t.Run(param, func(t *testing.T) {
			q := oneDay()
			q.ClickParam = param
			page, err := c.Conversions(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Conversions) != 1 || page.Conversions[0].ClickID != want {
				t.Errorf("got %q, want click id %q", describeAll(page.Conversions), want)
			}
		})
	}
}

func TestConversionsPages(t *testing.T) {
	const n, limit = 7, 3
	for _, keyed := range []bool{false, true} {
		t.Run("keyed rows "+strconv.FormatBool(keyed), func(t *testing.T) {
			sim, base := simulator(t, tunesim.Options{KeyedConversionRows: keyed})
			for i := range n { // added newest first: the report sorts them
				sim.AddConversion(tunesim.Conversion{TransactionID: strconv.Itoa(n - i), At: reportDay.Add(time.Duration(n-i) * time.Minute)})
			}
			c, _ := client(t, base, tune.KeyKindNetwork, nil)
			var got []string
			for pageNo := 1; ; pageNo++ {
				q := oneDay()
				q.Page, q.Limit = pageNo, limit
				page, err := c.Conversions(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				if page.Page != pageNo || page.PageCount != 3 || page.Count != n {
					t.Fatalf("page %d/%d of %d, want %d/3 of %d", page.Page, page.PageCount, page.Count, pageNo, n)
				}
				for _, r := range page.Conversions {
					got = append(got, r.TransactionID)
				}
				if pageNo == page.PageCount {
					if len(page.Conversions) != 1 {
						t.Errorf("last page: %d conversions, want 1", len(page.Conversions))
					}
					break
				}
			}
			if want := []string{"1", "2", "3", "4", "5", "6", "7"}; !slices.Equal(got, want) {
				t.Errorf("transactions %v, want %v in time order", got, want)
			}
		})
	}
}

func TestConversionsEmptyDay(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		t.Run("keyed rows "+strconv.FormatBool(keyed), func(t *testing.T) {
			sim, base := simulator(t, tunesim.Options{KeyedConversionRows: keyed})
			sim.AddConversion(tunesim.Conversion{At: reportDay.AddDate(0, 0, 1)})
			c, _ := client(t, base, tune.KeyKindAffiliate, nil)
			page, err := c.Conversions(t.Context(), oneDay())
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Conversions) != 0 || page.Count != 0 || page.PageCount != 0 || page.Page != 1 {
				t.Errorf("got %+v, want an empty page 1", page)
			}
		})
	}
}

func TestConversionsFlagsTests(t *testing.T) {
	sim, base := simulator(t, tunesim.Options{})
	codes := []int{0, 12, 20, 21, 22, 23, 24, 52}
	for _, code := range codes {
		sim.AddConversion(tunesim.Conversion{StatusCode: code, At: reportDay})
	}
	c, _ := client(t, base, tune.KeyKindNetwork, nil)
	page, err := c.Conversions(t.Context(), oneDay())
	if err != nil {
		t.Fatal(err)
	}
	var tests []int
	for _, r := range page.Conversions {
		if r.IsTest() {
			tests = append(tests, r.StatusCode)
		}
	}
	if want := []int{21, 22, 23}; !slices.Equal(tests, want) {
		t.Errorf("test conversions have codes %v, want %v", tests, want)
	}
}

func TestConversionsNetworkDays(t *testing.T) {
	zone := time.FixedZone("UTC-5", -5*3600)
	sim, base := simulator(t, tunesim.Options{TimeZone: zone})
	late := time.Date(2026, time.November, 24, 23, 30, 0, 0, zone) // 04:30 UTC on the 25th
	sim.AddConversion(tunesim.Conversion{TransactionID: "late on the 24th", At: late})
	sim.AddConversion(tunesim.Conversion{TransactionID: "early on the 25th", At: late.Add(time.Hour)})
	c, _ := client(t, base, tune.KeyKindNetwork, nil)
	for _, tt := range []struct {
		day  string
		want string
		at   time.Time
	}{
		{"2026-11-24", "late on the 24th", late},
		{"2026-11-25", "early on the 25th", late.Add(time.Hour)},
	} {
		t.Run(tt.day, func(t *testing.T) {
			q := oneDay()
			q.From, q.To, q.Location = tt.day, tt.day, zone
			page, err := c.Conversions(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Conversions) != 1 || page.Conversions[0].TransactionID != tt.want || !page.Conversions[0].At.Equal(tt.at) {
				t.Errorf("got %q, want only %q at %s", describeAll(page.Conversions), tt.want, tt.at.UTC())
			}
		})
	}
}

func TestConversionsRetriesTransientFailures(t *testing.T) {
	t.Run("rate limit, then the page", func(t *testing.T) {
		sim, base := simulator(t, tunesim.Options{})
		sim.AddConversion(tunesim.Conversion{At: reportDay})
		sim.FailNext(tunesim.FailRateLimit, 1)
		c, _ := client(t, base, tune.KeyKindAffiliate, nil)
		page, err := c.Conversions(t.Context(), oneDay())
		if err != nil || len(page.Conversions) != 1 {
			t.Fatalf("got %+v, %v; want the conversion after a retry", page, err)
		}
		if n := sim.CallCount("Affiliate_Report", "getConversions"); n != 2 {
			t.Errorf("%d calls, want 2", n)
		}
	})
	t.Run("range too wide: gateway time-outs", func(t *testing.T) {
		sim, base := simulator(t, tunesim.Options{MaxReportDays: 7})
		c, clock := client(t, base, tune.KeyKindNetwork, func(c *tune.Config) { c.MaxRetries = 2 })
		q := oneDay()
		q.From = "2026-11-17" // eight days
		_, err := c.Conversions(t.Context(), q)
		var e *tune.Error
		if !errors.As(err, &e) || e.Kind != tune.ServerError || !strings.Contains(e.Message, "504") {
			t.Fatalf("got %v, want a ServerError for the gateway time-out", err)
		}
		assertNoSecret(t, err.Error())
		if n, sleeps := sim.CallCount("Report", "getConversions"), len(clock.Sleeps()); n != 3 || sleeps != 2 {
			t.Errorf("%d calls with %d back-offs, want 3 with 2", n, sleeps)
		}
	})
}

func TestConversionsDecodesTUNEShapes(t *testing.T) {
	row := func(id, datetime string) string {
		return `{"Stat":{"id":"` + id + `","datetime":"` + datetime + `","ad_id":"tx` + id + `","affiliate_info1":"c` + id +
			`","offer_id":"5","goal_id":"","status":"approved","status_code":"0","payout":"1.50000","currency":null,` +
			`"sale_amount":"0.00000","source":"","is_adjustment":"0"},"Offer":{"name":"An offer"}}`
	}
	first := "17 at 2026-11-24T08:00:00Z tx=tx17 click=c17 offer=5 goal= approved/0 payout=1.5 \"\" sale=0 source= adj=false"
	second := "18 at 2026-11-24T09:00:00Z tx=tx18 click=c18 offer=5 goal= approved/0 payout=1.5 \"\" sale=0 source= adj=false"
	rows := row("18", "2026-11-24 09:00:00") + "," + row("17", "2026-11-24 08:00:00")
	tests := []struct {
		name  string
		data  string
		want  []string
		pages string // page, page count, count
	}{
		{"page of a list", `{"page":"2","current":2,"count":"12","pageCount":"6","data":[` + row("17", "2026-11-24 08:00:00") + "," +
			row("18", "2026-11-24 09:00:00") + `]}`, []string{first, second}, "2 6 12"},
		{"page of keyed rows, order kept", `{"page":1,"count":2,"pageCount":1,"data":{"18":` + row("18", "2026-11-24 09:00:00") +
			`,"17":` + row("17", "2026-11-24 08:00:00") + `}}`, []string{second, first}, "1 1 2"},
		{"page without a page count", `{"page":1,"count":250,"data":[` + row("17", "2026-11-24 08:00:00") + `]}`, []string{first}, "1 3 250"},
		{"list alone", `[` + rows + `]`, []string{second, first}, "1 1 2"},
		{"keyed rows alone", `{"18":` + row("18", "2026-11-24 09:00:00") + `}`, []string{second}, "1 1 1"},
		{"empty page", `{"page":1,"current":0,"count":0,"pageCount":0,"data":[]}`, nil, "1 0 0"},
		{"empty list", `[]`, nil, "1 0 0"},
		{"null", `null`, nil, "1 0 0"},
		{"numbers as numbers, tune_event_id, payout rounded to 8 places", `[{"Stat":{"id":17,"tune_event_id":"evt-a","datetime":"2026-11-24 08:00:00","ad_id":"tx",` +
			`"offer_id":5,"goal_id":0,"status":"Approved","status_code":21,"payout":12.123456785,"currency":"usd","sale_amount":null,` +
			`"is_adjustment":1,"source":"pixel_text"}}]`,
			[]string{"evt-a at 2026-11-24T08:00:00Z tx=tx click= offer=5 goal=0 approved/21 payout=12.12345679 \"USD\" sale=nil source=pixel_text adj=true"},
			"1 1 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := client(t, canned(t, 200, "application/json", envelope("1", tt.data)), tune.KeyKindNetwork, nil)
			q := oneDay()
			q.Limit = 100
			page, err := c.Conversions(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if got := describeAll(page.Conversions); !slices.Equal(got, tt.want) {
				t.Errorf("conversions\n got %q\nwant %q", got, tt.want)
			}
			if got := fmt.Sprint(page.Page, page.PageCount, page.Count); got != tt.pages {
				t.Errorf("page, page count, count %s, want %s", got, tt.pages)
			}
		})
	}
}

func TestConversionsRefusesBadRows(t *testing.T) {
	tests := []struct {
		name string
		data string
		says []string
	}{
		{"unknown status", `{"page":1,"count":1,"pageCount":1,"data":[{"Stat":{"id":"1","datetime":"2026-11-24 08:00:00","status":"approved"}},` +
			`{"Stat":{"id":"2","datetime":"2026-11-24 08:00:00","status":"paid"}}]}`, []string{"row 2", "event 2", `"paid"`}},
		{"unknown status in keyed rows", `{"41":{"Stat":{"id":"41","datetime":"2026-11-24 08:00:00","conversion_status":"deleted"}}}`,
			[]string{`row "41"`, `"deleted"`}},
		{"no status", `[{"Stat":{"id":"1","datetime":"2026-11-24 08:00:00"}}]`, []string{"row 1", "status"}},
		{"no id", `[{"Stat":{"datetime":"2026-11-24 08:00:00","status":"approved"}}]`, []string{"row 1", "Stat.id"}},
		{"no datetime", `[{"Stat":{"id":"1","status":"approved"}}]`, []string{"row 1", "datetime"}},
		{"no Stat", `[{"Offer":{"name":"x"}}]`, []string{"row 1", "Stat"}},
		{"payout not a number", `[{"Stat":{"id":"1","datetime":"2026-11-24 08:00:00","status":"approved","payout":"lots"}}]`,
			[]string{"row 1", "lots"}},
		{"sale amount not a number", `[{"Stat":{"id":"1","datetime":"2026-11-24 08:00:00","status":"approved","sale_amount":"n/a"}}]`,
			[]string{"row 1", "n/a"}},
		{"rows neither list nor object", `{"page":1,"count":1,"data":"rows"}`, []string{"rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := client(t, canned(t, 200, "application/json", envelope("1", tt.data)), tune.KeyKindNetwork, nil)
			_, err := c.Conversions(t.Context(), oneDay())
			var e *tune.Error
			if !errors.As(err, &e) || e.Kind != tune.Other {
				t.Fatalf("got %v, want an *Error of kind Other", err)
			}
			for _, s := range tt.says {
				if !strings.Contains(e.Message, s) {
					t.Errorf("%q does not say %q", e.Message, s)
				}
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestConversionsValidatesTheQuery(t *testing.T) {
	sim, base := simulator(t, tunesim.Options{})
	c, _ := client(t, base, tune.KeyKindNetwork, nil)
	tests := []struct {
		name string
		edit func(*tune.ConversionQuery)
		says []string
	}{
		{"no dates", func(q *tune.ConversionQuery) { q.From, q.To = "", "" }, []string{"From", "To"}},
		{"not a date", func(q *tune.ConversionQuery) { q.From = "2026-11-31" }, []string{"From", "2026-11-31"}},
		{"backwards", func(q *tune.ConversionQuery) { q.From = "2026-11-25" }, []string{"To", "before From"}},
		{"page 0", func(q *tune.ConversionQuery) { q.Page = 0 }, []string{"Page"}},
		{"limit 0", func(q *tune.ConversionQuery) { q.Limit = 0 }, []string{"Limit"}},
		{"limit too high", func(q *tune.ConversionQuery) { q.Limit = tune.MaxConversionLimit + 1 }, []string{"Limit", "10000"}},
		{"click parameter", func(q *tune.ConversionQuery) { q.ClickParam = "aff_sub6" }, []string{"ClickParam", "aff_sub6"}},
		{"no click parameter", func(q *tune.ConversionQuery) { q.ClickParam = "" }, []string{"ClickParam"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := oneDay()
			tt.edit(&q)
			_, err := c.Conversions(t.Context(), q)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%v does not name %q", err, s)
				}
			}
		})
	}
	if n := len(sim.Calls()); n != 0 {
		t.Errorf("%d calls for refused queries, want none", n)
	}
}
