package store

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

func TestConversionKey(t *testing.T) {
	ref := func(ids [3]string) trackly.ConversionRef {
		return trackly.ConversionRef{IntegrationID: ids[0], ConversionID: ids[1], GoalID: ids[2]}
	}
	tests := []struct {
		name string
		a, b [3]string // integration, conversion id, goal id
	}{
		{"another goal of the same transaction", [3]string{"in_a", "tx1", "0"}, [3]string{"in_a", "tx1", "7"}},
		{"the same transaction id in another integration", [3]string{"in_a", "tx1", "0"}, [3]string{"in_b", "tx1", "0"}},
		{"a separator moved from the conversion id into the goal id", [3]string{"in_a", "tx#1", "0"}, [3]string{"in_a", "tx", "1#0"}},
		{"an escaped separator against a raw one", [3]string{"in_a", "tx%231", "0"}, [3]string{"in_a", "tx#1", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is another conversion", func(t *testing.T) {
			if ka, kb := conversionKey(ref(tt.a)), conversionKey(ref(tt.b)); ka == kb {
				t.Errorf("%v and %v share the key %q", tt.a, tt.b, ka)
			}
		})
	}
	t.Run("the same triple always has the same key", func(t *testing.T) {
		one, same := ref([3]string{"in_a", "tx 1", "0"}), ref([3]string{"in_a", "tx 1", "0"})
		if conversionKey(one) != conversionKey(same) {
			t.Error("the key of one triple changes")
		}
	})
}

func TestConversionRowsAreListedByReceipt(t *testing.T) {
	at := time.Date(2026, 3, 14, 15, 4, 5, 0, time.UTC)
	c := trackly.Conversion{IntegrationID: "in_a", ConversionID: "tx 1", GoalID: "7", AccountID: "acc1", ReceivedAt: at}
	item := itemOf(t, conversionRow(&c))
	if key := conversionKey(c.Ref()); stringAttr(item, "conversion_key") != key || stringAttr(item, "received_key") != sortableTime(at)+"#"+key {
		t.Errorf("row conversion key %q, received key %q", stringAttr(item, "conversion_key"), stringAttr(item, "received_key"))
	}
	if got := readBack(t, item, conversionRow); got.Ref() != c.Ref() || got.AccountID != "acc1" || !got.ReceivedAt.Equal(at) {
		t.Errorf("conversion reads back as %+v", got)
	}
}

func TestConversionKeysReadBack(t *testing.T) {
	for _, ref := range []trackly.ConversionRef{
		{IntegrationID: "in_a", ConversionID: "tx-1", GoalID: "0"},
		{IntegrationID: "in_a", ConversionID: "a#b&c d/é", GoalID: "#"},
		{IntegrationID: "in_a", ConversionID: "", GoalID: ""},
	} {
		key := conversionKey(ref)
		if got := conversionRefOf(key); got != ref {
			t.Errorf("conversion key %q reads back as %+v, want %+v", key, got, ref)
		}
	}
	if got := conversionRefOf(""); got != (trackly.ConversionRef{}) {
		t.Errorf("no conversion key reads as %+v, want none", got)
	}
}

func TestPostbackLogRowsKeepTheirKeys(t *testing.T) {
	at := time.Date(2026, 11, 24, 23, 59, 59, 5, time.FixedZone("UTC-5", -5*3600))
	e := trackly.PostbackLogEntry{PostbackID: "pb_1", ReceivedAt: at, Outcome: trackly.PostbackDuplicate,
		Conversion: trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx 1", GoalID: "0"}}
	item := itemOf(t, postbackLogRow(&e))
	day, receivedKey, conversionKey := stringAttr(item, "day"), stringAttr(item, "received_key"), stringAttr(item, "conversion_key")
	if day != "2026-11-25#11" || receivedKey != "2026-11-25T04:59:59.000000005Z#pb_1" || conversionKey != "in_a#tx+1#0" {
		t.Errorf("row day %q, received key %q, conversion key %q", day, receivedKey, conversionKey)
	}
	if got := numberAttr(item, "expires_at"); got != fmt.Sprint(at.Add(postbackLogRetention).Unix()) {
		t.Errorf("row expires at %s, want %d", got, at.Add(postbackLogRetention).Unix())
	}
	if got := readBack(t, item, postbackLogRow); got.Conversion != e.Conversion || got.PostbackID != e.PostbackID || !got.ReceivedAt.Equal(at) {
		t.Errorf("entry reads back as %+v", got)
	}
	// Attribution names the entry by the postback's id and receipt time alone.
	k, _ := postbackOutcome(trackly.PostbackResult{PostbackID: e.PostbackID, ReceivedAt: at.UTC()})
	if want := stringKey("day", day, "received_key", receivedKey); !reflect.DeepEqual(k, want) {
		t.Errorf("outcome update key %v, want the row's %v", k, want)
	}
}

func TestSyncRunsReadTheRunTheyResumed(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	item := itemOf(t, syncRunRow(&trackly.SyncRun{Run: trackly.Run{IntegrationID: "in_a", RunID: "sr_2", StartedAt: start}, ResumedFrom: "sr_1"}))
	if runKey, expires := stringAttr(item, "run_key"), numberAttr(item, "expires_at"); runKey != "2026-03-01T12:00:00.000000000Z#sr_2" || expires != fmt.Sprint(start.Add(syncRunRetention).Unix()) {
		t.Errorf("row key %q, expires at %s", runKey, expires)
	}
	if got := readBack(t, item, syncRunRow).ResumedFrom; got != "sr_1" {
		t.Errorf("resumed from %q, want sr_1", got)
	}
	// Runs written before kept the resumed run's key.
	item["resumed_from"] = &types.AttributeValueMemberS{Value: "2026-03-01T11:00:00.000000000Z#sr_1"}
	if got := readBack(t, item, syncRunRow).ResumedFrom; got != "sr_1" {
		t.Errorf("resumed from a stored run key reads as %q, want sr_1", got)
	}
}

func TestClicksExpireAtTheEndOfTheirWindow(t *testing.T) {
	until := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	item := itemOf(t, clickRow(&trackly.Click{ClickID: "c", AttributableUntil: until.Add(400 * time.Millisecond)}))
	if got := numberAttr(item, "expires_at"); got != fmt.Sprint(until.Unix()) {
		t.Errorf("expires_at %s, want %d", got, until.Unix())
	}
	if got := readBack(t, item, clickRow).AttributableUntil; !got.Equal(until) {
		t.Errorf("attributable until %v, want %v", got, until)
	}
}

func TestAmountsAreStoredExactly(t *testing.T) {
	// More digits than a float64 holds.
	payout := money.FromDecimal(decimal.RequireFromString("1234567890123.12345678"))
	percent, err := money.Parse("0.10000001")
	if err != nil {
		t.Fatal(err)
	}
	o := trackly.Offer{DefaultPayout: payout, PercentPayout: &percent}
	item := itemOf(t, offerRow(&o))
	if got := numberAttr(item, "default_payout"); got != "1234567890123.12345678" {
		t.Fatalf("default_payout = %s, want the number 1234567890123.12345678", got)
	}
	back := readBack(t, item, offerRow)
	if !back.DefaultPayout.Equal(payout.Decimal) || back.PercentPayout == nil || !back.PercentPayout.Equal(percent.Decimal) {
		t.Fatalf("round trip = %s and %v, want %s and %s", back.DefaultPayout, back.PercentPayout, payout, percent)
	}
	if _, ok := itemOf(t, offerRow(&trackly.Offer{}))["percent_payout"]; ok {
		t.Error("an offer without a percent payout stores one")
	}
}

// itemOf returns the item that stores a row's record.
func itemOf(t *testing.T, r row) map[string]types.AttributeValue {
	t.Helper()
	item, err := r.item()
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// readBack returns the record an item stores.
func readBack[T any](t *testing.T, item map[string]types.AttributeValue, rowOf func(*T) row) T {
	t.Helper()
	v, err := decode(item, rowOf)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// stringAttr returns an item's string attribute, "" when it has none.
func stringAttr(item map[string]types.AttributeValue, name string) string {
	s, _ := item[name].(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// numberAttr returns an item's number attribute, "" when it has none.
func numberAttr(item map[string]types.AttributeValue, name string) string {
	n, _ := item[name].(*types.AttributeValueMemberN)
	if n == nil {
		return ""
	}
	return n.Value
}

// The attribute names and types of the items are a contract: rows written
// before must still read.
func TestItemsKeepTheirLayout(t *testing.T) {
	at := time.Date(2026, 3, 14, 15, 4, 5, 0, time.UTC)
	amount := money.FromDecimal(decimal.RequireFromString("1.5"))
	ref := trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx", GoalID: "0"}
	tests := []struct {
		table string
		row   row
		want  string
	}{
		{"integrations", integrationRow(&trackly.Integration{
			APIBaseURL: "u", APIKeySecret: "k", AffiliateID: "7", RateLimit: 50, SyncEveryMinutes: 60, SyncLeaseOwner: "sr", SyncCursorPage: 2,
			TimeZone: "Asia/Tokyo", ReconcileEveryMinutes: 60, ReconcileLookbackDays: 7, ReconcileLeaseOwner: "rr",
		}), "account_id:S affiliate_id:S api_base_url:S api_domain:S api_key_secret:S attribution_window_days:N auto_sync:BOOL " +
			"click_param:S created_at:S default_currency:S integration_id:S key_kind:S last_reconcile_at:S last_sync_at:S name:S " +
			"network_id:S next_reconcile_at:S next_sync_at:S postback_token_hash:S postback_token_secret:S rate_limit:N reconcile:BOOL " +
			"reconcile_every_minutes:N reconcile_lease_owner:S reconcile_lease_until:S reconcile_lookback_days:N " +
			"require_postback_token:BOOL sync_cursor_page:N sync_every_minutes:N sync_lease_owner:S sync_lease_until:S time_zone:S updated_at:S"},
		{"offers", offerRow(&trackly.Offer{
			TUNETrackingLink: "l", TrackingLinkFor: "affiliate", PreviewURL: "p", PercentPayout: &amount, PayoutType: "cpa_flat",
			AdvertiserName: "a", SessionHours: 24, Fingerprint: "f",
		}), "advertiser_name:S currency:S default_payout:N expiration_date:S fingerprint:S imported_at:S integration_id:S name:S " +
			"offer_id:S payout_type:S percent_payout:N preview_url:S removed:BOOL removed_at:S session_hours:N status:S " +
			"tracking_link_for:S tracking_url:S tune_tracking_link:S updated_at:S"},
		{"links", linkRow(&trackly.Link{Placement: trackly.Placement{CampaignID: "c"}}),
			"account_id:S campaign_id:S created_at:S integration_id:S link_id:S message_id:S offer_id:S"},
		{"clicks", clickRow(&trackly.Click{Placement: trackly.Placement{CampaignID: "c"}, UserAgent: "ua"}),
			"account_id:S bot:BOOL campaign_id:S click_id:S created_at:S expires_at:N integration_id:S link_id:S message_id:S " +
				"offer_id:S user_agent:S"},
		{"conversions", conversionRow(&trackly.Conversion{
			LinkID: "l", MessageID: "m", CampaignID: "c", OfferID: "o", SaleAmount: &amount, Source: "s", Extra: map[string]string{"k": "v"},
			Version: 2, RecordedBy: trackly.SourcePostback, History: []trackly.ConversionChange{{Version: 1}}, Reversed: true,
			UpdatedAt: at, MissingAtTUNE: at, MissingRunID: "r",
		}), "account_id:S attribution:S campaign_id:S click_id:S clicked_at:S conversion_id:S conversion_key:S currency:S extra:M " +
			"goal_id:S history:L integration_id:S link_id:S message_id:S missing_at_tune:S missing_run_id:S offer_id:S payout:N " +
			"postback_id:S received_at:S received_key:S recorded_by:S reversed:BOOL sale_amount:N source:S status:S updated_at:S version:N"},
		{"conversion history entries", conversionChangeRow(&trackly.ConversionChange{
			From: &trackly.ConversionState{}, PostbackID: "p", RunID: "r", Note: "n",
		}), "at:S from_currency:S from_payout:N from_status:S note:S postback_id:S run_id:S source:S to_currency:S to_payout:N " +
			"to_status:S version:N"},
		{"postback log", postbackLogRow(&trackly.PostbackLogEntry{
			Params: map[string]string{"k": "v"}, SourceIP: "ip", UserAgent: "ua", Reason: "r", Conversion: ref,
		}), "conversion_key:S day:S expires_at:N http_status:N method:S outcome:S params:M postback_id:S query:S reason:S " +
			"received_at:S received_key:S source_ip:S updated_at:S user_agent:S"},
		{"sync runs", syncRunRow(&trackly.SyncRun{
			Run: trackly.Run{StartedAt: at, Error: "e", ErrorKind: "k"}, FirstPage: 1, LastPage: 2, PageCount: 3, OffersRestored: 1, OffersFailed: 1, ResumedFrom: "sr",
			ResumeAfterID: "9", RemovalCandidates: []string{"1"},
		}), "complete:BOOL ended_at:S error:S error_kind:S expires_at:N first_page:N integration_id:S last_page:N offers_changed:N " +
			"offers_failed:N offers_new:N offers_removed:N offers_restored:N offers_seen:N offers_unchanged:N page_count:N pages:N " +
			"removal_candidates:L resume_after_id:S resumed_from:S run_id:S run_key:S started_at:S status:S trigger:S tune_calls:N"},
		{"reconciliation runs", reconcileRunRow(&trackly.ReconcileRun{
			Run: trackly.Run{StartedAt: at, Error: "e", ErrorKind: "k"}, ResumedFrom: "rr", ResumeDay: "2026-03-14", ResumePage: 2,
		}), "changed:N complete:BOOL ended_at:S error:S error_kind:S expires_at:N failed:N from:S ignored:N integration_id:S " +
			"missing_at_tune:N missing_cleared:N new:N not_ours:N resume_day:S resume_page:N resumed_from:S rows_seen:N run_id:S " +
			"run_key:S stale:N started_at:S status:S test_skipped:N time_zone:S to:S trigger:S tune_calls:N unchanged:N"},
	}
	for _, tt := range tests {
		if got := layout(itemOf(t, tt.row)); got != tt.want {
			t.Errorf("%s items hold\n%s\nwant\n%s", tt.table, got, tt.want)
		}
	}
}

// layout lists an item's attributes, sorted, each with its DynamoDB type.
func layout(item map[string]types.AttributeValue) string {
	var attrs []string
	for name, av := range item {
		attrs = append(attrs, name+":"+strings.TrimPrefix(fmt.Sprintf("%T", av), "*types.AttributeValueMember"))
	}
	slices.Sort(attrs)
	return strings.Join(attrs, " ")
}
