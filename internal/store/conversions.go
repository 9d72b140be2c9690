package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/trackly/tune-integration/internal/trackly"
)

// RecordConversion writes a new conversion, its report increments and what
// became of its postback in one transaction that requires the conversion not
// to exist yet. When it does, nothing is written and RecordConversion returns
// a *trackly.DuplicateError (which wraps trackly.ErrDuplicate) holding the
// conversion recorded, read strongly consistently: the postback that recorded
// it may be this very one, delivered again after its answer was lost.
func (s *Store) RecordConversion(ctx context.Context, c trackly.Conversion, increments []trackly.ReportIncrement, result trackly.PostbackResult) error {
	k, update := postbackOutcome(result)
	logged, err := updateItem(s.tables.PostbackLog, k, update)
	if err != nil {
		return err
	}
	err = s.putNewCounted(ctx, s.tables.Conversions, "conversion_key", conversionRow(&c), increments, logged)
	if errors.Is(err, trackly.ErrConflict) {
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
