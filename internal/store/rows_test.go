package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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
	r := conversionRowOf(c)
	if key := conversionKey(c.Ref()); r.ConversionKey != key || r.ReceivedKey != sortableTime(at)+"#"+key {
		t.Errorf("row conversion key %q, received key %q", r.ConversionKey, r.ReceivedKey)
	}
	if got := r.conversion(); got.Ref() != c.Ref() || got.AccountID != "acc1" || !got.ReceivedAt.Equal(at) {
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
	r := postbackLogRowOf(e)
	if r.Day != "2026-11-25" || r.ReceivedKey != "2026-11-25T04:59:59.000000005Z#pb_1" || r.ConversionKey != "in_a#tx+1#0" {
		t.Errorf("row day %q, received key %q, conversion key %q", r.Day, r.ReceivedKey, r.ConversionKey)
	}
	if r.ExpiresAt != at.Add(postbackLogRetention).Unix() {
		t.Errorf("row expires at %d, want %d", r.ExpiresAt, at.Add(postbackLogRetention).Unix())
	}
	if got := r.entry(); got.Conversion != e.Conversion || got.PostbackID != e.PostbackID || !got.ReceivedAt.Equal(at) {
		t.Errorf("entry reads back as %+v", got)
	}
	// Attribution names the entry by the postback's id and receipt time alone.
	u, err := (&Store{}).resultUpdate(trackly.PostbackResult{PostbackID: e.PostbackID, ReceivedAt: at.UTC()})
	if err != nil {
		t.Fatal(err)
	}
	if want := stringKey("day", r.Day, "received_key", r.ReceivedKey); !reflect.DeepEqual(u.Key, map[string]types.AttributeValue(want)) {
		t.Errorf("outcome update key %v, want the row's %v", u.Key, want)
	}
}

func TestSyncRunsReadTheRunTheyResumed(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := syncRunRowOf(trackly.SyncRun{IntegrationID: "in_a", RunID: "sr_2", StartedAt: start, ResumedFrom: "sr_1"})
	if r.RunKey != "2026-03-01T12:00:00.000000000Z#sr_2" || r.ExpiresAt != start.Add(syncRunRetention).Unix() {
		t.Errorf("row key %q, expires at %d", r.RunKey, r.ExpiresAt)
	}
	if got := r.syncRun().ResumedFrom; got != "sr_1" {
		t.Errorf("resumed from %q, want sr_1", got)
	}
	// Runs written before kept the resumed run's key.
	r.ResumedFrom = "2026-03-01T11:00:00.000000000Z#sr_1"
	if got := r.syncRun().ResumedFrom; got != "sr_1" {
		t.Errorf("resumed from a stored run key reads as %q, want sr_1", got)
	}
}

func TestClicksExpireAtTheEndOfTheirWindow(t *testing.T) {
	until := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	r := clickRowOf(trackly.Click{ClickID: "c", AttributableUntil: until.Add(400 * time.Millisecond)})
	if r.ExpiresAt != until.Unix() {
		t.Errorf("expires_at %d, want %d", r.ExpiresAt, until.Unix())
	}
	if got := r.click().AttributableUntil; !got.Equal(until) {
		t.Errorf("attributable until %v, want %v", got, until)
	}
}
