package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/internal/admin"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/reconcile"
	"github.com/trackly/tune-integration/internal/validate"
)

// probeInput is what the probe action decodes; the action hands it back to the test.
type probeInput struct {
	Name  string `json:"name"`
	Count int    `json:"count,omitempty"`
	On    bool   `json:"on,omitempty"`
	Tags  []string
}

func probeRouter(got *probeInput) *admin.Router {
	r := admin.NewRouter()
	r.Register("probe", admin.Typed(func(_ context.Context, in probeInput) (any, error) {
		*got = in
		return "done", nil
	}))
	r.Register("another", admin.Typed(func(context.Context, struct{}) (any, error) { return nil, nil }))
	return r
}

func TestRouterDecodesStrictly(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		field   string // the field the error names; "" when the action runs
		says    string // words the message must hold
	}{
		{"a known action runs", `{"action":"probe","name":"x","count":2,"on":true}`, "", ""},
		{"fields are optional unless the action requires them", `{"action":"probe"}`, "", ""},
		{"not JSON", `{"action":`, "payload", "JSON object"},
		{"a JSON array", `["probe"]`, "payload", "JSON object"},
		{"a JSON string", `"probe"`, "payload", "JSON object"},
		{"no action", `{"name":"x"}`, "action", "is required; one of another, probe"},
		{"an empty action", `{"action":""}`, "action", "is required"},
		{"an unknown action is named, with the known ones", `{"action":"frobnicate"}`, "action", `unknown action "frobnicate"; this function knows another, probe`},
		{"action names are exact", `{"action":"Probe"}`, "action", `unknown action "Probe"`},
		{"an action that is not a string", `{"action":5}`, "action", "string"},
		{"an unknown field is named", `{"action":"probe","nmae":"x"}`, "nmae", "is not a field of this action"},
		{"an unknown field of an action without fields is named", `{"action":"another","name":"x"}`, "name", "is not a field of this action"},
		{"a string where a number goes", `{"action":"probe","count":"2"}`, "count", "must be a whole number, not a string"},
		{"a fraction where an integer goes", `{"action":"probe","count":1.5}`, "count", "must be a whole number, not 1.5"},
		{"a number where a string goes", `{"action":"probe","name":5}`, "name", "must be a string, not a number"},
		{"a string where a boolean goes", `{"action":"probe","on":"yes"}`, "on", "must be true or false, not a string"},
		{"an object where a list goes", `{"action":"probe","Tags":{}}`, "Tags", "must be a list of strings, not an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got probeInput
			res, err := probeRouter(&got).Handle(context.Background(), json.RawMessage(tt.payload))
			if tt.field == "" {
				if err != nil || res != "done" {
					t.Fatalf("answer %v, error %v; want the action to run", res, err)
				}
				return
			}
			fe, ok := validate.AsFieldError(err)
			if !ok || fe.Field != tt.field || !strings.Contains(fe.Message, tt.says) {
				t.Fatalf("error %v, want a field error naming %q that says %q", err, tt.field, tt.says)
			}
			if res != nil {
				t.Errorf("answer %v with an error", res)
			}
		})
	}

	t.Run("the decoded input reaches the action", func(t *testing.T) {
		var got probeInput
		if _, err := probeRouter(&got).Handle(context.Background(), json.RawMessage(`{"name":"x","action":"probe","count":2,"on":true,"Tags":["a"]}`)); err != nil {
			t.Fatal(err)
		}
		if got.Name != "x" || got.Count != 2 || !got.On || !slices.Equal(got.Tags, []string{"a"}) {
			t.Errorf("decoded %+v", got)
		}
	})

	t.Run("an action's own error comes back as it is", func(t *testing.T) {
		boom := errors.New("boom")
		r := admin.NewRouter()
		r.Register("fail", admin.Typed(func(context.Context, struct{}) (any, error) { return nil, boom }))
		if _, err := r.Handle(context.Background(), json.RawMessage(`{"action":"fail"}`)); !errors.Is(err, boom) {
			t.Errorf("error %v, want %v", err, boom)
		}
	})
}

func TestRouterNames(t *testing.T) {
	r := admin.NewRouter()
	for _, n := range []string{"zeta", "alpha", "mid"} {
		r.Register(n, admin.Typed(func(context.Context, struct{}) (any, error) { return nil, nil }))
	}
	if got := r.Names(); !slices.Equal(got, []string{"alpha", "mid", "zeta"}) {
		t.Errorf("names %v, want them sorted", got)
	}
}

// The admin contract: these names are what `trackly`, `aws lambda invoke`
// and schedules send; renaming one breaks them.
func TestAdminActionNames(t *testing.T) {
	want := []string{"change_conversion", "create_integration", "create_link", "get_conversion", "get_integration", "get_link",
		"list_conversions", "list_integrations", "list_postbacks", "postback_url", "report", "rotate_postback_token", "update_integration"}
	if got := newAdmin().router.Names(); !slices.Equal(got, want) {
		t.Errorf("admin actions %v, want %v", got, want)
	}
	wantSync := []string{"import_offers", "list_offers", "list_remote_offers", "list_sync_runs", "sync_due", "sync_offers", "test_connection"}
	if got := admin.NewOfferSyncRouter(offers.NewService(nil, nil, offers.Options{})).Names(); !slices.Equal(got, wantSync) {
		t.Errorf("offer sync actions %v, want %v", got, wantSync)
	}
	wantReconcile := []string{"list_reconciliation_runs", "reconcile_conversions", "reconcile_due"}
	if got := admin.NewReconciliationRouter(reconcile.New(nil, nil, nil, reconcile.Options{})).Names(); !slices.Equal(got, wantReconcile) {
		t.Errorf("reconciliation actions %v, want %v", got, wantReconcile)
	}
}

func TestSchedulesAreStrict(t *testing.T) {
	// A schedule sends its action and nothing else; anything more is a mistake to name.
	for _, tt := range []struct {
		router *admin.Router
		action string
	}{
		{admin.NewOfferSyncRouter(offers.NewService(nil, nil, offers.Options{})), "sync_due"},
		{admin.NewReconciliationRouter(reconcile.New(nil, nil, nil, reconcile.Options{})), "reconcile_due"},
	} {
		_, err := tt.router.Handle(context.Background(), json.RawMessage(`{"action":"`+tt.action+`","integration_id":"in_a"}`))
		if fe, ok := validate.AsFieldError(err); !ok || fe.Field != "integration_id" {
			t.Errorf("%s: error %v, want a field error naming integration_id", tt.action, err)
		}
	}
}

// Each admin action has a sample payload under events/ (design.md): every
// sample names an action the router knows, decodes strictly and runs against
// the records it refers to.
func TestSamplePayloadsRun(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "admin-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no admin samples under events/ (%v)", err)
	}
	a := newAdmin()
	a.store.seedDemo()
	covered := map[string]bool{}
	payloads := map[string][]byte{}
	for _, f := range files {
		payload, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Action string }
		json.Unmarshal(payload, &head)
		covered[head.Action] = true
		payloads[filepath.Base(f)] = payload
	}
	t.Run("every action has a sample", func(t *testing.T) {
		for _, name := range a.router.Names() {
			if !covered[name] {
				t.Errorf("action %s has no sample payload under events/", name)
			}
		}
	})
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			if _, err := a.router.Handle(context.Background(), payloads[name]); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
}
