package offers_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/localcloud"
	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/trackly"
)

// invoke invokes OfferSyncFunction as Lambda would, and decodes its answer into out.
func (w *world) invoke(t *testing.T, payload []byte, out any) *localcloud.FunctionError {
	t.Helper()
	res, err := w.sys.Cloud.Invoke(context.Background(), "OfferSyncFunction", payload)
	var fe *localcloud.FunctionError
	if errors.As(err, &fe) {
		return fe
	}
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
	}
	return nil
}

// The sample payloads under events/ run, in an admin's order, through
// OfferSyncFunction as it runs in AWS, against an integration like the demo's.
//
// The samples name the integration "in_demo", so this test has a world of its own.
func TestOfferSyncFunctionRunsTheSamplePayloads(t *testing.T) {
	w, err := startWorld()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.sys.Close() })
	n := newNetwork(t, tunesim.Options{Offers: 200})
	w.integration(t, n, "affiliate", func(s *integrations.Settings) {
		s.IntegrationID, s.AutoSync, s.SyncFrequency, s.DefaultCurrency, s.RateLimit = ptr("in_demo"), ptr(true), ptr("15m"), ptr("USD"), ptr(50)
	})

	order := []string{
		"offersync-test-connection.json", "offersync-list-remote-offers.json", "offersync-import-offers.json",
		"offersync-import-offers-filter.json", "offersync-list-offers.json", "offersync-sync-due.json",
		"offersync-sync-offers.json", "offersync-list-sync-runs.json",
	}
	samples, err := filepath.Glob("../../events/offersync-*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		// offersync-schedule.json is what EventBridge delivers (the schedule's Input), the same
		// payload as offersync-sync-due.json.
		if !slices.Contains(order, filepath.Base(s)) && filepath.Base(s) != "offersync-schedule.json" {
			t.Errorf("sample %s is not exercised here", s)
		}
	}
	answers := map[string]json.RawMessage{}
	for _, name := range order {
		payload, err := os.ReadFile(filepath.Join("../../events", name))
		if err != nil {
			t.Fatal(err)
		}
		var answer json.RawMessage
		if fe := w.invoke(t, payload, &answer); fe != nil {
			t.Fatalf("%s: function error %s", name, fe)
		}
		answers[name] = answer
		if strings.Contains(string(answer), affiliateKey) {
			t.Errorf("%s: the answer shows the API key", name)
		}
	}

	var conn struct {
		OK         bool   `json:"ok"`
		KeyKind    string `json:"key_kind"`
		NetworkID  string `json:"network_id"`
		OfferCount int    `json:"offer_count"`
	}
	json.Unmarshal(answers["offersync-test-connection.json"], &conn)
	if !conn.OK || conn.KeyKind != "affiliate" || conn.NetworkID != networkID || conn.OfferCount != 140 {
		t.Errorf("test_connection: %s", answers["offersync-test-connection.json"])
	}
	// What the demo seed reads back.
	var imported struct {
		Imported int `json:"imported"`
		Offers   []struct {
			OfferID       string `json:"offer_id"`
			Name          string `json:"name"`
			Status        string `json:"status"`
			TrackingURL   string `json:"tracking_url"`
			DefaultPayout string `json:"default_payout"`
		} `json:"offers"`
	}
	json.Unmarshal(answers["offersync-import-offers.json"], &imported)
	if imported.Imported != 5 || len(imported.Offers) != 5 {
		t.Fatalf("import_offers: %s", answers["offersync-import-offers.json"])
	}
	for i, o := range imported.Offers {
		if o.OfferID != []string{"1", "2", "3", "4", "5"}[i] || o.Name == "" || o.Status != "active" ||
			!strings.HasSuffix(o.TrackingURL, "&aff_sub={click_id}") || o.DefaultPayout == "" {
			t.Errorf("imported offer %+v", o)
		}
	}
	var due struct {
		Due  int               `json:"due"`
		Runs []trackly.SyncRun `json:"runs"`
	}
	json.Unmarshal(answers["offersync-sync-due.json"], &due)
	found := false
	for _, r := range due.Runs {
		if r.IntegrationID == "in_demo" {
			found = true
			if r.Status != trackly.SyncSucceeded || r.Trigger != trackly.SyncTriggerSchedule || !r.Complete {
				t.Errorf("scheduled run: %+v", r)
			}
		}
	}
	if !found {
		t.Errorf("sync_due did not sync in_demo: %s", answers["offersync-sync-due.json"])
	}
	var runs struct {
		Runs []trackly.SyncRun `json:"runs"`
	}
	json.Unmarshal(answers["offersync-list-sync-runs.json"], &runs)
	var triggers []string
	for _, r := range runs.Runs {
		triggers = append(triggers, string(r.Trigger))
	}
	if want := []string{"manual", "schedule", "import", "import"}; !slices.Equal(triggers, want) {
		t.Errorf("list_sync_runs triggers %v, want %v", triggers, want)
	}

	// Due no more: the scheduled run set the next sync a frequency away.
	var again struct {
		Runs []trackly.SyncRun `json:"runs"`
	}
	w.invoke(t, []byte(`{"action":"sync_due"}`), &again)
	for _, r := range again.Runs {
		if r.IntegrationID == "in_demo" {
			t.Errorf("in_demo synced again at once: %+v", r)
		}
	}

	// An unchanged re-sync through the function writes no offer.
	before := w.invokeDDB.snapshot()["OfferWrite"]
	var run trackly.SyncRun
	w.invoke(t, []byte(`{"action":"sync_offers","integration_id":"in_demo"}`), &run)
	if run.Status != trackly.SyncSucceeded || run.OffersChanged != 0 || w.invokeDDB.snapshot()["OfferWrite"] != before {
		t.Errorf("unchanged re-sync: %+v, %d offer writes", run, w.invokeDDB.snapshot()["OfferWrite"]-before)
	}
}

func TestOfferSyncFunctionErrors(t *testing.T) {
	w := getWorld(t)
	n := newNetwork(t, tunesim.Options{Offers: 10, RateLimit: -1})
	good := w.integration(t, n, "affiliate", nil)
	bad := w.integration(t, n, "network", func(s *integrations.Settings) { s.APIKey = ptr("rejected-key-0123456789") })

	for payload, wantType := range map[string]string{
		`{"action":"import_offers","integration_id":"` + good + `"}`:                                "InvalidInput",
		`{"action":"import_offers","integration_id":"` + good + `","offer_ids":["1"],"extra":true}`: "InvalidInput",
		`{"action":"list_remote_offers","integration_id":"` + good + `","status":"active"}`:         "InvalidInput",
		`{"action":"list_offers","integration_id":"in_nope"}`:                                       "InvalidInput",
		`{"action":"no_such_action"}`:                                                               "InvalidInput",
		`{"action":"import_offers","integration_id":"` + bad + `","offer_ids":["1"]}`:               "TUNEError",
		`{"action":"list_remote_offers","integration_id":"` + bad + `"}`:                            "TUNEError",
	} {
		fe := w.invoke(t, []byte(payload), nil)
		if fe == nil || fe.Type != wantType {
			t.Errorf("%s: got %v, want a %s function error", payload, fe, wantType)
			continue
		}
		if strings.Contains(fe.Message, "rejected-key-0123456789") {
			t.Errorf("%s: the error shows the key: %s", payload, fe.Message)
		}
	}
	// A failed sync is an answer (the recorded run), and test_connection's failure too.
	var run trackly.SyncRun
	if fe := w.invoke(t, []byte(`{"action":"sync_offers","integration_id":"`+bad+`"}`), &run); fe != nil {
		t.Fatal(fe)
	}
	if run.Status != trackly.SyncSucceeded || run.Pages != 0 {
		// Nothing imported: nothing to ask TUNE.
		t.Errorf("sync of an integration without offers: %+v", run)
	}
	var conn struct {
		OK    bool   `json:"ok"`
		Cause string `json:"cause"`
	}
	if fe := w.invoke(t, []byte(`{"action":"test_connection","integration_id":"`+bad+`"}`), &conn); fe != nil {
		t.Fatal(fe)
	}
	if conn.OK || conn.Cause != "key_rejected" {
		t.Errorf("test_connection: %+v", conn)
	}
}
