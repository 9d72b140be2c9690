package conversions_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

// table is an in-memory conversions table that writes as the store's
// conditional writes do. meanwhile, when set, runs before each
// SaveConversion: another writer's change landing first.
type table struct {
	rows      map[trackly.ConversionRef]trackly.Conversion
	logged    []trackly.PostbackResult
	meanwhile func(t *table)
}

func newTable(recorded ...trackly.Conversion) *table {
	t := &table{rows: map[trackly.ConversionRef]trackly.Conversion{}}
	for _, c := range recorded {
		t.rows[c.Ref()] = c
	}
	return t
}

func (t *table) RecordConversion(_ context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error {
	if recorded, ok := t.rows[c.Ref()]; ok {
		return &trackly.DuplicateError{Recorded: recorded}
	}
	if err := memtable.Create(t.rows, c.Ref(), c); err != nil {
		return err
	}
	t.log(logged)
	return nil
}

func (t *table) SaveConversion(_ context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error {
	if t.meanwhile != nil {
		t.meanwhile(t)
	}
	if stored := t.rows[c.Ref()]; stored.CurrentVersion() != c.Version-1 {
		return &trackly.VersionConflictError{Ref: c.Ref(), Version: c.Version - 1}
	}
	t.rows[c.Ref()] = c
	t.log(logged)
	return nil
}

func (t *table) GetConversion(_ context.Context, ref trackly.ConversionRef) (trackly.Conversion, error) {
	return memtable.Get(t.rows, ref)
}

func (t *table) log(logged *trackly.PostbackResult) {
	if logged != nil {
		t.logged = append(t.logged, *logged)
	}
}

var (
	recordedAt = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now        = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
)

func amount(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func state(t *testing.T, status trackly.ConversionStatus, payout string) trackly.ConversionState {
	return trackly.ConversionState{Status: status, Payout: amount(t, payout), Currency: "USD"}
}

// conversion returns a conversion recorded by postback pb-1 in state s.
func conversion(s trackly.ConversionState) trackly.Conversion {
	c := trackly.Conversion{IntegrationID: "int-1", ConversionID: "tx-1", GoalID: "0", AccountID: "acct", PostbackID: "pb-1",
		Attribution: trackly.ConversionAttributed, Status: s.Status, Payout: s.Payout, Currency: s.Currency, ReceivedAt: recordedAt}
	return c.Recorded(trackly.Origin{Source: trackly.SourcePostback, At: recordedAt, PostbackID: "pb-1"})
}

// claim reports state s whatever is recorded.
func claim(s trackly.ConversionState) func(trackly.Conversion) trackly.ConversionState {
	return func(trackly.Conversion) trackly.ConversionState { return s }
}

func TestSettle(t *testing.T) {
	byPostback := func(id string) trackly.Origin {
		return trackly.Origin{Source: trackly.SourcePostback, At: now, PostbackID: id}
	}
	byRun := trackly.Origin{Source: trackly.SourceReconciliation, At: now, RunID: "run-1"}
	tests := []struct {
		name        string
		recorded    *trackly.ConversionState // nil: not recorded yet
		reported    trackly.ConversionState
		origin      trackly.Origin
		wantOutcome conversions.Outcome
		wantAgain   bool
		wantState   trackly.ConversionState
		wantVersion int
		wantRevers  bool
	}{
		{name: "a new conversion is recorded", reported: state(t, trackly.StatusPending, "5"), origin: byPostback("pb-2"),
			wantOutcome: conversions.Recorded, wantState: state(t, trackly.StatusPending, "5"), wantVersion: 1},
		{name: "the same state is a duplicate", recorded: ptr(state(t, trackly.StatusApproved, "5")), reported: state(t, trackly.StatusApproved, "5.000"),
			origin: byPostback("pb-2"), wantOutcome: conversions.Same, wantState: state(t, trackly.StatusApproved, "5"), wantVersion: 1},
		{name: "pending becomes approved", recorded: ptr(state(t, trackly.StatusPending, "5")), reported: state(t, trackly.StatusApproved, "5"),
			origin: byPostback("pb-2"), wantOutcome: conversions.Changed, wantState: state(t, trackly.StatusApproved, "5"), wantVersion: 2},
		{name: "approved becomes rejected: a reversal", recorded: ptr(state(t, trackly.StatusApproved, "5")), reported: state(t, trackly.StatusRejected, "5"),
			origin: byRun, wantOutcome: conversions.Changed, wantState: state(t, trackly.StatusRejected, "5"), wantVersion: 2, wantRevers: true},
		{name: "pending becomes rejected: no reversal", recorded: ptr(state(t, trackly.StatusPending, "5")), reported: state(t, trackly.StatusRejected, "5"),
			origin: byRun, wantOutcome: conversions.Changed, wantState: state(t, trackly.StatusRejected, "5"), wantVersion: 2},
		{name: "a payout is corrected", recorded: ptr(state(t, trackly.StatusApproved, "5")), reported: state(t, trackly.StatusApproved, "4.25"),
			origin: byRun, wantOutcome: conversions.Changed, wantState: state(t, trackly.StatusApproved, "4.25"), wantVersion: 2},
		{name: "a decided conversion never returns to pending", recorded: ptr(state(t, trackly.StatusApproved, "5")), reported: state(t, trackly.StatusPending, "5"),
			origin: byPostback("pb-2"), wantOutcome: conversions.Stale, wantState: state(t, trackly.StatusApproved, "5"), wantVersion: 1},
		{name: "the recording postback delivered again changes nothing", recorded: ptr(state(t, trackly.StatusPending, "5")), reported: state(t, trackly.StatusApproved, "9"),
			origin: byPostback("pb-1"), wantOutcome: conversions.Recorded, wantAgain: true, wantState: state(t, trackly.StatusPending, "5"), wantVersion: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTable()
			if tt.recorded != nil {
				st = newTable(conversion(*tt.recorded))
			}
			report := conversions.Report{New: conversion(tt.reported), Claim: claim(tt.reported), Origin: tt.origin}
			res, err := conversions.NewLedger(st).Settle(context.Background(), report, nil)
			if err != nil {
				t.Fatal(err)
			}
			stored := st.rows[report.New.Ref()]
			if res.Outcome != tt.wantOutcome || res.Again != tt.wantAgain {
				t.Errorf("outcome %s (again %v), want %s (again %v)", res.Outcome, res.Again, tt.wantOutcome, tt.wantAgain)
			}
			if !stored.State().Equal(tt.wantState) || stored.Version != tt.wantVersion || stored.Reversed != tt.wantRevers {
				t.Errorf("stored %v version %d reversed %v, want %v version %d reversed %v", stored.State(), stored.Version, stored.Reversed, tt.wantState, tt.wantVersion, tt.wantRevers)
			}
			if len(stored.History) != stored.Version {
				t.Fatalf("history has %d entries for version %d: %+v", len(stored.History), stored.Version, stored.History)
			}
			last := stored.History[len(stored.History)-1]
			if tt.wantOutcome == conversions.Changed && (last.Source != tt.origin.Source || last.RunID != tt.origin.RunID ||
				last.PostbackID != tt.origin.PostbackID || last.From == nil || !last.From.Equal(*tt.recorded) || !last.To.Equal(tt.wantState)) {
				t.Errorf("last history entry %+v does not tell the change from %v by %+v", last, *tt.recorded, tt.origin)
			}
		})
	}
}

func TestSettleDecidesAgainOnWhatAConcurrentWriterStored(t *testing.T) {
	st := newTable(conversion(state(t, trackly.StatusPending, "5")))
	// A reconciliation rejects the conversion between this postback's read and its write.
	st.meanwhile = func(st *table) {
		st.meanwhile = nil
		recorded := st.rows[conversion(trackly.ConversionState{}).Ref()]
		st.rows[recorded.Ref()] = recorded.Changed(state(t, trackly.StatusRejected, "5"), trackly.Origin{Source: trackly.SourceReconciliation, At: now, RunID: "run-1"})
	}
	approved := state(t, trackly.StatusApproved, "5")
	logged := func(r conversions.Result) *trackly.PostbackResult {
		return &trackly.PostbackResult{PostbackID: "pb-2", Reason: string(r.Outcome)}
	}
	res, err := conversions.NewLedger(st).Settle(context.Background(),
		conversions.Report{New: conversion(approved), Claim: claim(approved), Origin: trackly.Origin{Source: trackly.SourcePostback, At: now, PostbackID: "pb-2"}}, logged)
	if err != nil {
		t.Fatal(err)
	}
	stored := st.rows[res.Conversion.Ref()]
	if res.Outcome != conversions.Changed || stored.Version != 3 || stored.Status != trackly.StatusApproved {
		t.Fatalf("outcome %s, stored version %d %s; want changed on top of the reconciliation's version 2: version 3 approved", res.Outcome, stored.Version, stored.Status)
	}
	if from := stored.History[2].From; from == nil || from.Status != trackly.StatusRejected {
		t.Errorf("the change was decided from %v, want from the rejected version the other writer stored", from)
	}
	if len(st.logged) != 1 || !res.Logged {
		t.Errorf("postback outcome written %d times (logged %v), want once with the change", len(st.logged), res.Logged)
	}
}

func TestSettleGivesUpOnAConversionThatNeverStopsChanging(t *testing.T) {
	st := newTable(conversion(state(t, trackly.StatusPending, "5")))
	st.meanwhile = func(st *table) {
		recorded := st.rows[conversion(trackly.ConversionState{}).Ref()]
		st.rows[recorded.Ref()] = recorded.Changed(state(t, trackly.StatusPending, recorded.Payout.Add(amount(t, "1")).String()), trackly.Origin{Source: trackly.SourceAdmin, At: now})
	}
	approved := state(t, trackly.StatusApproved, "5")
	_, err := conversions.NewLedger(st).Settle(context.Background(),
		conversions.Report{New: conversion(approved), Claim: claim(approved), Origin: trackly.Origin{Source: trackly.SourcePostback, At: now, PostbackID: "pb-2"}}, nil)
	if !errors.Is(err, trackly.ErrConflict) {
		t.Fatalf("error %v, want a conflict the caller retries", err)
	}
}

func ptr[T any](v T) *T { return &v }
