package store

import (
	"context"

	"github.com/trackly/tune-integration/internal/trackly"
)

// CreateLink stores a new link; trackly.ErrConflict means its id is taken.
func (s *Store) CreateLink(ctx context.Context, l trackly.Link) error {
	return s.putNew(ctx, s.tables.Links, "link_id", linkRow(&l))
}

// GetLink reads a link by id.
func (s *Store) GetLink(ctx context.Context, linkID string) (trackly.Link, error) {
	return get(ctx, s, s.tables.Links, stringKey("link_id", linkID), linkRow)
}

// GetLinks reads several links in batches; missing ids are absent from the result.
func (s *Store) GetLinks(ctx context.Context, linkIDs []string) (map[string]trackly.Link, error) {
	return batchGet(ctx, s, s.tables.Links, stringKeys("link_id", linkIDs), linkRow, func(l trackly.Link) string { return l.LinkID })
}
