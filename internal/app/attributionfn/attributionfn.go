// Package attributionfn wires AttributionFunction, which attributes SQS
// batches of postbacks, reporting partial batch failures.
package attributionfn

import (
	"context"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/trackly/tune-integration/internal/app"
	"github.com/trackly/tune-integration/internal/attribution"
)

// Function is AttributionFunction.
var Function = app.Function{Name: "AttributionFunction", Required: []string{"CLICKS_TABLE", "LINKS_TABLE", "OFFERS_TABLE", "INTEGRATIONS_TABLE", "CONVERSIONS_TABLE", "REPORTS_TABLE", "POSTBACK_LOG_TABLE"}, Build: build}

func build(_ context.Context, d app.Deps) (lambda.Handler, error) {
	p := attribution.NewProcessor(d.Store, d.Logger, d.Now)
	return lambda.NewHandler(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		msgs := make([]attribution.Message, len(ev.Records))
		for i, r := range ev.Records {
			// Unknown (0) if SQS did not say: the message then merely loses its place in line.
			receives, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
			msgs[i] = attribution.Message{ID: r.MessageId, Body: []byte(r.Body), ReceiveCount: receives}
		}
		// The Lambda context carries the invocation's deadline, which Process keeps.
		failed, outcome := p.Process(ctx, msgs)
		d.Logger.InfoContext(ctx, "batch attributed", "messages", len(msgs), "attributed", outcome.Attributed,
			"orphaned", outcome.Orphaned, "duplicates", outcome.Duplicates, "rejected", outcome.Rejected, "failed", outcome.Failed,
			"deferred", outcome.Deferred)
		var res events.SQSEventResponse
		for _, id := range failed {
			res.BatchItemFailures = append(res.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
		return res, nil
	}), nil
}
