// Package reconciliationfn wires ReconciliationFunction, which reconciles
// integrations' conversions with TUNE's conversions report: the integrations
// that are due on the schedule (reconcile_due), one integration on demand
// (reconcile_conversions), and lists the runs (list_reconciliation_runs).
package reconciliationfn

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/trackly/tune-integration/internal/admin"
	"github.com/trackly/tune-integration/internal/app"
	"github.com/trackly/tune-integration/internal/app/adminfn"
	"github.com/trackly/tune-integration/internal/app/appsecrets"
	"github.com/trackly/tune-integration/internal/reconcile"
	"github.com/trackly/tune-integration/internal/secrets"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/tuneclients"
	"github.com/trackly/tune-integration/internal/validate"
)

// reportCallTimeout bounds each conversions report call: a day of a busy
// network's conversions takes TUNE longer than the tune client's default.
const reportCallTimeout = 30 * time.Second

// Function is ReconciliationFunction. RECONCILE_PAGE_SIZE (default 1000)
// sets the rows asked per report call. Every TUNE call takes a slot of its
// network's rate limit in TUNE_PACING_TABLE, as offer syncs' calls do, so
// that both keep within the network's pace together.
var Function = appsecrets.Function("ReconciliationFunction",
	[]string{"INTEGRATIONS_TABLE", "OFFERS_TABLE", "LINKS_TABLE", "CLICKS_TABLE", "CONVERSIONS_TABLE", "RECONCILE_RUNS_TABLE", "TUNE_PACING_TABLE"},
	func(ctx context.Context, d app.Deps, s *secrets.Store) (lambda.Handler, error) {
		pageSize, err := d.IntEnv("RECONCILE_PAGE_SIZE", reconcile.DefaultPageSize)
		if err != nil {
			return nil, err
		}
		pacing := d.Getenv("TUNE_PACING_TABLE")
		clients := tuneclients.New(s, tuneclients.Options{
			CallTimeout: reportCallTimeout,
			Pacers: func(p tune.Pacing) tune.Pacer {
				return d.Store.Pacer(pacing, p.Network, p.Limit, p.Window, p.CallTimeout)
			},
		})
		rc := reconcile.New(d.Store, reports{clients}, appsecrets.NewClickSigner(ctx, s),
			reconcile.Options{PageSize: pageSize, Logger: d.Logger, Now: d.Now})
		return adminfn.ActionHandler(d.Logger, admin.NewReconciliationRouter(rc)), nil
	})

// reports opens integrations' conversions reports through their TUNE clients.
type reports struct{ clients *tuneclients.Clients }

// Report returns the integration's TUNE client. Settings that cannot make
// one (no API key, say) are the admin's to fix: a field error.
func (r reports) Report(ctx context.Context, in trackly.Integration) (reconcile.Report, error) {
	c, err := r.clients.Client(ctx, in)
	var se *tuneclients.SettingsError
	if errors.As(err, &se) {
		return nil, validate.Field("integration_id", "%s", se.Message)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}
