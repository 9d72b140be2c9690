// Package adminfn wires the two functions that serve admin actions invoked
// directly: AdminFunction (integrations, links, reports, conversions, the
// postback log) and OfferSyncFunction (TUNE connections and offers, and the
// scheduled sync of due integrations). They share one package because both
// link package admin, whose routers use every service.
package adminfn

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/trackly/tune-integration/internal/admin"
	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/app"
	"github.com/trackly/tune-integration/internal/app/appsecrets"
	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/links"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/secrets"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// Admin is AdminFunction.
var Admin = appsecrets.Function("AdminFunction",
	[]string{"INTEGRATIONS_TABLE", "OFFERS_TABLE", "LINKS_TABLE", "CONVERSIONS_TABLE", "REPORTS_TABLE", "POSTBACK_LOG_TABLE", "PUBLIC_BASE_URL"},
	func(_ context.Context, d app.Deps, s *secrets.Store) (lambda.Handler, error) {
		window, err := d.AttributionWindow()
		if err != nil {
			return nil, err
		}
		base := d.Getenv("PUBLIC_BASE_URL")
		return ActionHandler(d.Logger, admin.NewAdminRouter(admin.AdminServices{
			Integrations: integrations.NewService(d.Store, s, base, window, d.Now),
			Links:        links.NewService(d.Store, base, d.Now),
			Reports:      reports.NewService(d.Store, d.Now),
			Conversions:  conversions.NewService(d.Store, d.Now),
			Records:      d.Store,
			Now:          d.Now,
		})), nil
	})

// OfferSync is OfferSyncFunction. OFFER_PAGE_SIZE (default 500) sets the
// number of offers asked per TUNE list call. Every TUNE call takes a slot of
// its network's rate limit in TUNE_PACING_TABLE, so that the integrations of
// one network, in every instance of the function, share the network's pace.
var OfferSync = appsecrets.Function("OfferSyncFunction",
	[]string{"INTEGRATIONS_TABLE", "OFFERS_TABLE", "SYNC_RUNS_TABLE", "TUNE_PACING_TABLE"},
	func(_ context.Context, d app.Deps, s *secrets.Store) (lambda.Handler, error) {
		pageSize, err := d.IntEnv("OFFER_PAGE_SIZE", offers.DefaultPageSize)
		if err != nil {
			return nil, err
		}
		pacing := d.Getenv("TUNE_PACING_TABLE")
		return ActionHandler(d.Logger, admin.NewOfferSyncRouter(offers.NewService(d.Store, s, offers.Options{
			PageSize: pageSize,
			Pacers: func(p tune.Pacing) tune.Pacer {
				return d.Store.Pacer(pacing, p.Network, p.Limit, p.Window, p.CallTimeout)
			},
			Logger: d.Logger,
			Now:    d.Now,
		}))), nil
	})

// ActionHandler serves a router's actions as a Lambda handler, logging each
// failed action with logger.
func ActionHandler(logger *slog.Logger, router *admin.Router) lambda.Handler {
	return lambda.NewHandler(func(ctx context.Context, payload json.RawMessage) (any, error) {
		out, err := router.Handle(ctx, payload)
		if err != nil {
			logger.WarnContext(ctx, "admin action failed", "error", err)
		}
		return out, invokeError(err)
	})
}

// invokeError turns an action's error into the function error Lambda reports
// (errorType and errorMessage, the error types of adminapi), so callers can
// tell bad input from TUNE's answers and from our own failures.
func invokeError(err error) error {
	if err == nil {
		return nil
	}
	if fe, ok := validate.AsFieldError(err); ok {
		return messages.InvokeResponse_Error{Type: adminapi.ErrorInvalidInput, Message: fe.Error()}
	}
	var te *tune.Error
	if errors.As(err, &te) {
		return messages.InvokeResponse_Error{Type: adminapi.ErrorTUNE, Message: te.Error()}
	}
	return messages.InvokeResponse_Error{Type: adminapi.ErrorInternal, Message: err.Error()}
}
