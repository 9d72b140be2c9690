package tune_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/tune"
)

func TestTestConnection(t *testing.T) {
	sim, base := simulator(t, tunesim.Options{Offers: 200})
	active := 0
	for id := 1; id <= 200; id++ {
		if o, _ := sim.Offer(id); o.Status == "active" {
			active++
		}
	}
	for _, tt := range []struct {
		kind string
		want int
	}{{tune.KeyKindNetwork, 200}, {tune.KeyKindAffiliate, active}} {
		t.Run(tt.kind, func(t *testing.T) {
			c, _ := client(t, base, tt.kind, nil)
			info, err := c.TestConnection(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			want := tune.ConnectionInfo{KeyKind: tt.kind, NetworkID: networkID, OfferCount: tt.want}
			if info != want {
				t.Errorf("got %+v, want %+v", info, want)
			}
		})
	}
	if n := len(sim.Calls()); n != 2 {
		t.Errorf("%d calls, want one per connection test", n)
	}
}

// want is the Offer the client should make of a simulator's offer.
func want(o tunesim.Offer, trackingURL string) tune.Offer {
	w := tune.Offer{
		ID: strconv.Itoa(o.ID), Name: o.Name, Description: o.Description, PreviewURL: o.PreviewURL,
		OfferURL: o.OfferURL, Currency: o.Currency, PayoutType: o.PayoutType, Status: o.Status,
		TrackingURL: trackingURL, DefaultPayout: o.DefaultPayout, MaxPayout: o.MaxPayout,
		PercentPayout: o.PercentPayout, IsExpired: o.IsExpired, RequireApproval: o.RequireApproval,
		ExpirationDate: o.ExpirationDate, Modified: o.Modified, SessionHours: o.SessionHours,
	}
	if o.AdvertiserID != 0 {
		w.AdvertiserID = strconv.Itoa(o.AdvertiserID)
		if trackingURL == "" { // network keys ask for the advertiser
			w.AdvertiserName = o.AdvertiserName
		}
	}
	return w
}

func equalOffers(a, b tune.Offer) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Description == b.Description && a.PreviewURL == b.PreviewURL &&
		a.OfferURL == b.OfferURL && a.Currency == b.Currency && a.PayoutType == b.PayoutType &&
		a.Status == b.Status && a.AdvertiserID == b.AdvertiserID && a.AdvertiserName == b.AdvertiserName &&
		a.TrackingURL == b.TrackingURL && a.DefaultPayout.Equal(b.DefaultPayout) &&
		a.MaxPayout.Equal(b.MaxPayout) && a.PercentPayout.Equal(b.PercentPayout) &&
		a.IsExpired == b.IsExpired && a.RequireApproval == b.RequireApproval &&
		a.ExpirationDate.Equal(b.ExpirationDate) && a.Modified.Equal(b.Modified) && a.SessionHours == b.SessionHours
}

func TestFindOffersDecodesEveryOffer(t *testing.T) {
	const n = 300
	sim, base := simulator(t, tunesim.Options{Offers: n})
	for _, kind := range []string{tune.KeyKindNetwork, tune.KeyKindAffiliate} {
		t.Run(kind, func(t *testing.T) {
			c, _ := client(t, base, kind, nil)
			page, err := c.FindOffers(t.Context(), tune.OfferQuery{}) // no limit: every offer in one answer
			if err != nil {
				t.Fatal(err)
			}
			var quirks struct{ nullCurrency, noExpiry, expired, noAdvertiser, percent, approval int }
			i := 0
			for id := 1; id <= n; id++ {
				o, _ := sim.Offer(id)
				link := ""
				if kind == tune.KeyKindAffiliate {
					if o.Status != "active" {
						continue
					}
					link = "https://demo.go2cloud.org/aff_c?offer_id=" + strconv.Itoa(id) + "&aff_id=3"
				}
				if i >= len(page.Offers) {
					t.Fatalf("only %d offers", len(page.Offers))
				}
				got, w := page.Offers[i], want(o, link)
				if !equalOffers(got, w) {
					t.Errorf("offer %d\n got %+v\nwant %+v", id, got, w)
				}
				i++
				count := func(cond bool, n *int) {
					if cond {
						*n++
					}
				}
				count(got.Currency == "", &quirks.nullCurrency)
				count(got.ExpirationDate.IsZero(), &quirks.noExpiry)
				count(got.IsExpired, &quirks.expired)
				count(got.AdvertiserID == "", &quirks.noAdvertiser)
				count(!got.PercentPayout.IsZero(), &quirks.percent)
				count(got.RequireApproval, &quirks.approval)
			}
			if i != len(page.Offers) || page.Count != i || page.Page != 1 || page.PageCount != 1 {
				t.Errorf("%d offers, page %d/%d, count %d; want %d offers on page 1/1", len(page.Offers), page.Page, page.PageCount, page.Count, i)
			}
			for name, n := range map[string]int{"null currency": quirks.nullCurrency, "no expiration": quirks.noExpiry,
				"expired": quirks.expired, "no advertiser": quirks.noAdvertiser, "percent payout": quirks.percent,
				"approval": quirks.approval} {
				if n == 0 {
					t.Errorf("no offer with %s: the quirk went untested", name)
				}
			}
		})
	}
}

func TestFindOffersFilters(t *testing.T) {
	sim, base := simulator(t, tunesim.Options{Offers: 100})
	sim.UpdateOffer(42, func(o *tunesim.Offer) { o.Name = "Summer Sale 50% off" })
	c, _ := client(t, base, tune.KeyKindNetwork, nil)
	tests := []struct {
		name  string
		query tune.OfferQuery
		keep  func(tunesim.Offer) bool
	}{
		{"statuses", tune.OfferQuery{Statuses: []string{"paused", "pending"}},
			func(o tunesim.Offer) bool { return o.Status == "paused" || o.Status == "pending" }},
		{"name contains, any case", tune.OfferQuery{NameContains: "summer sale"},
			func(o tunesim.Offer) bool { return o.ID == 42 }},
		{"ids", tune.OfferQuery{IDs: []string{"9", "10", "100", "1000"}},
			func(o tunesim.Offer) bool { return o.ID == 9 || o.ID == 10 || o.ID == 100 }},
		{"all together", tune.OfferQuery{Statuses: []string{"active"}, NameContains: "VPN", Limit: 5},
			func(o tunesim.Offer) bool { return o.Status == "active" && strings.Contains(o.Name, "VPN") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wantIDs []string
			for id := 1; id <= 100; id++ {
				if o, _ := sim.Offer(id); tt.keep(o) {
					wantIDs = append(wantIDs, strconv.Itoa(id))
				}
			}
			var gotIDs []string
			for pageNo := 1; ; pageNo++ {
				q := tt.query
				q.Page = pageNo
				page, err := c.FindOffers(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range page.Offers {
					gotIDs = append(gotIDs, o.ID)
				}
				if pageNo >= page.PageCount {
					break
				}
			}
			if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") {
				t.Errorf("got ids %v, want %v", gotIDs, wantIDs)
			}
		})
	}
}

func TestFindOffersPagination(t *testing.T) {
	const n, limit = 1000, 37
	sim, base := simulator(t, tunesim.Options{Offers: n})
	c, _ := client(t, base, tune.KeyKindNetwork, nil)
	seen := map[string]bool{}
	last := 0
	pages := 0
	for pageNo := 1; ; pageNo++ {
		page, err := c.FindOffers(t.Context(), tune.OfferQuery{Page: pageNo, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.Page != pageNo || page.Count != n || page.PageCount != (n+limit-1)/limit {
			t.Fatalf("page %d: got page %d/%d of %d", pageNo, page.Page, page.PageCount, page.Count)
		}
		for _, o := range page.Offers {
			id, _ := strconv.Atoi(o.ID)
			if id <= last || seen[o.ID] {
				t.Fatalf("page %d: offer %s out of order or repeated", pageNo, o.ID)
			}
			last, seen[o.ID] = id, true
		}
		if pageNo >= page.PageCount {
			break
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct offers over %d pages, want %d", len(seen), pages, n)
	}
	if got := sim.CallCount("Offer", "findAll"); got != pages {
		t.Errorf("%d calls for %d pages", got, pages)
	}

	past, err := c.FindOffers(t.Context(), tune.OfferQuery{Page: pages + 1, Limit: limit})
	if err != nil || len(past.Offers) != 0 || past.Count != n {
		t.Errorf("page past the end: %+v, %v; want no offers and no error", past, err)
	}
}

// envelope wraps data in a successful TUNE answer whose request echoes a key.
func envelope(status, data string) string {
	return `{"request":{"NetworkToken":"` + networkToken + `","Target":"Offer"},"response":{"status":` + status +
		`,"httpStatus":200,"data":` + data + `,"errors":[],"errorMessage":null}}`
}

const (
	rec9   = `{"Offer":{"id":"9","name":"Nine","default_payout":"9.00000"},"Advertiser":{"id":"1","company":"Acme"}}`
	rec10  = `{"Offer":{"id":"10","name":"Ten","default_payout":"10.50000"},"Advertiser":[]}`
	rec100 = `{"Offer":{"id":"100","name":"Hundred","default_payout":"100"}}`
)

func TestFindOffersDataShapes(t *testing.T) {
	records := `{"100":` + rec100 + `,"10":` + rec10 + `,"9":` + rec9 + `}`
	tests := []struct {
		name                   string
		body                   string
		query                  tune.OfferQuery
		ids                    string
		page, pageCount, count int
	}{
		{"page of id-keyed records", envelope("1", `{"page":2,"current":3,"count":104,"pageCount":35,"data":`+records+`}`),
			tune.OfferQuery{Page: 2, Limit: 3}, "9,10,100", 2, 35, 104},
		{"page numbers as strings", envelope(`"1"`, `{"page":"2","current":"3","count":"104","pageCount":"35","data":`+records+`}`),
			tune.OfferQuery{Page: 2, Limit: 3}, "9,10,100", 2, 35, 104},
		{"page without pageCount", envelope("1", `{"page":1,"count":7,"data":`+records+`}`),
			tune.OfferQuery{Limit: 3}, "9,10,100", 1, 3, 7},
		{"empty page: data is an empty array", envelope("1", `{"page":9,"current":0,"count":104,"pageCount":35,"data":[]}`),
			tune.OfferQuery{Page: 9, Limit: 3}, "", 9, 35, 104},
		{"empty page: data is null", envelope("1", `{"page":1,"current":0,"count":0,"pageCount":0,"data":null}`),
			tune.OfferQuery{Limit: 3}, "", 1, 0, 0},
		{"no limit: id-keyed records directly", envelope("1", records), tune.OfferQuery{}, "9,10,100", 1, 1, 3},
		{"no limit: list of records", envelope("1", `[`+rec100+`,`+rec9+`]`), tune.OfferQuery{}, "9,100", 1, 1, 2},
		{"no offers: empty array", envelope("1", `[]`), tune.OfferQuery{}, "", 1, 0, 0},
		{"no offers: empty object", envelope("1", `{}`), tune.OfferQuery{}, "", 1, 0, 0},
		{"no offers: null", envelope("1", `null`), tune.OfferQuery{}, "", 1, 0, 0},
		{"no offers: empty string", envelope("1", `""`), tune.OfferQuery{}, "", 1, 0, 0},
		{"no data member", `{"response":{"status":1}}`, tune.OfferQuery{}, "", 1, 0, 0},
		{"record id only in its key", envelope("1", `{"5":{"Offer":{"name":"Five"}}}`), tune.OfferQuery{}, "5", 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := client(t, canned(t, 200, "application/json", tt.body), tune.KeyKindNetwork, nil)
			page, err := c.FindOffers(t.Context(), tt.query)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, o := range page.Offers {
				ids = append(ids, o.ID)
			}
			if got := strings.Join(ids, ","); got != tt.ids || page.Page != tt.page || page.PageCount != tt.pageCount || page.Count != tt.count {
				t.Errorf("got ids %q page %d/%d count %d; want ids %q page %d/%d count %d",
					got, page.Page, page.PageCount, page.Count, tt.ids, tt.page, tt.pageCount, tt.count)
			}
		})
	}
}

func TestFindOffersValueForms(t *testing.T) {
	jan := time.Date(2018, time.March, 8, 15, 12, 29, 0, time.UTC)
	tests := []struct {
		name  string
		offer string // members of the Offer object besides id
		check func(tune.Offer) bool
	}{
		{"payout as string", `"default_payout":"900.00000"`, func(o tune.Offer) bool { return o.DefaultPayout.Equal(decimal.RequireFromString("900")) }},
		{"payout as number, exactly", `"default_payout":0.1`, func(o tune.Offer) bool { return o.DefaultPayout.String() == "0.1" }},
		{"payout null", `"default_payout":null,"max_payout":""`, func(o tune.Offer) bool { return o.DefaultPayout.IsZero() && o.MaxPayout.IsZero() }},
		{"currency null", `"currency":null`, func(o tune.Offer) bool { return o.Currency == "" }},
		{"currency lower case", `"currency":"eur"`, func(o tune.Offer) bool { return o.Currency == "EUR" }},
		{"bools as strings", `"is_expired":"1","require_approval":"0"`, func(o tune.Offer) bool { return o.IsExpired && !o.RequireApproval }},
		{"bools as numbers", `"is_expired":1,"require_approval":0`, func(o tune.Offer) bool { return o.IsExpired && !o.RequireApproval }},
		{"bools as booleans", `"is_expired":true,"require_approval":false`, func(o tune.Offer) bool { return o.IsExpired && !o.RequireApproval }},
		{"no expiration", `"expiration_date":"0000-00-00 00:00:00"`, func(o tune.Offer) bool { return o.ExpirationDate.IsZero() }},
		{"expiration as a date", `"expiration_date":"2018-03-08 15:12:29"`, func(o tune.Offer) bool { return o.ExpirationDate.Equal(jan) }},
		{"modified as unix seconds", `"modified":1520521949`, func(o tune.Offer) bool { return o.Modified.Equal(jan) }},
		{"modified as unix seconds in a string", `"modified":"1520521949"`, func(o tune.Offer) bool { return o.Modified.Equal(jan) }},
		{"modified as a date", `"modified":"2018-03-08 15:12:29"`, func(o tune.Offer) bool { return o.Modified.Equal(jan) }},
		{"session hours as string", `"session_hours":"720"`, func(o tune.Offer) bool { return o.SessionHours == 720 }},
		{"session hours as number", `"session_hours":24`, func(o tune.Offer) bool { return o.SessionHours == 24 }},
		{"advertiser id 0 is none", `"advertiser_id":"0"`, func(o tune.Offer) bool { return o.AdvertiserID == "" }},
		{"id as number", `"name":"x"`, func(o tune.Offer) bool { return o.ID == "5" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := envelope("1", `{"5":{"Offer":{"id":5,`+tt.offer+`}}}`)
			c, _ := client(t, canned(t, 200, "application/json", body), tune.KeyKindNetwork, nil)
			page, err := c.FindOffers(t.Context(), tune.OfferQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Offers) != 1 || !tt.check(page.Offers[0]) {
				t.Errorf("decoded %+v", page.Offers)
			}
		})
	}
}

func TestFindOffersRejectsBadValues(t *testing.T) {
	for name, data := range map[string]string{
		"payout not a number":   `{"5":{"Offer":{"id":"5","default_payout":"lots"}}}`,
		"boolean not a boolean": `{"5":{"Offer":{"id":"5","is_expired":"maybe"}}}`,
		"date not a date":       `{"5":{"Offer":{"id":"5","modified":"yesterday"}}}`,
		"record without Offer":  `{"5":{"Advertiser":{"id":"1"}}}`,
		"data a number":         `42`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := client(t, canned(t, 200, "application/json", envelope("1", data)), tune.KeyKindNetwork, nil)
			_, err := c.FindOffers(t.Context(), tune.OfferQuery{})
			var e *tune.Error
			if !errors.As(err, &e) || e.Kind != tune.Other {
				t.Fatalf("got %v, want an error of kind other", err)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestTrackingLink(t *testing.T) {
	sim, base := simulator(t, tunesim.Options{Offers: 20, AffiliateID: "3"})
	network, _ := client(t, base, tune.KeyKindNetwork, nil)
	affiliate, _ := client(t, base, tune.KeyKindAffiliate, nil)
	noAffiliate, _ := client(t, base, tune.KeyKindNetwork, func(c *tune.Config) { c.AffiliateID = "" })

	tests := []struct {
		name   string
		c      *tune.Client
		offer  string
		params map[string]string
		want   string
		err    func(error) bool
	}{
		{"network key", network, "2", nil, "https://demo.go2cloud.org/aff_c?offer_id=2&aff_id=7", nil},
		{"network key with sub ids", network, "2", map[string]string{"aff_sub": "ck_1 2&3", "aff_sub2": "sms"},
			"https://demo.go2cloud.org/aff_c?offer_id=2&aff_id=7&aff_sub=ck_1+2%263&aff_sub2=sms", nil},
		{"affiliate key", affiliate, "5", map[string]string{"aff_click_id": "abc"},
			"https://demo.go2cloud.org/aff_c?offer_id=5&aff_id=3&aff_click_id=abc", nil},
		{"network key without affiliate id", noAffiliate, "2", nil, "",
			func(err error) bool { return errors.Is(err, tune.ErrAffiliateIDRequired) }},
		{"unknown offer", network, "999", nil, "", func(err error) bool {
			var e *tune.Error
			return errors.As(err, &e) && e.Kind == tune.Other && strings.Contains(e.Message, "999")
		}},
		{"offer id not a number", network, "2; drop", nil, "", func(err error) bool { return err != nil }},
		{"sub id too long", network, "2", map[string]string{"aff_sub": strings.Repeat("x", 501)}, "",
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "500") }},
		{"bad parameter name", network, "2", map[string]string{"aff sub": "x"}, "", func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.TrackingLink(t.Context(), tt.offer, tt.params)
			if tt.err != nil {
				if !tt.err(err) {
					t.Errorf("got %q, %v; want a matching error", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if n := len(sim.Calls()); n != 4 {
		t.Errorf("%d calls; the invalid requests should not have been sent", n)
	}
}
