// Package attribution turns queued postbacks into conversions: it finds each
// postback's click, records the conversion exactly once (unique per integration,
// conversion id and goal id) together with its postback's outcome, keeps a
// conversion whose click cannot be found as an orphan, applies a postback that
// reports another status or payout for a recorded conversion as a change of
// it (package conversions), and rejects postbacks that fail authentication.
// The report counts each conversion and each change from the conversions
// table's stream (package reports).
package attribution

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Store is the storage attribution needs.
type Store interface {
	conversions.LookupStore
	conversions.Store
	SetPostbackOutcome(ctx context.Context, r trackly.PostbackResult) error
}

// Message is one queued postback as the queue delivers it.
type Message struct {
	ID   string
	Body []byte
	// ReceiveCount is how often the queue has delivered the message, this
	// delivery included (SQS's ApproximateReceiveCount), or 0 if unknown. The
	// messages received most often start first, so that a message a deadline
	// held back is not held back again behind newer ones.
	ReceiveCount int
}

// Outcome counts what a batch came to.
type Outcome struct {
	Attributed, Orphaned, Duplicates, Rejected, Failed int
	// Changed counts postbacks that changed a recorded conversion's status
	// or payout; Stale those that reported a state it may no longer take.
	Changed, Stale int
	// Deferred counts the messages the deadline left undone: not started
	// before it, or cut short by it. They are returned for redelivery.
	Deferred int
}

// Processor attributes batches of queued postbacks.
type Processor struct {
	// Workers is how many messages of a batch are attributed at once.
	Workers int
	// Margin is the time Process keeps before its context's deadline: no
	// message starts within it, and work still running in its second half is
	// cancelled, so that the batch is answered before Lambda ends the
	// invocation. Zero keeps a fifth of the time left when the batch arrives,
	// at most DefaultMargin.
	Margin time.Duration

	store  Store
	ledger *conversions.Ledger
	logger *slog.Logger
	now    func() time.Time
}

// NewProcessor returns a Processor of DefaultWorkers workers.
func NewProcessor(st Store, logger *slog.Logger, now func() time.Time) *Processor {
	return &Processor{Workers: DefaultWorkers, store: st, ledger: conversions.NewLedger(st), logger: logger, now: now}
}

// Process attributes a batch and returns the ids of the messages that must be
// delivered again: those that met a transient failure, those that can never be
// read (which the queue's redrive policy eventually moves to the dead-letter
// queue), and those that ctx's deadline left undone. It attributes up to
// Workers messages at once and answers before the deadline (see Margin); a
// message it returns is not counted as done and its postback log entry is left
// as it is.
func (p *Processor) Process(ctx context.Context, msgs []Message) ([]string, Outcome) {
	stopStarting, work, cancel := p.budget(ctx)
	defer cancel()
	var out Outcome
	var failed []string
	jobs := make([]*job, 0, len(msgs))
	for _, m := range msgs {
		var pb postbacks.Message
		if err := json.Unmarshal(m.Body, &pb); err != nil || pb.ClickID == "" || pb.ConversionID == "" {
			p.logger.ErrorContext(ctx, "unreadable postback message; leaving it for redrive", "message_id", m.ID, "error", err)
			failed = append(failed, m.ID)
			out.Failed++
			continue
		}
		jobs = append(jobs, &job{id: m.ID, receives: m.ReceiveCount, pb: pb})
	}
	if len(jobs) == 0 {
		return failed, out
	}

	if !p.mayStart(work, stopStarting) {
		return p.deferAll(ctx, failed, out, jobs)
	}
	claims := make([]conversions.Claim, len(jobs))
	for i, j := range jobs {
		claims[i] = claimOf(j.pb)
	}
	b, err := conversions.Lookup(work, p.store, claims)
	if err != nil && work.Err() != nil {
		return p.deferAll(ctx, failed, out, jobs)
	}
	if err != nil {
		p.logger.ErrorContext(ctx, "batch lookup failed; retrying the batch", "error", err)
		out.Failed += len(jobs)
		for _, j := range jobs {
			failed = append(failed, j.id)
		}
		return failed, out
	}
	p.attributeAll(work, stopStarting, b, jobs)
	for _, j := range jobs {
		switch {
		case j.deferred:
			failed = append(failed, j.id)
			out.Deferred++
		case j.err != nil:
			p.logger.ErrorContext(ctx, "attribution failed; will retry", "message_id", j.id, "postback_id", j.pb.PostbackID, "error", j.err)
			failed = append(failed, j.id)
			out.Failed++
		case j.outcome == trackly.PostbackAttributed:
			out.Attributed++
		case j.outcome == trackly.PostbackOrphaned:
			out.Orphaned++
		case j.outcome == trackly.PostbackDuplicate:
			out.Duplicates++
		case j.outcome == trackly.PostbackChanged:
			out.Changed++
		case j.outcome == trackly.PostbackStale:
			out.Stale++
		case j.outcome == trackly.PostbackRejected:
			out.Rejected++
		}
	}
	if out.Deferred > 0 {
		p.logger.WarnContext(ctx, "deadline near; returning the messages not done for redelivery", "deferred", out.Deferred)
	}
	return failed, out
}

// deferAll returns every job for redelivery, undone: the deadline came before any could start.
func (p *Processor) deferAll(ctx context.Context, failed []string, out Outcome, jobs []*job) ([]string, Outcome) {
	p.logger.WarnContext(ctx, "deadline near; returning the batch for redelivery", "deferred", len(jobs))
	for _, j := range jobs {
		failed = append(failed, j.id)
	}
	out.Deferred += len(jobs)
	return failed, out
}

// claimOf is what a queued postback tells of its conversion.
func claimOf(m postbacks.Message) conversions.Claim {
	return conversions.Claim{
		ClickID: m.ClickID, LinkID: m.LinkID, IntegrationID: m.TokenOwner,
		ConversionID: m.ConversionID, GoalID: m.GoalID, OfferID: m.OfferID,
		Status: m.Status, Payout: m.Payout, Currency: m.Currency, SaleAmount: m.SaleAmount,
		Source: m.Source, PostbackID: m.PostbackID, At: m.ReceivedAt, Extra: m.Extra,
	}
}

// attribute records one postback's conversion, or applies the change it
// reports to the recorded one, and returns its outcome.
func (p *Processor) attribute(ctx context.Context, b conversions.Batch, m postbacks.Message) (trackly.PostbackOutcome, error) {
	now := p.now().UTC()
	result := trackly.PostbackResult{PostbackID: m.PostbackID, ReceivedAt: m.ReceivedAt, UpdatedAt: now}
	claim := claimOf(m)
	src := b.Source(claim)
	integration, known := b.Integration(src.IntegrationID)

	if reason := authFailure(m, src, integration, known); reason != "" {
		result.Outcome, result.Reason = trackly.PostbackRejected, reason
		if err := p.store.SetPostbackOutcome(ctx, result); err != nil {
			return "", err
		}
		p.logger.WarnContext(ctx, "postback rejected", "postback_id", m.PostbackID, "reason", reason)
		return trackly.PostbackRejected, nil
	}

	c, orphanReason := b.Conversion(claim)
	result.Conversion = c.Ref()
	report := conversions.Report{
		New:    c,
		Claim:  claim.State,
		Origin: trackly.Origin{Source: trackly.SourcePostback, At: now, PostbackID: m.PostbackID},
	}
	res, err := p.ledger.Settle(ctx, report, func(r conversions.Result) *trackly.PostbackResult {
		logged := postbackResult(result, r, orphanReason)
		return &logged
	})
	if err != nil {
		return "", err
	}
	logged := postbackResult(result, res, orphanReason)
	if !res.Logged {
		if err := p.store.SetPostbackOutcome(ctx, logged); err != nil {
			return "", err
		}
	}
	if res.Outcome == conversions.Recorded || res.Outcome == conversions.Changed {
		p.logger.InfoContext(ctx, "conversion "+string(res.Outcome), "postback_id", m.PostbackID, "integration_id", c.IntegrationID,
			"conversion_id", c.ConversionID, "goal_id", c.GoalID, "attribution", res.Conversion.Attribution, "status", res.Conversion.Status,
			"payout", res.Conversion.Payout.String(), "currency", res.Conversion.Currency, "version", res.Conversion.Version, "again", res.Again)
	}
	return logged.Outcome, nil
}

// postbackResult is what the postback log says of a postback whose
// conversion came to r: attributed or orphaned as the conversion it recorded
// is, changed, duplicate or stale.
func postbackResult(result trackly.PostbackResult, r conversions.Result, orphanReason string) trackly.PostbackResult {
	c := r.Conversion
	switch r.Outcome {
	case conversions.Recorded:
		result.Outcome, result.Reason = trackly.PostbackAttributed, ""
		if c.Attribution != trackly.ConversionAttributed {
			result.Outcome, result.Reason = trackly.PostbackOrphaned, orphanReason
			if r.Again {
				result.Reason = "no click was found for this click id when its conversion was recorded"
			}
		}
	case conversions.Changed:
		result.Outcome = trackly.PostbackChanged
		if last := c.History[len(c.History)-1]; last.From != nil {
			result.Reason = fmt.Sprintf("changed the conversion from %v to %v (version %d)", *last.From, last.To, last.Version)
		}
		if r.Again {
			result.Reason = "this postback changed the conversion before; delivered again, it changed nothing"
		}
	case conversions.Same:
		result.Outcome, result.Reason = trackly.PostbackDuplicate, fmt.Sprintf("this conversion (integration, conversion id, goal id) is already recorded as %v", c.State())
	case conversions.Stale:
		result.Outcome, result.Reason = trackly.PostbackStale, fmt.Sprintf("the conversion is %v; a decided conversion never becomes pending again, so this postback is older than what is recorded", c.State())
	}
	return result
}

// authFailure says why a postback may not become a conversion, or "" when it may.
func authFailure(m postbacks.Message, src conversions.Source, integration trackly.Integration, known bool) string {
	if m.TokenOwner != "" && src.IntegrationID != "" && m.TokenOwner != src.IntegrationID {
		return "the postback token belongs to another integration than the click"
	}
	if known && integration.RequirePostbackToken && m.TokenOwner == "" {
		return "the integration requires a postback token and none was sent; copy the postback URL again with `trackly integrations postback-url`"
	}
	return ""
}
