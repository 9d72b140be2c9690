package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/trackly/tune-integration/internal/trackly"
)

// PutSyncRun stores a sync run, replacing its previous version.
func (s *Store) PutSyncRun(ctx context.Context, r trackly.SyncRun) error {
	return s.put(ctx, s.tables.SyncRuns, syncRunRow(&r))
}

// ListSyncRuns lists an integration's sync runs newest first, a page at a time.
func (s *Store) ListSyncRuns(ctx context.Context, f trackly.SyncRunFilter) ([]trackly.SyncRun, string, error) {
	return queryList(ctx, s, listQuery{
		table: s.tables.SyncRuns, newestFirst: true, cursor: f.Cursor, limit: f.Limit,
		key: expression.Key("integration_id").Equal(expression.Value(f.IntegrationID)),
	}, syncRunRow)
}
