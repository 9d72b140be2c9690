package adminapi

import (
	"github.com/trackly/tune-integration/internal/reconcile"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Requests of ReconciliationFunction's actions.
type (
	// ReconcileRequest is reconcile_conversions' request: an integration,
	// and the days to reconcile in the network's time zone (both left out:
	// the integration's lookback, today included).
	ReconcileRequest = reconcile.Request

	// ReconcileRunQuery is list_reconciliation_runs' request: a page of an
	// integration's reconciliation runs, asked as list_sync_runs asks for
	// sync runs.
	ReconcileRunQuery = SyncRunQuery
)

// ReconcileDueRequest is reconcile_due's request, which has no fields: the
// schedule sends {"action":"reconcile_due"} and nothing else.
type ReconcileDueRequest struct{}

// Answers of ReconciliationFunction's actions.
type (
	// ReconcileRun is one reconciliation of an integration:
	// reconcile_conversions' answer, and what ReconcileDueResult and
	// ReconcileRunList hold.
	ReconcileRun = trackly.ReconcileRun

	// ReconcileDueResult is reconcile_due's answer.
	ReconcileDueResult = reconcile.DueResult

	// ReconcileRunList is list_reconciliation_runs' answer.
	ReconcileRunList = reconcile.RunList
)
