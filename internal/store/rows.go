package store

import (
	"net/url"
	"strings"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

// This file declares the rows the tables hold and maps them to and from the
// product's types. Attribute names never change: rows written before must
// still read. Storage keys and expiry times never leave this package.

// sortableLayout is a UTC time layout of fixed width, so that its strings
// sort as the times do (RFC 3339 with trimmed fractions does not).
const sortableLayout = "2006-01-02T15:04:05.000000000Z"

// sortableTime formats t so that formatted times compare as strings the way
// the times compare. time.Parse(time.RFC3339, ...) reads it back.
func sortableTime(t time.Time) string { return t.UTC().Format(sortableLayout) }

// Retention of the records that expire (DynamoDB TTL).
const (
	syncRunRetention     = 90 * 24 * time.Hour
	postbackLogRetention = 90 * 24 * time.Hour
)

// integrationRow is an item of the integrations table.
type integrationRow struct {
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

func (r integrationRow) integration() trackly.Integration { return trackly.Integration(r) }

// offerRow is an item of the offers table.
type offerRow struct {
	IntegrationID    string        `dynamodbav:"integration_id"`
	OfferID          string        `dynamodbav:"offer_id"`
	Name             string        `dynamodbav:"name"`
	TrackingURL      string        `dynamodbav:"tracking_url"`
	TUNETrackingLink string        `dynamodbav:"tune_tracking_link,omitempty"`
	TrackingLinkFor  string        `dynamodbav:"tracking_link_for,omitempty"`
	PreviewURL       string        `dynamodbav:"preview_url,omitempty"`
	DefaultPayout    money.Amount  `dynamodbav:"default_payout"`
	PercentPayout    *money.Amount `dynamodbav:"percent_payout,omitempty"`
	PayoutType       string        `dynamodbav:"payout_type,omitempty"`
	Currency         string        `dynamodbav:"currency"`
	Status           string        `dynamodbav:"status"`
	AdvertiserName   string        `dynamodbav:"advertiser_name,omitempty"`
	ExpirationDate   time.Time     `dynamodbav:"expiration_date,omitempty"`
	SessionHours     int           `dynamodbav:"session_hours,omitempty"`
	Removed          bool          `dynamodbav:"removed"`
	RemovedAt        time.Time     `dynamodbav:"removed_at,omitempty"`
	Fingerprint      string        `dynamodbav:"fingerprint,omitempty"`
	ImportedAt       time.Time     `dynamodbav:"imported_at"`
	UpdatedAt        time.Time     `dynamodbav:"updated_at"`
}

func (r offerRow) offer() trackly.Offer { return trackly.Offer(r) }

// linkRow is an item of the links table.
type linkRow struct {
	LinkID        string    `dynamodbav:"link_id"`
	AccountID     string    `dynamodbav:"account_id"`
	IntegrationID string    `dynamodbav:"integration_id"`
	OfferID       string    `dynamodbav:"offer_id"`
	MessageID     string    `dynamodbav:"message_id"`
	CampaignID    string    `dynamodbav:"campaign_id,omitempty"`
	CreatedAt     time.Time `dynamodbav:"created_at"`
}

func (r linkRow) link() trackly.Link { return trackly.Link(r) }

// clickRow is an item of the clicks table. It expires (TTL) at the end of
// the click's attribution window.
type clickRow struct {
	ClickID       string    `dynamodbav:"click_id"`
	LinkID        string    `dynamodbav:"link_id"`
	AccountID     string    `dynamodbav:"account_id"`
	IntegrationID string    `dynamodbav:"integration_id"`
	OfferID       string    `dynamodbav:"offer_id"`
	MessageID     string    `dynamodbav:"message_id"`
	CampaignID    string    `dynamodbav:"campaign_id,omitempty"`
	Bot           bool      `dynamodbav:"bot"`
	UserAgent     string    `dynamodbav:"user_agent,omitempty"`
	CreatedAt     time.Time `dynamodbav:"created_at"`
	ExpiresAt     int64     `dynamodbav:"expires_at"`
}

func clickRowOf(c trackly.Click) clickRow {
	return clickRow{
		ClickID: c.ClickID, LinkID: c.LinkID, AccountID: c.AccountID, IntegrationID: c.IntegrationID,
		OfferID: c.OfferID, MessageID: c.MessageID, CampaignID: c.CampaignID, Bot: c.Bot, UserAgent: c.UserAgent,
		CreatedAt: c.CreatedAt, ExpiresAt: c.AttributableUntil.Unix(),
	}
}

func (r clickRow) click() trackly.Click {
	return trackly.Click{
		ClickID: r.ClickID, LinkID: r.LinkID, AccountID: r.AccountID, IntegrationID: r.IntegrationID,
		OfferID: r.OfferID, MessageID: r.MessageID, CampaignID: r.CampaignID, Bot: r.Bot, UserAgent: r.UserAgent,
		CreatedAt: r.CreatedAt, AttributableUntil: time.Unix(r.ExpiresAt, 0).UTC(),
	}
}

// conversionRow is an item of the conversions table, keyed by conversion
// (conversion_key) and listed by account newest first (received_key).
type conversionRow struct {
	ConversionKey string                   `dynamodbav:"conversion_key"`
	AccountID     string                   `dynamodbav:"account_id"`
	ReceivedKey   string                   `dynamodbav:"received_key"`
	IntegrationID string                   `dynamodbav:"integration_id"`
	ConversionID  string                   `dynamodbav:"conversion_id"`
	GoalID        string                   `dynamodbav:"goal_id"`
	ClickID       string                   `dynamodbav:"click_id"`
	LinkID        string                   `dynamodbav:"link_id,omitempty"`
	MessageID     string                   `dynamodbav:"message_id,omitempty"`
	CampaignID    string                   `dynamodbav:"campaign_id,omitempty"`
	OfferID       string                   `dynamodbav:"offer_id,omitempty"`
	Attribution   trackly.Attribution      `dynamodbav:"attribution"`
	Status        trackly.ConversionStatus `dynamodbav:"status"`
	Payout        money.Amount             `dynamodbav:"payout"`
	Currency      string                   `dynamodbav:"currency"`
	SaleAmount    *money.Amount            `dynamodbav:"sale_amount,omitempty"`
	Source        string                   `dynamodbav:"source,omitempty"`
	PostbackID    string                   `dynamodbav:"postback_id"`
	ReceivedAt    time.Time                `dynamodbav:"received_at"`
	ClickedAt     time.Time                `dynamodbav:"clicked_at,omitempty"`
	Extra         map[string]string        `dynamodbav:"extra,omitempty"`
}

func conversionRowOf(c trackly.Conversion) conversionRow {
	key := conversionKey(c.Ref())
	return conversionRow{
		ConversionKey: key, AccountID: c.AccountID, ReceivedKey: sortableTime(c.ReceivedAt) + "#" + key,
		IntegrationID: c.IntegrationID, ConversionID: c.ConversionID, GoalID: c.GoalID, ClickID: c.ClickID,
		LinkID: c.LinkID, MessageID: c.MessageID, CampaignID: c.CampaignID, OfferID: c.OfferID,
		Attribution: c.Attribution, Status: c.Status, Payout: c.Payout, Currency: c.Currency, SaleAmount: c.SaleAmount,
		Source: c.Source, PostbackID: c.PostbackID, ReceivedAt: c.ReceivedAt, ClickedAt: c.ClickedAt, Extra: c.Extra,
	}
}

func (r conversionRow) conversion() trackly.Conversion {
	return trackly.Conversion{
		IntegrationID: r.IntegrationID, ConversionID: r.ConversionID, GoalID: r.GoalID, AccountID: r.AccountID,
		ClickID: r.ClickID, LinkID: r.LinkID, MessageID: r.MessageID, CampaignID: r.CampaignID, OfferID: r.OfferID,
		Attribution: r.Attribution, Status: r.Status, Payout: r.Payout, Currency: r.Currency, SaleAmount: r.SaleAmount,
		Source: r.Source, PostbackID: r.PostbackID, ReceivedAt: r.ReceivedAt, ClickedAt: r.ClickedAt, Extra: r.Extra,
	}
}

// conversionKey is a conversion's key: integration, conversion id and goal id.
// The ids are escaped so that no two different triples share a key.
func conversionKey(ref trackly.ConversionRef) string {
	return ref.IntegrationID + "#" + url.QueryEscape(ref.ConversionID) + "#" + url.QueryEscape(ref.GoalID)
}

// conversionRefOf reads a conversion key back; "" reads as the zero ref.
func conversionRefOf(key string) trackly.ConversionRef {
	if key == "" {
		return trackly.ConversionRef{}
	}
	// Escaped ids hold no '#': the last two parts are the conversion and
	// goal ids, whatever the integration id holds.
	rest, goal := cutLast(key, "#")
	integrationID, conversion := cutLast(rest, "#")
	return trackly.ConversionRef{IntegrationID: integrationID, ConversionID: unescape(conversion), GoalID: unescape(goal)}
}

// cutLast slices s around the last instance of sep; without one, all of s is after.
func cutLast(s, sep string) (before, after string) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):]
	}
	return "", s
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// postbackLogRow is an item of the postback log: one day's postbacks under
// that day, newest last (received_key). It expires (TTL) after postbackLogRetention.
type postbackLogRow struct {
	Day           string                  `dynamodbav:"day"`
	ReceivedKey   string                  `dynamodbav:"received_key"`
	PostbackID    string                  `dynamodbav:"postback_id"`
	ReceivedAt    time.Time               `dynamodbav:"received_at"`
	Method        string                  `dynamodbav:"method"`
	Query         string                  `dynamodbav:"query"`
	Params        map[string]string       `dynamodbav:"params,omitempty"`
	SourceIP      string                  `dynamodbav:"source_ip,omitempty"`
	UserAgent     string                  `dynamodbav:"user_agent,omitempty"`
	Outcome       trackly.PostbackOutcome `dynamodbav:"outcome"`
	Reason        string                  `dynamodbav:"reason,omitempty"`
	HTTPStatus    int                     `dynamodbav:"http_status"`
	ConversionKey string                  `dynamodbav:"conversion_key,omitempty"`
	UpdatedAt     time.Time               `dynamodbav:"updated_at"`
	ExpiresAt     int64                   `dynamodbav:"expires_at"`
}

// postbackDay is the postback log's partition of a postback received at t.
func postbackDay(receivedAt time.Time) string { return receivedAt.UTC().Format(time.DateOnly) }

// postbackReceivedKey is the sort key of a logged postback.
func postbackReceivedKey(postbackID string, receivedAt time.Time) string {
	return sortableTime(receivedAt) + "#" + postbackID
}

func postbackLogRowOf(e trackly.PostbackLogEntry) postbackLogRow {
	r := postbackLogRow{
		Day: postbackDay(e.ReceivedAt), ReceivedKey: postbackReceivedKey(e.PostbackID, e.ReceivedAt),
		PostbackID: e.PostbackID, ReceivedAt: e.ReceivedAt, Method: e.Method, Query: e.Query, Params: e.Params,
		SourceIP: e.SourceIP, UserAgent: e.UserAgent, Outcome: e.Outcome, Reason: e.Reason, HTTPStatus: e.HTTPStatus,
		UpdatedAt: e.UpdatedAt, ExpiresAt: e.ReceivedAt.Add(postbackLogRetention).Unix(),
	}
	if e.Conversion != (trackly.ConversionRef{}) {
		r.ConversionKey = conversionKey(e.Conversion)
	}
	return r
}

func (r postbackLogRow) entry() trackly.PostbackLogEntry {
	return trackly.PostbackLogEntry{
		PostbackID: r.PostbackID, ReceivedAt: r.ReceivedAt, Method: r.Method, Query: r.Query, Params: r.Params,
		SourceIP: r.SourceIP, UserAgent: r.UserAgent, Outcome: r.Outcome, Reason: r.Reason, HTTPStatus: r.HTTPStatus,
		Conversion: conversionRefOf(r.ConversionKey), UpdatedAt: r.UpdatedAt,
	}
}

// syncRunRow is an item of the sync runs table: an integration's runs in
// the order they started (run_key). It expires (TTL) after syncRunRetention.
type syncRunRow struct {
	IntegrationID     string              `dynamodbav:"integration_id"`
	RunKey            string              `dynamodbav:"run_key"`
	RunID             string              `dynamodbav:"run_id"`
	Trigger           trackly.SyncTrigger `dynamodbav:"trigger"`
	Status            trackly.SyncStatus  `dynamodbav:"status"`
	StartedAt         time.Time           `dynamodbav:"started_at"`
	EndedAt           time.Time           `dynamodbav:"ended_at,omitempty"`
	FirstPage         int                 `dynamodbav:"first_page,omitempty"`
	LastPage          int                 `dynamodbav:"last_page,omitempty"`
	PageCount         int                 `dynamodbav:"page_count,omitempty"`
	Pages             int                 `dynamodbav:"pages"`
	OffersSeen        int                 `dynamodbav:"offers_seen"`
	OffersNew         int                 `dynamodbav:"offers_new"`
	OffersChanged     int                 `dynamodbav:"offers_changed"`
	OffersUnchanged   int                 `dynamodbav:"offers_unchanged"`
	OffersRemoved     int                 `dynamodbav:"offers_removed"`
	OffersRestored    int                 `dynamodbav:"offers_restored,omitempty"`
	OffersFailed      int                 `dynamodbav:"offers_failed,omitempty"`
	TUNECalls         int                 `dynamodbav:"tune_calls"`
	Complete          bool                `dynamodbav:"complete"`
	ResumedFrom       string              `dynamodbav:"resumed_from,omitempty"`
	ResumeAfterID     string              `dynamodbav:"resume_after_id,omitempty"`
	RemovalCandidates []string            `dynamodbav:"removal_candidates,omitempty"`
	Error             string              `dynamodbav:"error,omitempty"`
	ErrorKind         string              `dynamodbav:"error_kind,omitempty"`
	ExpiresAt         int64               `dynamodbav:"expires_at"`
}

// syncRunKey is the sort key of a sync run: its start, then its id, so that
// an integration's runs sort by start.
func syncRunKey(startedAt time.Time, runID string) string {
	return sortableTime(startedAt) + "#" + runID
}

func syncRunRowOf(r trackly.SyncRun) syncRunRow {
	return syncRunRow{
		IntegrationID: r.IntegrationID, RunKey: syncRunKey(r.StartedAt, r.RunID), RunID: r.RunID,
		Trigger: r.Trigger, Status: r.Status, StartedAt: r.StartedAt, EndedAt: r.EndedAt,
		FirstPage: r.FirstPage, LastPage: r.LastPage, PageCount: r.PageCount, Pages: r.Pages,
		OffersSeen: r.OffersSeen, OffersNew: r.OffersNew, OffersChanged: r.OffersChanged, OffersUnchanged: r.OffersUnchanged,
		OffersRemoved: r.OffersRemoved, OffersRestored: r.OffersRestored, OffersFailed: r.OffersFailed,
		TUNECalls: r.TUNECalls, Complete: r.Complete, ResumedFrom: r.ResumedFrom,
		ResumeAfterID: r.ResumeAfterID, RemovalCandidates: r.RemovalCandidates, Error: r.Error, ErrorKind: r.ErrorKind,
		ExpiresAt: r.StartedAt.Add(syncRunRetention).Unix(),
	}
}

func (r syncRunRow) syncRun() trackly.SyncRun {
	// resumed_from holds the resumed run's id; runs written before it did
	// hold that run's key ("<start>#<run id>").
	_, resumedFrom := cutLast(r.ResumedFrom, "#")
	return trackly.SyncRun{
		IntegrationID: r.IntegrationID, RunID: r.RunID, Trigger: r.Trigger, Status: r.Status,
		StartedAt: r.StartedAt, EndedAt: r.EndedAt,
		FirstPage: r.FirstPage, LastPage: r.LastPage, PageCount: r.PageCount, Pages: r.Pages,
		OffersSeen: r.OffersSeen, OffersNew: r.OffersNew, OffersChanged: r.OffersChanged, OffersUnchanged: r.OffersUnchanged,
		OffersRemoved: r.OffersRemoved, OffersRestored: r.OffersRestored, OffersFailed: r.OffersFailed,
		TUNECalls: r.TUNECalls, Complete: r.Complete, ResumedFrom: resumedFrom,
		ResumeAfterID: r.ResumeAfterID, RemovalCandidates: r.RemovalCandidates, Error: r.Error, ErrorKind: r.ErrorKind,
	}
}

// reportRow is an item of the reports table, keyed by account and dimension
// (report_key), then dimension id and day (row_key). Its counters are the
// item's other attributes, one per counter.
type reportRow struct {
	AccountID   string                  `dynamodbav:"account_id"`
	Dimension   trackly.Dimension       `dynamodbav:"dimension"`
	DimensionID string                  `dynamodbav:"dimension_id"`
	Day         string                  `dynamodbav:"day"`
	Counters    map[string]money.Amount `dynamodbav:"-"`
}
