package admin

import (
	"context"

	"github.com/trackly/tune-integration/internal/offers"
)

// NewOfferSyncRouter returns OfferSyncFunction's actions: test a connection,
// list the network's offers, import, list and sync offers, sync the due
// integrations (the schedule's {"action":"sync_due"}) and list sync runs.
func NewOfferSyncRouter(s *offers.Service) *Router {
	r := NewRouter()
	r.Register("test_connection", Typed(func(ctx context.Context, in offers.ConnectionQuery) (any, error) {
		return s.TestConnection(ctx, in)
	}))
	r.Register("list_remote_offers", Typed(func(ctx context.Context, in offers.RemoteQuery) (any, error) {
		return s.ListRemote(ctx, in)
	}))
	r.Register("import_offers", Typed(func(ctx context.Context, in offers.ImportRequest) (any, error) {
		return s.Import(ctx, in)
	}))
	r.Register("list_offers", Typed(func(ctx context.Context, in offers.ListQuery) (any, error) {
		return s.List(ctx, in)
	}))
	r.Register("sync_offers", Typed(func(ctx context.Context, in offers.SyncRequest) (any, error) {
		return s.Sync(ctx, in)
	}))
	r.Register("sync_due", Typed(func(ctx context.Context, _ struct{}) (any, error) {
		return s.SyncDue(ctx)
	}))
	r.Register("list_sync_runs", Typed(func(ctx context.Context, in offers.RunsQuery) (any, error) {
		return s.ListRuns(ctx, in)
	}))
	return r
}
