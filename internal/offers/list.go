package offers

import (
	"context"

	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// ListQuery is list_offers' payload. A limit left out (0) takes the store's
// default page size.
type ListQuery struct {
	IntegrationID  string `json:"integration_id"`
	IncludeRemoved bool   `json:"include_removed,omitempty"`
	Limit          int    `json:"limit,omitempty"`
	Cursor         string `json:"cursor,omitempty"`
}

// OfferList is one page of imported offers.
type OfferList struct {
	IntegrationID string          `json:"integration_id"`
	Offers        []trackly.Offer `json:"offers"`
	NextCursor    string          `json:"next_cursor"`
}

// List lists an integration's imported offers, removed ones only when asked.
func (s *Service) List(ctx context.Context, q ListQuery) (OfferList, error) {
	if err := validate.PageSize(q.Limit, validate.MaxPageSize); err != nil {
		return OfferList{}, err
	}
	in, err := integrations.Read(ctx, s.store, q.IntegrationID)
	if err != nil {
		return OfferList{}, err
	}
	list, next, err := s.store.ListOffers(ctx, trackly.OfferFilter{IntegrationID: in.IntegrationID, IncludeRemoved: q.IncludeRemoved, Limit: q.Limit, Cursor: q.Cursor})
	if err != nil {
		return OfferList{}, err
	}
	return OfferList{IntegrationID: in.IntegrationID, Offers: list, NextCursor: next}, nil
}

// RunsQuery is list_sync_runs' payload.
type RunsQuery struct {
	IntegrationID string `json:"integration_id"`
	Limit         int    `json:"limit,omitempty"`
	Cursor        string `json:"cursor,omitempty"`
}

// RunList is one page of an integration's sync runs, newest first.
type RunList struct {
	IntegrationID string            `json:"integration_id"`
	Runs          []trackly.SyncRun `json:"runs"`
	NextCursor    string            `json:"next_cursor"`
}

// DefaultRunsLimit is the number of runs list_sync_runs shows by default.
const DefaultRunsLimit = 20

// ListRuns lists an integration's sync runs (imports included), newest first.
func (s *Service) ListRuns(ctx context.Context, q RunsQuery) (RunList, error) {
	if err := validate.PageSize(q.Limit, validate.MaxPageSize); err != nil {
		return RunList{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultRunsLimit
	}
	in, err := integrations.Read(ctx, s.store, q.IntegrationID)
	if err != nil {
		return RunList{}, err
	}
	runs, next, err := s.store.ListSyncRuns(ctx, trackly.SyncRunFilter{IntegrationID: in.IntegrationID, Limit: q.Limit, Cursor: q.Cursor})
	if err != nil {
		return RunList{}, err
	}
	return RunList{IntegrationID: in.IntegrationID, Runs: runs, NextCursor: next}, nil
}
