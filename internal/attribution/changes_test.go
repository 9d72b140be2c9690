package attribution_test

import (
	"context"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/trackly"
)

// withStatus returns p reporting status s and payout payout ("" for none), received later.
func withStatus(p postbacks.Message, id string, s trackly.ConversionStatus, payout string) postbacks.Message {
	p.PostbackID, p.Status, p.Payout = id, s, nil
	p.ReceivedAt = p.ReceivedAt.Add(time.Hour)
	if payout != "" {
		p.Payout = amountPtr(payout)
	}
	return p
}

func TestAPostbackForARecordedConversionIsAChangeOrADuplicate(t *testing.T) {
	first := postback("pb1", "ck1", "lnk1", "tx1")
	first.Status = trackly.StatusPending
	tests := []struct {
		name        string
		second      postbacks.Message
		wantOutcome trackly.PostbackOutcome
		wantStatus  trackly.ConversionStatus
		wantVersion int
		// the counters of message msg1 on the day first was received, after both
		counters map[string]string
	}{
		{name: "the same status and payout: a duplicate", second: withStatus(first, "pb2", trackly.StatusPending, "12.50"),
			wantOutcome: trackly.PostbackDuplicate, wantStatus: trackly.StatusPending, wantVersion: 1,
			counters: map[string]string{"pending_conversions": "1", "pending_revenue_GBP": "12.5", "conversions": "", "revenue_GBP": ""}},
		{name: "no status and no payout named: a duplicate", second: withStatus(first, "pb2", "", ""),
			wantOutcome: trackly.PostbackDuplicate, wantStatus: trackly.StatusPending, wantVersion: 1,
			counters: map[string]string{"pending_conversions": "1", "pending_revenue_GBP": "12.5"}},
		{name: "approved: pending revenue moves to revenue", second: withStatus(first, "pb2", trackly.StatusApproved, ""),
			wantOutcome: trackly.PostbackChanged, wantStatus: trackly.StatusApproved, wantVersion: 2,
			counters: map[string]string{"pending_conversions": "0", "pending_revenue_GBP": "0", "conversions": "1", "revenue_GBP": "12.5"}},
		{name: "approved with another payout: revenue is the new payout", second: withStatus(first, "pb2", trackly.StatusApproved, "10.00"),
			wantOutcome: trackly.PostbackChanged, wantStatus: trackly.StatusApproved, wantVersion: 2,
			counters: map[string]string{"pending_conversions": "0", "pending_revenue_GBP": "0", "conversions": "1", "revenue_GBP": "10"}},
		{name: "rejected: out of pending, counted rejected, no reversal", second: withStatus(first, "pb2", trackly.StatusRejected, ""),
			wantOutcome: trackly.PostbackChanged, wantStatus: trackly.StatusRejected, wantVersion: 2,
			counters: map[string]string{"pending_conversions": "0", "rejected_conversions": "1", "reversed_conversions": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := world()
			p := newProcessor(st)
			p.Process(context.Background(), deliveries(first))
			failed, _ := p.Process(context.Background(), deliveries(tt.second))
			if len(failed) > 0 {
				t.Fatalf("failed %v", failed)
			}
			if got := st.logged(tt.second); got.Outcome != tt.wantOutcome || got.Reason == "" {
				t.Errorf("second postback logged %s (%q), want %s with a reason", got.Outcome, got.Reason, tt.wantOutcome)
			}
			c := st.conversions[trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx1", GoalID: "0"}]
			if c.Status != tt.wantStatus || c.Version != tt.wantVersion || len(c.History) != tt.wantVersion {
				t.Errorf("conversion %s version %d with %d history entries, want %s version %d", c.Status, c.Version, len(c.History), tt.wantStatus, tt.wantVersion)
			}
			for name, want := range tt.counters {
				if got := st.counter("acc1", "message", "msg1", receivedDay, name); got != want {
					t.Errorf("counter %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestAReversalIsCountedApartAndUndoneByACorrection(t *testing.T) {
	first := postback("pb1", "ck1", "lnk1", "tx1")
	reversal := withStatus(first, "pb2", trackly.StatusRejected, "")
	correction := withStatus(reversal, "pb3", trackly.StatusApproved, "")
	stale := withStatus(correction, "pb4", trackly.StatusPending, "")
	steps := []struct {
		postback                             postbacks.Message
		outcome                              trackly.PostbackOutcome
		conversions, revenue, reversed, lost string
	}{
		{first, trackly.PostbackAttributed, "1", "12.5", "", ""},
		{reversal, trackly.PostbackChanged, "0", "0", "1", "12.5"},
		{correction, trackly.PostbackChanged, "1", "12.5", "0", "0"},
		{stale, trackly.PostbackStale, "1", "12.5", "0", "0"},
		// A redelivery of the reversal finds its change done: nothing moves.
		{reversal, trackly.PostbackChanged, "1", "12.5", "0", "0"},
	}
	st := world()
	p := newProcessor(st)
	for i, step := range steps {
		if failed, _ := p.Process(context.Background(), deliveries(step.postback)); len(failed) > 0 {
			t.Fatalf("step %d: failed %v", i, failed)
		}
		if got := st.logged(step.postback).Outcome; got != step.outcome {
			t.Errorf("step %d (%s): logged %s, want %s", i, step.postback.PostbackID, got, step.outcome)
		}
		for name, want := range map[string]string{"conversions": step.conversions, "revenue_GBP": step.revenue, "reversed_conversions": step.reversed, "reversed_revenue_GBP": step.lost} {
			if got := st.counter("acc1", "message", "msg1", receivedDay, name); got != want {
				t.Errorf("step %d (%s): counter %s = %q, want %q", i, step.postback.PostbackID, name, got, want)
			}
		}
	}
	c := st.conversions[trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx1", GoalID: "0"}]
	if c.Version != 3 || len(c.History) != 3 || c.History[1].PostbackID != "pb2" || c.History[2].PostbackID != "pb3" {
		t.Errorf("conversion at version %d with history %+v, want 3 versions: recorded by pb1, reversed by pb2, corrected by pb3", c.Version, c.History)
	}
}
