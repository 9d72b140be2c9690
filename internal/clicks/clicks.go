// Package clicks records taps on tracked SMS links and sends each tapper on to
// the offer's TUNE tracking link with a fresh, signed click id.
package clicks

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/trackly/tune-integration/internal/trackly"
)

// Store is the storage the click handler needs.
type Store interface {
	GetLink(ctx context.Context, linkID string) (trackly.Link, error)
	GetIntegration(ctx context.Context, integrationID string) (trackly.Integration, error)
	GetOffer(ctx context.Context, integrationID, offerID string) (trackly.Offer, error)
	RecordClick(ctx context.Context, c trackly.Click) error
}

// IDIssuer issues signed click ids for a link.
type IDIssuer interface {
	New(linkID string) (string, error)
}

const maxStoredUserAgent = 256

// Handler serves GET and HEAD /c/{link_id}.
type Handler struct {
	store         Store
	ids           IDIssuer
	defaultWindow int
	logger        *slog.Logger
	now           func() time.Time
}

// NewHandler returns a click handler. defaultWindowDays is the attribution
// window of integrations that do not set one.
func NewHandler(st Store, ids IDIssuer, defaultWindowDays int, logger *slog.Logger, now func() time.Time) *Handler {
	return &Handler{store: st, ids: ids, defaultWindow: defaultWindowDays, logger: logger, now: now}
}

// ServeHTTP records a click and redirects to the offer's tracking link. A HEAD
// request (a link checker, an SMS gateway testing the link) gets the answer a
// GET gets, with a fresh click id, but records no click: nobody tapped.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	linkID := r.PathValue("link_id")
	if !trackly.ValidLinkID(linkID) {
		page(w, http.StatusNotFound, "Link not found", "This link does not exist. Please check the address in your message.")
		return
	}
	link, integration, offer, err := h.lookup(ctx, linkID)
	if errors.Is(err, trackly.ErrNotFound) {
		page(w, http.StatusNotFound, "Link not found", "This link does not exist or is no longer available.")
		return
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "click lookup failed", "link_id", linkID, "error", err)
		w.Header().Set("Retry-After", "5")
		page(w, http.StatusServiceUnavailable, "Try again in a moment", "We could not open this link right now. Please try again in a few seconds.")
		return
	}

	clickID, err := h.ids.New(link.LinkID)
	if err != nil {
		h.logger.ErrorContext(ctx, "issue click id", "link_id", linkID, "error", err)
		page(w, http.StatusInternalServerError, "Something went wrong", "We could not open this link. Please try again later.")
		return
	}
	target, err := RedirectURL(offer.TrackingURL, integration.ClickParam, clickID)
	if err != nil {
		h.logger.ErrorContext(ctx, "offer has no usable tracking URL", "link_id", linkID, "offer_id", offer.OfferID, "error", err)
		page(w, http.StatusNotFound, "Offer unavailable", "The offer behind this link is not available right now.")
		return
	}

	if r.Method != http.MethodHead {
		h.record(ctx, r.UserAgent(), link, integration, clickID)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusFound)
}

// record stores the click a tap by userAgent made. A click that fails to store
// is logged, not answered: the tapper still reaches the offer, and the signed
// click id lets its conversion be kept as an orphan.
func (h *Handler) record(ctx context.Context, userAgent string, link trackly.Link, integration trackly.Integration, clickID string) {
	now := h.now().UTC()
	window := integration.AttributionWindowDays
	if window <= 0 {
		window = h.defaultWindow
	}
	click := trackly.Click{
		ClickID:           clickID,
		LinkID:            link.LinkID,
		Placement:         link.Placement,
		Bot:               IsBot(userAgent),
		UserAgent:         truncate(userAgent, maxStoredUserAgent),
		CreatedAt:         now,
		AttributableUntil: now.AddDate(0, 0, window),
	}
	err := h.store.RecordClick(ctx, click)
	switch {
	case errors.Is(err, trackly.ErrConflict):
		// The click id was issued for this tap alone: the click stored under it is this one,
		// written by an attempt whose answer was lost before the store's retry.
	case err != nil:
		h.logger.ErrorContext(ctx, "record click failed; redirecting anyway", "link_id", link.LinkID, "click_id", clickID, "error", err)
	}
}

// lookup reads a link, then its integration and offer at once: a tap waits
// for two reads in a row, not three.
func (h *Handler) lookup(ctx context.Context, linkID string) (trackly.Link, trackly.Integration, trackly.Offer, error) {
	link, err := h.store.GetLink(ctx, linkID)
	if err != nil {
		return link, trackly.Integration{}, trackly.Offer{}, err
	}
	var (
		wg          sync.WaitGroup
		integration trackly.Integration
		offer       trackly.Offer
		inErr       error
		offerErr    error
	)
	wg.Go(func() { integration, inErr = h.store.GetIntegration(ctx, link.IntegrationID) })
	wg.Go(func() { offer, offerErr = h.store.GetOffer(ctx, link.IntegrationID, link.OfferID) })
	wg.Wait()
	if inErr != nil {
		return link, integration, offer, fmt.Errorf("integration %s: %w", link.IntegrationID, inErr)
	}
	if offerErr != nil {
		return link, integration, offer, fmt.Errorf("offer %s: %w", link.OfferID, offerErr)
	}
	return link, integration, offer, nil
}

func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>%s</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em"><h1>%s</h1><p>%s</p></body></html>`,
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
