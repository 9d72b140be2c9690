package store

import (
	"context"
)

// CreateLink stores a new link; ErrConflict means its id is taken.
func (s *Store) CreateLink(ctx context.Context, l Link) error {
	return s.putNew(ctx, s.tables.Links, "link_id", l)
}

// GetLink reads a link by id.
func (s *Store) GetLink(ctx context.Context, linkID string) (Link, error) {
	var l Link
	err := s.get(ctx, s.tables.Links, stringKey("link_id", linkID), &l)
	return l, err
}

// GetLinks reads several links in batches; missing ids are absent from the result.
func (s *Store) GetLinks(ctx context.Context, linkIDs []string) (map[string]Link, error) {
	return batchGet(ctx, s, s.tables.Links, stringKeys("link_id", linkIDs), func(l Link) string { return l.LinkID })
}

func unique(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
