package store

import (
	"context"
	"fmt"

	"github.com/trackly/tune-integration/internal/trackly"
)

// RecordClick stores a click and applies its report increments in one transaction,
// so a click is counted exactly when it is stored. trackly.ErrConflict means
// a click with the same id is stored.
func (s *Store) RecordClick(ctx context.Context, c trackly.Click, increments []trackly.ReportIncrement) error {
	if err := s.putNewCounted(ctx, s.tables.Clicks, "click_id", clickRow(&c), increments); err != nil {
		return fmt.Errorf("record click %s: %w", c.ClickID, err)
	}
	return nil
}

// GetClicks reads the clicks with the given ids in as few BatchGetItem calls as
// possible; ids without a stored click are absent from the result.
func (s *Store) GetClicks(ctx context.Context, clickIDs []string) (map[string]trackly.Click, error) {
	return batchGet(ctx, s, s.tables.Clicks, stringKeys("click_id", clickIDs), clickRow, func(c trackly.Click) string { return c.ClickID })
}
