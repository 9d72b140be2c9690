// Package reportsfn wires ReportsFunction, which counts the clicks and
// conversions that the streams of their tables deliver into the report rows.
package reportsfn

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/trackly/tune-integration/internal/app"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Function is ReportsFunction. It counts each change exactly once (marked in
// COUNTED_CHANGES_TABLE). It answers with the first record it did not count in
// batchItemFailures, so that Lambda delivers it and those after it again; it
// never fails the whole batch.
var Function = app.Function{Name: "ReportsFunction", Required: []string{"CLICKS_TABLE", "CONVERSIONS_TABLE", "REPORTS_TABLE", "COUNTED_CHANGES_TABLE"}, Build: build}

func build(_ context.Context, d app.Deps) (lambda.Handler, error) {
	counter := reports.NewCounter(d.Store, d.Logger)
	return lambda.NewHandler(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		// Readable records are counted even after one that is not: Lambda
		// delivers the batch again from the unreadable record until it gives
		// up on it and discards the records from it on, which are then
		// counted already but for it. The marks keep the deliveries again
		// from counting any record twice.
		changes := make([]trackly.Change, 0, len(ev.Records))
		recordOf := make([]int, 0, len(ev.Records)) // the index in ev.Records of each change
		retryFrom := len(ev.Records)
		for i, r := range ev.Records {
			ch, err := d.Store.DecodeChange(r)
			if err != nil {
				d.Logger.ErrorContext(ctx, "unreadable stream record", "sequence_number", r.Change.SequenceNumber, "error", err)
				retryFrom = min(retryFrom, i)
				continue
			}
			changes = append(changes, ch)
			recordOf = append(recordOf, i)
		}
		counted, err := counter.Count(ctx, changes)
		if counted < len(changes) {
			retryFrom = min(retryFrom, recordOf[counted])
			d.Logger.WarnContext(ctx, "changes left for redelivery", "counted", counted, "changes", len(changes), "error", err)
		}
		d.Logger.InfoContext(ctx, "changes counted", "records", len(ev.Records), "counted", counted)
		var res events.DynamoDBEventResponse
		if retryFrom < len(ev.Records) {
			res.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[retryFrom].Change.SequenceNumber}}
		}
		return res, nil
	}), nil
}
