package app

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trackly/tune-integration/internal/admin"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/tune"
)

// OfferSyncFunction runs the offer actions (test a TUNE connection, list the
// network's offers, import, list and sync offers, list sync runs) and the
// scheduled sync of due integrations. OFFER_PAGE_SIZE (default 500) sets the
// number of offers asked per TUNE list call. Every TUNE call takes a slot of
// its network's rate limit in TUNE_PACING_TABLE, so that the integrations of
// one network, in every instance of the function, share the network's pace.
func OfferSyncFunction(_ context.Context, awsCfg aws.Config, getenv func(string) string) (lambda.Handler, error) {
	d, err := newDeps(awsCfg, getenv, "INTEGRATIONS_TABLE", "OFFERS_TABLE", "SYNC_RUNS_TABLE", "TUNE_PACING_TABLE")
	if err != nil {
		return nil, err
	}
	pageSize, err := intEnv(getenv, "OFFER_PAGE_SIZE", offers.DefaultPageSize)
	if err != nil {
		return nil, err
	}
	pacing := getenv("TUNE_PACING_TABLE")
	svc := offers.NewService(d.store, d.secrets, offers.Options{
		PageSize: pageSize,
		Pacers: func(p tune.Pacing) tune.Pacer {
			return d.store.Pacer(pacing, p.Network, p.Limit, p.Window, p.CallTimeout)
		},
		Logger: d.logger,
		Now:    d.now,
	})
	return actionHandler(d, admin.NewOfferSyncRouter(svc)), nil
}
