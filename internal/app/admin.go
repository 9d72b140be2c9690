package app

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trackly/tune-integration/internal/admin"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/links"
	"github.com/trackly/tune-integration/internal/reports"
)

// AdminFunction runs admin actions invoked directly: integrations, links, reports, conversions.
func AdminFunction(_ context.Context, awsCfg aws.Config, getenv func(string) string) (lambda.Handler, error) {
	d, err := newDeps(awsCfg, getenv, "INTEGRATIONS_TABLE", "OFFERS_TABLE", "LINKS_TABLE", "CONVERSIONS_TABLE", "REPORTS_TABLE", "POSTBACK_LOG_TABLE", "PUBLIC_BASE_URL")
	if err != nil {
		return nil, err
	}
	window, err := attributionWindow(getenv)
	if err != nil {
		return nil, err
	}
	base := getenv("PUBLIC_BASE_URL")
	router := admin.NewAdminRouter(admin.AdminServices{
		Integrations: integrations.NewService(d.store, d.secrets, base, window, d.now),
		Links:        links.NewService(d.store, base, d.now),
		Reports:      reports.NewService(d.store, d.now),
		Records:      d.store,
		Now:          d.now,
	})
	return actionHandler(d, router), nil
}

// actionHandler serves a router's actions as a Lambda handler.
func actionHandler(d deps, router *admin.Router) lambda.Handler {
	return lambda.NewHandler(func(ctx context.Context, payload json.RawMessage) (any, error) {
		out, err := router.Handle(ctx, payload)
		if err != nil {
			d.logger.WarnContext(ctx, "admin action failed", "error", err)
		}
		return out, invokeError(err)
	})
}
