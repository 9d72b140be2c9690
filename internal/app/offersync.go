package app

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trackly/tune-integration/internal/admin"
	"github.com/trackly/tune-integration/internal/offers"
)

// OfferSyncFunction runs the offer actions (test a TUNE connection, list the
// network's offers, import, list and sync offers, list sync runs) and the
// scheduled sync of due integrations. OFFER_PAGE_SIZE (default 500) sets the
// number of offers asked per TUNE list call.
func OfferSyncFunction(_ context.Context, awsCfg aws.Config, getenv func(string) string) (lambda.Handler, error) {
	d, err := newDeps(awsCfg, getenv, "INTEGRATIONS_TABLE", "OFFERS_TABLE", "SYNC_RUNS_TABLE")
	if err != nil {
		return nil, err
	}
	pageSize, err := intEnv(getenv, "OFFER_PAGE_SIZE", offers.DefaultPageSize)
	if err != nil {
		return nil, err
	}
	svc := offers.NewService(d.store, d.secrets, offers.Options{
		PageSize: pageSize,
		Logger:   d.logger,
		Now:      d.now,
	})
	return actionHandler(d, admin.NewOfferSyncRouter(svc)), nil
}
