package trackly

import "time"

// Integration is a TUNE network connection owned by an account. Its API key and
// postback token live in the secret store; the integration keeps only their
// names and, for the token, a hash that PostbackFunction can check without a
// secret read. Those names and the hash, like the sync lease and cursor, are
// never part of an admin answer (json "-").
type Integration struct {
	IntegrationID         string `json:"integration_id"`
	AccountID             string `json:"account_id"`
	Name                  string `json:"name"`
	NetworkID             string `json:"network_id"`
	APIDomain             string `json:"api_domain"`
	APIBaseURL            string `json:"api_base_url,omitempty"`
	KeyKind               string `json:"key_kind"`
	APIKeySecret          string `json:"-"`
	AffiliateID           string `json:"affiliate_id,omitempty"`
	ClickParam            string `json:"click_param"`
	DefaultCurrency       string `json:"default_currency"`
	AttributionWindowDays int    `json:"attribution_window_days"`
	RateLimit             int    `json:"rate_limit"`
	AutoSync              bool   `json:"auto_sync"`
	// SyncEveryMinutes is the auto-sync interval; admins see and set it as a
	// frequency ("hourly").
	SyncEveryMinutes     int       `json:"-"`
	PostbackTokenHash    string    `json:"-"`
	PostbackTokenSecret  string    `json:"-"`
	RequirePostbackToken bool      `json:"require_postback_token"`
	LastSyncAt           time.Time `json:"last_sync_at,omitzero"`
	NextSyncAt           time.Time `json:"next_sync_at,omitzero"`
	// SyncLeaseUntil and SyncLeaseOwner say which sync run holds the
	// integration and until when; zero when no run does.
	SyncLeaseUntil time.Time `json:"-"`
	SyncLeaseOwner string    `json:"-"`
	// SyncCursorPage is the listing page the next sync resumes at; 0 starts over.
	SyncCursorPage int `json:"-"`
	// TimeZone is the network's time zone, an IANA name ("America/New_York"):
	// TUNE's reports give days and times in it. "" reads as UTC.
	TimeZone string `json:"time_zone,omitempty"`
	// Reconcile turns on scheduled reconciliation with TUNE's conversions
	// report, every ReconcileEveryMinutes (admins see and set a frequency),
	// over the last ReconcileLookbackDays days; 0 takes the defaults.
	Reconcile             bool      `json:"reconcile"`
	ReconcileEveryMinutes int       `json:"-"`
	ReconcileLookbackDays int       `json:"reconcile_lookback_days,omitempty"`
	LastReconcileAt       time.Time `json:"last_reconcile_at,omitzero"`
	NextReconcileAt       time.Time `json:"next_reconcile_at,omitzero"`
	// ReconcileLeaseUntil and ReconcileLeaseOwner say which reconciliation
	// run holds the integration and until when; zero when no run does.
	ReconcileLeaseUntil time.Time `json:"-"`
	ReconcileLeaseOwner string    `json:"-"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}
