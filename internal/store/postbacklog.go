package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// LogPostback writes a received postback to the postback log.
func (s *Store) LogPostback(ctx context.Context, e PostbackLogEntry) error {
	return s.put(ctx, s.tables.PostbackLog, e)
}

// SetPostbackOutcome records what became of a logged postback.
func (s *Store) SetPostbackOutcome(ctx context.Context, o PostbackOutcome) error {
	u, err := s.outcomeUpdate(o)
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

func (s *Store) outcomeUpdate(o PostbackOutcome) (*types.Update, error) {
	update := expression.Set(expression.Name("outcome"), expression.Value(o.Outcome)).
		Set(expression.Name("updated_at"), expression.Value(o.UpdatedAt))
	if o.Reason != "" {
		update = update.Set(expression.Name("reason"), expression.Value(o.Reason))
	}
	if o.ConversionKey != "" {
		update = update.Set(expression.Name("conversion_key"), expression.Value(o.ConversionKey))
	}
	expr, err := expression.NewBuilder().WithUpdate(update).Build()
	if err != nil {
		return nil, fmt.Errorf("build postback outcome update: %w", err)
	}
	return &types.Update{
		TableName:                 aws.String(s.tables.PostbackLog),
		Key:                       stringKey("day", o.Day, "received_key", o.ReceivedKey),
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
}

// PostbackFilter selects one day's logged postbacks, newest first.
type PostbackFilter struct {
	Day     string
	Outcome string
	Limit   int
	Cursor  string
}

// ListPostbacks lists one day's logged postbacks newest first, a page at a time.
func (s *Store) ListPostbacks(ctx context.Context, f PostbackFilter) ([]PostbackLogEntry, string, error) {
	q := listQuery{
		table: s.tables.PostbackLog, newestFirst: true, cursor: f.Cursor, limit: f.Limit,
		key: expression.Key("day").Equal(expression.Value(f.Day)),
	}
	if f.Outcome != "" {
		filter := expression.Name("outcome").Equal(expression.Value(f.Outcome))
		q.filter = &filter
	}
	return queryList[PostbackLogEntry](ctx, s, q)
}
