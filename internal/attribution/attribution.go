// Package attribution turns queued postbacks into conversions: it finds each
// postback's click, records the conversion exactly once (unique per integration,
// conversion id and goal id) together with its postback's outcome, keeps a
// conversion whose click cannot be found as an orphan, and rejects postbacks
// that fail authentication. The report counts each conversion from the
// conversions table's stream (package reports).
package attribution

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/trackly"
)

// FallbackCurrency is used when neither the postback, the offer nor the integration names one.
const FallbackCurrency = "USD"

// Store is the storage attribution needs.
type Store interface {
	GetClicks(ctx context.Context, clickIDs []string) (map[string]trackly.Click, error)
	GetLinks(ctx context.Context, linkIDs []string) (map[string]trackly.Link, error)
	GetIntegrations(ctx context.Context, integrationIDs []string) (map[string]trackly.Integration, error)
	GetOffers(ctx context.Context, refs []trackly.OfferRef) (map[trackly.OfferRef]trackly.Offer, error)
	RecordConversion(ctx context.Context, c trackly.Conversion, result trackly.PostbackResult) error
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
	logger *slog.Logger
	now    func() time.Time
}

// NewProcessor returns a Processor of DefaultWorkers workers.
func NewProcessor(st Store, logger *slog.Logger, now func() time.Time) *Processor {
	return &Processor{Workers: DefaultWorkers, store: st, logger: logger, now: now}
}

// batch holds what one batch's lookups found.
type batch struct {
	clicks       map[string]trackly.Click
	links        map[string]trackly.Link
	integrations map[string]trackly.Integration
	offers       map[trackly.OfferRef]trackly.Offer
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
	decoded := make([]postbacks.Message, len(jobs))
	for i, j := range jobs {
		decoded[i] = j.pb
	}
	b, err := p.lookup(work, decoded)
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

// lookup reads, in one batched read per table, everything the batch refers to.
func (p *Processor) lookup(ctx context.Context, msgs []postbacks.Message) (batch, error) {
	var b batch
	var err error
	clickIDs := make([]string, len(msgs))
	for i, m := range msgs {
		clickIDs[i] = m.ClickID
	}
	if b.clicks, err = p.store.GetClicks(ctx, clickIDs); err != nil {
		return b, fmt.Errorf("clicks: %w", err)
	}
	var linkIDs []string
	for _, m := range msgs {
		if _, ok := b.clicks[m.ClickID]; !ok {
			linkIDs = append(linkIDs, m.LinkID)
		}
	}
	if b.links, err = p.store.GetLinks(ctx, linkIDs); err != nil {
		return b, fmt.Errorf("links: %w", err)
	}
	var integrationIDs []string
	var offers []trackly.OfferRef
	for _, m := range msgs {
		src := b.source(m)
		integrationIDs = append(integrationIDs, src.IntegrationID, m.TokenOwner)
		offers = append(offers, trackly.OfferRef{IntegrationID: src.IntegrationID, OfferID: src.OfferID})
	}
	if b.integrations, err = p.store.GetIntegrations(ctx, integrationIDs); err != nil {
		return b, fmt.Errorf("integrations: %w", err)
	}
	if b.offers, err = p.store.GetOffers(ctx, offers); err != nil {
		return b, fmt.Errorf("offers: %w", err)
	}
	return b, nil
}

// source is where a postback's conversion came from: its click, or failing
// that the link its signed click id names.
type source struct {
	trackly.Link
	click *trackly.Click
}

func (b batch) source(m postbacks.Message) source {
	if c, ok := b.clicks[m.ClickID]; ok {
		return source{Link: trackly.Link{LinkID: c.LinkID, Placement: c.Placement}, click: &c}
	}
	if l, ok := b.links[m.LinkID]; ok {
		return source{Link: l}
	}
	return source{Link: trackly.Link{LinkID: m.LinkID, Placement: trackly.Placement{IntegrationID: m.TokenOwner, OfferID: m.OfferID}}}
}

// attribute records one postback's conversion and returns its outcome.
func (p *Processor) attribute(ctx context.Context, b batch, m postbacks.Message) (trackly.PostbackOutcome, error) {
	result := trackly.PostbackResult{PostbackID: m.PostbackID, ReceivedAt: m.ReceivedAt, UpdatedAt: p.now().UTC()}
	src := b.source(m)
	integration, known := b.integrations[src.IntegrationID]

	if reason := authFailure(m, src, integration, known); reason != "" {
		result.Outcome, result.Reason = trackly.PostbackRejected, reason
		if err := p.store.SetPostbackOutcome(ctx, result); err != nil {
			return "", err
		}
		p.logger.WarnContext(ctx, "postback rejected", "postback_id", m.PostbackID, "reason", reason)
		return trackly.PostbackRejected, nil
	}

	offer := b.offers[trackly.OfferRef{IntegrationID: src.IntegrationID, OfferID: src.OfferID}]
	c := trackly.Conversion{
		IntegrationID: src.IntegrationID,
		ConversionID:  m.ConversionID,
		GoalID:        m.GoalID,
		AccountID:     src.AccountID,
		ClickID:       m.ClickID,
		LinkID:        src.LinkID,
		MessageID:     src.MessageID,
		CampaignID:    src.CampaignID,
		OfferID:       src.OfferID,
		Status:        m.Status,
		Payout:        payout(m.Payout, offer),
		Currency:      cmp.Or(m.Currency, offer.Currency, integration.DefaultCurrency, FallbackCurrency),
		SaleAmount:    m.SaleAmount,
		Source:        m.Source,
		PostbackID:    m.PostbackID,
		ReceivedAt:    m.ReceivedAt,
		Extra:         m.Extra,
	}
	if c.AccountID == "" {
		c.AccountID = cmp.Or(integration.AccountID, "unknown")
	}

	if src.click != nil && m.ReceivedAt.Before(src.click.AttributableUntil) {
		c.Attribution = trackly.ConversionAttributed
		c.ClickedAt = src.click.CreatedAt
		result.Outcome = trackly.PostbackAttributed
	} else {
		c.Attribution = trackly.ConversionOrphan
		result.Outcome = trackly.PostbackOrphaned
		result.Reason = "no click found for this click id (expired past the attribution window, or never stored)"
		if src.click != nil {
			result.Reason = "the click expired: the conversion came after the attribution window"
		}
	}
	result.Conversion = c.Ref()

	err := p.store.RecordConversion(ctx, c, result)
	var dup *trackly.DuplicateError
	if errors.As(err, &dup) && dup.Recorded.PostbackID == m.PostbackID {
		// This very postback recorded the conversion, and its message came
		// again (the answer of the write was lost, or SQS delivered it twice):
		// its outcome is its conversion's.
		result = ownOutcome(result, dup.Recorded)
		if err := p.store.SetPostbackOutcome(ctx, result); err != nil {
			return "", err
		}
		return result.Outcome, nil
	}
	if errors.Is(err, trackly.ErrDuplicate) {
		result.Outcome, result.Reason = trackly.PostbackDuplicate, "this conversion (integration, conversion id, goal id) was already recorded"
		if err := p.store.SetPostbackOutcome(ctx, result); err != nil {
			return "", err
		}
		return trackly.PostbackDuplicate, nil
	}
	if err != nil {
		return "", err
	}
	p.logger.InfoContext(ctx, "conversion recorded", "postback_id", m.PostbackID, "integration_id", c.IntegrationID,
		"conversion_id", c.ConversionID, "goal_id", c.GoalID, "attribution", c.Attribution, "payout", c.Payout.String(), "currency", c.Currency)
	return result.Outcome, nil
}

// authFailure says why a postback may not become a conversion, or "" when it may.
func authFailure(m postbacks.Message, src source, integration trackly.Integration, known bool) string {
	if m.TokenOwner != "" && src.IntegrationID != "" && m.TokenOwner != src.IntegrationID {
		return "the postback token belongs to another integration than the click"
	}
	if known && integration.RequirePostbackToken && m.TokenOwner == "" {
		return "the integration requires a postback token and none was sent; copy the postback URL again with `trackly integrations postback-url`"
	}
	return ""
}

// ownOutcome is the outcome of a postback whose conversion was recorded by an
// earlier delivery of the same message: attributed or orphaned as the
// recorded conversion is, whatever this delivery found.
func ownOutcome(result trackly.PostbackResult, recorded trackly.Conversion) trackly.PostbackResult {
	switch {
	case recorded.Attribution == trackly.ConversionAttributed:
		result.Outcome, result.Reason = trackly.PostbackAttributed, ""
	case result.Outcome != trackly.PostbackOrphaned:
		result.Outcome, result.Reason = trackly.PostbackOrphaned, "no click was found for this click id when its conversion was recorded"
	}
	return result
}

// payout is a postback's payout (rounded where it came in) or, without one,
// the offer's default payout, rounded here as TUNE may give it more decimal
// places than an amount is stored with.
func payout(a *money.Amount, offer trackly.Offer) money.Amount {
	if a != nil {
		return *a
	}
	return offer.DefaultPayout.Round()
}
