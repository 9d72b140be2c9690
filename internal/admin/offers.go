package admin

import (
	"context"

	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/offers"
)

// NewOfferSyncRouter returns OfferSyncFunction's actions: test a connection,
// list the network's offers, import, list and sync offers, sync the due
// integrations (the schedule's {"action":"sync_due"}) and list sync runs.
func NewOfferSyncRouter(s *offers.Service) *Router {
	r := NewRouter()
	serve(r, adminapi.TestConnection, s.TestConnection)
	serve(r, adminapi.ListRemoteOffers, s.ListRemote)
	serve(r, adminapi.ImportOffers, s.Import)
	serve(r, adminapi.ListOffers, s.List)
	serve(r, adminapi.SyncOffers, s.Sync)
	serve(r, adminapi.SyncDue, func(ctx context.Context, _ adminapi.SyncDueRequest) (adminapi.DueResult, error) {
		return s.SyncDue(ctx)
	})
	serve(r, adminapi.ListSyncRuns, s.ListRuns)
	mustServeAll(r, adminapi.OfferSyncFunction)
	return r
}
