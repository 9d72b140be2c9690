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

// AcquireSyncLease takes an integration's sync lease for owner until the
// given time, with one conditional write that succeeds only when no lease is
// held or the held one expired before now; so two overlapping runs never
// sync the same integration at once. It returns the integration as stored
// after the write. When the lease is held it returns trackly.ErrLeaseHeld
// and the integration as it is (its SyncLeaseOwner and SyncLeaseUntil say
// who holds it and until when); trackly.ErrNotFound when there is no such
// integration.
func (s *Store) AcquireSyncLease(ctx context.Context, integrationID, owner string, now, until time.Time) (trackly.Integration, error) {
	free := expression.AttributeNotExists(expression.Name("sync_lease_until")).
		Or(expression.Name("sync_lease_until").LessThan(expression.Value(sortableTime(now))))
	cond := expression.AttributeExists(expression.Name("integration_id")).And(free)
	update := expression.Set(expression.Name("sync_lease_until"), expression.Value(sortableTime(until))).
		Set(expression.Name("sync_lease_owner"), expression.Value(owner))
	item, err := s.update(ctx, s.tables.Integrations, stringKey("integration_id", integrationID), update, &cond, trackly.ErrLeaseHeld)
	if errors.Is(err, trackly.ErrLeaseHeld) {
		current, gerr := s.GetIntegration(ctx, integrationID)
		if gerr != nil {
			return current, gerr
		}
		return current, err
	}
	if err != nil {
		return trackly.Integration{}, fmt.Errorf("take sync lease of %s: %w", integrationID, err)
	}
	in, err := decode(item, integrationRow)
	if err != nil {
		return trackly.Integration{}, fmt.Errorf("decode integration: %w", err)
	}
	return in, nil
}

// ReleaseSyncLease gives owner's lease back and records the run's
// bookkeeping, only if owner still holds the lease (trackly.ErrConflict otherwise).
// It leaves the admin's settings alone.
func (s *Store) ReleaseSyncLease(ctx context.Context, integrationID, owner string, r trackly.SyncRelease) error {
	update := expression.Remove(expression.Name("sync_lease_until")).
		Remove(expression.Name("sync_lease_owner")).
		Set(expression.Name("next_sync_at"), expression.Value(sortableTime(r.NextSyncAt))).
		Set(expression.Name("sync_cursor_page"), expression.Value(r.CursorPage))
	if !r.LastSyncAt.IsZero() {
		update = update.Set(expression.Name("last_sync_at"), expression.Value(sortableTime(r.LastSyncAt)))
	}
	held := expression.Name("sync_lease_owner").Equal(expression.Value(owner))
	lost := fmt.Errorf("%w: the lease is no longer held by %s", trackly.ErrConflict, owner)
	if _, err := s.update(ctx, s.tables.Integrations, stringKey("integration_id", integrationID), update, &held, lost); err != nil {
		return fmt.Errorf("release sync lease of %s: %w", integrationID, err)
	}
	return nil
}

// DueIntegrations lists the integrations with auto-sync on whose next sync
// is due at now and whose lease is free, the longest overdue first.
func (s *Store) DueIntegrations(ctx context.Context, now time.Time) ([]trackly.Integration, error) {
	autoSync := expression.Name("auto_sync").Equal(expression.Value(true))
	all, err := s.scanIntegrations(ctx, &autoSync)
	if err != nil {
		return nil, err
	}
	var due []trackly.Integration
	for _, in := range all {
		if in.AutoSync && !in.NextSyncAt.After(now) && in.SyncLeaseUntil.Before(now) {
			due = append(due, in)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].NextSyncAt.Before(due[j].NextSyncAt) })
	return due, nil
}
