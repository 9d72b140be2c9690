package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

// Admin payloads travel as raw JSON through the Lambda Invoke API to the
// function on the real engine (DynamoDB Local, the secrets under .local):
// what the JSON itself can carry (a key given twice, escapes that decode to
// control characters, bytes that are no UTF-8, null) is refused there with
// InvalidInput naming the field, and a refused action leaves no record and no
// secret behind.
func TestAdminRefusesWhatJSONCanCarry(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	create := func(id, extra string) string {
		return `{"action":"create_integration","integration_id":"` + id + `","account_id":"acme","name":"Acme",` +
			`"network_id":"acme","key_kind":"affiliate","api_key":"sk-live-NOT-TO-BE-STORED"` + extra + `}`
	}
	secretsOf := func(id string) []string {
		files, err := filepath.Glob(filepath.Join(s.DataDir, "secrets", "integrations", id, "*"))
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	refused := func(t *testing.T, function, payload, field, says string) {
		t.Helper()
		ferr := s.Invoke(t, function, json.RawMessage(payload), nil)
		var e struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		if err := json.Unmarshal([]byte(ferr), &e); err != nil {
			t.Fatalf("want a function error, got %q", ferr)
		}
		if e.Type != "InvalidInput" || !strings.HasPrefix(e.Message, field+": ") || !strings.Contains(e.Message, says) {
			t.Errorf("error %s: %q, want InvalidInput naming %s that says %q", e.Type, e.Message, field, says)
		}
		if strings.Contains(e.Message, "NOT-TO-BE-STORED") {
			t.Errorf("the error shows the API key: %q", e.Message)
		}
	}
	notStored := func(t *testing.T, id string) {
		t.Helper()
		refused(t, "AdminFunction", `{"action":"get_integration","integration_id":"`+id+`"}`, "integration_id", "no integration")
		if files := secretsOf(id); len(files) != 0 {
			t.Errorf("a refused create left secrets behind: %v", files)
		}
	}

	for _, tt := range []struct {
		name, id, payload, field, says string
	}{
		{"a field given twice", "in_twice", create("in_twice", `,"name":"Acme 2"`), "name", "twice"},
		{"an escape sequence", "in_esc", create("in_esc", `,"sync_frequency":"hourly\u001b[2J"`), "sync_frequency", "control"},
		{"a bell", "in_bel", create("in_bel", `,"affiliate_id":"1\u0007"`), "affiliate_id", "U+0007"},
		{"a newline", "in_nl", create("in_nl", `,"click_param":"aff_sub\n"`), "click_param", "control"},
		{"a broken surrogate", "in_surrogate", create("in_surrogate", `,"api_domain":"api.hasoffers.com\udc00"`), "api_domain", "control"},
		{"a right-to-left override", "in_rlo", create("in_rlo", `,"default_currency":"USD`+"\u202e"+`"`), "default_currency", "U+202E"},
		{"bytes that are no UTF-8", "in_bytes", create("in_bytes", `,"api_base_url":"https://x.example/`+"\xff"+`"`), "payload", "UTF-8"},
		{"a null where nothing can be cleared", "in_null", create("in_null", `,"rate_limit":null`), "rate_limit", "cannot be cleared"},
		{"an empty string for a setting", "in_empty", create("in_empty", `,"api_base_url":""`), "api_base_url", "null"},
		{"an unknown currency", "in_abc", create("in_abc", `,"default_currency":"ABC"`), "default_currency", "ISO 4217"},
		{"a click parameter outside TUNE's", "in_unique", create("in_unique", `,"click_param":"aff_unique1"`), "click_param", "aff_click_id"},
		{"a key SSM cannot keep", "in_bigkey", strings.Replace(create("in_bigkey", ""), "sk-live-NOT-TO-BE-STORED", strings.Repeat("k", 4097), 1), "api_key", "at most 4096 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			refused(t, "AdminFunction", tt.payload, tt.field, tt.says)
			notStored(t, tt.id)
		})
	}

	t.Run("a create refused for a taken id writes no secret", func(t *testing.T) {
		before := secretsOf(s.Demo.IntegrationID)
		refused(t, "AdminFunction", create(s.Demo.IntegrationID, ""), "integration_id", "taken")
		if after := secretsOf(s.Demo.IntegrationID); len(after) != len(before) {
			t.Errorf("secrets of %s: %v, were %v", s.Demo.IntegrationID, after, before)
		}
	})

	t.Run("keys twice at any depth, and the action twice", func(t *testing.T) {
		refused(t, "OfferSyncFunction", `{"action":"import_offers","integration_id":"`+s.Demo.IntegrationID+`","filter":{"status":["active"],"status":["paused"]}}`, "filter.status", "twice")
		refused(t, "AdminFunction", `{"action":"get_link","link_id":"demo","action":"create_link"}`, "action", "twice")
		refused(t, "AdminFunction", `{"action":"report","account_id":"demo","id":"sms-demo-1","ID":"x"}`, "ID", `did you mean "id"`)
	})

	t.Run("decode errors in the contract's words", func(t *testing.T) {
		refused(t, "AdminFunction", `{"action":5}`, "action", "must be a string, not a number")
		refused(t, "OfferSyncFunction", `{"action":"import_offers","integration_id":"`+s.Demo.IntegrationID+`","offer_ids":{"1":true}}`, "offer_ids", "must be a list of strings, not an object")
		refused(t, "OfferSyncFunction", `{"action":"list_offers","integration_id":"`+s.Demo.IntegrationID+`","limit":0}`, "limit", "1 or more")
		refused(t, "AdminFunction", `{"action":"list_postbacks","outcome":"won"}`, "outcome", "accepted, invalid, rejected")
		refused(t, "AdminFunction", `{"action":"report","account_id":"demo","from":"1999-12-31"}`, "from", "2000-01-01")
	})

	t.Run("null clears a setting, an empty string clears nothing", func(t *testing.T) {
		id := "in_clearable"
		s.MustInvoke(t, "AdminFunction", json.RawMessage(create(id, `,"api_base_url":"`+s.TUNEURL+`","affiliate_id":"42"`)), nil)
		refused(t, "AdminFunction", `{"action":"update_integration","integration_id":"`+id+`","api_base_url":""}`, "api_base_url", "null")
		var kept map[string]any
		s.MustInvoke(t, "AdminFunction", map[string]any{"action": "get_integration", "integration_id": id}, &kept)
		if kept["api_base_url"] != s.TUNEURL {
			t.Fatalf("after a refused update api_base_url reads %v, want %s", kept["api_base_url"], s.TUNEURL)
		}
		s.MustInvoke(t, "AdminFunction", json.RawMessage(`{"action":"update_integration","integration_id":"`+id+`","api_base_url":null,"affiliate_id":null}`), nil)
		var cleared map[string]any
		s.MustInvoke(t, "AdminFunction", map[string]any{"action": "get_integration", "integration_id": id}, &cleared)
		if v := cleared["api_base_url"]; v != nil && v != "" {
			t.Errorf("cleared api_base_url reads %v", v)
		}
		if v := cleared["affiliate_id"]; v != nil && v != "" {
			t.Errorf("cleared affiliate_id reads %v", v)
		}
		if cleared["network_id"] != "acme" {
			t.Errorf("network_id %v, want acme kept", cleared["network_id"])
		}
	})
}
