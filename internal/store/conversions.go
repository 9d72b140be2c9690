package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// RecordConversion writes a new conversion (version 1) and, when logged is
// not nil, what became of its postback, in one transaction of those two
// items that requires the conversion not to exist yet. No report row is in
// it: the report counts the conversion from the conversions table's stream
// (see CountChanges), so that concurrent attributions share no item. When the
// conversion exists, nothing is written and RecordConversion returns a
// *trackly.DuplicateError (which wraps trackly.ErrDuplicate) holding the
// conversion recorded, read strongly consistently: the postback that
// recorded it may be this very one, delivered again after its answer was lost.
func (s *Store) RecordConversion(ctx context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error {
	put, err := newItemPut(s.tables.Conversions, "conversion_key", conversionRow(&c))
	if err != nil {
		return err
	}
	err = s.writeConversion(ctx, put, logged)
	if conversionRefused(err) {
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

// SaveConversion writes c, a new version of a recorded conversion, and,
// when logged is not nil, what became of the postback that changed it, in
// one transaction that requires the stored conversion to be at the version
// before c's. When it is not (another writer changed it first), nothing is
// written and SaveConversion returns a *trackly.VersionConflictError. The
// stream's record of the write carries both versions, from which the report
// moves by their difference.
func (s *Store) SaveConversion(ctx context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error {
	item, err := conversionRow(&c).item()
	if err != nil {
		return fmt.Errorf("encode conversion %s: %w", conversionKey(c.Ref()), err)
	}
	previous := c.Version - 1
	atPrevious := expression.Name("version").Equal(expression.Value(previous))
	if previous == 1 {
		// Conversions recorded before versions existed have no version.
		atPrevious = atPrevious.Or(expression.AttributeNotExists(expression.Name("version")))
	}
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeExists(expression.Name("conversion_key")).And(atPrevious)).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	put := &types.Put{
		TableName: aws.String(s.tables.Conversions), Item: item, ConditionExpression: cond.Condition(),
		ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
	}
	err = s.writeConversion(ctx, put, logged)
	if conversionRefused(err) {
		return &trackly.VersionConflictError{Ref: c.Ref(), Version: previous}
	}
	if err != nil {
		return fmt.Errorf("save conversion %s version %d: %w", conversionKey(c.Ref()), c.Version, err)
	}
	return nil
}

// writeConversion writes a conversion's put alone, or with logged's postback
// log outcome in one transaction.
func (s *Store) writeConversion(ctx context.Context, put *types.Put, logged *trackly.PostbackResult) error {
	if logged == nil {
		_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
		})
		return err
	}
	k, update := postbackOutcome(*logged)
	outcome, err := updateItem(s.tables.PostbackLog, k, update)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: put}, outcome}})
	return err
}

// conversionRefused reports whether err is a conversion's write refused by
// its condition, alone or as the first item of a transaction.
func conversionRefused(err error) bool {
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		return len(canceled.CancellationReasons) > 0 && aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed"
	}
	return conditionFailed(err)
}

// GetConversion reads a conversion.
func (s *Store) GetConversion(ctx context.Context, ref trackly.ConversionRef) (trackly.Conversion, error) {
	return get(ctx, s, s.tables.Conversions, stringKey("conversion_key", conversionKey(ref)), conversionRow)
}

// GetConversions reads the conversions with the given refs in as few
// BatchGetItem calls as possible; refs without a stored conversion are
// absent from the result.
func (s *Store) GetConversions(ctx context.Context, refs []trackly.ConversionRef) (map[trackly.ConversionRef]trackly.Conversion, error) {
	keys := make([]string, len(refs))
	for i, ref := range refs {
		keys[i] = conversionKey(ref)
	}
	return batchGet(ctx, s, s.tables.Conversions, stringKeys("conversion_key", keys), conversionRow, trackly.Conversion.Ref)
}

// ListIntegrationConversions returns an integration's conversions received
// in [from, to), in the order received.
func (s *Store) ListIntegrationConversions(ctx context.Context, integrationID string, from, to time.Time) ([]trackly.Conversion, error) {
	q := listQuery{
		table: s.tables.Conversions, index: "by_integration",
		key: expression.Key("integration_id").Equal(expression.Value(integrationID)).
			And(expression.Key("received_key").Between(expression.Value(sortableTime(from)), expression.Value(sortableTime(to)))),
	}
	all, _, err := query(ctx, s, q, decoder(conversionRow))
	if err != nil {
		return nil, err
	}
	// A key at exactly "to" (its time, then '#') sorts after the bound: keep [from, to).
	return slices.DeleteFunc(all, func(c trackly.Conversion) bool { return !c.ReceivedAt.Before(to) }), nil
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
