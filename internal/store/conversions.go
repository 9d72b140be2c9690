package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// RecordConversion writes a new conversion and what became of its postback
// in one transaction of those two items, which requires the conversion not to
// exist yet. No report row is in it: the report counts the conversion from the
// conversions table's stream (see CountChanges), so that concurrent
// attributions share no item. When the conversion exists, nothing is written
// and RecordConversion returns a *trackly.DuplicateError (which wraps
// trackly.ErrDuplicate) holding the conversion recorded, read strongly
// consistently: the postback that recorded it may be this very one, delivered
// again after its answer was lost.
func (s *Store) RecordConversion(ctx context.Context, c trackly.Conversion, result trackly.PostbackResult) error {
	k, update := postbackOutcome(result)
	logged, err := updateItem(s.tables.PostbackLog, k, update)
	if err != nil {
		return err
	}
	put, err := newItemPut(s.tables.Conversions, "conversion_key", conversionRow(&c))
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: put}, logged}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 && aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		recorded, err := s.GetConversion(ctx, c.Ref())
		if err != nil {
			return fmt.Errorf("read conversion %s, already recorded: %w", conversionKey(c.Ref()), err)
		}
		return &trackly.DuplicateError{Recorded: recorded}
	}
	if err != nil {
		return fmt.Errorf("record conversion %s: %w", conversionKey(c.Ref()), err)
	}
	return nil
}

// GetConversion reads a conversion.
func (s *Store) GetConversion(ctx context.Context, ref trackly.ConversionRef) (trackly.Conversion, error) {
	return get(ctx, s, s.tables.Conversions, stringKey("conversion_key", conversionKey(ref)), conversionRow)
}

// ListConversions lists an account's conversions newest first, a page at a time.
func (s *Store) ListConversions(ctx context.Context, f trackly.ConversionFilter) ([]trackly.Conversion, string, error) {
	q := listQuery{
		table: s.tables.Conversions, index: "by_account", newestFirst: true, cursor: f.Cursor, limit: f.Limit,
		key: expression.Key("account_id").Equal(expression.Value(f.AccountID)),
	}
	if f.Attribution != "" {
		filter := expression.Name("attribution").Equal(expression.Value(f.Attribution))
		q.filter = &filter
	}
	return queryList(ctx, s, q, conversionRow)
}
