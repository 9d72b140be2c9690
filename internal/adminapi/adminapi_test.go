package adminapi_test

import (
	"encoding/json"
	"go/build"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/validate"
)

// The names are what `trackly`, `aws lambda invoke` and the schedule send:
// renaming one breaks them.
func TestActionNames(t *testing.T) {
	want := map[adminapi.Function][]string{
		adminapi.AdminFunction: {"create_integration", "update_integration", "get_integration", "list_integrations", "postback_url",
			"rotate_postback_token", "create_link", "get_link", "report", "list_conversions", "get_conversion", "change_conversion", "list_postbacks"},
		adminapi.OfferSyncFunction:      {"test_connection", "list_remote_offers", "import_offers", "list_offers", "sync_offers", "sync_due", "list_sync_runs"},
		adminapi.ReconciliationFunction: {"reconcile_conversions", "list_reconciliation_runs", "reconcile_due"},
	}
	got := map[adminapi.Function][]string{}
	for _, a := range adminapi.Actions() {
		got[a.Function()] = append(got[a.Function()], string(a))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("actions by function\n got %v\nwant %v", got, want)
	}
}

func TestEveryActionHasARequestAndAnAnswer(t *testing.T) {
	seen := map[adminapi.Action]bool{}
	for _, a := range adminapi.Actions() {
		if seen[a] {
			t.Errorf("%s is listed twice", a)
		}
		seen[a] = true
		for what, v := range map[string]any{"request": a.NewRequest(), "answer": a.NewAnswer()} {
			if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
				t.Errorf("%s: the %s is %T, want a pointer to a struct", a, what, v)
			}
		}
	}
	unknown := adminapi.Action("drop_tables")
	if unknown.Function() != "" || unknown.NewRequest() != nil || unknown.NewAnswer() != nil {
		t.Errorf("an unknown action has a function %q, request %v or answer %v", unknown.Function(), unknown.NewRequest(), unknown.NewAnswer())
	}
}

func TestPayloadDecodesBack(t *testing.T) {
	window := 14
	for _, tc := range []struct {
		action adminapi.Action
		req    any
		want   string
	}{
		{adminapi.ImportOffers, adminapi.ImportRequest{IntegrationID: "in_a", Filter: &adminapi.ImportFilter{Status: []string{"active"}}},
			`{"action":"import_offers","filter":{"status":["active"]},"integration_id":"in_a"}`},
		{adminapi.UpdateIntegration, adminapi.IntegrationUpdate{IntegrationID: "in_a", Settings: adminapi.IntegrationSettings{AttributionWindowDays: &window}},
			`{"action":"update_integration","attribution_window_days":14,"integration_id":"in_a"}`},
		{adminapi.SyncDue, adminapi.SyncDueRequest{}, `{"action":"sync_due"}`},
		{adminapi.ListIntegrations, adminapi.IntegrationsQuery{}, `{"action":"list_integrations"}`},
	} {
		payload, err := adminapi.Payload(tc.action, tc.req)
		if err != nil || string(payload) != tc.want {
			t.Errorf("Payload(%s, %+v) = %s, %v; want %s", tc.action, tc.req, payload, err, tc.want)
			continue
		}
		back := tc.action.NewRequest()
		if err := adminapi.DecodeRequest(payload, back); err != nil {
			t.Errorf("%s: %v", payload, err)
			continue
		}
		if got := reflect.ValueOf(back).Elem().Interface(); !reflect.DeepEqual(got, tc.req) {
			t.Errorf("%s decodes to %+v, want %+v", payload, got, tc.req)
		}
	}
}

func TestPayloadRefusesWhatIsNoRequest(t *testing.T) {
	for _, req := range []any{"in_a", nil, []string{"a"}, map[string]string{"action": "report"}} {
		if payload, err := adminapi.Payload(adminapi.GetIntegration, req); err == nil {
			t.Errorf("Payload(get_integration, %#v) = %s, want an error", req, payload)
		}
	}
}

func TestDecodeRequestIsStrict(t *testing.T) {
	for _, tc := range []struct {
		payload string
		field   string
		says    string
	}{
		{`{"action":"get_link","link_id":"demo","linkid":"x"}`, "linkid", "is not a field of this action"},
		{`{"action":"get_link","link_id":7}`, "link_id", "must be a string, not a number"},
		{`["get_link"]`, "payload", "must be a JSON object"},
	} {
		var ref adminapi.LinkRef
		fe, ok := validate.AsFieldError(adminapi.DecodeRequest(json.RawMessage(tc.payload), &ref))
		if !ok || fe.Field != tc.field || !strings.Contains(fe.Message, tc.says) {
			t.Errorf("%s: error %v, want a field error naming %q that says %q", tc.payload, fe, tc.field, tc.says)
		}
	}
	var none adminapi.SyncDueRequest
	if err := adminapi.DecodeRequest(json.RawMessage(`{"action":"sync_due"}`), &none); err != nil {
		t.Errorf("the action field is not the request's: %v", err)
	}
}

// The contract is shared by the CLI and the functions; it brings in neither AWS nor Lambda.
func TestImportsNoAWS(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(pkg.Imports, func(p string) bool {
		return strings.Contains(p, "github.com/aws/") || strings.Contains(p, "lambda")
	}); i >= 0 {
		t.Errorf("adminapi imports %s", pkg.Imports[i])
	}
}
