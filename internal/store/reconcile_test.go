package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
)

func TestReconcileRunsArePagedNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		run := trackly.ReconcileRun{Run: trackly.Run{IntegrationID: "in_a", RunID: fmt.Sprintf("rr_%d", i), Trigger: trackly.SyncTriggerSchedule,
			Status: trackly.SyncPartial, StartedAt: start.Add(time.Duration(i) * time.Minute)}, From: "2026-11-18", To: "2026-11-24",
			TimeZone: "Asia/Tokyo", TUNECalls: 3, RowsSeen: 2500, New: 1, ResumeDay: "2026-11-20", ResumePage: 2, ResumedFrom: "rr_before"}
		if err := s.PutReconcileRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutReconcileRun(ctx, trackly.ReconcileRun{Run: trackly.Run{IntegrationID: "in_b", RunID: "rr_other", StartedAt: start}}); err != nil {
		t.Fatal(err)
	}
	first, cursor, err := s.ListReconcileRuns(ctx, trackly.ReconcileRunFilter{IntegrationID: "in_a", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	rest, end, err := s.ListReconcileRuns(ctx, trackly.ReconcileRunFilter{IntegrationID: "in_a", Limit: 3, Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range append(first, rest...) {
		ids = append(ids, r.RunID)
	}
	if fmt.Sprint(ids) != "[rr_4 rr_3 rr_2 rr_1 rr_0]" || cursor == "" || end != "" {
		t.Fatalf("runs %v (cursor %q, then %q), want rr_4 to rr_0 over two pages", ids, cursor, end)
	}
	got := first[0]
	if got.ResumeDay != "2026-11-20" || got.ResumePage != 2 || got.ResumedFrom != "rr_before" || got.TimeZone != "Asia/Tokyo" ||
		got.RowsSeen != 2500 || !got.StartedAt.Equal(start.Add(4*time.Minute)) {
		t.Errorf("run read back as %+v", got)
	}
}

func TestReconcileLease(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	if err := s.CreateIntegration(ctx, trackly.Integration{IntegrationID: "in_a", AccountID: "acc", Reconcile: true, NextReconcileAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireSyncLease(ctx, "in_a", "sr_1", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	in, err := s.AcquireReconcileLease(ctx, "in_a", "rr_1", now, now.Add(10*time.Minute))
	if err != nil {
		t.Fatalf("a sync's lease blocks reconciliation: %v", err)
	}
	if in.ReconcileLeaseOwner != "rr_1" || !in.ReconcileLeaseUntil.Equal(now.Add(10*time.Minute)) {
		t.Errorf("lease %q until %v, want rr_1's", in.ReconcileLeaseOwner, in.ReconcileLeaseUntil)
	}
	held, err := s.AcquireReconcileLease(ctx, "in_a", "rr_2", now.Add(time.Minute), now.Add(time.Hour))
	if !errors.Is(err, trackly.ErrLeaseHeld) || held.ReconcileLeaseOwner != "rr_1" {
		t.Errorf("second run: %v, holder %q; want the lease held by rr_1", err, held.ReconcileLeaseOwner)
	}
	if err := s.ReleaseReconcileLease(ctx, "in_a", "rr_2", trackly.ReconcileRelease{NextReconcileAt: now}); !errors.Is(err, trackly.ErrConflict) {
		t.Errorf("release by a run that does not hold the lease: %v, want a conflict", err)
	}
	if _, err := s.AcquireReconcileLease(ctx, "in_a", "rr_3", now.Add(11*time.Minute), now.Add(time.Hour)); err != nil {
		t.Errorf("an expired lease is not taken over: %v", err)
	}
	if _, err := s.AcquireReconcileLease(ctx, "in_nope", "rr_4", now, now.Add(time.Hour)); !errors.Is(err, trackly.ErrNotFound) {
		t.Errorf("lease of a missing integration: %v, want not found", err)
	}
}

func TestReleaseReconcileLeaseSchedulesTheNextRun(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	create := func(id string, on bool, next time.Time) {
		t.Helper()
		if err := s.CreateIntegration(ctx, trackly.Integration{IntegrationID: id, AccountID: "acc", Reconcile: on, NextReconcileAt: next}); err != nil {
			t.Fatal(err)
		}
	}
	create("in_late", true, now.Add(-time.Hour))
	create("in_due", true, now)
	create("in_later", true, now.Add(time.Minute))
	create("in_off", false, now.Add(-time.Hour))
	create("in_held", true, now.Add(-2*time.Hour))
	if _, err := s.AcquireReconcileLease(ctx, "in_held", "rr_h", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, s, now); got != "[in_late in_due]" {
		t.Errorf("due %s, want the reconciled integrations due and free, longest overdue first: [in_late in_due]", got)
	}

	release := trackly.ReconcileRelease{LastReconcileAt: now, NextReconcileAt: now.Add(time.Hour)}
	if _, err := s.AcquireReconcileLease(ctx, "in_due", "rr_1", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseReconcileLease(ctx, "in_due", "rr_1", release); err != nil {
		t.Fatal(err)
	}
	in, err := s.GetIntegration(ctx, "in_due")
	if err != nil {
		t.Fatal(err)
	}
	if in.ReconcileLeaseOwner != "" || !in.NextReconcileAt.Equal(now.Add(time.Hour)) || !in.LastReconcileAt.Equal(now) {
		t.Errorf("after release: lease %q, next %v, last %v", in.ReconcileLeaseOwner, in.NextReconcileAt, in.LastReconcileAt)
	}
	// A manual run leaves the schedule alone.
	if _, err := s.AcquireReconcileLease(ctx, "in_due", "rr_2", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseReconcileLease(ctx, "in_due", "rr_2", trackly.ReconcileRelease{}); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.GetIntegration(ctx, "in_due"); !in.NextReconcileAt.Equal(now.Add(time.Hour)) || !in.LastReconcileAt.Equal(now) {
		t.Errorf("a release without times moved them: next %v, last %v", in.NextReconcileAt, in.LastReconcileAt)
	}
}

// dueIDs lists the ids of the integrations whose reconciliation is due at now.
func dueIDs(t *testing.T, s *store.Store, now time.Time) string {
	t.Helper()
	due, err := s.DueReconciliations(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range due {
		ids = append(ids, in.IntegrationID)
	}
	return fmt.Sprint(ids)
}

// An integration stored before reconciliation existed has no reconcile attribute: it reads as
// reconciled, and is due, as a new one is.
func TestAnIntegrationFromBeforeReconciliationIsReconciled(t *testing.T) {
	ctx := context.Background()
	s, db, env := localStore(t, "ReconciliationFunction")
	if err := s.CreateIntegration(ctx, trackly.Integration{IntegrationID: "in_old", AccountID: "acct", Name: "Old", Reconcile: true}); err != nil {
		t.Fatal(err)
	}
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(env["INTEGRATIONS_TABLE"]),
		Key:              map[string]types.AttributeValue{"integration_id": &types.AttributeValueMemberS{Value: "in_old"}},
		UpdateExpression: aws.String("REMOVE reconcile"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetIntegration(ctx, "in_old")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Reconcile {
		t.Error("an integration without the reconcile attribute reads with reconciliation off")
	}
	due, err := s.DueReconciliations(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].IntegrationID != "in_old" {
		t.Errorf("due %+v, want in_old", due)
	}
}
