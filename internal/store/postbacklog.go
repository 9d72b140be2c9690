package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// LogPostback writes a received postback to the postback log.
func (s *Store) LogPostback(ctx context.Context, e trackly.PostbackLogEntry) error {
	return s.put(ctx, s.tables.PostbackLog, postbackLogRowOf(e))
}

// SetPostbackOutcome records what became of a logged postback.
func (s *Store) SetPostbackOutcome(ctx context.Context, r trackly.PostbackResult) error {
	u, err := s.resultUpdate(r)
	if err != nil {
		return err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 u.TableName,
		Key:                       u.Key,
		UpdateExpression:          u.UpdateExpression,
		ExpressionAttributeNames:  u.ExpressionAttributeNames,
		ExpressionAttributeValues: u.ExpressionAttributeValues,
	})
	if err != nil {
		return fmt.Errorf("set postback outcome: %w", err)
	}
	return nil
}

func (s *Store) resultUpdate(r trackly.PostbackResult) (*types.Update, error) {
	update := expression.Set(expression.Name("outcome"), expression.Value(r.Outcome)).
		Set(expression.Name("updated_at"), expression.Value(r.UpdatedAt.UTC().Format(time.RFC3339Nano)))
	if r.Reason != "" {
		update = update.Set(expression.Name("reason"), expression.Value(r.Reason))
	}
	if r.Conversion != (trackly.ConversionRef{}) {
		update = update.Set(expression.Name("conversion_key"), expression.Value(conversionKey(r.Conversion)))
	}
	expr, err := expression.NewBuilder().WithUpdate(update).Build()
	if err != nil {
		return nil, fmt.Errorf("build postback outcome update: %w", err)
	}
	return &types.Update{
		TableName:                 aws.String(s.tables.PostbackLog),
		Key:                       stringKey("day", postbackDay(r.ReceivedAt), "received_key", postbackReceivedKey(r.PostbackID, r.ReceivedAt)),
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
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
	return queryList(ctx, s, q, postbackLogRow.entry)
}
