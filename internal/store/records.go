package store

import (
	"time"

	"github.com/trackly/tune-integration/internal/money"
)

// Integration is a TUNE network connection owned by an account. Its API key and
// postback token live in the secret store; the record keeps only their names
// and, for the token, a hash that PostbackFunction can check without a secret read.
type Integration struct {
	IntegrationID         string    `dynamodbav:"integration_id"`
	AccountID             string    `dynamodbav:"account_id"`
	Name                  string    `dynamodbav:"name"`
	NetworkID             string    `dynamodbav:"network_id"`
	APIDomain             string    `dynamodbav:"api_domain"`
	APIBaseURL            string    `dynamodbav:"api_base_url,omitempty"`
	KeyKind               string    `dynamodbav:"key_kind"`
	APIKeySecret          string    `dynamodbav:"api_key_secret,omitempty"`
	AffiliateID           string    `dynamodbav:"affiliate_id,omitempty"`
	ClickParam            string    `dynamodbav:"click_param"`
	DefaultCurrency       string    `dynamodbav:"default_currency"`
	AttributionWindowDays int       `dynamodbav:"attribution_window_days"`
	RateLimit             int       `dynamodbav:"rate_limit,omitempty"`
	AutoSync              bool      `dynamodbav:"auto_sync"`
	SyncEveryMinutes      int       `dynamodbav:"sync_every_minutes,omitempty"`
	PostbackTokenHash     string    `dynamodbav:"postback_token_hash"`
	PostbackTokenSecret   string    `dynamodbav:"postback_token_secret"`
	RequirePostbackToken  bool      `dynamodbav:"require_postback_token"`
	LastSyncAt            time.Time `dynamodbav:"last_sync_at,omitempty"`
	NextSyncAt            time.Time `dynamodbav:"next_sync_at,omitempty"`
	SyncLeaseUntil        time.Time `dynamodbav:"sync_lease_until,omitempty"`
	SyncLeaseOwner        string    `dynamodbav:"sync_lease_owner,omitempty"`
	SyncCursorPage        int       `dynamodbav:"sync_cursor_page,omitempty"`
	CreatedAt             time.Time `dynamodbav:"created_at"`
	UpdatedAt             time.Time `dynamodbav:"updated_at"`
}

// Offer is a TUNE offer imported into an integration. OfferSyncFunction
// owns these records: it writes them whole, and only when a mapped field
// changed (Fingerprint). An offer TUNE no longer returns is marked Removed,
// never deleted, so that its links keep redirecting.
type Offer struct {
	IntegrationID string `dynamodbav:"integration_id" json:"integration_id"`
	OfferID       string `dynamodbav:"offer_id" json:"offer_id"`
	Name          string `dynamodbav:"name" json:"name"`
	// TrackingURL is TUNE's tracking link for the integration's account with
	// the click id placeholder {click_id} in the integration's click parameter.
	TrackingURL string `dynamodbav:"tracking_url" json:"tracking_url"`
	// TUNETrackingLink is the tracking link exactly as TUNE gave it, kept so
	// that a network key does not have to generate it again.
	TUNETrackingLink string `dynamodbav:"tune_tracking_link,omitempty" json:"-"`
	// TrackingLinkFor names whose link TUNETrackingLink is ("affiliate" for
	// an affiliate key's own, "network:<affiliate id>" for a network key's),
	// so that a change of key or affiliate gets new links.
	TrackingLinkFor string `dynamodbav:"tracking_link_for,omitempty" json:"-"`
	// PreviewURL is the advertiser's landing page, for people; never a tracking link.
	PreviewURL     string        `dynamodbav:"preview_url,omitempty" json:"preview_url,omitempty"`
	DefaultPayout  money.Amount  `dynamodbav:"default_payout" json:"default_payout"`
	PercentPayout  *money.Amount `dynamodbav:"percent_payout,omitempty" json:"percent_payout,omitempty"`
	PayoutType     string        `dynamodbav:"payout_type,omitempty" json:"payout_type,omitempty"`
	Currency       string        `dynamodbav:"currency" json:"currency"`
	Status         string        `dynamodbav:"status" json:"status"`
	AdvertiserName string        `dynamodbav:"advertiser_name,omitempty" json:"advertiser_name,omitempty"`
	ExpirationDate time.Time     `dynamodbav:"expiration_date,omitempty" json:"expiration_date,omitzero"`
	SessionHours   int           `dynamodbav:"session_hours,omitempty" json:"session_hours,omitempty"`
	Removed        bool          `dynamodbav:"removed" json:"removed"`
	RemovedAt      time.Time     `dynamodbav:"removed_at,omitempty" json:"removed_at,omitzero"`
	// Fingerprint is a hash of the mapped fields: a sync writes an offer only when it changes.
	Fingerprint string    `dynamodbav:"fingerprint,omitempty" json:"-"`
	ImportedAt  time.Time `dynamodbav:"imported_at" json:"imported_at,omitzero"`
	UpdatedAt   time.Time `dynamodbav:"updated_at" json:"updated_at,omitzero"`
}

// Link is a tracked SMS link: a tap on it becomes a click for one message and offer.
type Link struct {
	LinkID        string    `dynamodbav:"link_id" json:"link_id"`
	AccountID     string    `dynamodbav:"account_id" json:"account_id"`
	IntegrationID string    `dynamodbav:"integration_id" json:"integration_id"`
	OfferID       string    `dynamodbav:"offer_id" json:"offer_id"`
	MessageID     string    `dynamodbav:"message_id" json:"message_id"`
	CampaignID    string    `dynamodbav:"campaign_id,omitempty" json:"campaign_id,omitempty"`
	CreatedAt     time.Time `dynamodbav:"created_at" json:"created_at,omitzero"`
}

// Click is one tap on a link. It expires (TTL) at the end of the attribution window.
type Click struct {
	ClickID       string    `dynamodbav:"click_id" json:"click_id"`
	LinkID        string    `dynamodbav:"link_id" json:"link_id"`
	AccountID     string    `dynamodbav:"account_id" json:"account_id"`
	IntegrationID string    `dynamodbav:"integration_id" json:"integration_id"`
	OfferID       string    `dynamodbav:"offer_id" json:"offer_id"`
	MessageID     string    `dynamodbav:"message_id" json:"message_id"`
	CampaignID    string    `dynamodbav:"campaign_id,omitempty" json:"campaign_id,omitempty"`
	Bot           bool      `dynamodbav:"bot" json:"bot"`
	UserAgent     string    `dynamodbav:"user_agent,omitempty" json:"user_agent,omitempty"`
	CreatedAt     time.Time `dynamodbav:"created_at" json:"created_at,omitzero"`
	ExpiresAt     int64     `dynamodbav:"expires_at" json:"expires_at"`
}

// Conversion outcomes.
const (
	ConversionAttributed = "attributed"
	ConversionOrphan     = "orphan"
)

// Conversion is one TUNE conversion, unique per integration, conversion id and goal id.
type Conversion struct {
	ConversionKey string            `dynamodbav:"conversion_key" json:"conversion_key"`
	AccountID     string            `dynamodbav:"account_id" json:"account_id"`
	ReceivedKey   string            `dynamodbav:"received_key" json:"received_key"`
	IntegrationID string            `dynamodbav:"integration_id" json:"integration_id"`
	ConversionID  string            `dynamodbav:"conversion_id" json:"conversion_id"`
	GoalID        string            `dynamodbav:"goal_id" json:"goal_id"`
	ClickID       string            `dynamodbav:"click_id" json:"click_id"`
	LinkID        string            `dynamodbav:"link_id,omitempty" json:"link_id,omitempty"`
	MessageID     string            `dynamodbav:"message_id,omitempty" json:"message_id,omitempty"`
	CampaignID    string            `dynamodbav:"campaign_id,omitempty" json:"campaign_id,omitempty"`
	OfferID       string            `dynamodbav:"offer_id,omitempty" json:"offer_id,omitempty"`
	Attribution   string            `dynamodbav:"attribution" json:"attribution"`
	Status        string            `dynamodbav:"status" json:"status"`
	Payout        money.Amount      `dynamodbav:"payout" json:"payout"`
	Currency      string            `dynamodbav:"currency" json:"currency"`
	SaleAmount    *money.Amount     `dynamodbav:"sale_amount,omitempty" json:"sale_amount,omitempty"`
	Source        string            `dynamodbav:"source,omitempty" json:"source,omitempty"`
	PostbackID    string            `dynamodbav:"postback_id" json:"postback_id"`
	ReceivedAt    time.Time         `dynamodbav:"received_at" json:"received_at,omitzero"`
	ClickedAt     time.Time         `dynamodbav:"clicked_at,omitempty" json:"clicked_at,omitzero"`
	Extra         map[string]string `dynamodbav:"extra,omitempty" json:"extra,omitempty"`
}

// Postback log outcomes.
const (
	PostbackAccepted   = "accepted"
	PostbackInvalid    = "invalid"
	PostbackRejected   = "rejected"
	PostbackFailed     = "failed"
	PostbackAttributed = "attributed"
	PostbackOrphaned   = "orphaned"
	PostbackDuplicate  = "duplicate"
)

// PostbackLogEntry records one received postback and what became of it. The
// token is masked before it reaches this record.
type PostbackLogEntry struct {
	Day           string            `dynamodbav:"day" json:"day"`
	ReceivedKey   string            `dynamodbav:"received_key" json:"received_key"`
	PostbackID    string            `dynamodbav:"postback_id" json:"postback_id"`
	ReceivedAt    time.Time         `dynamodbav:"received_at" json:"received_at,omitzero"`
	Method        string            `dynamodbav:"method" json:"method"`
	Query         string            `dynamodbav:"query" json:"query"`
	Params        map[string]string `dynamodbav:"params,omitempty" json:"params,omitempty"`
	SourceIP      string            `dynamodbav:"source_ip,omitempty" json:"source_ip,omitempty"`
	UserAgent     string            `dynamodbav:"user_agent,omitempty" json:"user_agent,omitempty"`
	Outcome       string            `dynamodbav:"outcome" json:"outcome"`
	Reason        string            `dynamodbav:"reason,omitempty" json:"reason,omitempty"`
	HTTPStatus    int               `dynamodbav:"http_status" json:"http_status"`
	ConversionKey string            `dynamodbav:"conversion_key,omitempty" json:"conversion_key,omitempty"`
	UpdatedAt     time.Time         `dynamodbav:"updated_at" json:"updated_at,omitzero"`
	ExpiresAt     int64             `dynamodbav:"expires_at" json:"expires_at"`
}

// Sync run triggers and statuses.
const (
	SyncTriggerSchedule = "schedule"
	SyncTriggerManual   = "manual"
	SyncTriggerImport   = "import"

	SyncRunning   = "running"
	SyncSucceeded = "succeeded"
	// SyncPartial is a run that stopped before the end of the listing (the
	// Lambda deadline came near); the next run resumes where it stopped.
	SyncPartial = "partial"
	// SyncInterrupted is a run whose invocation was cancelled before it
	// ended (the local cloud's Ctrl-C, not the Lambda deadline); like a
	// partial run it keeps its progress, and the next run resumes.
	SyncInterrupted = "interrupted"
	SyncFailed      = "failed"
)

// SyncRun records one offer sync (or import) of an integration.
type SyncRun struct {
	IntegrationID string    `dynamodbav:"integration_id" json:"integration_id"`
	RunKey        string    `dynamodbav:"run_key" json:"run_key"`
	RunID         string    `dynamodbav:"run_id" json:"run_id"`
	Trigger       string    `dynamodbav:"trigger" json:"trigger"`
	Status        string    `dynamodbav:"status" json:"status"`
	StartedAt     time.Time `dynamodbav:"started_at" json:"started_at,omitzero"`
	EndedAt       time.Time `dynamodbav:"ended_at,omitempty" json:"ended_at,omitzero"`
	// FirstPage and LastPage are the listing pages this run read (1-based);
	// PageCount is how many pages the listing had.
	FirstPage       int `dynamodbav:"first_page,omitempty" json:"first_page,omitempty"`
	LastPage        int `dynamodbav:"last_page,omitempty" json:"last_page,omitempty"`
	PageCount       int `dynamodbav:"page_count,omitempty" json:"page_count,omitempty"`
	Pages           int `dynamodbav:"pages" json:"pages"`
	OffersSeen      int `dynamodbav:"offers_seen" json:"offers_seen"`
	OffersNew       int `dynamodbav:"offers_new" json:"offers_new"`
	OffersChanged   int `dynamodbav:"offers_changed" json:"offers_changed"`
	OffersUnchanged int `dynamodbav:"offers_unchanged" json:"offers_unchanged"`
	OffersRemoved   int `dynamodbav:"offers_removed" json:"offers_removed"`
	OffersRestored  int `dynamodbav:"offers_restored,omitempty" json:"offers_restored,omitempty"`
	OffersFailed    int `dynamodbav:"offers_failed,omitempty" json:"offers_failed,omitempty"`
	TUNECalls       int `dynamodbav:"tune_calls" json:"tune_calls"`
	// Complete is true when the run (with the runs it resumed) read the whole listing.
	Complete bool `dynamodbav:"complete" json:"complete"`
	// ResumedFrom is the run key of the partial run this one continued.
	ResumedFrom string `dynamodbav:"resumed_from,omitempty" json:"resumed_from,omitempty"`
	// ResumeAfterID and RemovalCandidates carry a partial listing to the run
	// that resumes it: the highest offer id read so far, and the stored
	// offers at or below it that the listing did not return.
	ResumeAfterID     string   `dynamodbav:"resume_after_id,omitempty" json:"-"`
	RemovalCandidates []string `dynamodbav:"removal_candidates,omitempty" json:"-"`
	Error             string   `dynamodbav:"error,omitempty" json:"error,omitempty"`
	// ErrorKind is the tune error kind of Error when TUNE caused it (key_rejected, rate_limited...).
	ErrorKind string `dynamodbav:"error_kind,omitempty" json:"error_kind,omitempty"`
	ExpiresAt int64  `dynamodbav:"expires_at" json:"expires_at"`
}
