package conversions

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

// FallbackCurrency is used when neither the report, the offer nor the integration names one.
const FallbackCurrency = "USD"

// Claim is a conversion as a postback or a row of TUNE's conversions report
// tells it, before it is attributed. A field left empty is one the report
// does not tell.
type Claim struct {
	// ClickID is the click id TUNE passed back; LinkID the link it names
	// (read from the signed click id).
	ClickID, LinkID string
	// IntegrationID is the integration the report came through: the owner
	// of the postback's token, or the integration reconciled.
	IntegrationID        string
	ConversionID, GoalID string
	// OfferID is the offer the report names, used when neither the click
	// nor the link is found.
	OfferID    string
	Status     trackly.ConversionStatus
	Payout     *money.Amount
	Currency   string
	SaleAmount *money.Amount
	Source     string
	PostbackID string
	// At is when the conversion was received (a postback) or happened (a
	// report row): it decides attribution and the conversion's report day.
	At    time.Time
	Extra map[string]string
}

// State returns the state c reports for a recorded conversion: what c does
// not tell (a status, a payout, a currency) stays as recorded.
func (c Claim) State(recorded trackly.Conversion) trackly.ConversionState {
	s := recorded.State()
	if c.Status != "" {
		s.Status = c.Status
	}
	if c.Payout != nil {
		s.Payout = *c.Payout
	}
	if c.Currency != "" {
		s.Currency = c.Currency
	}
	return s
}

// LookupStore reads what attribution needs, a batch at a time.
type LookupStore interface {
	GetClicks(ctx context.Context, clickIDs []string) (map[string]trackly.Click, error)
	GetLinks(ctx context.Context, linkIDs []string) (map[string]trackly.Link, error)
	GetIntegrations(ctx context.Context, integrationIDs []string) (map[string]trackly.Integration, error)
	GetOffers(ctx context.Context, refs []trackly.OfferRef) (map[trackly.OfferRef]trackly.Offer, error)
}

// Batch holds what one batch of claims refers to.
type Batch struct {
	clicks       map[string]trackly.Click
	links        map[string]trackly.Link
	integrations map[string]trackly.Integration
	offers       map[trackly.OfferRef]trackly.Offer
}

// Lookup reads, in one batched read per table, everything claims refer to.
func Lookup(ctx context.Context, st LookupStore, claims []Claim) (Batch, error) {
	var b Batch
	var err error
	clickIDs := make([]string, len(claims))
	for i, c := range claims {
		clickIDs[i] = c.ClickID
	}
	if b.clicks, err = st.GetClicks(ctx, clickIDs); err != nil {
		return b, fmt.Errorf("clicks: %w", err)
	}
	var linkIDs []string
	for _, c := range claims {
		if _, ok := b.clicks[c.ClickID]; !ok && c.LinkID != "" {
			linkIDs = append(linkIDs, c.LinkID)
		}
	}
	if b.links, err = st.GetLinks(ctx, linkIDs); err != nil {
		return b, fmt.Errorf("links: %w", err)
	}
	var integrationIDs []string
	var offers []trackly.OfferRef
	for _, c := range claims {
		src := b.Source(c)
		integrationIDs = append(integrationIDs, src.IntegrationID, c.IntegrationID)
		offers = append(offers, trackly.OfferRef{IntegrationID: src.IntegrationID, OfferID: src.OfferID})
	}
	if b.integrations, err = st.GetIntegrations(ctx, integrationIDs); err != nil {
		return b, fmt.Errorf("integrations: %w", err)
	}
	if b.offers, err = st.GetOffers(ctx, offers); err != nil {
		return b, fmt.Errorf("offers: %w", err)
	}
	return b, nil
}

// Source is where a claim's conversion came from: its click, or failing
// that the link its signed click id names, or failing that only the
// integration it came through and the offer it names.
type Source struct {
	trackly.Link
	// Click is the claim's click, nil when it is not stored (never, or
	// expired past its attribution window).
	Click *trackly.Click
}

// Source returns where c's conversion came from.
func (b Batch) Source(c Claim) Source {
	if click, ok := b.clicks[c.ClickID]; ok {
		return Source{Link: trackly.Link{LinkID: click.LinkID, Placement: click.Placement}, Click: &click}
	}
	if l, ok := b.links[c.LinkID]; ok {
		return Source{Link: l}
	}
	return Source{Link: trackly.Link{LinkID: c.LinkID, Placement: trackly.Placement{IntegrationID: c.IntegrationID, OfferID: c.OfferID}}}
}

// Integration returns a looked-up integration.
func (b Batch) Integration(integrationID string) (trackly.Integration, bool) {
	in, ok := b.integrations[integrationID]
	return in, ok
}

// Conversion returns the conversion c records if it is new: attributed to
// its click when the click is stored and c came within its attribution
// window, an orphan otherwise, with the reason. A claim without a status is
// approved; without a payout it takes the offer's default payout, and
// without a currency the offer's, the integration's default, or
// FallbackCurrency. The caller sets its version (trackly.Conversion.Recorded).
func (b Batch) Conversion(c Claim) (conv trackly.Conversion, orphanReason string) {
	src := b.Source(c)
	integration := b.integrations[src.IntegrationID]
	offer := b.offers[trackly.OfferRef{IntegrationID: src.IntegrationID, OfferID: src.OfferID}]
	conv = trackly.Conversion{
		IntegrationID: src.IntegrationID,
		ConversionID:  c.ConversionID,
		GoalID:        c.GoalID,
		AccountID:     cmp.Or(src.AccountID, integration.AccountID, "unknown"),
		ClickID:       c.ClickID,
		LinkID:        src.LinkID,
		MessageID:     src.MessageID,
		CampaignID:    src.CampaignID,
		OfferID:       src.OfferID,
		Status:        cmp.Or(c.Status, trackly.StatusApproved),
		Payout:        payout(c.Payout, offer),
		Currency:      cmp.Or(c.Currency, offer.Currency, integration.DefaultCurrency, FallbackCurrency),
		SaleAmount:    c.SaleAmount,
		Source:        c.Source,
		PostbackID:    c.PostbackID,
		ReceivedAt:    c.At,
		Extra:         c.Extra,
	}
	if src.Click != nil && c.At.Before(src.Click.AttributableUntil) {
		conv.Attribution = trackly.ConversionAttributed
		conv.ClickedAt = src.Click.CreatedAt
		return conv, ""
	}
	conv.Attribution = trackly.ConversionOrphan
	if src.Click != nil {
		return conv, "the click expired: the conversion came after the attribution window"
	}
	return conv, "no click found for this click id (expired past the attribution window, or never stored)"
}

// payout is a reported payout (rounded where it came in) or, without one,
// the offer's default payout, rounded here as TUNE may give it more decimal
// places than an amount is stored with.
func payout(a *money.Amount, offer trackly.Offer) money.Amount {
	if a != nil {
		return *a
	}
	return offer.DefaultPayout.Round()
}
