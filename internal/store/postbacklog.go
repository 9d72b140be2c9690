package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/trackly/tune-integration/internal/trackly"
)

// LogPostback writes a received postback to the postback log.
func (s *Store) LogPostback(ctx context.Context, e trackly.PostbackLogEntry) error {
	return s.put(ctx, s.tables.PostbackLog, postbackLogRow(&e))
}

// SetPostbackOutcome records what became of a logged postback.
func (s *Store) SetPostbackOutcome(ctx context.Context, r trackly.PostbackResult) error {
	k, update := postbackOutcome(r)
	if _, err := s.update(ctx, s.tables.PostbackLog, k, update, nil, nil); err != nil {
		return fmt.Errorf("set postback outcome: %w", err)
	}
	return nil
}

// postbackOutcome returns the key of a logged postback and the update that
// records what became of it.
func postbackOutcome(r trackly.PostbackResult) (key, expression.UpdateBuilder) {
	update := expression.Set(expression.Name("outcome"), expression.Value(r.Outcome)).
		Set(expression.Name("updated_at"), expression.Value(r.UpdatedAt.UTC().Format(time.RFC3339Nano)))
	if r.Reason != "" {
		update = update.Set(expression.Name("reason"), expression.Value(r.Reason))
	}
	if r.Conversion != (trackly.ConversionRef{}) {
		update = update.Set(expression.Name("conversion_key"), expression.Value(conversionKey(r.Conversion)))
	}
	return stringKey("day", postbackDay(r.ReceivedAt), "received_key", postbackReceivedKey(r.PostbackID, r.ReceivedAt)), update
}

// ListPostbacks lists one day's logged postbacks newest first, a page at a time.
func (s *Store) ListPostbacks(ctx context.Context, f trackly.PostbackFilter) ([]trackly.PostbackLogEntry, string, error) {
	q := listQuery{
		table: s.tables.PostbackLog, newestFirst: true, cursor: f.Cursor, limit: f.Limit,
		key: expression.Key("day").Equal(expression.Value(f.Day)),
	}
	if f.Outcome != "" {
		filter := expression.Name("outcome").Equal(expression.Value(f.Outcome))
		q.filter = &filter
	}
	return queryList(ctx, s, q, postbackLogRow)
}
