package admin_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/admin"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// offerStore stands for the store as OfferSyncFunction's listings use it: the
// demo integration, and the filters the listings were given. The other
// methods of offers.Store are never called by these tests.
type offerStore struct {
	offers.Store
	offerFilters []trackly.OfferFilter
	runFilters   []trackly.SyncRunFilter
}

func (s *offerStore) GetIntegration(_ context.Context, id string) (trackly.Integration, error) {
	if id != "in_demo" {
		return trackly.Integration{}, trackly.ErrNotFound
	}
	return trackly.Integration{IntegrationID: "in_demo", AccountID: "demo", NetworkID: "demo", KeyKind: "affiliate"}, nil
}

func (s *offerStore) ListOffers(_ context.Context, f trackly.OfferFilter) ([]trackly.Offer, string, error) {
	s.offerFilters = append(s.offerFilters, f)
	return nil, "", nil
}

func (s *offerStore) ListSyncRuns(_ context.Context, f trackly.SyncRunFilter) ([]trackly.SyncRun, string, error) {
	s.runFilters = append(s.runFilters, f)
	return nil, "", nil
}

// handleAt runs payload through AdminFunction's router ("admin") or
// OfferSyncFunction's ("sync") of a, whose store holds the demo.
func (a *adminFixture) handleAt(t *testing.T, function, payload string) (any, error) {
	t.Helper()
	if function == "sync" {
		r := admin.NewOfferSyncRouter(offers.NewService(&offerStore{}, memtable.Secrets{}, offers.Options{}))
		return r.Handle(context.Background(), []byte(payload))
	}
	return a.handle(t, payload)
}

// refusal is a payload an admin router must refuse with a field error naming
// field, whose message holds says, while changing no record and no secret.
type refusal struct {
	name     string
	function string // "admin" (AdminFunction) or "sync" (OfferSyncFunction)
	payload  string
	field    string
	says     string
}

func checkRefusals(t *testing.T, tests []refusal) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdmin()
			a.store.seedDemo()
			records, secrets := maps.Clone(a.store.integrations), maps.Clone(a.secrets)
			res, err := a.handleAt(t, tt.function, tt.payload)
			fe, ok := validate.AsFieldError(err)
			if !ok || fe.Field != tt.field || !strings.Contains(fe.Message, tt.says) {
				t.Fatalf("answer %v, error %v; want a field error naming %q that says %q", res, err, tt.field, tt.says)
			}
			if !maps.Equal(secrets, a.secrets) {
				t.Errorf("a refused action wrote secrets: %v, was %v", a.secrets, secrets)
			}
			if len(a.store.integrations) != len(records) || len(a.store.links) != 1 || a.store.integrations["in_demo"] != records["in_demo"] {
				t.Errorf("a refused action changed records: %d integrations, %d links", len(a.store.integrations), len(a.store.links))
			}
		})
	}
}

func TestARefusedActionWritesNothing(t *testing.T) {
	checkRefusals(t, []refusal{
		{"create_integration with a taken id", "admin", `{"action":"create_integration",` + newIntegration + `,"integration_id":"in_demo"}`, "integration_id", "taken"},
		{"create_integration with a bad setting", "admin", `{"action":"create_integration",` + newIntegration + `,"rate_limit":5000}`, "rate_limit", "between 1 and 1000"},
		{"update_integration of a new key with a bad setting", "admin", `{"action":"update_integration","integration_id":"in_demo","api_key":"new-key","rate_limit":5000}`, "rate_limit", "between 1 and 1000"},
	})

	t.Run("create_integration that loses the race for its id", func(t *testing.T) {
		a := newAdmin()
		a.store.raceCreates = true
		_, err := a.handle(t, `{"action":"create_integration",`+newIntegration+`,"integration_id":"in_new"}`)
		if fe, ok := validate.AsFieldError(err); !ok || fe.Field != "integration_id" || !strings.Contains(fe.Message, "taken") {
			t.Fatalf("error %v, want integration_id taken", err)
		}
		if len(a.secrets) != 2 {
			t.Errorf("secrets %v: the refused create left its own behind", a.secrets)
		}
		if a.store.integrations["in_new"].AccountID != "rival" {
			t.Errorf("the rival's integration was overwritten: %+v", a.store.integrations["in_new"])
		}
	})
	t.Run("update_integration whose write fails keeps the old key only", func(t *testing.T) {
		a := newAdmin()
		a.store.seedDemo()
		a.store.updateErr = errors.New("throttled")
		if _, err := a.handle(t, `{"action":"update_integration","integration_id":"in_demo","api_key":"new-key"}`); err == nil {
			t.Fatal("a failed write answered success")
		}
		if len(a.secrets) != 2 || a.secrets["integrations/in_demo/api-key-1"] != "demo-api-key" {
			t.Errorf("secrets %v, want the old key and token only", a.secrets)
		}
	})
	t.Run("rotate_postback_token whose write fails keeps the old token only", func(t *testing.T) {
		a := newAdmin()
		a.store.seedDemo()
		a.store.updateErr = errors.New("throttled")
		if _, err := a.handle(t, `{"action":"rotate_postback_token","integration_id":"in_demo"}`); err == nil {
			t.Fatal("a failed write answered success")
		}
		if len(a.secrets) != 2 || a.secrets["integrations/in_demo/postback-token-1"] != "in_demo.demo-token-secret" {
			t.Errorf("secrets %v, want the old key and token only", a.secrets)
		}
	})
}

func TestAdminRefusesControlCharacters(t *testing.T) {
	create := `{"action":"create_integration",` + newIntegration
	checkRefusals(t, []refusal{
		{"an escape sequence in a new name", "admin", strings.Replace(create, `"name":"Net"`, `"name":"\u001b[31mNet"`, 1) + `}`, "name", "control"},
		{"a bell in a new name", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"Demo\u0007"}`, "name", "control"},
		{"a newline in a name", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"Demo\nnetwork"}`, "name", "control"},
		{"a DEL in a name", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"Demo\u007f"}`, "name", "control"},
		{"a C1 control in a name", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"Demo\u0085"}`, "name", "control"},
		{"a line separator in a name", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"Demo\u2028"}`, "name", "control"},
		{"a right-to-left override in a name", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"Demo\u202e"}`, "name", "control"},
		{"a broken surrogate in a name", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"Demo\ud800"}`, "name", "control"},
		{"a newline in an API key", "admin", `{"action":"update_integration","integration_id":"in_demo","api_key":"new\nkey"}`, "api_key", "control"},
		{"an escape in a message id", "admin", `{"action":"create_link","account_id":"demo","integration_id":"in_demo","offer_id":"1","message_id":"sms\u001b[2J"}`, "message_id", "control"},
		{"a newline in a campaign id", "admin", `{"action":"create_link","account_id":"demo","integration_id":"in_demo","offer_id":"1","message_id":"m","campaign_id":"c\n"}`, "campaign_id", "control"},
		{"an escape in a report id", "admin", `{"action":"report","account_id":"demo","id":"\u001b[2J"}`, "id", "control"},
		{"a NUL in a cursor", "admin", `{"action":"list_postbacks","cursor":"c\u0000"}`, "cursor", "control"},
		{"an override in an account", "admin", `{"action":"list_integrations","account_id":"demo\u202e"}`, "account_id", "control"},
		{"an escape in a search", "sync", `{"action":"list_remote_offers","integration_id":"in_demo","search":"\u001b[31mvpn"}`, "search", "control"},
		{"a newline in a filter's search", "sync", `{"action":"import_offers","integration_id":"in_demo","filter":{"search":"vpn\n"}}`, "filter.search", "control"},
		{"an escape in an offer id", "sync", `{"action":"import_offers","integration_id":"in_demo","offer_ids":["1","2\u001b"]}`, "offer_ids", "item 2"},
	})

	t.Run("the message never echoes the value", func(t *testing.T) {
		_, err := newAdmin().handle(t, `{"action":"create_integration",`+strings.Replace(newIntegration, "secret-key-123", `secret-key-123\u0007`, 1)+`}`)
		if err == nil || strings.Contains(err.Error(), "secret-key") {
			t.Errorf("error %v: want a refusal that does not show the key", err)
		}
	})
}

func TestAdminRefusesSettingsOutsideTheirLists(t *testing.T) {
	create := `{"action":"create_integration",` + newIntegration
	bigKey := strings.Repeat("k", 4097)
	checkRefusals(t, []refusal{
		{"a TUNE parameter that is no sub id", "admin", create + `,"click_param":"aff_unique1"}`, "click_param", "aff_sub, aff_sub2"},
		{"aff_sub6", "admin", create + `,"click_param":"aff_sub6"}`, "click_param", "aff_click_id"},
		{"a parameter of our own", "admin", `{"action":"update_integration","integration_id":"in_demo","click_param":"subid"}`, "click_param", "aff_sub"},
		{"a currency code that does not exist", "admin", create + `,"default_currency":"ABC"}`, "default_currency", "ISO 4217"},
		{"a currency code that does not exist, on update", "admin", `{"action":"update_integration","integration_id":"in_demo","default_currency":"XYZ"}`, "default_currency", "ISO 4217"},
		{"an API key longer than SSM keeps", "admin", strings.Replace(create, "secret-key-123", bigKey, 1) + `}`, "api_key", "4096"},
		{"a new API key longer than SSM keeps", "admin", `{"action":"update_integration","integration_id":"in_demo","api_key":"` + bigKey + `"}`, "api_key", "4096"},
	})

	for _, p := range []string{"aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5", "aff_click_id"} {
		t.Run("click_param "+p+" is taken", func(t *testing.T) {
			if _, err := newAdmin().handle(t, create+`,"click_param":"`+p+`"}`); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, c := range []string{"EUR", "JPY", "GBP", "BRL"} {
		t.Run("currency "+c+" is taken", func(t *testing.T) {
			if _, err := newAdmin().handle(t, create+`,"default_currency":"`+c+`"}`); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("an API key of 4096 bytes is taken", func(t *testing.T) {
		if _, err := newAdmin().handle(t, strings.Replace(create, "secret-key-123", bigKey[1:], 1)+`}`); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAdminListLimits(t *testing.T) {
	checkRefusals(t, []refusal{
		{"list_conversions of 0", "admin", `{"action":"list_conversions","account_id":"demo","limit":0}`, "limit", "1 or more"},
		{"list_postbacks of 0", "admin", `{"action":"list_postbacks","limit":0}`, "limit", "1 or more"},
		{"list_offers of 0", "sync", `{"action":"list_offers","integration_id":"in_demo","limit":0}`, "limit", "1 or more"},
		{"list_sync_runs of 0", "sync", `{"action":"list_sync_runs","integration_id":"in_demo","limit":0}`, "limit", "1 or more"},
		{"list_remote_offers of 0", "sync", `{"action":"list_remote_offers","integration_id":"in_demo","limit":0}`, "limit", "1 or more"},
		{"list_remote_offers page 0", "sync", `{"action":"list_remote_offers","integration_id":"in_demo","page":0}`, "page", "1 or more"},
		{"list_sync_runs of -1", "sync", `{"action":"list_sync_runs","integration_id":"in_demo","limit":-1}`, "limit", "between 1 and"},
		{"list_conversions of -1", "admin", `{"action":"list_conversions","account_id":"demo","limit":-1}`, "limit", "between 1 and"},
	})

	t.Run("a limit left out takes the default, one given is passed on", func(t *testing.T) {
		st := &offerStore{}
		r := admin.NewOfferSyncRouter(offers.NewService(st, memtable.Secrets{}, offers.Options{}))
		for _, p := range []string{`{"action":"list_sync_runs","integration_id":"in_demo"}`, `{"action":"list_sync_runs","integration_id":"in_demo","limit":1}`} {
			if _, err := r.Handle(context.Background(), []byte(p)); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		if len(st.runFilters) != 2 || st.runFilters[0].Limit != offers.DefaultRunsLimit || st.runFilters[1].Limit != 1 {
			t.Errorf("filters %+v, want the default, then 1", st.runFilters)
		}
	})
}

func TestAdminRefusesUnknownOutcomesIDsAndDates(t *testing.T) {
	checkRefusals(t, []refusal{
		{"an unknown outcome", "admin", `{"action":"list_postbacks","outcome":"won"}`, "outcome", "accepted, invalid, rejected, failed, attributed, orphaned, duplicate"},
		{"an outcome in capitals", "admin", `{"action":"list_postbacks","outcome":"Rejected"}`, "outcome", "accepted"},
		{"a report id longer than any stored", "admin", `{"action":"report","account_id":"demo","dimension":"message","id":"` + strings.Repeat("m", 129) + `"}`, "id", "128"},
		{"a report account longer than any stored", "admin", `{"action":"report","account_id":"` + strings.Repeat("a", 65) + `"}`, "account_id", "64"},
		{"a report from 1999", "admin", `{"action":"report","account_id":"demo","from":"1999-12-31","to":"2026-01-01"}`, "from", "2000-01-01"},
		{"a report to year 1", "admin", `{"action":"report","account_id":"demo","from":"0001-01-01","to":"0001-01-02"}`, "from", "2000-01-01"},
		{"a report up to 1999", "admin", `{"action":"report","account_id":"demo","to":"1999-01-01"}`, "to", "2000-01-01"},
		{"postbacks of 1970", "admin", `{"action":"list_postbacks","day":"1970-01-01"}`, "day", "2000-01-01"},
	})

	t.Run("every outcome lists", func(t *testing.T) {
		for _, o := range []string{"accepted", "invalid", "rejected", "failed", "attributed", "orphaned", "duplicate"} {
			if _, err := newAdmin().handle(t, `{"action":"list_postbacks","outcome":"`+o+`"}`); err != nil {
				t.Errorf("%s: %v", o, err)
			}
		}
	})
	t.Run("a report id of 128 characters and the first day of 2000", func(t *testing.T) {
		if _, err := newAdmin().handle(t, `{"action":"report","account_id":"demo","id":"`+strings.Repeat("m", 128)+`","from":"2000-01-01"}`); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAdminClearsOnlyWithNull(t *testing.T) {
	checkRefusals(t, []refusal{
		{"an empty API base URL", "admin", `{"action":"update_integration","integration_id":"in_demo","api_base_url":""}`, "api_base_url", "null"},
		{"an empty affiliate id", "admin", `{"action":"update_integration","integration_id":"in_demo","affiliate_id":""}`, "affiliate_id", "null"},
		{"an empty name", "admin", `{"action":"update_integration","integration_id":"in_demo","name":""}`, "name", "empty"},
		{"a name cleared", "admin", `{"action":"update_integration","integration_id":"in_demo","name":null}`, "name", "cannot be cleared"},
		{"an API key cleared", "admin", `{"action":"update_integration","integration_id":"in_demo","api_key":null}`, "api_key", "cannot be cleared"},
		{"a new integration without a name", "admin", `{"action":"create_integration",` + strings.Replace(newIntegration, `"name":"Net"`, `"name":null`, 1) + `}`, "name", "cannot be cleared"},
		{"the integration id null", "admin", `{"action":"update_integration","integration_id":null,"name":"x"}`, "integration_id", "null"},
		{"a null cursor", "admin", `{"action":"list_conversions","account_id":"demo","cursor":null}`, "cursor", "null"},
		{"an empty cursor", "admin", `{"action":"list_conversions","account_id":"demo","cursor":""}`, "cursor", "empty"},
		{"an empty outcome", "admin", `{"action":"list_postbacks","outcome":""}`, "outcome", "empty"},
		{"an empty campaign", "admin", `{"action":"create_link","account_id":"demo","integration_id":"in_demo","offer_id":"1","message_id":"m","campaign_id":""}`, "campaign_id", "empty"},
		{"an empty account filter", "admin", `{"action":"list_integrations","account_id":""}`, "account_id", "empty"},
		{"a null filter", "sync", `{"action":"import_offers","integration_id":"in_demo","filter":null}`, "filter", "null"},
		{"an empty list of offers", "sync", `{"action":"import_offers","integration_id":"in_demo","offer_ids":[]}`, "offer_ids", "empty"},
		{"a network key's affiliate cleared", "admin", `{"action":"update_integration","integration_id":"in_demo","key_kind":"network","affiliate_id":null}`, "affiliate_id", "required with a network key"},
	})

	t.Run("null clears the API base URL and the affiliate id", func(t *testing.T) {
		a := newAdmin()
		a.store.seedDemo()
		if _, err := a.handle(t, `{"action":"update_integration","integration_id":"in_demo","api_base_url":"https://sandbox.example/Apiv3/json","affiliate_id":"7"}`); err != nil {
			t.Fatal(err)
		}
		res, err := a.handle(t, `{"action":"update_integration","integration_id":"in_demo","api_base_url":null,"affiliate_id":null}`)
		if err != nil {
			t.Fatal(err)
		}
		in := a.store.integrations["in_demo"]
		if in.APIBaseURL != "" || in.AffiliateID != "" || in.NetworkID != "demo" {
			t.Errorf("stored %+v, want the base URL and affiliate id cleared", in)
		}
		if js := answerJSON(t, res); strings.Contains(js, "sandbox.example") || strings.Contains(js, `"affiliate_id":"7"`) {
			t.Errorf("answer %s still shows a cleared setting", js)
		}
	})
	t.Run("a setting left out is kept", func(t *testing.T) {
		a := newAdmin()
		a.store.seedDemo()
		if _, err := a.handle(t, `{"action":"update_integration","integration_id":"in_demo","api_base_url":"https://sandbox.example/Apiv3/json"}`); err != nil {
			t.Fatal(err)
		}
		if _, err := a.handle(t, `{"action":"update_integration","integration_id":"in_demo","name":"Renamed"}`); err != nil {
			t.Fatal(err)
		}
		if got := a.store.integrations["in_demo"].APIBaseURL; got != "https://sandbox.example/Apiv3/json" {
			t.Errorf("api_base_url %q, want it kept", got)
		}
	})
}

func TestAdminRefusesDuplicateKeys(t *testing.T) {
	checkRefusals(t, []refusal{
		{"a field twice", "admin", `{"action":"report","account_id":"demo","account_id":"other"}`, "account_id", "twice"},
		{"the action twice", "admin", `{"action":"get_link","link_id":"demo","action":"create_link"}`, "action", "twice"},
		{"a field twice with one value", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"A","name":"A"}`, "name", "twice"},
		{"a nested field twice", "sync", `{"action":"import_offers","integration_id":"in_demo","filter":{"search":"a","search":"b"}}`, "filter.search", "twice"},
		{"a field twice under an unknown one", "admin", `{"action":"get_link","link_id":"demo","x":{"a":1,"a":2}}`, "x.a", "twice"},
		{"a field in other capitals", "admin", `{"action":"update_integration","integration_id":"in_demo","name":"A","Name":"B"}`, "Name", "not a field"},
		{"a field only in other capitals", "admin", `{"action":"update_integration","integration_id":"in_demo","NAME":"B"}`, "NAME", `"name"`},
	})
}

func TestAdminDecodeErrorsSpeakTheContract(t *testing.T) {
	tests := []refusal{
		{"an action that is a number", "admin", `{"action":5}`, "action", "must be a string, not a number"},
		{"an action that is a list", "admin", `{"action":["report"]}`, "action", "must be a string, not a list"},
		{"offer ids as an object", "sync", `{"action":"import_offers","integration_id":"in_demo","offer_ids":{}}`, "offer_ids", "must be a list of strings, not an object"},
		{"offer ids as numbers", "sync", `{"action":"import_offers","integration_id":"in_demo","offer_ids":[1,2]}`, "offer_ids", "must be a list of strings"},
		{"a limit as text", "admin", `{"action":"list_conversions","account_id":"demo","limit":"50"}`, "limit", "must be a whole number, not a string"},
		{"a limit with a fraction", "admin", `{"action":"list_conversions","account_id":"demo","limit":1.5}`, "limit", "must be a whole number, not 1.5"},
		{"a limit past any integer", "admin", `{"action":"list_conversions","account_id":"demo","limit":1e40}`, "limit", "whole number"},
		{"a window as text", "admin", `{"action":"update_integration","integration_id":"in_demo","attribution_window_days":"30"}`, "attribution_window_days", "must be a whole number"},
		{"by_day as text", "admin", `{"action":"report","account_id":"demo","by_day":"yes"}`, "by_day", "must be true or false, not a string"},
		{"a filter as text", "sync", `{"action":"import_offers","integration_id":"in_demo","filter":"vpn"}`, "filter", "must be an object"},
		{"a status as text", "sync", `{"action":"import_offers","integration_id":"in_demo","filter":{"status":"active"}}`, "filter.status", "must be a list of strings"},
		{"an account as a number", "admin", `{"action":"list_integrations","account_id":7}`, "account_id", "must be a string, not a number"},
		{"a payload that is a list", "admin", `[{"action":"report"}]`, "payload", "must be a JSON object"},
		{"a payload that is cut short", "admin", `{"action":"report","account_id":`, "payload", "must be a JSON object"},
		{"two payloads", "admin", `{"action":"report","account_id":"demo"}{"action":"report"}`, "payload", "one JSON object"},
		{"a payload that is not UTF-8", "admin", "{\"action\":\"report\",\"account_id\":\"demo\xff\"}", "payload", "UTF-8"},
	}
	checkRefusals(t, tests)

	t.Run("no Go words", func(t *testing.T) {
		for _, tt := range tests {
			_, err := newAdmin().handleAt(t, tt.function, tt.payload)
			for _, word := range []string{"JSON slice", "JSON int", "JSON string", "JSON bool", "Go struct", "unmarshal", "float64", "map[", "*"} {
				if err != nil && strings.Contains(err.Error(), word) {
					t.Errorf("%s: %q speaks Go (%q)", tt.name, err, word)
				}
			}
		}
	})
}
