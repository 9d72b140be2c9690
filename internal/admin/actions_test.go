package admin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/admin"
	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/links"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// adminStore stands for the DynamoDB store as AdminFunction's services use
// it: integrations, offers and links in memory, report rows (none), and the
// conversion and postback listings, which remember the filters they were given.
type adminStore struct {
	integrations      map[string]trackly.Integration
	offers            map[[2]string]trackly.Offer
	links             map[string]trackly.Link
	conversions       map[trackly.ConversionRef]trackly.Conversion
	conversionFilters []trackly.ConversionFilter
	postbackFilters   []trackly.PostbackFilter
	// raceCreates makes every new integration lose a race: another writer
	// stores one under its id between the admin's existence check and its create.
	raceCreates bool
	// updateErr, when set, fails every integration update.
	updateErr error
}

func newAdminStore() *adminStore {
	return &adminStore{integrations: map[string]trackly.Integration{}, offers: map[[2]string]trackly.Offer{}, links: map[string]trackly.Link{},
		conversions: map[trackly.ConversionRef]trackly.Conversion{}}
}

// seedDemo stores what the sample payloads under events/ refer to: account
// demo's integration in_demo with offer 1, link demo, and conversion tx-demo
// (pending, 12.50 USD).
func (s *adminStore) seedDemo() {
	s.integrations["in_demo"] = trackly.Integration{
		IntegrationID: "in_demo", AccountID: "demo", Name: "Demo", NetworkID: "demo", APIDomain: "api.hasoffers.com",
		KeyKind: "affiliate", ClickParam: "aff_sub", DefaultCurrency: "USD", AttributionWindowDays: 30, RateLimit: 50,
		APIKeySecret: "integrations/in_demo/api-key-1", PostbackTokenSecret: "integrations/in_demo/postback-token-1",
	}
	s.offers[[2]string{"in_demo", "1"}] = trackly.Offer{IntegrationID: "in_demo", OfferID: "1", Name: "Demo offer"}
	s.links["demo"] = trackly.Link{LinkID: "demo", Placement: trackly.Placement{AccountID: "demo", IntegrationID: "in_demo", OfferID: "1", MessageID: "sms-1"}}
	payout, _ := money.Parse("12.50")
	c := trackly.Conversion{IntegrationID: "in_demo", ConversionID: "tx-demo", GoalID: "0", AccountID: "demo", Status: trackly.StatusPending, Payout: payout, Currency: "USD"}
	s.conversions[c.Ref()] = c.Recorded(trackly.Origin{Source: trackly.SourcePostback, At: now, PostbackID: "pb_demo"})
}

func (s *adminStore) RecordConversion(_ context.Context, c trackly.Conversion, _ *trackly.PostbackResult) error {
	if recorded, ok := s.conversions[c.Ref()]; ok {
		return &trackly.DuplicateError{Recorded: recorded}
	}
	return memtable.Create(s.conversions, c.Ref(), c)
}

func (s *adminStore) SaveConversion(_ context.Context, c trackly.Conversion, _ *trackly.PostbackResult) error {
	if s.conversions[c.Ref()].CurrentVersion() != c.Version-1 {
		return &trackly.VersionConflictError{Ref: c.Ref(), Version: c.Version - 1}
	}
	return memtable.Update(s.conversions, c.Ref(), c)
}

func (s *adminStore) GetConversion(_ context.Context, ref trackly.ConversionRef) (trackly.Conversion, error) {
	return memtable.Get(s.conversions, ref)
}

func (s *adminStore) CreateIntegration(_ context.Context, in trackly.Integration) error {
	if s.raceCreates {
		s.integrations[in.IntegrationID] = trackly.Integration{IntegrationID: in.IntegrationID, AccountID: "rival", Name: "Rival"}
	}
	return memtable.Create(s.integrations, in.IntegrationID, in)
}

func (s *adminStore) GetIntegration(_ context.Context, id string) (trackly.Integration, error) {
	return memtable.Get(s.integrations, id)
}

func (s *adminStore) ListIntegrations(_ context.Context, accountID string) ([]trackly.Integration, error) {
	return memtable.Select(s.integrations, func(in trackly.Integration) bool { return accountID == "" || in.AccountID == accountID }), nil
}

func (s *adminStore) UpdateIntegrationSettings(_ context.Context, in trackly.Integration) error {
	if s.updateErr != nil {
		return s.updateErr
	}
	return memtable.Update(s.integrations, in.IntegrationID, in)
}

func (s *adminStore) CreateLink(_ context.Context, l trackly.Link) error {
	return memtable.Create(s.links, l.LinkID, l)
}

func (s *adminStore) GetLink(_ context.Context, id string) (trackly.Link, error) {
	return memtable.Get(s.links, id)
}

func (s *adminStore) GetOffer(_ context.Context, integrationID, offerID string) (trackly.Offer, error) {
	return memtable.Get(s.offers, [2]string{integrationID, offerID})
}

func (s *adminStore) ReportRows(context.Context, string, trackly.Dimension, string, string, string) ([]trackly.ReportRow, error) {
	return nil, nil
}

func (s *adminStore) ListConversions(_ context.Context, f trackly.ConversionFilter) ([]trackly.Conversion, string, error) {
	s.conversionFilters = append(s.conversionFilters, f)
	return []trackly.Conversion{{IntegrationID: "in_demo", ConversionID: "tx-k1", GoalID: "0", AccountID: f.AccountID}}, "next-page", nil
}

func (s *adminStore) ListPostbacks(_ context.Context, f trackly.PostbackFilter) ([]trackly.PostbackLogEntry, string, error) {
	s.postbackFilters = append(s.postbackFilters, f)
	return []trackly.PostbackLogEntry{{PostbackID: "pb_1"}}, "", nil
}

// now is AdminFunction's clock: 21:00 on March 14th in UTC-5, the 15th in UTC.
var now = time.Date(2026, 3, 14, 21, 0, 0, 0, time.FixedZone("UTC-5", -5*3600))

type adminFixture struct {
	router  *admin.Router
	store   *adminStore
	secrets memtable.Secrets
}

func newAdmin() *adminFixture {
	st := newAdminStore()
	sec := memtable.Secrets{
		"integrations/in_demo/api-key-1":        "demo-api-key",
		"integrations/in_demo/postback-token-1": "in_demo.demo-token-secret",
	}
	clock := func() time.Time { return now }
	return &adminFixture{
		store:   st,
		secrets: sec,
		router: admin.NewAdminRouter(admin.AdminServices{
			Integrations: integrations.NewService(st, sec, "https://api.trackly.example", 30, clock),
			Links:        links.NewService(st, "https://go.trackly.example", clock),
			Reports:      reports.NewService(st, clock),
			Conversions:  conversions.NewService(st, clock),
			Records:      st,
			Now:          clock,
		}),
	}
}

func (a *adminFixture) handle(t *testing.T, payload string) (any, error) {
	t.Helper()
	return a.router.Handle(context.Background(), json.RawMessage(payload))
}

// answerJSON is an action's answer as the Lambda runtime encodes it.
func answerJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const newIntegration = `"account_id":"acc1","name":"Net","network_id":"mynet","key_kind":"affiliate","api_key":"secret-key-123"`

func TestAdminActionValidation(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		field   string
		says    string
	}{
		// create_integration
		{"create_integration: account required", `{"action":"create_integration","name":"Net","network_id":"mynet","key_kind":"affiliate","api_key":"k"}`, "account_id", "required"},
		{"create_integration: name required", `{"action":"create_integration","account_id":"acc1","network_id":"mynet","key_kind":"affiliate","api_key":"k"}`, "name", "required"},
		{"create_integration: key kind required", `{"action":"create_integration","account_id":"acc1","name":"Net","network_id":"mynet","api_key":"k"}`, "key_kind", "required"},
		{"create_integration: api key required", `{"action":"create_integration","account_id":"acc1","name":"Net","network_id":"mynet","key_kind":"affiliate"}`, "api_key", "required"},
		{"create_integration: blank api key", `{"action":"create_integration",` + strings.Replace(newIntegration, "secret-key-123", "  ", 1) + `}`, "api_key", "required"},
		{"create_integration: network required", `{"action":"create_integration","account_id":"acc1","name":"Net","key_kind":"affiliate","api_key":"k"}`, "network_id", "required"},
		{"create_integration: bad network id", `{"action":"create_integration",` + strings.Replace(newIntegration, "mynet", "My Net", 1) + `}`, "network_id", "network id"},
		{"create_integration: unknown key kind", `{"action":"create_integration",` + strings.Replace(newIntegration, "affiliate", "partner", 1) + `}`, "key_kind", "network, affiliate"},
		{"create_integration: a network key needs an affiliate", `{"action":"create_integration",` + strings.Replace(newIntegration, "affiliate", "network", 1) + `}`, "affiliate_id", "required with a network key"},
		{"create_integration: affiliate id not numeric", `{"action":"create_integration",` + newIntegration + `,"affiliate_id":"a7"}`, "affiliate_id", "numeric"},
		{"create_integration: bad account id", `{"action":"create_integration",` + strings.Replace(newIntegration, "acc1", "acc 1", 1) + `}`, "account_id", "letters, digits"},
		{"create_integration: window of 0 days", `{"action":"create_integration",` + newIntegration + `,"attribution_window_days":0}`, "attribution_window_days", "between 1 and 365"},
		{"create_integration: window of 366 days", `{"action":"create_integration",` + newIntegration + `,"attribution_window_days":366}`, "attribution_window_days", "between 1 and 365"},
		{"create_integration: window as text", `{"action":"create_integration",` + newIntegration + `,"attribution_window_days":"30"}`, "attribution_window_days", "must be a whole number, not a string"},
		{"create_integration: rate limit of 0", `{"action":"create_integration",` + newIntegration + `,"rate_limit":0}`, "rate_limit", "between 1 and 1000"},
		{"create_integration: currency of 4 letters", `{"action":"create_integration",` + newIntegration + `,"default_currency":"euro"}`, "default_currency", "ISO 4217"},
		{"create_integration: unknown sync frequency", `{"action":"create_integration",` + newIntegration + `,"sync_frequency":"weekly"}`, "sync_frequency", "15m, hourly"},
		{"create_integration: bad click parameter", `{"action":"create_integration",` + newIntegration + `,"click_param":"Sub-1"}`, "click_param", "sub id"},
		{"create_integration: bad API base URL", `{"action":"create_integration",` + newIntegration + `,"api_base_url":"ftp://x.example"}`, "api_base_url", "http(s) URL"},
		{"create_integration: bad API domain", `{"action":"create_integration",` + newIntegration + `,"api_domain":"https://api.hasoffers.com"}`, "api_domain", "host name"},
		{"create_integration: an id with a dot", `{"action":"create_integration",` + newIntegration + `,"integration_id":"in.a"}`, "integration_id", "letters, digits"},
		{"create_integration: an id that is taken", `{"action":"create_integration",` + newIntegration + `,"integration_id":"in_demo"}`, "integration_id", "taken"},
		{"create_integration: an unknown field", `{"action":"create_integration",` + newIntegration + `,"apikey":"x"}`, "apikey", "not a field"},
		// update_integration
		{"update_integration: id required", `{"action":"update_integration","name":"x"}`, "integration_id", "required"},
		{"update_integration: unknown id", `{"action":"update_integration","integration_id":"in_zz","name":"x"}`, "integration_id", `no integration "in_zz"`},
		{"update_integration: the account cannot change", `{"action":"update_integration","integration_id":"in_demo","account_id":"other"}`, "account_id", "cannot change"},
		{"update_integration: an empty api key", `{"action":"update_integration","integration_id":"in_demo","api_key":""}`, "api_key", "must not be empty"},
		{"update_integration: a bad window", `{"action":"update_integration","integration_id":"in_demo","attribution_window_days":400}`, "attribution_window_days", "between 1 and 365"},
		{"update_integration: a bad frequency", `{"action":"update_integration","integration_id":"in_demo","sync_frequency":"2m"}`, "sync_frequency", "between 5 minutes"},
		// get_integration, postback_url, rotate_postback_token
		{"get_integration: id required", `{"action":"get_integration"}`, "integration_id", "required"},
		{"get_integration: unknown id", `{"action":"get_integration","integration_id":"in_zz"}`, "integration_id", `no integration "in_zz"`},
		{"postback_url: id required", `{"action":"postback_url"}`, "integration_id", "required"},
		{"postback_url: unknown id", `{"action":"postback_url","integration_id":"in_zz"}`, "integration_id", "no integration"},
		{"rotate_postback_token: unknown id", `{"action":"rotate_postback_token","integration_id":"in_zz"}`, "integration_id", "no integration"},
		{"list_integrations: account as a number", `{"action":"list_integrations","account_id":7}`, "account_id", "must be a string, not a number"},
		// create_link, get_link
		{"create_link: message required", `{"action":"create_link","account_id":"demo","integration_id":"in_demo","offer_id":"1"}`, "message_id", "required"},
		{"create_link: offer not imported", `{"action":"create_link","account_id":"demo","integration_id":"in_demo","offer_id":"2","message_id":"m"}`, "offer_id", "import it first"},
		{"create_link: another account's integration", `{"action":"create_link","account_id":"acc1","integration_id":"in_demo","offer_id":"1","message_id":"m"}`, "integration_id", "has no integration"},
		{"create_link: chosen id taken", `{"action":"create_link","link_id":"demo","account_id":"demo","integration_id":"in_demo","offer_id":"1","message_id":"m"}`, "link_id", "taken"},
		{"get_link: unknown link", `{"action":"get_link","link_id":"nope"}`, "link_id", `no link "nope"`},
		{"get_link: no link id", `{"action":"get_link"}`, "link_id", ""},
		// report
		{"report: account required", `{"action":"report","dimension":"offer"}`, "account_id", "required"},
		{"report: unknown dimension", `{"action":"report","account_id":"demo","dimension":"day"}`, "dimension", "account, message, offer, campaign"},
		{"report: bad date", `{"action":"report","account_id":"demo","from":"2026-3-1"}`, "from", "date like"},
		{"report: from after to", `{"action":"report","account_id":"demo","from":"2026-03-10","to":"2026-03-01"}`, "from", "after"},
		{"report: by_day as text", `{"action":"report","account_id":"demo","by_day":"yes"}`, "by_day", "must be true or false, not a string"},
		// list_conversions, list_postbacks
		{"list_conversions: account required", `{"action":"list_conversions"}`, "account_id", "required"},
		{"list_conversions: unknown attribution", `{"action":"list_conversions","account_id":"demo","attribution":"maybe"}`, "attribution", `"attributed" or "orphan"`},
		{"list_conversions: limit as text", `{"action":"list_conversions","account_id":"demo","limit":"50"}`, "limit", "must be a whole number, not a string"},
		{"list_postbacks: bad day", `{"action":"list_postbacks","day":"15/03/2026"}`, "day", "date like"},
		// get_conversion, change_conversion
		{"get_conversion: integration required", `{"action":"get_conversion","conversion_id":"tx-demo"}`, "integration_id", "required"},
		{"get_conversion: unknown conversion", `{"action":"get_conversion","integration_id":"in_demo","conversion_id":"tx-none"}`, "conversion_id", "no conversion"},
		{"change_conversion: note required", `{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","status":"approved"}`, "note", "required"},
		{"change_conversion: nothing to change", `{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","note":"n"}`, "status", "name a status"},
		{"change_conversion: unknown status", `{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","status":"paid","note":"n"}`, "status", "approved, pending or rejected"},
		{"change_conversion: negative payout", `{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","payout":"-1","note":"n"}`, "payout", "non-negative"},
		{"change_conversion: payout as a number", `{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","payout":1.5,"note":"n"}`, "payout", "string"},
		{"change_conversion: unknown currency", `{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","currency":"usd","note":"n"}`, "currency", "ISO 4217"},
		{"list_postbacks: unknown field", `{"action":"list_postbacks","date":"2026-03-15"}`, "date", "not a field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdmin()
			a.store.seedDemo()
			res, err := a.handle(t, tt.payload)
			fe, ok := validate.AsFieldError(err)
			if !ok || fe.Field != tt.field || !strings.Contains(fe.Message, tt.says) {
				t.Fatalf("answer %v, error %v; want a field error naming %q that says %q", res, err, tt.field, tt.says)
			}
			if len(a.store.integrations) != 1 || len(a.store.links) != 1 || a.store.integrations["in_demo"].Name != "Demo" {
				t.Errorf("a refused action changed records: %d integrations, %d links", len(a.store.integrations), len(a.store.links))
			}
		})
	}

	t.Run("create_integration names the same missing field every time", func(t *testing.T) {
		a := newAdmin()
		named := map[string]bool{}
		for range 50 {
			_, err := a.handle(t, `{"action":"create_integration"}`)
			fe, ok := validate.AsFieldError(err)
			if !ok {
				t.Fatalf("error %v, want a field error", err)
			}
			named[fe.Field] = true
		}
		if len(named) != 1 {
			t.Errorf("the same empty payload named %d different fields on different calls: %v", len(named), named)
		}
	})
}

func TestAdminListings(t *testing.T) {
	t.Run("list_conversions passes its filter on", func(t *testing.T) {
		a := newAdmin()
		res, err := a.handle(t, `{"action":"list_conversions","account_id":"demo","attribution":"attributed","limit":20,"cursor":"c1"}`)
		if err != nil {
			t.Fatal(err)
		}
		want := trackly.ConversionFilter{AccountID: "demo", Attribution: trackly.ConversionAttributed, Limit: 20, Cursor: "c1"}
		if len(a.store.conversionFilters) != 1 || a.store.conversionFilters[0] != want {
			t.Errorf("filters %+v, want %+v", a.store.conversionFilters, want)
		}
		if js := answerJSON(t, res); !strings.Contains(js, `"next_cursor":"next-page"`) || !strings.Contains(js, `"conversion_id":"tx-k1"`) {
			t.Errorf("answer %s, want the conversions and the next cursor", js)
		}
	})
	t.Run("list_conversions with orphans lists orphans", func(t *testing.T) {
		a := newAdmin()
		if _, err := a.handle(t, `{"action":"list_conversions","account_id":"demo","orphans":true}`); err != nil {
			t.Fatal(err)
		}
		if got := a.store.conversionFilters[0].Attribution; got != trackly.ConversionOrphan {
			t.Errorf("attribution filter %q, want %q", got, trackly.ConversionOrphan)
		}
	})
	t.Run("list_postbacks defaults to today in UTC", func(t *testing.T) {
		a := newAdmin()
		res, err := a.handle(t, `{"action":"list_postbacks","outcome":"rejected","limit":5}`)
		if err != nil {
			t.Fatal(err)
		}
		want := trackly.PostbackFilter{Day: "2026-03-15", Outcome: "rejected", Limit: 5}
		if len(a.store.postbackFilters) != 1 || a.store.postbackFilters[0] != want {
			t.Errorf("filters %+v, want %+v", a.store.postbackFilters, want)
		}
		if js := answerJSON(t, res); !strings.Contains(js, `"day":"2026-03-15"`) {
			t.Errorf("answer %s does not say which day it lists", js)
		}
	})
	t.Run("list_postbacks of a chosen day", func(t *testing.T) {
		a := newAdmin()
		if _, err := a.handle(t, `{"action":"list_postbacks","day":"2026-02-28"}`); err != nil {
			t.Fatal(err)
		}
		if got := a.store.postbackFilters[0].Day; got != "2026-02-28" {
			t.Errorf("day %q", got)
		}
	})
}

func TestAdminIntegrationAnswersKeepSecrets(t *testing.T) {
	a := newAdmin()
	res, err := a.handle(t, `{"action":"create_integration",`+newIntegration+`,"integration_id":"in_new"}`)
	if err != nil {
		t.Fatal(err)
	}
	stored := a.store.integrations["in_new"]
	token, err := a.secrets.Get(context.Background(), stored.PostbackTokenSecret)
	if err != nil {
		t.Fatalf("no postback token stored: %v", err)
	}
	apiKey, _ := a.secrets.Get(context.Background(), stored.APIKeySecret)
	if apiKey != "secret-key-123" {
		t.Errorf("api key secret %q, want the key given", apiKey)
	}
	_, tokenSecret, _ := strings.Cut(token, ".")
	for _, payload := range []string{
		`{"action":"get_integration","integration_id":"in_new"}`,
		`{"action":"list_integrations","account_id":"acc1"}`,
		`{"action":"update_integration","integration_id":"in_new","name":"Renamed"}`,
	} {
		got, err := a.handle(t, payload)
		if err != nil {
			t.Fatalf("%s: %v", payload, err)
		}
		for _, answer := range []string{answerJSON(t, res), answerJSON(t, got)} {
			if strings.Contains(answer, "secret-key-123") || strings.Contains(answer, tokenSecret) || strings.Contains(answer, stored.PostbackTokenHash) {
				t.Errorf("%s answered a secret: %s", payload, answer)
			}
			if !strings.Contains(answer, `"api_key_set":true`) {
				t.Errorf("%s does not say the api key is set: %s", payload, answer)
			}
		}
	}
	// Only postback_url answers the token, inside the URL to paste into TUNE.
	got, err := a.handle(t, `{"action":"postback_url","integration_id":"in_new"}`)
	if err != nil {
		t.Fatal(err)
	}
	if js := answerJSON(t, got); !strings.Contains(js, tokenSecret) {
		t.Errorf("postback_url %s lacks the token", js)
	}
}
