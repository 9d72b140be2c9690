package store_test

import (
	"context"
	"errors"
	"fmt"
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
		return s.RecordConversion(ctx, c, &trackly.PostbackResult{PostbackID: postbackID, ReceivedAt: at, Outcome: trackly.PostbackAttributed, Conversion: c.Ref()})
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

// A change is stored only on the version it was made from, with its history,
// and reads back as written.
func TestSaveConversionKeepsVersionsAndHistory(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	five, _ := money.Parse("5.125")
	four, _ := money.Parse("4")
	pending := trackly.Conversion{IntegrationID: "in", ConversionID: "tx-v", GoalID: "0", AccountID: "acct", Status: trackly.StatusPending,
		Payout: five, Currency: "EUR", Attribution: trackly.ConversionAttributed, PostbackID: "pb_1", ReceivedAt: at}.
		Recorded(trackly.Origin{Source: trackly.SourcePostback, At: at, PostbackID: "pb_1"})
	if err := s.RecordConversion(ctx, pending, nil); err != nil {
		t.Fatal(err)
	}
	approved := pending.Changed(trackly.ConversionState{Status: trackly.StatusApproved, Payout: five, Currency: "EUR"},
		trackly.Origin{Source: trackly.SourcePostback, At: at.Add(time.Hour), PostbackID: "pb_2"})
	reversed := approved.Changed(trackly.ConversionState{Status: trackly.StatusRejected, Payout: four, Currency: "EUR"},
		trackly.Origin{Source: trackly.SourceReconciliation, At: at.Add(2 * time.Hour), RunID: "run_1"})

	t.Run("a change made from the stored version is stored", func(t *testing.T) {
		if err := s.SaveConversion(ctx, approved, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveConversion(ctx, reversed, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetConversion(ctx, pending.Ref())
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 3 || got.Status != trackly.StatusRejected || !got.Reversed || got.Payout.String() != "4" || len(got.History) != 3 {
			t.Fatalf("stored %+v, want version 3, rejected, reversed, payout 4, three history entries", got)
		}
		last := got.History[2]
		if last.From == nil || last.From.Status != trackly.StatusApproved || last.From.Payout.String() != "5.125" ||
			last.To.Status != trackly.StatusRejected || last.Source != trackly.SourceReconciliation || last.RunID != "run_1" || !last.At.Equal(at.Add(2*time.Hour)) {
			t.Errorf("last history entry %+v, want approved 5.125 → rejected 4 by reconciliation run_1", last)
		}
		if got.History[0].From != nil || got.History[0].PostbackID != "pb_1" {
			t.Errorf("first history entry %+v, want the recording by pb_1 with no state before", got.History[0])
		}
	})

	t.Run("a change made from an older version is refused", func(t *testing.T) {
		stale := pending.Changed(trackly.ConversionState{Status: trackly.StatusRejected, Payout: five, Currency: "EUR"},
			trackly.Origin{Source: trackly.SourceAdmin, At: at})
		err := s.SaveConversion(ctx, stale, nil)
		var conflict *trackly.VersionConflictError
		if !errors.As(err, &conflict) || !errors.Is(err, trackly.ErrConflict) {
			t.Fatalf("error %v, want a VersionConflictError", err)
		}
	})

	t.Run("a conversion that was never recorded is not saved", func(t *testing.T) {
		other := approved
		other.ConversionID = "tx-never"
		var conflict *trackly.VersionConflictError
		if err := s.SaveConversion(ctx, other, nil); !errors.As(err, &conflict) {
			t.Fatalf("error %v, want a VersionConflictError", err)
		}
		if _, err := s.GetConversion(ctx, other.Ref()); !errors.Is(err, trackly.ErrNotFound) {
			t.Errorf("read %v, want not found", err)
		}
	})
}

func TestConversionsAreReadInBatchesAndByIntegrationWindow(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	payout, _ := money.Parse("1")
	var refs []trackly.ConversionRef
	for i, at := range []time.Time{day.Add(-time.Second), day, day.Add(12 * time.Hour), day.Add(24 * time.Hour)} {
		c := trackly.Conversion{IntegrationID: "in-window", ConversionID: fmt.Sprintf("tx%d", i), GoalID: "0", AccountID: "acct",
			Status: trackly.StatusApproved, Payout: payout, Currency: "USD", Attribution: trackly.ConversionOrphan, ReceivedAt: at}
		if err := s.RecordConversion(ctx, c.Recorded(trackly.Origin{Source: trackly.SourceReconciliation, At: at, RunID: "r"}), nil); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, c.Ref())
	}

	t.Run("a batch read returns the recorded ones", func(t *testing.T) {
		missing := trackly.ConversionRef{IntegrationID: "in-window", ConversionID: "nope", GoalID: "0"}
		got, err := s.GetConversions(ctx, append(refs, missing))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got[missing]; len(got) != len(refs) || ok {
			t.Errorf("read %d conversions, want the %d recorded", len(got), len(refs))
		}
	})

	t.Run("a window holds what was received from its start to before its end", func(t *testing.T) {
		got, err := s.ListIntegrationConversions(ctx, "in-window", day, day.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ConversionID)
		}
		if fmt.Sprint(ids) != "[tx1 tx2]" {
			t.Errorf("window holds %v, want [tx1 tx2]", ids)
		}
	})
}
