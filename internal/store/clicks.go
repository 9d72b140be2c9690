package store

import (
	"context"
	"fmt"

	"github.com/trackly/tune-integration/internal/trackly"
)

// RecordClick stores a click with one conditional write of the click alone:
// the report counts it from the clicks table's stream (see CountChanges), so
// that no tap writes an item another tap writes. trackly.ErrConflict means a
// click with the same id is stored.
func (s *Store) RecordClick(ctx context.Context, c trackly.Click) error {
	if err := s.putNew(ctx, s.tables.Clicks, "click_id", clickRow(&c)); err != nil {
		return fmt.Errorf("record click %s: %w", c.ClickID, err)
	}
	return nil
}

// GetClicks reads the clicks with the given ids in as few BatchGetItem calls as
// possible; ids without a stored click are absent from the result.
func (s *Store) GetClicks(ctx context.Context, clickIDs []string) (map[string]trackly.Click, error) {
	return batchGet(ctx, s, s.tables.Clicks, stringKeys("click_id", clickIDs), clickRow, func(c trackly.Click) string { return c.ClickID })
}
