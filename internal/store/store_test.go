package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// newStore returns a Store on the local cloud's DynamoDB Local, with the tables of template.yaml.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	s, _, _ := localStore(t, "AttributionFunction")
	return s
}

// localStore starts a local cloud and returns a Store on its DynamoDB Local
// with the tables template.yaml gives function, and, for tests that read a
// table directly, the client under it and function's environment.
func localStore(t *testing.T, function string) (*store.Store, *dynamodb.Client, map[string]string) {
	t.Helper()
	sys := localruntest.Start(t, localrun.Options{SkipDemo: true})
	env := sys.Cloud.FunctionEnv(function)
	db := dynamodb.NewFromConfig(sys.Cloud.AWSConfig())
	return store.New(db, store.TablesFromEnv(func(k string) string { return env[k] })), db, env
}

func TestGetClicksReadsMoreThanOneBatch(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Now().UTC()
	var ids []string
	for i := range 230 {
		id := fmt.Sprintf("click-%03d", i)
		ids = append(ids, id, id) // duplicates in a request are read once
		if i%3 == 0 {
			continue // not stored
		}
		if err := s.RecordClick(ctx, trackly.Click{ClickID: id, LinkID: "l", Placement: trackly.Placement{AccountID: "a"}, CreatedAt: now, AttributableUntil: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetClicks(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 153 {
		t.Fatalf("found %d clicks, want 153", len(got))
	}
	if _, ok := got["click-000"]; ok {
		t.Error("found a click that was never stored")
	}
	if c := got["click-229"]; c.LinkID != "l" || !c.CreatedAt.Equal(now) {
		t.Errorf("click-229 = %+v", c)
	}
}

// A conversion is recorded once, and alone: the report counts it from the
// conversions' stream, so its transaction writes no report row.
func TestRecordConversionOnceWithoutReportRows(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	payout, _ := money.Parse("2.5")
	c := trackly.Conversion{IntegrationID: "in", ConversionID: "tx", GoalID: "0", AccountID: "acct", MessageID: "m1", Payout: payout, Currency: "USD",
		Attribution: trackly.ConversionAttributed, ReceivedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	outcome := trackly.PostbackResult{PostbackID: "k", ReceivedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), Outcome: trackly.PostbackAttributed, Conversion: c.Ref()}

	if err := s.RecordConversion(ctx, c, &outcome); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordConversion(ctx, c, &outcome); !errors.Is(err, trackly.ErrDuplicate) {
		t.Fatalf("second record: %v, want trackly.ErrDuplicate", err)
	}
	rows, err := s.ReportRows(ctx, "acct", "message", "m1", "2026-11-01", "2026-11-30")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 0 {
		t.Fatalf("rows = %+v, want none: the stream counts the conversion", rows)
	}
	got, err := s.GetConversion(ctx, trackly.ConversionRef{IntegrationID: "in", ConversionID: "tx", GoalID: "0"})
	if err != nil || !got.Payout.Equal(payout.Decimal) {
		t.Fatalf("conversion = %+v, %v", got, err)
	}
}

func TestListConversionsPagesNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	base := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i := range 7 {
		at := base.Add(time.Duration(i) * time.Minute)
		attribution := trackly.ConversionAttributed
		if i%2 == 0 {
			attribution = trackly.ConversionOrphan
		}
		c := trackly.Conversion{IntegrationID: "in", ConversionID: fmt.Sprintf("tx%d", i), GoalID: "0", AccountID: "acct", ReceivedAt: at, Attribution: attribution, Currency: "USD"}
		if err := s.RecordConversion(ctx, c, &trackly.PostbackResult{PostbackID: fmt.Sprint(i), ReceivedAt: at, Outcome: trackly.PostbackAttributed}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	cursor := ""
	for page := 0; page < 10; page++ {
		list, next, err := s.ListConversions(ctx, trackly.ConversionFilter{AccountID: "acct", Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			seen = append(seen, c.IntegrationID+"#"+c.ConversionID+"#"+c.GoalID)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	want := []string{"in#tx6#0", "in#tx5#0", "in#tx4#0", "in#tx3#0", "in#tx2#0", "in#tx1#0", "in#tx0#0"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("pages = %v, want %v", seen, want)
	}
	orphans, _, err := s.ListConversions(ctx, trackly.ConversionFilter{AccountID: "acct", Attribution: trackly.ConversionOrphan, Limit: 10})
	if err != nil || len(orphans) != 4 {
		t.Errorf("orphans = %d (%v), want 4", len(orphans), err)
	}
	if _, _, err := s.ListConversions(ctx, trackly.ConversionFilter{AccountID: "acct", Cursor: "garbage!"}); err == nil {
		t.Error("a garbage cursor was accepted")
	} else if _, ok := validate.AsFieldError(err); !ok {
		t.Errorf("garbage cursor error %v does not name the field", err)
	}
}
