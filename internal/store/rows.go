package store

import (
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// This file declares the rows the tables hold: each table's attributes and
// the fields of the product's type that they store. Attribute names never
// change: rows written before must still read. Storage keys and expiry times
// never leave this package.

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

// integrationRow binds an item of the integrations table to in.
func integrationRow(in *trackly.Integration) row {
	return row{
		field("integration_id", &in.IntegrationID), field("account_id", &in.AccountID), field("name", &in.Name),
		field("network_id", &in.NetworkID), field("api_domain", &in.APIDomain), optional("api_base_url", &in.APIBaseURL),
		field("key_kind", &in.KeyKind), optional("api_key_secret", &in.APIKeySecret), optional("affiliate_id", &in.AffiliateID),
		field("click_param", &in.ClickParam), field("default_currency", &in.DefaultCurrency),
		field("attribution_window_days", &in.AttributionWindowDays), optional("rate_limit", &in.RateLimit),
		field("auto_sync", &in.AutoSync), optional("sync_every_minutes", &in.SyncEveryMinutes),
		field("postback_token_hash", &in.PostbackTokenHash), field("postback_token_secret", &in.PostbackTokenSecret),
		field("require_postback_token", &in.RequirePostbackToken),
		field("last_sync_at", &in.LastSyncAt), field("next_sync_at", &in.NextSyncAt),
		field("sync_lease_until", &in.SyncLeaseUntil), optional("sync_lease_owner", &in.SyncLeaseOwner),
		optional("sync_cursor_page", &in.SyncCursorPage),
		optional("time_zone", &in.TimeZone), orDefault("reconcile", &in.Reconcile, true),
		optional("reconcile_every_minutes", &in.ReconcileEveryMinutes), optional("reconcile_lookback_days", &in.ReconcileLookbackDays),
		field("last_reconcile_at", &in.LastReconcileAt), field("next_reconcile_at", &in.NextReconcileAt),
		field("reconcile_lease_until", &in.ReconcileLeaseUntil), optional("reconcile_lease_owner", &in.ReconcileLeaseOwner),
		field("created_at", &in.CreatedAt), field("updated_at", &in.UpdatedAt),
	}
}

// offerRow binds an item of the offers table to o.
func offerRow(o *trackly.Offer) row {
	return row{
		field("integration_id", &o.IntegrationID), field("offer_id", &o.OfferID), field("name", &o.Name),
		field("tracking_url", &o.TrackingURL), optional("tune_tracking_link", &o.TUNETrackingLink),
		optional("tracking_link_for", &o.TrackingLinkFor), optional("preview_url", &o.PreviewURL),
		amount("default_payout", &o.DefaultPayout), optionalAmount("percent_payout", &o.PercentPayout),
		optional("payout_type", &o.PayoutType), field("currency", &o.Currency), field("status", &o.Status),
		optional("advertiser_name", &o.AdvertiserName), field("expiration_date", &o.ExpirationDate),
		optional("session_hours", &o.SessionHours), field("removed", &o.Removed), field("removed_at", &o.RemovedAt),
		optional("fingerprint", &o.Fingerprint), field("imported_at", &o.ImportedAt), field("updated_at", &o.UpdatedAt),
	}
}

// linkRow binds an item of the links table to l.
func linkRow(l *trackly.Link) row {
	return row{
		field("link_id", &l.LinkID), field("account_id", &l.AccountID), field("integration_id", &l.IntegrationID),
		field("offer_id", &l.OfferID), field("message_id", &l.MessageID), optional("campaign_id", &l.CampaignID),
		field("created_at", &l.CreatedAt),
	}
}

// clickRow binds an item of the clicks table to c. The item expires (TTL)
// at the end of the click's attribution window.
func clickRow(c *trackly.Click) row {
	return row{
		field("click_id", &c.ClickID), field("link_id", &c.LinkID), field("account_id", &c.AccountID),
		field("integration_id", &c.IntegrationID), field("offer_id", &c.OfferID), field("message_id", &c.MessageID),
		optional("campaign_id", &c.CampaignID), field("bot", &c.Bot), optional("user_agent", &c.UserAgent),
		field("created_at", &c.CreatedAt), unixTime("expires_at", &c.AttributableUntil),
	}
}

// conversionRow binds an item of the conversions table to c: keyed by
// conversion (conversion_key), listed by account newest first and by
// integration in the order received (received_key). Conversions recorded
// before versions existed have no version attribute and read as version 0,
// which Conversion.CurrentVersion takes as 1.
func conversionRow(c *trackly.Conversion) row {
	key := conversionKey(c.Ref())
	return row{
		derived("conversion_key", key), field("account_id", &c.AccountID),
		derived("received_key", sortableTime(c.ReceivedAt)+"#"+key),
		field("integration_id", &c.IntegrationID), field("conversion_id", &c.ConversionID), field("goal_id", &c.GoalID),
		field("click_id", &c.ClickID), optional("link_id", &c.LinkID), optional("message_id", &c.MessageID),
		optional("campaign_id", &c.CampaignID), optional("offer_id", &c.OfferID),
		field("attribution", &c.Attribution), field("status", &c.Status), amount("payout", &c.Payout),
		field("currency", &c.Currency), optionalAmount("sale_amount", &c.SaleAmount), optional("source", &c.Source),
		field("postback_id", &c.PostbackID), field("received_at", &c.ReceivedAt), field("clicked_at", &c.ClickedAt),
		optional("extra", &c.Extra), optional("version", &c.Version), optional("recorded_by", &c.RecordedBy),
		history("history", &c.History), optional("reversed", &c.Reversed), optional("updated_at", &c.UpdatedAt),
		optional("missing_at_tune", &c.MissingAtTUNE), optional("missing_run_id", &c.MissingRunID),
	}
}

// conversionChangeRow binds one entry of a conversion's history (a map in
// the conversion's history list) to ch: the state after, and before unless
// the entry is the recording, amounts as DynamoDB numbers.
func conversionChangeRow(ch *trackly.ConversionChange) row {
	r := row{
		field("version", &ch.Version), field("source", &ch.Source), field("at", &ch.At),
		field("to_status", &ch.To.Status), amount("to_payout", &ch.To.Payout), field("to_currency", &ch.To.Currency),
		optional("postback_id", &ch.PostbackID), optional("run_id", &ch.RunID), optional("note", &ch.Note),
	}
	if ch.From != nil {
		r = append(r, field("from_status", &ch.From.Status), amount("from_payout", &ch.From.Payout), field("from_currency", &ch.From.Currency))
	}
	return r
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

// postbackLogRow binds an item of the postback log to e: one day's
// postbacks spread over the day's shards ("day" holds "<day>#<shard>", see
// postbackLogShards), newest last in each (received_key). The item expires
// (TTL) after postbackLogRetention.
func postbackLogRow(e *trackly.PostbackLogEntry) row {
	return row{
		derived("day", postbackPartition(e.PostbackID, e.ReceivedAt)), derived("received_key", postbackReceivedKey(e.PostbackID, e.ReceivedAt)),
		field("postback_id", &e.PostbackID), field("received_at", &e.ReceivedAt),
		field("method", &e.Method), field("query", &e.Query), optional("params", &e.Params),
		optional("source_ip", &e.SourceIP), optional("user_agent", &e.UserAgent),
		field("outcome", &e.Outcome), optional("reason", &e.Reason), field("http_status", &e.HTTPStatus),
		optional("note", &e.Note), conversionRef("conversion_key", &e.Conversion), field("updated_at", &e.UpdatedAt),
		derived("expires_at", postbackLogExpiry(e.ReceivedAt)),
	}
}

// postbackLogExpiry is when (DynamoDB TTL, in Unix seconds) the log entry of a
// postback received at receivedAt expires.
func postbackLogExpiry(receivedAt time.Time) int64 {
	return receivedAt.Add(postbackLogRetention).Unix()
}

// postbackDay is the day of the postback log a postback received at t is in.
func postbackDay(receivedAt time.Time) string { return receivedAt.UTC().Format(time.DateOnly) }

// postbackReceivedKey is the sort key of a logged postback.
func postbackReceivedKey(postbackID string, receivedAt time.Time) string {
	return sortableTime(receivedAt) + "#" + postbackID
}

// syncRunRow binds an item of the sync runs table to r: an integration's
// runs in the order they started (run_key). The item expires (TTL) after
// syncRunRetention.
func syncRunRow(r *trackly.SyncRun) row {
	return row{
		field("integration_id", &r.IntegrationID), derived("run_key", syncRunKey(r.StartedAt, r.RunID)),
		field("run_id", &r.RunID), field("trigger", &r.Trigger), field("status", &r.Status),
		field("started_at", &r.StartedAt), field("ended_at", &r.EndedAt),
		optional("first_page", &r.FirstPage), optional("last_page", &r.LastPage), optional("page_count", &r.PageCount),
		field("pages", &r.Pages), field("offers_seen", &r.OffersSeen), field("offers_new", &r.OffersNew),
		field("offers_changed", &r.OffersChanged), field("offers_unchanged", &r.OffersUnchanged),
		field("offers_removed", &r.OffersRemoved), optional("offers_restored", &r.OffersRestored),
		optional("offers_failed", &r.OffersFailed), field("tune_calls", &r.TUNECalls), field("complete", &r.Complete),
		resumedFrom("resumed_from", &r.ResumedFrom), optional("resume_after_id", &r.ResumeAfterID),
		optional("removal_candidates", &r.RemovalCandidates),
		optional("error", &r.Error), optional("error_kind", &r.ErrorKind),
		derived("expires_at", r.StartedAt.Add(syncRunRetention).Unix()),
	}
}

// syncRunKey is the sort key of a sync run: its start, then its id, so that
// an integration's runs sort by start.
func syncRunKey(startedAt time.Time, runID string) string {
	return sortableTime(startedAt) + "#" + runID
}

// resumedFrom stores *p, the id of the run a run resumed, left out when
// empty. Runs written before held that run's key ("<start>#<run id>"),
// which reads back as its id.
func resumedFrom(name string, p *string) attr {
	a := optional(name, p)
	a.get = func(av types.AttributeValue) error {
		var stored string
		if err := attributevalue.Unmarshal(av, &stored); err != nil {
			return err
		}
		_, *p = cutLast(stored, "#")
		return nil
	}
	return a
}

// reportRow binds the keys of an item of the reports table to r: keyed by
// account and dimension (report_key), then dimension id and day (row_key).
// Its counters are the item's other attributes, one per counter.
func reportRow(r *trackly.ReportRow) row {
	return row{
		derived("report_key", reportKey(r.AccountID, r.Dimension)), derived("row_key", rowKey(r.DimensionID, r.Day)),
		field("account_id", &r.AccountID), field("dimension", &r.Dimension),
		field("dimension_id", &r.DimensionID), field("day", &r.Day),
	}
}

// countedChangeRow is an item of the counted changes table: the mark of a
// change to a click or a conversion whose report increments were applied at
// countedAt, keyed by the change's ID. The item expires (TTL) after
// countedChangeRetention.
func countedChangeRow(changeID string, countedAt time.Time) row {
	return row{derived("change_id", changeID), derived("expires_at", countedAt.Add(countedChangeRetention).Unix())}
}
