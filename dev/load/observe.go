package load

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trackly/tune-integration/dev/localcloud"
	"github.com/trackly/tune-integration/dev/samtemplate"
	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// observation is what the system shows: through the admin actions, as an admin reads it, and the
// depth of its queues.
type observation struct {
	lines       map[lineKey]reports.Line
	conversions map[trackly.ConversionRef]trackly.Conversion
	log         map[string]trackly.PostbackLogEntry
	// polled and deadLetter count the messages of the queues functions poll and of the dead-letter
	// queues, by logical ID.
	polled, deadLetter map[string]int
}

// listPageSize is the page size of the listings read.
const listPageSize = 1000

// observe reads what the system shows.
func (r *run) observe(ctx context.Context, e *expectation) (*observation, error) {
	o := &observation{
		lines:       map[lineKey]reports.Line{},
		conversions: map[trackly.ConversionRef]trackly.Conversion{},
		log:         map[string]trackly.PostbackLogEntry{},
	}
	var err error
	if o.polled, err = r.queueDepths(ctx, polledQueues(r.sys.Cloud.Template())); err != nil {
		return nil, err
	}
	if o.deadLetter, err = r.queueDepths(ctx, deadLetterQueues(r.sys.Cloud.Template())); err != nil {
		return nil, err
	}
	for _, dim := range reports.Dimensions {
		var rep reports.Report
		if err := r.invoke(ctx, map[string]any{
			"action": "report", "account_id": accountID, "dimension": dim, "from": e.from, "to": e.to, "by_day": e.byDay,
		}, &rep); err != nil {
			return nil, err
		}
		for _, l := range rep.Lines {
			o.lines[lineKey{dim: dim, id: l.ID, day: l.Day}] = l
		}
	}
	conversions := map[string]any{"action": "list_conversions", "account_id": accountID, "limit": listPageSize}
	if err := readPages(ctx, r, conversions, func(page adminapi.ConversionList) string {
		for _, c := range page.Conversions {
			o.conversions[c.Ref()] = c
		}
		return page.NextCursor
	}); err != nil {
		return nil, err
	}
	for day := e.from; day <= e.to; day = nextDay(day) {
		postbacks := map[string]any{"action": "list_postbacks", "day": day, "limit": listPageSize}
		if err := readPages(ctx, r, postbacks, func(page adminapi.PostbackList) string {
			for _, p := range page.Postbacks {
				o.log[p.PostbackID] = p
			}
			return page.NextCursor
		}); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// readPages reads every page of the listing that req asks for, each an A, and hands each to read,
// which returns the page's cursor to the next one, empty after the last.
func readPages[A any](ctx context.Context, r *run, req map[string]any, read func(page A) (next string)) error {
	for {
		var page A
		if err := r.invoke(ctx, req, &page); err != nil {
			return err
		}
		next := read(page)
		if next == "" {
			return nil
		}
		req["cursor"] = next
	}
}

// nextDay returns the UTC day after day.
func nextDay(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return "9999-12-31"
	}
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// polledQueues returns the logical IDs of the queues a function polls.
func polledQueues(t *samtemplate.Template) []string {
	ids := map[string]bool{}
	for _, f := range t.Functions {
		for _, src := range f.SQSSources {
			if src.Enabled && src.Queue != "" {
				ids[src.Queue] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(ids))
}

// deadLetterQueues returns the logical IDs of the dead-letter queues: those of the queues' redrive
// policies and the on-failure destinations of the DynamoDB stream event sources.
func deadLetterQueues(t *samtemplate.Template) []string {
	ids := map[string]bool{}
	for _, q := range t.Queues {
		if q.RedrivePolicy != nil && q.RedrivePolicy.DeadLetterQueue != "" {
			ids[q.RedrivePolicy.DeadLetterQueue] = true
		}
	}
	for _, f := range t.Functions {
		for _, src := range f.DynamoDBSources {
			if src.OnFailureQueue != "" {
				ids[src.OnFailureQueue] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(ids))
}

// queueDepths counts the messages of queues, visible, in flight or delayed.
func (r *run) queueDepths(ctx context.Context, logicalIDs []string) (map[string]int, error) {
	client := sqs.NewFromConfig(r.sys.Cloud.AWSConfig())
	depths := map[string]int{}
	for _, id := range logicalIDs {
		n, err := localcloud.CountMessages(ctx, client, r.sys.Cloud.QueueURL(id),
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", id, err)
		}
		depths[id] = n
	}
	return depths, nil
}
