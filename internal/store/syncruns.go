package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
	expr, err := expression.NewBuilder().WithKeyCondition(expression.Key("integration_id").Equal(expression.Value(f.IntegrationID))).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build sync runs query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.SyncRuns),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
	}
	var out []SyncRun
	cursor, err := s.queryPages(ctx, in, f.Cursor, f.Limit, func(item map[string]types.AttributeValue) error {
		var r SyncRun
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, cursor, err
}

// CheckCursor reports whether cursor is one a list read returned ("" is the start).
func CheckCursor(cursor string) error {
	_, err := decodeCursor(cursor)
	return err
}
