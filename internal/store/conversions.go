package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// RecordConversion writes a new conversion, its report increments and what
// became of its postback in one transaction that requires the conversion not
// to exist yet. It returns trackly.ErrDuplicate when it does.
func (s *Store) RecordConversion(ctx context.Context, c trackly.Conversion, increments []trackly.ReportIncrement, result trackly.PostbackResult) error {
	row := conversionRowOf(c)
	item, err := attributevalue.MarshalMap(row)
	if err != nil {
		return fmt.Errorf("encode conversion: %w", err)
	}
	cond, err := notExists("conversion_key")
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName:                           aws.String(s.tables.Conversions),
		Item:                                item,
		ConditionExpression:                 cond.Condition(),
		ExpressionAttributeNames:            cond.Names(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureNone,
	}}}
	updates, err := s.incrementItems(increments)
	if err != nil {
		return err
	}
	items = append(items, updates...)
	logUpdate, err := s.resultUpdate(result)
	if err != nil {
		return err
	}
	items = append(items, types.TransactWriteItem{Update: logUpdate})

	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 && aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return trackly.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("record conversion %s: %w", row.ConversionKey, err)
	}
	return nil
}

// GetConversion reads a conversion.
func (s *Store) GetConversion(ctx context.Context, ref trackly.ConversionRef) (trackly.Conversion, error) {
	var r conversionRow
	err := s.get(ctx, s.tables.Conversions, stringKey("conversion_key", conversionKey(ref)), &r)
	return r.conversion(), err
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
	return queryList(ctx, s, q, conversionRow.conversion)
}
