package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// RecordClick stores a click and applies its report increments in one transaction,
// so a click is counted exactly when it is stored.
func (s *Store) RecordClick(ctx context.Context, c trackly.Click, increments []trackly.ReportIncrement) error {
	row := clickRowOf(c)
	item, err := attributevalue.MarshalMap(row)
	if err != nil {
		return fmt.Errorf("encode click: %w", err)
	}
	if len(increments) == 0 {
		return s.putNew(ctx, s.tables.Clicks, "click_id", row)
	}
	cond, err := notExists("click_id")
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName:                aws.String(s.tables.Clicks),
		Item:                     item,
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	}}}
	updates, err := s.incrementItems(increments)
	if err != nil {
		return err
	}
	items = append(items, updates...)
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		return fmt.Errorf("record click: %w", err)
	}
	return nil
}

// GetClicks reads the clicks with the given ids in as few BatchGetItem calls as
// possible; ids without a stored click are absent from the result.
func (s *Store) GetClicks(ctx context.Context, clickIDs []string) (map[string]trackly.Click, error) {
	return batchGet(ctx, s, s.tables.Clicks, stringKeys("click_id", clickIDs), clickRow.click, func(c trackly.Click) string { return c.ClickID })
}
