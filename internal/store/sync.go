package store

import (
	"context"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/trackly/tune-integration/internal/trackly"
)

// syncLease is the lease of offer sync runs.
var syncLease = lease{until: "sync_lease_until", owner: "sync_lease_owner", of: "sync"}

// AcquireSyncLease takes an integration's sync lease for owner until the
// given time, so that two overlapping runs never sync the same integration
// at once: see lease.acquire.
func (s *Store) AcquireSyncLease(ctx context.Context, integrationID, owner string, now, until time.Time) (trackly.Integration, error) {
	return syncLease.acquire(ctx, s, integrationID, owner, now, until)
}

// ReleaseSyncLease gives owner's lease back and records the run's
// bookkeeping, only if owner still holds the lease (trackly.ErrConflict otherwise).
// It leaves the admin's settings alone.
func (s *Store) ReleaseSyncLease(ctx context.Context, integrationID, owner string, r trackly.SyncRelease) error {
	update := expression.Set(expression.Name("next_sync_at"), expression.Value(sortableTime(r.NextSyncAt))).
		Set(expression.Name("sync_cursor_page"), expression.Value(r.CursorPage))
	if !r.LastSyncAt.IsZero() {
		update = update.Set(expression.Name("last_sync_at"), expression.Value(sortableTime(r.LastSyncAt)))
	}
	return syncLease.release(ctx, s, integrationID, owner, update)
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
