package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
)

// sortableTime is a UTC time layout of fixed width, so that its strings sort
// as the times do (RFC 3339 with trimmed fractions does not).
const sortableTime = "2006-01-02T15:04:05.000000000Z"

// SortableTime formats t so that formatted times compare as strings the way
// the times compare. time.Parse(time.RFC3339, ...) reads it back.
func SortableTime(t time.Time) string { return t.UTC().Format(sortableTime) }

// SyncRunKey is the sort key of a sync run: its start, then its id, so that
// an integration's runs sort by start.
func SyncRunKey(startedAt time.Time, runID string) string {
	return SortableTime(startedAt) + "#" + runID
}

// PutSyncRun stores a sync run, replacing its previous version.
func (s *Store) PutSyncRun(ctx context.Context, r SyncRun) error {
	if r.RunKey == "" {
		r.RunKey = SyncRunKey(r.StartedAt, r.RunID)
	}
	return s.put(ctx, s.tables.SyncRuns, r)
}

// SyncRunFilter selects an integration's sync runs, newest first.
type SyncRunFilter struct {
	IntegrationID string
	Limit         int
	Cursor        string
}

// ListSyncRuns lists an integration's sync runs newest first, a page at a time.
func (s *Store) ListSyncRuns(ctx context.Context, f SyncRunFilter) ([]SyncRun, string, error) {
	return queryList[SyncRun](ctx, s, listQuery{
		table: s.tables.SyncRuns, newestFirst: true, cursor: f.Cursor, limit: f.Limit,
		key: expression.Key("integration_id").Equal(expression.Value(f.IntegrationID)),
	})
}
