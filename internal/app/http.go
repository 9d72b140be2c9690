package app

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/trackly/tune-integration/internal/clicks"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/queue"
)

// PostbackFunction serves TUNE's postbacks on the HTTP API. Its handler lives
// as long as the function instance, and with it what the handler keeps of the
// links and integrations it reads to check tokens.
func PostbackFunction(ctx context.Context, awsCfg aws.Config, getenv func(string) string) (lambda.Handler, error) {
	d, err := newDeps(awsCfg, getenv, "LINKS_TABLE", "INTEGRATIONS_TABLE", "POSTBACK_LOG_TABLE", "POSTBACK_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	signer, err := d.clickSigner(ctx)
	if err != nil {
		return nil, err
	}
	q := queue.NewSender(sqs.NewFromConfig(awsCfg), getenv("POSTBACK_QUEUE_URL"))
	h := postbacks.NewHandler(q, d.store, signer, d.logger, d.now)
	mux := http.NewServeMux()
	mux.Handle("GET /api/postbacks/tune", h)
	mux.Handle("POST /api/postbacks/tune", h)
	return lambda.NewHandler(httpadapter.NewV2(mux).ProxyWithContext), nil
}

// ClickFunction serves tracked SMS links on the HTTP API.
func ClickFunction(ctx context.Context, awsCfg aws.Config, getenv func(string) string) (lambda.Handler, error) {
	d, err := newDeps(awsCfg, getenv, "LINKS_TABLE", "OFFERS_TABLE", "INTEGRATIONS_TABLE", "CLICKS_TABLE")
	if err != nil {
		return nil, err
	}
	window, err := attributionWindow(getenv)
	if err != nil {
		return nil, err
	}
	// The signing key loads while the first tap reads its link, not during init.
	issuer := newKeyedIssuer(ctx, d.clickSigner)
	mux := http.NewServeMux()
	mux.Handle("GET /c/{link_id}", clicks.NewHandler(d.store, issuer, window, d.logger, d.now))
	return lambda.NewHandler(httpadapter.NewV2(mux).ProxyWithContext), nil
}
