package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

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
			update = update.Add(expression.Name(name), expression.Value(amountValue(inc.Counters[name])))
		}
		item, err := updateItem(s.tables.Reports, stringKey("report_key", reportKey(inc.AccountID, inc.Dimension), "row_key", rowKey(inc.DimensionID, inc.Day)), update)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
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
	rows, _, err := query(ctx, s, listQuery{table: s.tables.Reports, key: keyCond, filter: &filter}, decodeReportRow)
	return rows, err
}

// decodeReportRow reads a report row: its keys, and its other attributes as counters.
func decodeReportRow(item map[string]types.AttributeValue) (trackly.ReportRow, error) {
	var r trackly.ReportRow
	layout := reportRow(&r)
	if err := layout.read(item); err != nil {
		return r, fmt.Errorf("decode report row: %w", err)
	}
	r.Counters = map[string]money.Amount{}
	for name, av := range item {
		if layout.has(name) {
			continue
		}
		a, err := amountOf(av)
		if err != nil {
			return r, fmt.Errorf("decode report counter %s: %w", name, err)
		}
		r.Counters[name] = a
	}
	return r, nil
}
