package admin

import (
	"context"

	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/reconcile"
	"github.com/trackly/tune-integration/internal/trackly"
)

// NewReconciliationRouter returns the router of ReconciliationFunction's
// actions: reconcile an integration now, list its runs, and reconcile the
// integrations that are due (what the schedule sends).
func NewReconciliationRouter(rc *reconcile.Reconciler) *Router {
	r := NewRouter()
	serve(r, adminapi.ReconcileConversions, rc.Reconcile)
	serve(r, adminapi.ListReconciliationRuns, func(ctx context.Context, q adminapi.ReconcileRunQuery) (adminapi.ReconcileRunList, error) {
		return rc.ListRuns(ctx, trackly.ReconcileRunFilter{IntegrationID: q.IntegrationID, Limit: q.Limit, Cursor: q.Cursor})
	})
	serve(r, adminapi.ReconcileDue, func(ctx context.Context, _ adminapi.ReconcileDueRequest) (adminapi.ReconcileDueResult, error) {
		return rc.ReconcileDue(ctx)
	})
	mustServeAll(r, adminapi.ReconciliationFunction)
	return r
}
