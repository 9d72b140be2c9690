package integrations_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/postbacktoken"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// integrationTable stands for the integrations table. UpdateIntegrationSettings
// behaves as the store's: it writes the settings, keeps the account, and keeps
// the next sync and reconciliation times unless new ones are given.
type integrationTable struct {
	rows map[string]trackly.Integration
}

func (s *integrationTable) CreateIntegration(_ context.Context, in trackly.Integration) error {
	if _, taken := s.rows[in.IntegrationID]; taken {
		return trackly.ErrConflict
	}
	s.rows[in.IntegrationID] = in
	return nil
}

func (s *integrationTable) GetIntegration(_ context.Context, id string) (trackly.Integration, error) {
	in, ok := s.rows[id]
	if !ok {
		return in, trackly.ErrNotFound
	}
	return in, nil
}

func (s *integrationTable) ListIntegrations(_ context.Context, accountID string) ([]trackly.Integration, error) {
	var out []trackly.Integration
	for _, in := range s.rows {
		if accountID == "" || in.AccountID == accountID {
			out = append(out, in)
		}
	}
	return out, nil
}

func (s *integrationTable) UpdateIntegrationSettings(_ context.Context, in trackly.Integration) error {
	old, ok := s.rows[in.IntegrationID]
	if !ok {
		return trackly.ErrNotFound
	}
	in.AccountID, in.CreatedAt = old.AccountID, old.CreatedAt
	in.LastSyncAt, in.SyncLeaseUntil, in.SyncLeaseOwner, in.SyncCursorPage = old.LastSyncAt, old.SyncLeaseUntil, old.SyncLeaseOwner, old.SyncCursorPage
	in.LastReconcileAt, in.ReconcileLeaseUntil, in.ReconcileLeaseOwner = old.LastReconcileAt, old.ReconcileLeaseUntil, old.ReconcileLeaseOwner
	if in.NextSyncAt.IsZero() {
		in.NextSyncAt = old.NextSyncAt
	}
	if in.NextReconcileAt.IsZero() {
		in.NextReconcileAt = old.NextReconcileAt
	}
	s.rows[in.IntegrationID] = in
	return nil
}

// secretStore stands for SSM parameters. When putErr is set, every Put
// after the first okPuts fails with it.
type secretStore struct {
	values map[string]string
	putErr error
	okPuts int
}

func (s *secretStore) Get(_ context.Context, name string) (string, error) {
	v, ok := s.values[name]
	if !ok {
		return "", errors.New("parameter not found: " + name)
	}
	return v, nil
}

func (s *secretStore) Put(_ context.Context, name, value string) error {
	if s.putErr != nil {
		if s.okPuts == 0 {
			return s.putErr
		}
		s.okPuts--
	}
	s.values[name] = value
	return nil
}

func (s *secretStore) Delete(_ context.Context, name string) error {
	delete(s.values, name)
	return nil
}

var now = time.Date(2026, 3, 14, 21, 0, 0, 0, time.FixedZone("UTC-5", -5*3600))

type fixture struct {
	svc     *integrations.Service
	table   *integrationTable
	secrets *secretStore
	clock   time.Time
}

func newFixture() *fixture {
	f := &fixture{table: &integrationTable{rows: map[string]trackly.Integration{}}, secrets: &secretStore{values: map[string]string{}}, clock: now}
	f.svc = integrations.NewService(f.table, f.secrets, "https://api.trackly.example/", 30, func() time.Time { return f.clock })
	return f
}

// create creates an integration with settings s; an error fails the test.
func (f *fixture) create(t *testing.T, s integrations.Settings) integrations.View {
	t.Helper()
	v, err := f.svc.Create(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func affiliateSettings() integrations.Settings {
	return integrations.Settings{AccountID: ptr("acc1"), Name: ptr("My network"), NetworkID: ptr("mynet"), KeyKind: ptr("affiliate"), APIKey: ptr("the-api-key")}
}

func TestCreate(t *testing.T) {
	t.Run("defaults of a new integration", func(t *testing.T) {
		f := newFixture()
		v := f.create(t, affiliateSettings())
		checks := []struct {
			field     string
			got, want any
		}{
			{"integration_id is generated", regexp.MustCompile(`^in_[0-9A-Za-z]{12}$`).MatchString(v.IntegrationID), true},
			{"api_domain", v.APIDomain, tune.DefaultAPIDomain},
			{"click_param", v.ClickParam, "aff_sub"},
			{"default_currency", v.DefaultCurrency, "USD"},
			{"attribution_window_days (the service's default)", v.AttributionWindowDays, 30},
			{"rate_limit (TUNE's usual)", v.RateLimit, tune.DefaultRateLimit},
			{"sync_frequency", v.SyncFrequency, "hourly"},
			{"auto_sync", v.AutoSync, false},
			{"require_postback_token", v.RequirePostbackToken, true},
			{"api_key_set", v.APIKeySet, true},
			{"created_at (UTC)", v.CreatedAt, now.UTC()},
			{"updated_at", v.UpdatedAt, now.UTC()},
			{"next_sync_at (no auto sync)", v.NextSyncAt.IsZero(), true},
			{"reconcile", v.Reconcile, true},
			{"next_reconcile_at (due at once)", v.NextReconcileAt, now.UTC()},
			{"reconcile_frequency", v.ReconcileFrequency, "hourly"},
			{"reconcile_lookback_days", v.ReconcileLookbackDays, 7},
			{"time_zone", v.TimeZone, "UTC"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
			}
		}
	})

	t.Run("the postback token names its integration and matches the stored hash", func(t *testing.T) {
		f := newFixture()
		v := f.create(t, affiliateSettings())
		in := f.table.rows[v.IntegrationID]
		token := f.secrets.values[in.PostbackTokenSecret]
		if id, ok := postbacktoken.IntegrationID(token); !ok || id != v.IntegrationID {
			t.Errorf("token names %q, want %q", id, v.IntegrationID)
		}
		if !postbacktoken.Matches(token, in.PostbackTokenHash) {
			t.Error("the stored hash does not match the stored token: every postback would be refused")
		}
		if f.secrets.values[in.APIKeySecret] != "the-api-key" {
			t.Errorf("api key stored under %q is %q", in.APIKeySecret, f.secrets.values[in.APIKeySecret])
		}
		if in.APIKeySecret == in.PostbackTokenSecret || !strings.HasPrefix(in.APIKeySecret, "integrations/"+v.IntegrationID+"/") {
			t.Errorf("secret names %q and %q", in.APIKeySecret, in.PostbackTokenSecret)
		}
	})

	t.Run("auto sync makes a new integration due at once", func(t *testing.T) {
		f := newFixture()
		s := affiliateSettings()
		s.AutoSync, s.SyncFrequency = ptr(true), ptr("15m")
		v := f.create(t, s)
		if !v.NextSyncAt.Equal(now) || v.SyncFrequency != "15m" {
			t.Errorf("next sync %v every %s, want now every 15m", v.NextSyncAt, v.SyncFrequency)
		}
	})

	t.Run("a currency in small letters is refused, not rewritten", func(t *testing.T) {
		f := newFixture()
		s := affiliateSettings()
		s.DefaultCurrency = ptr("eur")
		_, err := f.svc.Create(context.Background(), s)
		if fe, ok := validate.AsFieldError(err); !ok || fe.Field != "default_currency" || !strings.Contains(fe.Message, `"EUR"`) {
			t.Errorf("error %v; want a default_currency error that suggests EUR", err)
		}
		if len(f.table.rows) != 0 {
			t.Errorf("%d integrations stored; want none", len(f.table.rows))
		}
	})

	t.Run("a name with surrounding spaces is refused, not trimmed", func(t *testing.T) {
		f := newFixture()
		s := affiliateSettings()
		s.Name = ptr(" Demo ")
		_, err := f.svc.Create(context.Background(), s)
		if fe, ok := validate.AsFieldError(err); !ok || fe.Field != "name" {
			t.Errorf("error %v; want a name error", err)
		}
	})

	t.Run("a network key with its affiliate", func(t *testing.T) {
		f := newFixture()
		s := affiliateSettings()
		s.KeyKind, s.AffiliateID = ptr("network"), ptr("1007")
		f.create(t, s)
	})

	t.Run("a secret store that fails stores no integration", func(t *testing.T) {
		f := newFixture()
		f.secrets.putErr = errors.New("throttled")
		_, err := f.svc.Create(context.Background(), affiliateSettings())
		if err == nil || len(f.table.rows) != 0 {
			t.Errorf("error %v, %d integrations stored; want an error and none", err, len(f.table.rows))
		}
		if _, ok := validate.AsFieldError(err); ok {
			t.Errorf("a storage failure blamed on a field: %v", err)
		}
	})

	t.Run("a postback token that cannot be stored takes the API key with it", func(t *testing.T) {
		f := newFixture()
		f.secrets.putErr, f.secrets.okPuts = errors.New("throttled"), 1
		_, err := f.svc.Create(context.Background(), affiliateSettings())
		if err == nil || len(f.table.rows) != 0 || len(f.secrets.values) != 0 {
			t.Errorf("error %v, %d integrations, secrets %v; want an error and nothing stored", err, len(f.table.rows), f.secrets.values)
		}
	})
}

func TestUpdate(t *testing.T) {
	create := func(t *testing.T, f *fixture, edit func(s *integrations.Settings)) trackly.Integration {
		t.Helper()
		s := affiliateSettings()
		s.IntegrationID = ptr("in_a")
		if edit != nil {
			edit(&s)
		}
		f.create(t, s)
		return f.table.rows["in_a"]
	}

	t.Run("what is not given is kept", func(t *testing.T) {
		f := newFixture()
		before := create(t, f, func(s *integrations.Settings) { s.ClickParam, s.DefaultCurrency = ptr("aff_click_id"), ptr("GBP") })
		f.clock = now.Add(time.Hour)
		v, err := f.svc.Update(context.Background(), "in_a", integrations.Settings{Name: ptr("Renamed")})
		if err != nil {
			t.Fatal(err)
		}
		if v.Name != "Renamed" || v.ClickParam != "aff_click_id" || v.DefaultCurrency != "GBP" || v.NetworkID != "mynet" || !v.RequirePostbackToken {
			t.Errorf("after update %+v", v)
		}
		after := f.table.rows["in_a"]
		if after.APIKeySecret != before.APIKeySecret || after.PostbackTokenHash != before.PostbackTokenHash || !after.UpdatedAt.Equal(now.Add(time.Hour)) {
			t.Errorf("secrets or update time wrong after update: %+v", after)
		}
	})

	t.Run("a new api key gets a new secret and the old one is deleted", func(t *testing.T) {
		f := newFixture()
		before := create(t, f, nil)
		if _, err := f.svc.Update(context.Background(), "in_a", integrations.Settings{APIKey: ptr("new-key")}); err != nil {
			t.Fatal(err)
		}
		after := f.table.rows["in_a"]
		if after.APIKeySecret == before.APIKeySecret || f.secrets.values[after.APIKeySecret] != "new-key" {
			t.Errorf("new key under %q = %q", after.APIKeySecret, f.secrets.values[after.APIKeySecret])
		}
		if _, still := f.secrets.values[before.APIKeySecret]; still {
			t.Errorf("old key secret %s not deleted", before.APIKeySecret)
		}
	})

	t.Run("the token requirement can be turned off", func(t *testing.T) {
		f := newFixture()
		create(t, f, nil)
		v, err := f.svc.Update(context.Background(), "in_a", integrations.Settings{RequirePostbackToken: ptr(false)})
		if err != nil || v.RequirePostbackToken {
			t.Errorf("require token %v, error %v", v.RequirePostbackToken, err)
		}
	})

	t.Run("turning auto sync on makes the integration due now", func(t *testing.T) {
		f := newFixture()
		create(t, f, nil)
		f.clock = now.Add(time.Hour)
		v, err := f.svc.Update(context.Background(), "in_a", integrations.Settings{AutoSync: ptr(true)})
		if err != nil || !v.NextSyncAt.Equal(now.Add(time.Hour)) {
			t.Errorf("next sync %v, error %v; want the update's time", v.NextSyncAt, err)
		}
	})

	t.Run("another setting leaves the next sync where the last sync put it", func(t *testing.T) {
		f := newFixture()
		create(t, f, func(s *integrations.Settings) { s.AutoSync = ptr(true) })
		scheduled := now.Add(45 * time.Minute)
		in := f.table.rows["in_a"]
		in.NextSyncAt = scheduled
		f.table.rows["in_a"] = in
		f.clock = now.Add(time.Hour)
		v, err := f.svc.Update(context.Background(), "in_a", integrations.Settings{Name: ptr("Renamed")})
		if err != nil || !v.NextSyncAt.Equal(scheduled) {
			t.Errorf("next sync %v, error %v; want %v", v.NextSyncAt, err, scheduled)
		}
	})
}

func TestPostbackURL(t *testing.T) {
	tests := []struct {
		name       string
		clickParam *string
		macro      string
	}{
		{"the default click parameter", nil, "{aff_sub}"},
		{"the integration's click parameter", ptr("aff_click_id"), "{aff_click_id}"},
		{"another sub id", ptr("aff_sub3"), "{aff_sub3}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			s := affiliateSettings()
			s.ClickParam = tt.clickParam
			v := f.create(t, s)
			got, err := f.svc.PostbackURL(context.Background(), v.IntegrationID)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(got.URL)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			token := f.secrets.values[f.table.rows[v.IntegrationID].PostbackTokenSecret]
			// The contract users paste into TUNE (design.md).
			want := map[string]string{"click_id": tt.macro, "payout": "{payout}", "conversion_id": "{transaction_id}", "goal_id": "{goal_id}", "currency": "{currency}", "token": token}
			for k, w := range want {
				if q.Get(k) != w {
					t.Errorf("%s=%q, want %q (url %s)", k, q.Get(k), w, got.URL)
				}
			}
			if u.Scheme+"://"+u.Host+u.Path != "https://api.trackly.example/api/postbacks/tune" {
				t.Errorf("url %s is not the postback route on the public base URL", got.URL)
			}
			if got.ClickParam != strings.Trim(tt.macro, "{}") {
				t.Errorf("click param %q", got.ClickParam)
			}
		})
	}

	t.Run("rotating the token stops the old one at once", func(t *testing.T) {
		f := newFixture()
		v := f.create(t, affiliateSettings())
		before := f.table.rows[v.IntegrationID]
		oldToken := f.secrets.values[before.PostbackTokenSecret]
		got, err := f.svc.RotatePostbackToken(context.Background(), v.IntegrationID)
		if err != nil {
			t.Fatal(err)
		}
		after := f.table.rows[v.IntegrationID]
		newToken := f.secrets.values[after.PostbackTokenSecret]
		if postbacktoken.Matches(oldToken, after.PostbackTokenHash) || !postbacktoken.Matches(newToken, after.PostbackTokenHash) {
			t.Error("after rotation the old token still matches or the new one does not")
		}
		if _, still := f.secrets.values[before.PostbackTokenSecret]; still {
			t.Error("the old token's secret was not deleted")
		}
		if u, _ := url.Parse(got.URL); u.Query().Get("token") != newToken {
			t.Errorf("rotation answered %s, want the new token in it", got.URL)
		}
	})
}

func TestViewShowsNoSecretsNorSyncBookkeeping(t *testing.T) {
	in := trackly.Integration{
		IntegrationID: "in_a", AccountID: "acc1", Name: "My network", NetworkID: "mynet", APIDomain: "api.hasoffers.com",
		APIBaseURL: "https://mynet.example/Apiv3/json", KeyKind: "network", APIKeySecret: "integrations/in_a/api-key-k1",
		AffiliateID: "1007", ClickParam: "aff_sub", DefaultCurrency: "USD", AttributionWindowDays: 30, RateLimit: 50,
		AutoSync: true, SyncEveryMinutes: 360, PostbackTokenHash: "hash-h1", PostbackTokenSecret: "integrations/in_a/postback-token-t1",
		RequirePostbackToken: true, LastSyncAt: now, NextSyncAt: now, SyncLeaseUntil: now, SyncLeaseOwner: "sr_owner",
		SyncCursorPage: 4, Reconcile: true, LastReconcileAt: now, NextReconcileAt: now, ReconcileLeaseUntil: now,
		ReconcileLeaseOwner: "rr_owner", CreatedAt: now, UpdatedAt: now,
	}
	b, err := json.Marshal(integrations.ViewOf(in))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"account_id", "affiliate_id", "api_base_url", "api_domain", "api_key_set", "attribution_window_days",
		"auto_sync", "click_param", "created_at", "default_currency", "integration_id", "key_kind", "last_reconcile_at", "last_sync_at",
		"name", "network_id", "next_reconcile_at", "next_sync_at", "rate_limit", "reconcile", "reconcile_frequency",
		"reconcile_lookback_days", "require_postback_token", "sync_frequency", "time_zone", "updated_at"}
	if !slices.Equal(keys, want) {
		t.Errorf("view fields %v, want %v", keys, want)
	}
	for _, hidden := range []string{"k1", "h1", "t1", "sr_owner", "rr_owner"} {
		if strings.Contains(string(b), hidden) {
			t.Errorf("the view shows %q: %s", hidden, b)
		}
	}
	if got["api_key_set"] != true || got["sync_frequency"] != "6h" {
		t.Errorf("api_key_set %v, sync_frequency %v; want true and 6h", got["api_key_set"], got["sync_frequency"])
	}
	if got["time_zone"] != "UTC" || got["reconcile_frequency"] != "hourly" || got["reconcile_lookback_days"] != 7.0 {
		t.Errorf("time_zone %v, reconcile_frequency %v, reconcile_lookback_days %v; want the defaults UTC, hourly and 7",
			got["time_zone"], got["reconcile_frequency"], got["reconcile_lookback_days"])
	}
}

func TestReconciliationSettings(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(s *integrations.Settings)
		field string // "" for settings that are taken
		check func(t *testing.T, in trackly.Integration)
	}{
		{name: "the network's time zone", edit: func(s *integrations.Settings) { s.TimeZone = ptr("America/New_York") },
			check: func(t *testing.T, in trackly.Integration) {
				if in.TimeZone != "America/New_York" {
					t.Errorf("time zone %q", in.TimeZone)
				}
			}},
		{name: "an unknown time zone", edit: func(s *integrations.Settings) { s.TimeZone = ptr("Mars/Olympus_Mons") }, field: "time_zone"},
		{name: "a machine's local time is no network's", edit: func(s *integrations.Settings) { s.TimeZone = ptr("Local") }, field: "time_zone"},
		{name: "an empty time zone", edit: func(s *integrations.Settings) { s.TimeZone = ptr("") }, field: "time_zone"},
		{name: "a time zone with a control character", edit: func(s *integrations.Settings) { s.TimeZone = ptr("UTC\n") }, field: "time_zone"},
		{name: "every 6 hours over 30 days", edit: func(s *integrations.Settings) { s.ReconcileFrequency, s.ReconcileLookbackDays = ptr("6h"), ptr(30) },
			check: func(t *testing.T, in trackly.Integration) {
				if in.ReconcileEvery() != 6*time.Hour || in.ReconcileLookback() != 30 {
					t.Errorf("every %v over %d days", in.ReconcileEvery(), in.ReconcileLookback())
				}
			}},
		{name: "more often than the schedule looks", edit: func(s *integrations.Settings) { s.ReconcileFrequency = ptr("5") }, field: "reconcile_frequency"},
		{name: "an unknown frequency", edit: func(s *integrations.Settings) { s.ReconcileFrequency = ptr("weekly") }, field: "reconcile_frequency"},
		{name: "no lookback", edit: func(s *integrations.Settings) { s.ReconcileLookbackDays = ptr(0) }, field: "reconcile_lookback_days"},
		{name: "a lookback past 30 days", edit: func(s *integrations.Settings) { s.ReconcileLookbackDays = ptr(31) }, field: "reconcile_lookback_days"},
		{name: "reconciliation off", edit: func(s *integrations.Settings) { s.Reconcile = ptr(false) },
			check: func(t *testing.T, in trackly.Integration) {
				if in.Reconcile || !in.NextReconcileAt.IsZero() {
					t.Errorf("reconcile %v, due at %v; want off and never due", in.Reconcile, in.NextReconcileAt)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			s := affiliateSettings()
			tt.edit(&s)
			v, err := f.svc.Create(context.Background(), s)
			if tt.field != "" {
				if fe, ok := validate.AsFieldError(err); !ok || fe.Field != tt.field {
					t.Fatalf("error %v, want a field error naming %s", err, tt.field)
				}
				if len(f.table.rows) != 0 {
					t.Errorf("%d integrations stored, want none", len(f.table.rows))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, f.table.rows[v.IntegrationID])
		})
	}
}

func TestUpdateReconciliation(t *testing.T) {
	f := newFixture()
	s := affiliateSettings()
	s.IntegrationID, s.Reconcile, s.TimeZone = ptr("in_a"), ptr(false), ptr("Asia/Tokyo")
	f.create(t, s)
	f.clock = now.Add(time.Hour)
	v, err := f.svc.Update(context.Background(), "in_a", integrations.Settings{Reconcile: ptr(true)})
	if err != nil || !v.NextReconcileAt.Equal(now.Add(time.Hour).UTC()) {
		t.Fatalf("next reconciliation %v, error %v; want due at the update", v.NextReconcileAt, err)
	}
	scheduled := now.Add(2 * time.Hour)
	in := f.table.rows["in_a"]
	in.NextReconcileAt = scheduled
	f.table.rows["in_a"] = in
	if v, err = f.svc.Update(context.Background(), "in_a", integrations.Settings{Name: ptr("Renamed")}); err != nil || !v.NextReconcileAt.Equal(scheduled) {
		t.Errorf("next reconciliation %v, error %v; want %v, where the last run put it", v.NextReconcileAt, err, scheduled)
	}
	clear := integrations.Settings{}
	if err := clear.Clear("time_zone"); err != nil {
		t.Fatal(err)
	}
	if v, err = f.svc.Update(context.Background(), "in_a", clear); err != nil || v.TimeZone != "UTC" || f.table.rows["in_a"].TimeZone != "" {
		t.Errorf("time zone shown %q, stored %q, error %v; want cleared back to UTC", v.TimeZone, f.table.rows["in_a"].TimeZone, err)
	}
}
