package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/trackly/tune-integration/internal/trackly"
)

// reconcileRunRetention is how long a reconciliation run is kept (DynamoDB TTL).
const reconcileRunRetention = 90 * 24 * time.Hour

// reconcileRunRow binds an item of the reconciliation runs table to r: an
// integration's runs in the order they started (run_key, as sync runs). The
// item expires (TTL) after reconcileRunRetention.
func reconcileRunRow(r *trackly.ReconcileRun) row {
	return row{
		field("integration_id", &r.IntegrationID), derived("run_key", syncRunKey(r.StartedAt, r.RunID)),
		field("run_id", &r.RunID), field("trigger", &r.Trigger), field("status", &r.Status),
		field("started_at", &r.StartedAt), field("ended_at", &r.EndedAt),
		field("from", &r.From), field("to", &r.To), field("time_zone", &r.TimeZone), field("tune_calls", &r.TUNECalls),
		field("rows_seen", &r.RowsSeen), field("new", &r.New), field("changed", &r.Changed), field("unchanged", &r.Unchanged),
		field("stale", &r.Stale), field("test_skipped", &r.TestSkipped), field("not_ours", &r.NotOurs),
		field("ignored", &r.Ignored), field("failed", &r.Failed),
		field("missing_at_tune", &r.MissingAtTUNE), field("missing_cleared", &r.MissingCleared), field("complete", &r.Complete),
		optional("resumed_from", &r.ResumedFrom), optional("resume_day", &r.ResumeDay), optional("resume_page", &r.ResumePage),
		optional("error", &r.Error), optional("error_kind", &r.ErrorKind),
		derived("expires_at", r.StartedAt.Add(reconcileRunRetention).Unix()),
	}
}

// PutReconcileRun stores a reconciliation run, replacing its previous version.
func (s *Store) PutReconcileRun(ctx context.Context, r trackly.ReconcileRun) error {
	return s.put(ctx, s.tables.ReconcileRuns, reconcileRunRow(&r))
}

// ListReconcileRuns lists an integration's reconciliation runs newest first, a page at a time.
func (s *Store) ListReconcileRuns(ctx context.Context, f trackly.ReconcileRunFilter) ([]trackly.ReconcileRun, string, error) {
	newest := listQuery{table: s.tables.ReconcileRuns, newestFirst: true, cursor: f.Cursor, limit: f.Limit}
	newest.key = expression.Key("integration_id").Equal(expression.Value(f.IntegrationID))
	return queryList(ctx, s, newest, reconcileRunRow)
}

// lease names the attributes that hold one of an integration's leases: who
// holds it, and until when. A lease is held by one run at a time.
type lease struct {
	until, owner string
	// of says what the lease is for, in errors.
	of string
}

// reconcileLease is the lease of reconciliation runs, apart from the offer
// sync's, so that a sync and a reconciliation of one integration may run at once.
var reconcileLease = lease{until: "reconcile_lease_until", owner: "reconcile_lease_owner", of: "reconciliation"}

// acquire takes the lease of an integration for owner until the given
// time, with one conditional write that succeeds only when the lease is
// not held or expired before now. It returns the integration as stored after
// the write; trackly.ErrLeaseHeld and the integration as it is (whose lease
// fields say who holds it) when the lease is held; trackly.ErrNotFound when
// there is no such integration.
func (l lease) acquire(ctx context.Context, s *Store, integrationID, owner string, now, until time.Time) (trackly.Integration, error) {
	free := expression.AttributeNotExists(expression.Name(l.until)).
		Or(expression.Name(l.until).LessThan(expression.Value(sortableTime(now))))
	cond := expression.AttributeExists(expression.Name("integration_id")).And(free)
	take := expression.Set(expression.Name(l.until), expression.Value(sortableTime(until))).
		Set(expression.Name(l.owner), expression.Value(owner))
	item, err := s.update(ctx, s.tables.Integrations, stringKey("integration_id", integrationID), take, &cond, trackly.ErrLeaseHeld)
	if errors.Is(err, trackly.ErrLeaseHeld) {
		held, gerr := s.GetIntegration(ctx, integrationID)
		if gerr != nil {
			return held, gerr
		}
		return held, err
	}
	if err != nil {
		return trackly.Integration{}, fmt.Errorf("take %s lease of %s: %w", l.of, integrationID, err)
	}
	return decode(item, integrationRow)
}

// release gives owner's lease back and applies u, only if owner still holds
// the lease (trackly.ErrConflict otherwise).
func (l lease) release(ctx context.Context, s *Store, integrationID, owner string, u expression.UpdateBuilder) error {
	u = u.Remove(expression.Name(l.until)).Remove(expression.Name(l.owner))
	held := expression.Name(l.owner).Equal(expression.Value(owner))
	lost := fmt.Errorf("%w: the %s lease is no longer held by %s", trackly.ErrConflict, l.of, owner)
	if _, err := s.update(ctx, s.tables.Integrations, stringKey("integration_id", integrationID), u, &held, lost); err != nil {
		return fmt.Errorf("release %s lease of %s: %w", l.of, integrationID, err)
	}
	return nil
}

// AcquireReconcileLease takes an integration's reconciliation lease for
// owner until the given time: see lease.acquire.
func (s *Store) AcquireReconcileLease(ctx context.Context, integrationID, owner string, now, until time.Time) (trackly.Integration, error) {
	return reconcileLease.acquire(ctx, s, integrationID, owner, now, until)
}

// ReleaseReconcileLease gives owner's reconciliation lease back and records
// the run's bookkeeping: the times r sets, leaving the others as stored,
// and the admin's settings alone. It returns trackly.ErrConflict when owner
// no longer holds the lease.
func (s *Store) ReleaseReconcileLease(ctx context.Context, integrationID, owner string, r trackly.ReconcileRelease) error {
	var u expression.UpdateBuilder
	for name, t := range map[string]time.Time{"last_reconcile_at": r.LastReconcileAt, "next_reconcile_at": r.NextReconcileAt} {
		if !t.IsZero() {
			u = u.Set(expression.Name(name), expression.Value(sortableTime(t)))
		}
	}
	return reconcileLease.release(ctx, s, integrationID, owner, u)
}

// DueReconciliations lists the integrations with reconciliation on whose
// next run is due at now and whose reconciliation lease is free, the longest
// overdue first.
func (s *Store) DueReconciliations(ctx context.Context, now time.Time) ([]trackly.Integration, error) {
	// Integrations stored before reconciliation existed have no reconcile
	// attribute: reconciliation is on for them, as for new ones.
	on := expression.Name("reconcile").Equal(expression.Value(true)).Or(expression.AttributeNotExists(expression.Name("reconcile")))
	all, err := s.scanIntegrations(ctx, &on)
	if err != nil {
		return nil, err
	}
	due := all[:0]
	for _, in := range all {
		if !in.NextReconcileAt.After(now) && in.ReconcileLeaseUntil.Before(now) {
			due = append(due, in)
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].NextReconcileAt.Before(due[j].NextReconcileAt) })
	return due, nil
}
