package offers_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/clicks"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

func TestTrackingURLCarriesThePlaceholderInTheClickParameter(t *testing.T) {
	const id = "lnk1.AbC-_x.Sig_-9"
	tests := []struct{ link, param, wantParam string }{
		{"https://demo.go2cloud.org/aff_c?offer_id=12&aff_id=7", "aff_sub", "aff_sub"},
		{"https://demo.go2cloud.org/aff_c?offer_id=12&aff_id=7&aff_sub=old", "aff_sub", "aff_sub"},
		{"https://t.example/aff_c?offer_id=1&aff_id=7#frag", "aff_click_id", "aff_click_id"},
		{"https://t.example/aff_c?offer_id=1&aff_id=7", "", "aff_sub"},
	}
	for _, tt := range tests {
		u, err := offers.TrackingURL(tt.link, tt.param)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(u, tt.wantParam+"="+trackly.ClickIDPlaceholder) || strings.Count(u, tt.wantParam+"=") != 1 {
			t.Errorf("TrackingURL(%s, %q) = %s", tt.link, tt.param, u)
		}
		redirect, err := clicks.RedirectURL(u, tt.param, id)
		if err != nil {
			t.Fatal(err)
		}
		parsed, _ := url.Parse(redirect)
		if got := parsed.Query()[tt.wantParam]; len(got) != 1 || got[0] != id {
			t.Errorf("redirect %s: %s = %q, want %q", redirect, tt.wantParam, got, id)
		}
		if parsed.Query().Get("offer_id") == "" {
			t.Errorf("redirect %s lost offer_id", redirect)
		}
	}
	if _, err := offers.TrackingURL("/relative?x=1", "aff_sub"); err == nil {
		t.Error("relative link accepted")
	}
}

// checkMapped compares an imported offer with the simulator's.
func checkMapped(t *testing.T, got trackly.Offer, want tunesim.Offer, kind, clickParam string) {
	t.Helper()
	if got.Name != want.Name || got.Status != want.Status || got.PayoutType != want.PayoutType || got.SessionHours != want.SessionHours {
		t.Errorf("offer %d: got %+v, want %+v", want.ID, got, want)
	}
	if !got.DefaultPayout.Equal(want.DefaultPayout) {
		t.Errorf("offer %d: payout %s, want %s", want.ID, got.DefaultPayout, want.DefaultPayout)
	}
	if want.PercentPayout.IsZero() != (got.PercentPayout == nil) || (got.PercentPayout != nil && !got.PercentPayout.Equal(want.PercentPayout)) {
		t.Errorf("offer %d: percent payout %v, want %s", want.ID, got.PercentPayout, want.PercentPayout)
	}
	wantCurrency := want.Currency
	if wantCurrency == "" {
		wantCurrency = "GBP" // TUNE's null: the integration's default
	}
	if got.Currency != wantCurrency {
		t.Errorf("offer %d: currency %q, want %q", want.ID, got.Currency, wantCurrency)
	}
	if !got.ExpirationDate.Equal(want.ExpirationDate) {
		t.Errorf("offer %d: expiration %v, want %v", want.ID, got.ExpirationDate, want.ExpirationDate)
	}
	wantAdvertiser := want.AdvertiserName
	if kind == "affiliate" {
		wantAdvertiser = "" // what the affiliate API shows: no Advertiser model
	}
	if got.AdvertiserName != wantAdvertiser {
		t.Errorf("offer %d: advertiser %q, want %q", want.ID, got.AdvertiserName, wantAdvertiser)
	}
	if got.PreviewURL != want.PreviewURL {
		t.Errorf("offer %d: preview_url %q, want %q", want.ID, got.PreviewURL, want.PreviewURL)
	}
	wantLink := "/aff_c?offer_id=" + strconv.Itoa(want.ID) + "&aff_id=" + affiliateID + "&" + clickParam + "=" + trackly.ClickIDPlaceholder
	if !strings.HasSuffix(got.TrackingURL, wantLink) || strings.Contains(got.TrackingURL, "example.com/landing") {
		t.Errorf("offer %d: tracking URL %q, want ...%s", want.ID, got.TrackingURL, wantLink)
	}
	redirect, err := clicks.RedirectURL(got.TrackingURL, clickParam, "CLICK-1")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(redirect); u.Query().Get(clickParam) != "CLICK-1" {
		t.Errorf("offer %d: redirect %s does not carry the click id in %s", want.ID, redirect, clickParam)
	}
}

func TestImportDecodesEveryQuirk(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	for _, kind := range []string{"affiliate", "network"} {
		t.Run(kind, func(t *testing.T) {
			n := newNetwork(t, tunesim.Options{Offers: 200, RateLimit: -1})
			n.activateAll(200) // affiliate keys see active offers only
			// Cover what generation varies: null currency (5), no advertiser (13, 26), no expiration (3),
			// cpa_percentage (2), cpa_both (3), expired (97).
			n.sim.UpdateOffer(97, func(o *tunesim.Offer) { o.Status = "active" })
			wanted := []string{"2", "3", "5", "13", "26", "97", "100"}
			id := w.integration(t, n, kind, func(s *integrations.Settings) { s.ClickParam = ptr("aff_sub2") })
			svc := w.service(offers.Options{})

			res, err := svc.Import(ctx, offers.ImportRequest{IntegrationID: id, OfferIDs: append(wanted, "9999")})
			if err != nil {
				t.Fatal(err)
			}
			if res.Imported != len(wanted) || res.New != len(wanted) || !res.Complete || len(res.NotFound) != 1 || res.NotFound[0] != "9999" {
				t.Fatalf("import: %+v", res)
			}
			stored := w.stored(t, id)
			for _, oid := range wanted {
				num, _ := strconv.Atoi(oid)
				want, ok := n.sim.Offer(num)
				if !ok {
					t.Fatalf("simulator has no offer %d", num)
				}
				checkMapped(t, stored[oid], want, kind, "aff_sub2")
			}
			// Links come in bulk for affiliate keys; a network key generates one per new offer.
			wantLinks := 0
			if kind == "network" {
				wantLinks = len(wanted)
			}
			if got := n.calls("generateTrackingLink"); got != wantLinks {
				t.Errorf("generateTrackingLink calls = %d, want %d", got, wantLinks)
			}
			// Importing again brings nothing new, generates no link and writes nothing.
			before := w.ddb.snapshot()["OfferWrite"]
			again, err := svc.Import(ctx, offers.ImportRequest{IntegrationID: id, OfferIDs: wanted})
			if err != nil {
				t.Fatal(err)
			}
			if again.Unchanged != len(wanted) || again.New+again.Updated != 0 {
				t.Errorf("re-import: %+v", again)
			}
			if got := n.calls("generateTrackingLink"); got != wantLinks {
				t.Errorf("re-import generated links: %d calls, want %d", got, wantLinks)
			}
			if got := w.ddb.snapshot()["OfferWrite"] - before; got != 0 {
				t.Errorf("re-import wrote offers %d times", got)
			}
			// The answer carries money as strings and never the key.
			b, _ := json.Marshal(res)
			if strings.Contains(string(b), affiliateKey) || strings.Contains(string(b), networkToken) {
				t.Error("the import's answer holds the key")
			}
			if !strings.Contains(string(b), `"default_payout":"`) {
				t.Errorf("payout not a JSON string: %s", b)
			}
		})
	}
}

func TestImportWithFilterAndListRemote(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n, id := w.connect(t, 120, "network")
	svc := w.service(offers.Options{PageSize: 7})

	page, err := svc.ListRemote(ctx, offers.RemoteQuery{IntegrationID: id, Status: []string{"paused"}, Page: 2, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	// 120 offers: ids%20 in 14..16 are paused: 18 offers, 4 pages of 5.
	if page.Count != 18 || page.PageCount != 4 || page.Page != 2 || len(page.Offers) != 5 {
		t.Fatalf("list_remote_offers: count %d, pages %d, page %d, %d offers", page.Count, page.PageCount, page.Page, len(page.Offers))
	}
	for _, o := range page.Offers {
		if o.Status != "paused" || o.Currency == "" || o.Imported {
			t.Errorf("remote offer %+v", o)
		}
	}
	search, err := svc.ListRemote(ctx, offers.RemoteQuery{IntegrationID: id, Search: "vpn"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range search.Offers {
		if !strings.Contains(strings.ToLower(o.Name), "vpn") {
			t.Errorf("search vpn found %q", o.Name)
		}
	}
	if search.Count == 0 {
		t.Fatal("search found nothing")
	}

	res, err := svc.Import(ctx, offers.ImportRequest{IntegrationID: id, Filter: &offers.ImportFilter{Status: []string{"paused"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 18 || res.New != 18 || !res.Complete || len(res.Offers) != 18 {
		t.Fatalf("import by filter: imported %d, new %d, complete %v", res.Imported, res.New, res.Complete)
	}
	if got, want := n.calls("findAll"), 2+3; got != want { // 2 remote listings + ceil(18/7) pages
		t.Errorf("findAll calls = %d, want %d", got, want)
	}
	page, err = svc.ListRemote(ctx, offers.RemoteQuery{IntegrationID: id, Status: []string{"paused"}, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range page.Offers {
		if !o.Imported {
			t.Errorf("offer %s not shown as imported", o.OfferID)
		}
	}
	list, err := svc.List(ctx, offers.ListQuery{IntegrationID: id, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Offers) != 10 || list.NextCursor == "" {
		t.Fatalf("list_offers page 1: %d offers, cursor %q", len(list.Offers), list.NextCursor)
	}
	rest, err := svc.List(ctx, offers.ListQuery{IntegrationID: id, Limit: 10, Cursor: list.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Offers) != 8 || rest.NextCursor != "" {
		t.Fatalf("list_offers page 2: %d offers, cursor %q", len(rest.Offers), rest.NextCursor)
	}
}

func TestImportRefusesBadInput(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	_, id := w.connect(t, 3, "affiliate")
	svc := w.service(offers.Options{})
	for name, req := range map[string]offers.ImportRequest{
		"nothing":      {IntegrationID: id},
		"both":         {IntegrationID: id, OfferIDs: []string{"1"}, Filter: &offers.ImportFilter{}},
		"not a number": {IntegrationID: id, OfferIDs: []string{"1; drop"}},
		"bad status":   {IntegrationID: id, Filter: &offers.ImportFilter{Status: []string{"live"}}},
		"unknown":      {IntegrationID: "in_nope", OfferIDs: []string{"1"}},
	} {
		if _, err := svc.Import(ctx, req); err == nil {
			t.Errorf("%s: accepted", name)
		} else if _, ok := validate.AsFieldError(err); !ok {
			t.Errorf("%s: %v is not a field error", name, err)
		}
	}
	if _, err := svc.List(ctx, offers.ListQuery{IntegrationID: id, Cursor: "garbage!"}); err == nil {
		t.Error("bad cursor accepted")
	} else if _, ok := validate.AsFieldError(err); !ok {
		t.Errorf("bad cursor: %v is not a field error", err)
	}
}

func TestImportFailureIsATUNEErrorWithoutTheKey(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n := newNetwork(t, tunesim.Options{Offers: 3, RateLimit: -1})
	id := w.integration(t, n, "affiliate", func(s *integrations.Settings) { s.APIKey = ptr("wrong-key-ABCDEF") })
	_, err := w.service(offers.Options{}).Import(ctx, offers.ImportRequest{IntegrationID: id, OfferIDs: []string{"1"}})
	te, ok := err.(*tune.Error)
	if !ok || te.Kind != tune.KeyRejected {
		t.Fatalf("err = %v, want a key_rejected *tune.Error", err)
	}
	if strings.Contains(err.Error(), "wrong-key-ABCDEF") {
		t.Errorf("error shows the key: %v", err)
	}
	runs, err := w.service(offers.Options{}).ListRuns(ctx, offers.RunsQuery{IntegrationID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs.Runs) != 1 || runs.Runs[0].Status != trackly.SyncFailed || runs.Runs[0].ErrorKind != "key_rejected" || strings.Contains(runs.Runs[0].Error, "wrong-key-ABCDEF") {
		t.Errorf("runs: %+v", runs.Runs)
	}
}

func TestAmountsStayDecimal(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n := newNetwork(t, tunesim.Options{Offers: 1, RateLimit: -1})
	n.sim.UpdateOffer(1, func(o *tunesim.Offer) {
		o.Status, o.DefaultPayout = "active", decimal.RequireFromString("1234567890123.12345")
		o.ExpirationDate = time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	})
	id := w.integration(t, n, "affiliate", nil)
	if _, err := w.service(offers.Options{}).Import(ctx, offers.ImportRequest{IntegrationID: id, OfferIDs: []string{"1"}}); err != nil {
		t.Fatal(err)
	}
	o := w.stored(t, id)["1"]
	// More digits than a float64 holds.
	if o.DefaultPayout.String() != "1234567890123.12345" {
		t.Errorf("payout %s", o.DefaultPayout)
	}
	if !o.ExpirationDate.Equal(time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("expiration %v", o.ExpirationDate)
	}
}
