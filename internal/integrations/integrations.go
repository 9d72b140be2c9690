// Package integrations manages TUNE integrations: their settings, their API key
// (kept in the secret store, never returned), and the postback token and URL an
// admin pastes into TUNE.
package integrations

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trackly/tune-integration/internal/ids"
	"github.com/trackly/tune-integration/internal/postbacktoken"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// Reader reads integrations by id.
type Reader interface {
	GetIntegration(ctx context.Context, integrationID string) (trackly.Integration, error)
}

// Store is the storage integrations need.
type Store interface {
	Reader
	CreateIntegration(ctx context.Context, in trackly.Integration) error
	ListIntegrations(ctx context.Context, accountID string) ([]trackly.Integration, error)
	UpdateIntegrationSettings(ctx context.Context, in trackly.Integration) error
}

// Secrets stores secret values by name.
type Secrets interface {
	Get(ctx context.Context, name string) (string, error)
	Put(ctx context.Context, name, value string) error
	Delete(ctx context.Context, name string) error
}

// Service manages integrations.
type Service struct {
	store         Store
	secrets       Secrets
	publicBaseURL string
	defaultWindow int
	now           func() time.Time
}

// NewService returns a Service. publicBaseURL is where TUNE reaches the HTTP API.
func NewService(st Store, sec Secrets, publicBaseURL string, defaultWindowDays int, now func() time.Time) *Service {
	return &Service{store: st, secrets: sec, publicBaseURL: strings.TrimRight(publicBaseURL, "/"), defaultWindow: defaultWindowDays, now: now}
}

// Settings are the fields an admin sets. On update, a nil field keeps its
// value; Clear removes one of the settings that can be removed.
type Settings struct {
	// IntegrationID may name a new integration (default: generated); it cannot change.
	IntegrationID         *string `json:"integration_id,omitempty"`
	AccountID             *string `json:"account_id,omitempty"`
	Name                  *string `json:"name,omitempty"`
	NetworkID             *string `json:"network_id,omitempty"`
	APIDomain             *string `json:"api_domain,omitempty"`
	APIBaseURL            *string `json:"api_base_url,omitempty"`
	KeyKind               *string `json:"key_kind,omitempty"`
	APIKey                *string `json:"api_key,omitempty"`
	AffiliateID           *string `json:"affiliate_id,omitempty"`
	ClickParam            *string `json:"click_param,omitempty"`
	DefaultCurrency       *string `json:"default_currency,omitempty"`
	AttributionWindowDays *int    `json:"attribution_window_days,omitempty"`
	RateLimit             *int    `json:"rate_limit,omitempty"`
	AutoSync              *bool   `json:"auto_sync,omitempty"`
	SyncFrequency         *string `json:"sync_frequency,omitempty"`
	RequirePostbackToken  *bool   `json:"require_postback_token,omitempty"`
	// TimeZone is the network's time zone (an IANA name): the days of
	// TUNE's reports. Default UTC.
	TimeZone *string `json:"time_zone,omitempty"`
	// Reconcile turns scheduled reconciliation with TUNE's conversions
	// report on (the default) or off; ReconcileFrequency and
	// ReconcileLookbackDays say how often and over how many days.
	Reconcile             *bool   `json:"reconcile,omitempty"`
	ReconcileFrequency    *string `json:"reconcile_frequency,omitempty"`
	ReconcileLookbackDays *int    `json:"reconcile_lookback_days,omitempty"`

	// clearAPIBaseURL, clearAffiliateID and clearTimeZone ask an update to
	// remove those settings.
	clearAPIBaseURL, clearAffiliateID, clearTimeZone bool
}

// Clear asks for a setting to be removed, as a null in an admin's payload
// does. Only api_base_url (TUNE is then reached through network_id and
// api_domain), affiliate_id and time_zone (back to UTC) can be cleared; on
// create, a cleared setting is one left out. Any other field is a
// validate.FieldError.
func (s *Settings) Clear(field string) error {
	switch field {
	case "api_base_url":
		s.APIBaseURL, s.clearAPIBaseURL = nil, true
	case "affiliate_id":
		s.AffiliateID, s.clearAffiliateID = nil, true
	case "time_zone":
		s.TimeZone, s.clearTimeZone = nil, true
	default:
		return validate.Field(field, "cannot be cleared with null; only api_base_url, affiliate_id and time_zone can (leave a field out to keep it)")
	}
	return nil
}

// View is an integration as admins see it: the integration without its
// secrets and sync bookkeeping (trackly.Integration leaves them out of JSON),
// with whether an API key is set, how often it syncs and reconciles, and
// its time zone and lookback as they apply (defaults included).
type View struct {
	trackly.Integration
	APIKeySet          bool   `json:"api_key_set"`
	SyncFrequency      string `json:"sync_frequency"`
	ReconcileFrequency string `json:"reconcile_frequency"`
}

// Defaults for new integrations.
const (
	DefaultCurrency      = "USD"
	DefaultRateLimit     = tune.DefaultRateLimit
	DefaultSyncFrequency = "hourly"
	// MinReconcileEveryMinutes is the shortest reconciliation interval: the
	// schedule looks for due reconciliations every 15 minutes.
	MinReconcileEveryMinutes = 15
)

// MaxAPIKeyLength is the longest API key, in bytes, that the secret store
// keeps: the value of a standard SSM parameter holds at most 4 KB.
const MaxAPIKeyLength = 4096

// ClickParams are the TUNE sub id parameters that can carry the click id.
var ClickParams = []string{"aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5", "aff_click_id"}

var (
	networkIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`) })
	domainPattern    = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	})
	affiliatePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{1,20}$`) })
	// Integration ids hold no dots: a postback token is "<integration id>.<secret>".
	integrationIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`) })
)

// secretName names a new version of one of an integration's secrets
// ("integrations/<id>/api-key-<version>"). Each new value gets a new name, so
// functions that cache secrets for the life of their execution environment
// never use a replaced key or token.
func secretName(integrationID, kind string) string {
	return "integrations/" + integrationID + "/" + kind + "-" + ids.New("", 8)
}

// written lists the secrets an action has stored so far, to delete them all
// if the action fails before its record names them: a refused or failed
// action leaves no secret behind.
type written []string

// putSecret stores value under a new name, points *current at it and notes
// the name in w. It returns the replaced name, to delete once the record
// points at the new one.
func (svc *Service) putSecret(ctx context.Context, w *written, integrationID, kind, value string, current *string) (replaced string, err error) {
	name := secretName(integrationID, kind)
	if err := svc.secrets.Put(ctx, name, value); err != nil {
		return "", fmt.Errorf("store %s: %w", kind, err)
	}
	*w = append(*w, name)
	replaced, *current = *current, name
	return replaced, nil
}

// undo deletes the secrets of a failed action. A failure to delete only leaves
// an unused secret behind, under a name no record holds.
func (svc *Service) undo(ctx context.Context, w written) {
	for _, name := range w {
		svc.secrets.Delete(ctx, name)
	}
}

// deleteReplaced deletes a secret the stored record no longer names. A failure
// only leaves an unused secret behind: the integration is already consistent.
func (svc *Service) deleteReplaced(ctx context.Context, name string) {
	if name != "" {
		svc.secrets.Delete(ctx, name)
	}
}

// Create validates s, stores the API key and a fresh postback token as
// secrets, and stores the integration. Everything is checked before anything
// is written, and a create that still fails (another admin took the id in
// the meantime, or DynamoDB failed) deletes the secrets it wrote.
func (svc *Service) Create(ctx context.Context, s Settings) (View, error) {
	now := svc.now().UTC()
	in := trackly.Integration{
		IntegrationID:         ids.New("in_", 12),
		APIDomain:             tune.DefaultAPIDomain,
		ClickParam:            trackly.DefaultClickParam,
		DefaultCurrency:       DefaultCurrency,
		AttributionWindowDays: svc.defaultWindow,
		RateLimit:             DefaultRateLimit,
		RequirePostbackToken:  true,
		Reconcile:             true,
		CreatedAt:             now,
	}
	if s.IntegrationID != nil {
		if !integrationIDPattern().MatchString(*s.IntegrationID) {
			return View{}, validate.Field("integration_id", "must be 1 to 40 letters, digits, '-' or '_', not %q", *s.IntegrationID)
		}
		in.IntegrationID = *s.IntegrationID
	}
	if s.SyncFrequency == nil {
		f := DefaultSyncFrequency
		s.SyncFrequency = &f
	}
	for _, f := range []struct {
		field string
		value *string
	}{{"account_id", s.AccountID}, {"name", s.Name}, {"key_kind", s.KeyKind}, {"api_key", s.APIKey}} {
		if f.value == nil || strings.TrimSpace(*f.value) == "" {
			return View{}, validate.Field(f.field, "is required")
		}
	}
	if s.NetworkID == nil && s.APIBaseURL == nil {
		return View{}, validate.Field("network_id", "is required (or set api_base_url)")
	}
	if err := svc.apply(&in, s, now); err != nil {
		return View{}, err
	}
	if _, err := svc.store.GetIntegration(ctx, in.IntegrationID); err == nil {
		return View{}, validate.Field("integration_id", "%q is taken", in.IntegrationID)
	} else if !errors.Is(err, trackly.ErrNotFound) {
		return View{}, fmt.Errorf("read integration: %w", err)
	}
	var w written
	err := svc.create(ctx, &w, &in, *s.APIKey)
	if err != nil {
		svc.undo(ctx, w)
	}
	if errors.Is(err, trackly.ErrConflict) {
		return View{}, validate.Field("integration_id", "%q is taken", in.IntegrationID)
	}
	if err != nil {
		return View{}, err
	}
	return ViewOf(in), nil
}

// create stores the secrets of in, noting them in w, and then in itself.
func (svc *Service) create(ctx context.Context, w *written, in *trackly.Integration, apiKey string) error {
	if _, err := svc.putSecret(ctx, w, in.IntegrationID, "api-key", apiKey, &in.APIKeySecret); err != nil {
		return err
	}
	if _, err := svc.newToken(ctx, w, in); err != nil {
		return err
	}
	if err := svc.store.CreateIntegration(ctx, *in); err != nil {
		return fmt.Errorf("create integration: %w", err)
	}
	return nil
}

// Update changes the settings given in s, removes those s clears and keeps
// the others. Everything is checked before anything is written; a new API key
// whose integration cannot be written is deleted again.
func (svc *Service) Update(ctx context.Context, integrationID string, s Settings) (View, error) {
	in, err := svc.Get(ctx, integrationID)
	if err != nil {
		return View{}, err
	}
	if s.AccountID != nil && *s.AccountID != in.AccountID {
		return View{}, validate.Field("account_id", "cannot change; create a new integration for another account")
	}
	now := svc.now().UTC()
	wasAuto, wasReconciled := in.AutoSync, in.Reconcile
	if err := svc.apply(&in, s, now); err != nil {
		return View{}, err
	}
	// Turning auto-sync or reconciliation on, or changing its frequency,
	// schedules a run now; otherwise the next run's time stays whatever the
	// last run set.
	in.NextSyncAt, in.NextReconcileAt = time.Time{}, time.Time{}
	if in.AutoSync && (!wasAuto || s.SyncFrequency != nil) {
		in.NextSyncAt = now
	}
	if in.Reconcile && (!wasReconciled || s.ReconcileFrequency != nil) {
		in.NextReconcileAt = now
	}
	var (
		w        written
		replaced string
	)
	if s.APIKey != nil {
		if replaced, err = svc.putSecret(ctx, &w, in.IntegrationID, "api-key", *s.APIKey, &in.APIKeySecret); err != nil {
			return View{}, err
		}
	}
	if err := svc.store.UpdateIntegrationSettings(ctx, in); err != nil {
		svc.undo(ctx, w)
		return View{}, fmt.Errorf("update integration: %w", err)
	}
	svc.deleteReplaced(ctx, replaced)
	updated, err := svc.Get(ctx, integrationID)
	return ViewOf(updated), err
}

// Get reads an integration, answering a field error when it does not exist.
func (svc *Service) Get(ctx context.Context, integrationID string) (trackly.Integration, error) {
	return Read(ctx, svc.store, integrationID)
}

// Read reads an integration from r for an admin action, answering a field
// error when integrationID is empty or names no integration.
func Read(ctx context.Context, r Reader, integrationID string) (trackly.Integration, error) {
	if integrationID == "" {
		return trackly.Integration{}, validate.Field("integration_id", "is required")
	}
	in, err := r.GetIntegration(ctx, integrationID)
	if errors.Is(err, trackly.ErrNotFound) {
		return in, validate.Field("integration_id", "no integration %q", integrationID)
	}
	if err != nil {
		return in, fmt.Errorf("read integration: %w", err)
	}
	return in, nil
}

// List lists integrations, of one account when accountID is set.
func (svc *Service) List(ctx context.Context, accountID string) ([]View, error) {
	list, err := svc.store.ListIntegrations(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]View, len(list))
	for i, in := range list {
		out[i] = ViewOf(in)
	}
	return out, nil
}

// PostbackURL is the URL to paste into TUNE as an integration's global postback.
type PostbackURL struct {
	IntegrationID string `json:"integration_id"`
	URL           string `json:"postback_url"`
	ClickParam    string `json:"click_param"`
	Note          string `json:"note"`
}

// PostbackURL returns the exact global postback URL for an integration, token included.
func (svc *Service) PostbackURL(ctx context.Context, integrationID string) (PostbackURL, error) {
	in, err := svc.Get(ctx, integrationID)
	if err != nil {
		return PostbackURL{}, err
	}
	token, err := svc.secrets.Get(ctx, in.PostbackTokenSecret)
	if err != nil {
		return PostbackURL{}, fmt.Errorf("read postback token: %w", err)
	}
	macro := "{" + in.ClickParam + "}"
	u := svc.publicBaseURL + "/api/postbacks/tune?click_id=" + macro +
		"&payout={payout}&conversion_id={transaction_id}&goal_id={goal_id}&currency={currency}" +
		"&sale_amount={sale_amount}&offer_id={offer_id}&source={source}&token=" + url.QueryEscape(token)
	return PostbackURL{
		IntegrationID: in.IntegrationID,
		URL:           u,
		ClickParam:    in.ClickParam,
		Note:          "Paste this into TUNE as the global postback (Partner > Postback/Conversion URL). Keep it private: the token authenticates TUNE.",
	}, nil
}

// RotatePostbackToken replaces an integration's postback token; the old one
// stops working at once. A new token whose integration cannot be written is
// deleted again, and the old one keeps working.
func (svc *Service) RotatePostbackToken(ctx context.Context, integrationID string) (PostbackURL, error) {
	in, err := svc.Get(ctx, integrationID)
	if err != nil {
		return PostbackURL{}, err
	}
	var w written
	replaced, err := svc.newToken(ctx, &w, &in)
	if err != nil {
		return PostbackURL{}, err
	}
	in.UpdatedAt = svc.now().UTC()
	if err := svc.store.UpdateIntegrationSettings(ctx, in); err != nil {
		svc.undo(ctx, w)
		return PostbackURL{}, fmt.Errorf("update integration: %w", err)
	}
	svc.deleteReplaced(ctx, replaced)
	return svc.PostbackURL(ctx, integrationID)
}

// newToken gives in a fresh postback token, noting its secret in w, and
// returns the replaced token's secret name.
func (svc *Service) newToken(ctx context.Context, w *written, in *trackly.Integration) (string, error) {
	token, hash := postbacktoken.New(in.IntegrationID)
	replaced, err := svc.putSecret(ctx, w, in.IntegrationID, "postback-token", token, &in.PostbackTokenSecret)
	if err != nil {
		return "", err
	}
	in.PostbackTokenHash = hash
	return replaced, nil
}

// apply validates the settings given in s and writes them into in. A string
// setting must be plain text (validate.Text) and not empty: the settings that
// can be removed are cleared with Clear, never with "".
func (svc *Service) apply(in *trackly.Integration, s Settings, now time.Time) error {
	set := func(dst *string, v *string, field string, ok func(string) error) error {
		if v == nil {
			return nil
		}
		if err := validate.Text(field, *v); err != nil {
			return err
		}
		val := *v
		if strings.TrimSpace(val) != val {
			return validate.Field(field, "must not start or end with spaces")
		}
		if val == "" {
			if field == "api_base_url" || field == "affiliate_id" {
				return validate.Field(field, "must not be empty; to clear it, give it as null")
			}
			return validate.Field(field, "must not be empty")
		}
		if err := ok(val); err != nil {
			if _, named := validate.AsFieldError(err); named {
				return err
			}
			return validate.Field(field, "%v", err)
		}
		*dst = val
		return nil
	}
	if s.clearAPIBaseURL {
		in.APIBaseURL = ""
	}
	if s.clearAffiliateID {
		in.AffiliateID = ""
	}
	if s.clearTimeZone {
		in.TimeZone = ""
	}
	checks := []error{
		set(&in.AccountID, s.AccountID, "account_id", func(v string) error { return validate.AccountID("account_id", v) }),
		set(&in.Name, s.Name, "name", func(v string) error { return lengthBetween(v, 1, 200) }),
		set(&in.NetworkID, s.NetworkID, "network_id", match(networkIDPattern(), "must be the network id from your TUNE API host (lowercase letters, digits, '-'), e.g. \"mynetwork\" for mynetwork.api.hasoffers.com")),
		set(&in.APIDomain, s.APIDomain, "api_domain", match(domainPattern(), "must be a host name like api.hasoffers.com")),
		set(&in.APIBaseURL, s.APIBaseURL, "api_base_url", validBaseURL),
		set(&in.KeyKind, s.KeyKind, "key_kind", oneOf(tune.KeyKindNetwork, tune.KeyKindAffiliate)),
		set(&in.AffiliateID, s.AffiliateID, "affiliate_id", match(affiliatePattern(), "must be TUNE's numeric affiliate id")),
		set(&in.ClickParam, s.ClickParam, "click_param", validClickParam),
		set(&in.DefaultCurrency, s.DefaultCurrency, "default_currency", validCurrency),
		set(&in.TimeZone, s.TimeZone, "time_zone", validTimeZone),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if s.APIKey != nil {
		if err := validAPIKey(*s.APIKey); err != nil {
			return err
		}
	}
	if v := s.AttributionWindowDays; v != nil {
		if *v < 1 || *v > 365 {
			return validate.Field("attribution_window_days", "must be between 1 and 365, not %d", *v)
		}
		in.AttributionWindowDays = *v
	}
	if v := s.RateLimit; v != nil {
		if *v < 1 || *v > 1000 {
			return validate.Field("rate_limit", "must be between 1 and 1000 calls per 10 seconds, not %d", *v)
		}
		in.RateLimit = *v
	}
	if s.RequirePostbackToken != nil {
		in.RequirePostbackToken = *s.RequirePostbackToken
	}
	if s.AutoSync != nil {
		in.AutoSync = *s.AutoSync
	}
	if s.SyncFrequency != nil {
		minutes, err := frequency("sync_frequency", *s.SyncFrequency, 0)
		if err != nil {
			return err
		}
		in.SyncEveryMinutes = minutes
	}
	if in.AutoSync && in.NextSyncAt.IsZero() {
		in.NextSyncAt = now
	}
	if err := applyReconciliation(in, s); err != nil {
		return err
	}
	if in.Reconcile && in.NextReconcileAt.IsZero() {
		in.NextReconcileAt = now
	}
	if s.clearAPIBaseURL && in.NetworkID == "" {
		return validate.Field("api_base_url", "cannot be cleared: the integration has no network_id to reach TUNE by; set network_id with it")
	}
	if in.KeyKind == tune.KeyKindNetwork && in.AffiliateID == "" {
		return validate.Field("affiliate_id", "is required with a network key: tracking links are generated for one affiliate")
	}
	in.UpdatedAt = now
	return nil
}

// applyReconciliation validates the reconciliation settings given in s and
// writes them into in.
func applyReconciliation(in *trackly.Integration, s Settings) error {
	if s.Reconcile != nil {
		in.Reconcile = *s.Reconcile
	}
	if s.ReconcileFrequency != nil {
		minutes, err := frequency("reconcile_frequency", *s.ReconcileFrequency, MinReconcileEveryMinutes)
		if err != nil {
			return err
		}
		in.ReconcileEveryMinutes = minutes
	}
	if v := s.ReconcileLookbackDays; v != nil {
		if *v < 1 || *v > trackly.MaxReconcileLookbackDays {
			return validate.Field("reconcile_lookback_days", "must be between 1 and %d days, not %d", trackly.MaxReconcileLookbackDays, *v)
		}
		in.ReconcileLookbackDays = *v
	}
	return nil
}

// frequency reads the value of a frequency setting (see ParseFrequency), of
// at least least minutes: the interval of the schedule that looks for due runs.
func frequency(field, v string, least int) (int, error) {
	if err := validate.Text(field, v); err != nil {
		return 0, err
	}
	minutes, err := ParseFrequency(v)
	if err != nil {
		return 0, validate.Field(field, "%v", err)
	}
	if minutes < least {
		return 0, validate.Field(field, "must be at least %dm, how often the schedule looks for due runs, not %d minutes", least, minutes)
	}
	return minutes, nil
}

// ParseFrequency reads an auto-sync frequency: "15m", "hourly", "6h", "daily", or a number of minutes of at least 5.
func ParseFrequency(f string) (int, error) {
	switch strings.ToLower(strings.TrimSpace(f)) {
	case "15m", "15min", "15 min":
		return 15, nil
	case "hourly", "1h":
		return 60, nil
	case "6h", "every 6h":
		return 360, nil
	case "daily", "24h":
		return 1440, nil
	}
	var n int
	if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimSpace(f), "m"), "%d", &n); err != nil || fmt.Sprint(n) != strings.TrimSuffix(strings.TrimSpace(f), "m") {
		return 0, fmt.Errorf("must be 15m, hourly, 6h, daily or a number of minutes (at least 5), not %q", f)
	}
	if n < 5 || n > 10080 {
		return 0, fmt.Errorf("must be between 5 minutes and 7 days, not %d minutes", n)
	}
	return n, nil
}

// FrequencyName names a sync interval the way admins set it.
func FrequencyName(minutes int) string {
	switch minutes {
	case 15:
		return "15m"
	case 60:
		return "hourly"
	case 360:
		return "6h"
	case 1440:
		return "daily"
	}
	return fmt.Sprintf("%dm", minutes)
}

// ViewOf returns what admins may see of an integration.
func ViewOf(in trackly.Integration) View {
	v := View{Integration: in, APIKeySet: in.APIKeySecret != "", SyncFrequency: FrequencyName(in.SyncEveryMinutes),
		ReconcileFrequency: FrequencyName(int(in.ReconcileEvery() / time.Minute))}
	v.TimeZone = cmp.Or(in.TimeZone, time.UTC.String())
	v.ReconcileLookbackDays = in.ReconcileLookback()
	return v
}

func match(re *regexp.Regexp, msg string) func(string) error {
	return func(v string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("%s, not %q", msg, v)
		}
		return nil
	}
}

func oneOf(allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s, not %q", strings.Join(allowed, ", "), v)
	}
}

func lengthBetween(v string, lo, hi int) error {
	if len(v) < lo || len(v) > hi {
		return fmt.Errorf("must be %d to %d characters", lo, hi)
	}
	return nil
}

func validBaseURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be a full http(s) URL like https://mynetwork.api.hasoffers.com/Apiv3/json, not %q", v)
	}
	return nil
}

func validClickParam(v string) error {
	if !slices.Contains(ClickParams, v) {
		return fmt.Errorf("must be a TUNE sub id parameter: one of %s, not %q", strings.Join(ClickParams, ", "), v)
	}
	return nil
}

// validTimeZone checks an IANA time zone name such as America/New_York or
// UTC. "Local" is refused: it names whatever zone a machine is set to.
func validTimeZone(v string) error {
	if _, err := time.LoadLocation(v); err != nil || v == "Local" {
		return fmt.Errorf("must be an IANA time zone name like America/New_York, Europe/Paris or UTC (the network's, as TUNE's API page shows it), not %q", v)
	}
	return nil
}

func validCurrency(v string) error {
	if !validate.Currency(v) {
		if validate.Currency(strings.ToUpper(v)) {
			return fmt.Errorf("must be written in capitals, as ISO 4217 writes it: %q", strings.ToUpper(v))
		}
		return fmt.Errorf("must be a three-letter ISO 4217 code like USD, not %q", v)
	}
	return nil
}

// validAPIKey checks a TUNE API key, never quoting it.
func validAPIKey(v string) error {
	if err := validate.Text("api_key", v); err != nil {
		return err
	}
	if strings.TrimSpace(v) == "" {
		return validate.Field("api_key", "must not be empty")
	}
	if len(v) > MaxAPIKeyLength {
		return validate.Field("api_key", "must be at most %d bytes (the secret store keeps no more), not %d", MaxAPIKeyLength, len(v))
	}
	return nil
}
