package app

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trackly/tune-integration/internal/admin"
)

// OfferSyncFunction runs the offer actions and the scheduled sync of due integrations.
func OfferSyncFunction(_ context.Context, awsCfg aws.Config, getenv Getenv) (lambda.Handler, error) {
	d, err := newDeps(awsCfg, getenv, "INTEGRATIONS_TABLE", "OFFERS_TABLE", "SYNC_RUNS_TABLE")
	if err != nil {
		return nil, err
	}
	return actionHandler(d, admin.NewRouter()), nil
}
