package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

var rowAttributes = map[string]bool{"report_key": true, "row_key": true, "account_id": true, "dimension": true, "dimension_id": true, "day": true}

func reportKey(accountID string, dimension trackly.Dimension) string {
	return accountID + "#" + string(dimension)
}

func rowKey(dimensionID, day string) string { return dimensionID + "#" + day }

// incrementItems turns increments into transactional ADD updates.
func (s *Store) incrementItems(increments []trackly.ReportIncrement) ([]types.TransactWriteItem, error) {
	items := make([]types.TransactWriteItem, 0, len(increments))
	for _, inc := range increments {
		update := expression.Set(expression.Name("account_id"), expression.Value(inc.AccountID)).
			Set(expression.Name("dimension"), expression.Value(inc.Dimension)).
			Set(expression.Name("dimension_id"), expression.Value(inc.DimensionID)).
			Set(expression.Name("day"), expression.Value(inc.Day))
		names := make([]string, 0, len(inc.Counters))
		for name := range inc.Counters {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			update = update.Add(expression.Name(name), expression.Value(inc.Counters[name].AttributeValue()))
		}
		expr, err := expression.NewBuilder().WithUpdate(update).Build()
		if err != nil {
			return nil, fmt.Errorf("build report update: %w", err)
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(s.tables.Reports),
			Key:                       stringKey("report_key", reportKey(inc.AccountID, inc.Dimension), "row_key", rowKey(inc.DimensionID, inc.Day)),
			UpdateExpression:          expr.Update(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		}})
	}
	return items, nil
}

// ReportRows reads an account's report rows for one dimension between two days
// (inclusive), for one dimension id or, when dimensionID is empty, for all.
func (s *Store) ReportRows(ctx context.Context, accountID string, dimension trackly.Dimension, dimensionID, fromDay, toDay string) ([]trackly.ReportRow, error) {
	keyCond := expression.Key("report_key").Equal(expression.Value(reportKey(accountID, dimension)))
	if dimensionID != "" {
		keyCond = keyCond.And(expression.Key("row_key").Between(expression.Value(rowKey(dimensionID, fromDay)), expression.Value(rowKey(dimensionID, toDay))))
	}
	filter := expression.Name("day").Between(expression.Value(fromDay), expression.Value(toDay))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).WithFilter(filter).Build()
	if err != nil {
		return nil, fmt.Errorf("build report query: %w", err)
	}
	var rows []trackly.ReportRow
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Reports),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query reports: %w", err)
		}
		for _, item := range page.Items {
			row, err := decodeReportRow(item)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func decodeReportRow(item map[string]types.AttributeValue) (trackly.ReportRow, error) {
	var r reportRow
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return trackly.ReportRow{}, fmt.Errorf("decode report row: %w", err)
	}
	row := trackly.ReportRow(r)
	row.Counters = map[string]money.Amount{}
	for name, av := range item {
		if rowAttributes[name] {
			continue
		}
		var a money.Amount
		if err := a.UnmarshalDynamoDBAttributeValue(av); err != nil {
			return row, fmt.Errorf("decode report counter %s: %w", name, err)
		}
		row.Counters[name] = a
	}
	return row, nil
}
