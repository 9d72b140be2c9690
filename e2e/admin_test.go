package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

func TestAdminActionsNameTheFieldThatIsWrong(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	tests := []struct {
		name     string
		function string
		payload  map[string]any
		mention  string
	}{
		{"no action", "AdminFunction", map[string]any{}, "action: is required"},
		{"unknown action", "AdminFunction", map[string]any{"action": "drop_tables"}, `unknown action "drop_tables"`},
		{"unknown field", "AdminFunction", map[string]any{"action": "get_link", "link_id": "demo", "linkid": "x"}, "linkid: is not a field"},
		{"wrong type", "AdminFunction", map[string]any{"action": "report", "account_id": 7}, "account_id: must be a string"},
		{"missing key kind", "AdminFunction", map[string]any{"action": "create_integration", "account_id": "a", "name": "n", "network_id": "net", "api_key": "k"}, "key_kind: is required"},
		{"bad network id", "AdminFunction", map[string]any{"action": "create_integration", "account_id": "a", "name": "n", "network_id": "Not A Host!", "key_kind": "affiliate", "api_key": "k"}, "network_id: must be the network id"},
		{"network key without affiliate", "AdminFunction", map[string]any{"action": "create_integration", "account_id": "a", "name": "n", "network_id": "net", "key_kind": "network", "api_key": "k"}, "affiliate_id: is required with a network key"},
		{"bad frequency", "AdminFunction", map[string]any{"action": "update_integration", "integration_id": "in_demo", "sync_frequency": "2m"}, "sync_frequency:"},
		{"bad currency", "AdminFunction", map[string]any{"action": "update_integration", "integration_id": "in_demo", "default_currency": "dollars"}, "default_currency: must be a three-letter ISO 4217 code"},
		{"unknown integration", "AdminFunction", map[string]any{"action": "get_integration", "integration_id": "in_nope"}, `integration_id: no integration "in_nope"`},
		{"offer not imported", "AdminFunction", map[string]any{"action": "create_link", "account_id": "demo", "integration_id": "in_demo", "offer_id": "999", "message_id": "m"}, `offer_id: offer "999" is not imported`},
		{"someone else's integration", "AdminFunction", map[string]any{"action": "create_link", "account_id": "other", "integration_id": "in_demo", "offer_id": "1", "message_id": "m"}, `account "other" has no integration "in_demo"`},
		{"vanity link taken", "AdminFunction", map[string]any{"action": "create_link", "link_id": "demo", "account_id": "demo", "integration_id": "in_demo", "offer_id": "1", "message_id": "m"}, `link_id: "demo" is taken`},
		{"bad report dimension", "AdminFunction", map[string]any{"action": "report", "account_id": "demo", "dimension": "country"}, "dimension: must be one of"},
		{"bad report range", "AdminFunction", map[string]any{"action": "report", "account_id": "demo", "from": "2026-12-01", "to": "2026-11-01"}, "from: must not be after to"},
		{"bad day", "AdminFunction", map[string]any{"action": "list_postbacks", "day": "yesterday"}, "day: must be a date"},
		{"negative limit", "AdminFunction", map[string]any{"action": "list_conversions", "account_id": "demo", "limit": -1}, "limit: must be between 1 and 1000"},
		{"limit too large", "AdminFunction", map[string]any{"action": "list_postbacks", "limit": 5000}, "limit: must be between 1 and 1000"},
		{"foreign cursor", "AdminFunction", map[string]any{"action": "list_conversions", "account_id": "demo", "cursor": "abc"}, "cursor:"},
		{"offers limit too large", "OfferSyncFunction", map[string]any{"action": "list_offers", "integration_id": "in_demo", "limit": 5000}, "limit: must be between 1 and 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ferr := s.Invoke(t, tt.function, tt.payload, nil)
			var e struct {
				Type    string `json:"errorType"`
				Message string `json:"errorMessage"`
			}
			if err := json.Unmarshal([]byte(ferr), &e); err != nil {
				t.Fatalf("want a function error, got %q", ferr)
			}
			if e.Type != "InvalidInput" || !strings.Contains(e.Message, tt.mention) {
				t.Errorf("error %s: %q, want InvalidInput mentioning %q", e.Type, e.Message, tt.mention)
			}
		})
	}
}

func TestIntegrationsNeverShowTheirSecrets(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	const key = "sk-live-THIS-MUST-NOT-LEAK-1234"
	var created map[string]any
	s.MustInvoke(t, "AdminFunction", map[string]any{
		"action": "create_integration", "account_id": "acme", "name": "Acme", "network_id": "acme",
		"key_kind": "network", "affiliate_id": "42", "api_key": key,
	}, &created)
	id, _ := created["integration_id"].(string)
	if id == "" || created["api_key_set"] != true {
		t.Fatalf("created %v", created)
	}
	for _, p := range []map[string]any{
		{"action": "get_integration", "integration_id": id},
		{"action": "list_integrations"},
		{"action": "update_integration", "integration_id": id, "name": "Acme 2"},
		{"action": "postback_url", "integration_id": id},
	} {
		var out any
		s.MustInvoke(t, "AdminFunction", p, &out)
		raw, _ := json.Marshal(out)
		if strings.Contains(string(raw), key) || strings.Contains(string(raw), "api_key\"") {
			t.Errorf("%v answered %s", p["action"], raw)
		}
	}
	var before, after struct {
		URL string `json:"postback_url"`
	}
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "postback_url", "integration_id": id}, &before)
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "rotate_postback_token", "integration_id": id}, &after)
	if before.URL == after.URL || !strings.Contains(after.URL, "token="+id+".") || !strings.Contains(after.URL, "click_id={aff_sub}") || !strings.Contains(after.URL, "goal_id={goal_id}") {
		t.Errorf("postback URL before %s, after rotation %s", before.URL, after.URL)
	}
}

// A new API key takes effect at once, even in an OfferSyncFunction that has
// cached the old one for the life of its execution environment.
func TestANewAPIKeyTakesEffectInWarmFunctions(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	test := func() (ok bool, cause string) {
		var res struct {
			OK    bool   `json:"ok"`
			Cause string `json:"cause"`
		}
		s.MustInvoke(t, "OfferSyncFunction", map[string]any{"action": "test_connection", "integration_id": s.Demo.IntegrationID}, &res)
		return res.OK, res.Cause
	}
	if ok, cause := test(); !ok {
		t.Fatalf("demo connection fails: %s", cause)
	}
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "update_integration", "integration_id": s.Demo.IntegrationID, "api_key": "revoked-key"}, nil)
	if ok, cause := test(); ok || cause != "key_rejected" {
		t.Fatalf("with a wrong key: ok=%v cause=%q, want key_rejected", ok, cause)
	}
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "update_integration", "integration_id": s.Demo.IntegrationID, "api_key": "demo-affiliate-key"}, nil)
	if ok, cause := test(); !ok {
		t.Fatalf("with the right key again: %s", cause)
	}
	secrets, err := filepath.Glob(filepath.Join(s.DataDir, "secrets", "integrations", s.Demo.IntegrationID, "api-key-*"))
	if err != nil || len(secrets) != 1 {
		t.Errorf("API key versions kept: %v (%v), want only the current one", secrets, err)
	}
}

func TestClearingASettingClearsIt(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	var view map[string]any
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "update_integration", "integration_id": s.Demo.IntegrationID, "affiliate_id": "77"}, &view)
	if view["affiliate_id"] != "77" {
		t.Fatalf("set: %v", view["affiliate_id"])
	}
	var cleared map[string]any
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "update_integration", "integration_id": s.Demo.IntegrationID, "affiliate_id": nil}, &cleared)
	if v, ok := cleared["affiliate_id"]; ok && v != "" {
		t.Fatalf("cleared affiliate_id reads %v", v)
	}
}
