package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

// A conversion already recorded answers trackly.ErrDuplicate with the
// conversion recorded, so that a retry of the very postback that recorded it
// (whose answer was lost) is told from another postback of the same conversion.
func TestRecordConversionNamesTheConversionRecorded(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	payout, _ := money.Parse("2.5")
	record := func(t *testing.T, conversionID, postbackID string) error {
		t.Helper()
		c := trackly.Conversion{IntegrationID: "in", ConversionID: conversionID, GoalID: "0", AccountID: "acct", Payout: payout, Currency: "USD",
			Attribution: trackly.ConversionAttributed, PostbackID: postbackID, ReceivedAt: at}
		return s.RecordConversion(ctx, c, trackly.PostbackResult{PostbackID: postbackID, ReceivedAt: at, Outcome: trackly.PostbackAttributed, Conversion: c.Ref()})
	}
	recordedBy := func(t *testing.T, err error) trackly.Conversion {
		t.Helper()
		var dup *trackly.DuplicateError
		if !errors.Is(err, trackly.ErrDuplicate) || !errors.As(err, &dup) {
			t.Fatalf("error %v, want a trackly.DuplicateError", err)
		}
		return dup.Recorded
	}

	t.Run("the same postback again: the duplicate is its own conversion", func(t *testing.T) {
		if err := record(t, "tx-same", "pb_1"); err != nil {
			t.Fatal(err)
		}
		got := recordedBy(t, record(t, "tx-same", "pb_1"))
		if got.PostbackID != "pb_1" || got.Attribution != trackly.ConversionAttributed || got.Payout.String() != "2.5" {
			t.Errorf("recorded %+v, want pb_1's attributed conversion of 2.5", got)
		}
	})

	t.Run("another postback: the duplicate names the first", func(t *testing.T) {
		if err := record(t, "tx-other", "pb_first"); err != nil {
			t.Fatal(err)
		}
		if got := recordedBy(t, record(t, "tx-other", "pb_second")); got.PostbackID != "pb_first" {
			t.Errorf("recorded by %q, want pb_first", got.PostbackID)
		}
	})
}
