// Package links creates tracked SMS links: each ties an account's SMS message
// (and optional campaign) to an imported TUNE offer and has a short URL.
package links

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trackly/tune-integration/internal/ids"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// Store is the storage links need.
type Store interface {
	CreateLink(ctx context.Context, l trackly.Link) error
	GetLink(ctx context.Context, linkID string) (trackly.Link, error)
	GetIntegration(ctx context.Context, integrationID string) (trackly.Integration, error)
	GetOffer(ctx context.Context, integrationID, offerID string) (trackly.Offer, error)
}

// linkIDLength gives about 59 bits of randomness in a short URL.
const linkIDLength = 10

// Service creates and reads links.
type Service struct {
	store         Store
	publicBaseURL string
	now           func() time.Time
}

// NewService returns a Service whose short URLs start with publicBaseURL.
func NewService(st Store, publicBaseURL string, now func() time.Time) *Service {
	return &Service{store: st, publicBaseURL: strings.TrimRight(publicBaseURL, "/"), now: now}
}

// Request asks for a new link.
type Request struct {
	// LinkID may choose the link's path (/c/<link_id>); by default a short random id.
	LinkID        string `json:"link_id,omitempty"`
	AccountID     string `json:"account_id"`
	IntegrationID string `json:"integration_id"`
	OfferID       string `json:"offer_id"`
	MessageID     string `json:"message_id"`
	CampaignID    string `json:"campaign_id,omitempty"`
}

// View is a link as admins see it.
type View struct {
	trackly.Link
	URL       string `json:"url"`
	OfferName string `json:"offer_name,omitempty"`
}

// Create validates r against the stored integration and offer and stores a new link.
func (s *Service) Create(ctx context.Context, r Request) (View, error) {
	for _, f := range []struct {
		name, value string
		valid       func(field, v string) error
	}{
		{"account_id", r.AccountID, validate.AccountID}, {"integration_id", r.IntegrationID, validate.ID},
		{"offer_id", r.OfferID, validate.ID}, {"message_id", r.MessageID, validate.ID},
	} {
		if f.value == "" {
			return View{}, validate.Field(f.name, "is required")
		}
		if err := f.valid(f.name, f.value); err != nil {
			return View{}, err
		}
	}
	if r.LinkID != "" && !trackly.ValidLinkID(r.LinkID) {
		return View{}, validate.Field("link_id", "must be 1 to 30 letters, digits, '-' or '_', not %q", r.LinkID)
	}
	if r.CampaignID != "" {
		if err := validate.ID("campaign_id", r.CampaignID); err != nil {
			return View{}, err
		}
	}
	in, err := s.store.GetIntegration(ctx, r.IntegrationID)
	if errors.Is(err, trackly.ErrNotFound) || (err == nil && in.AccountID != r.AccountID) {
		return View{}, validate.Field("integration_id", "account %q has no integration %q", r.AccountID, r.IntegrationID)
	}
	if err != nil {
		return View{}, fmt.Errorf("read integration: %w", err)
	}
	offer, err := s.store.GetOffer(ctx, r.IntegrationID, r.OfferID)
	if errors.Is(err, trackly.ErrNotFound) {
		return View{}, validate.Field("offer_id", "offer %q is not imported into integration %q; import it first", r.OfferID, r.IntegrationID)
	}
	if err != nil {
		return View{}, fmt.Errorf("read offer: %w", err)
	}
	l := trackly.Link{Placement: trackly.Placement{
		AccountID: r.AccountID, IntegrationID: r.IntegrationID, OfferID: r.OfferID,
		MessageID: r.MessageID, CampaignID: r.CampaignID,
	}, CreatedAt: s.now().UTC()}
	if r.LinkID != "" {
		l.LinkID = r.LinkID
		err = s.store.CreateLink(ctx, l)
		if errors.Is(err, trackly.ErrConflict) {
			return View{}, validate.Field("link_id", "%q is taken", r.LinkID)
		}
	} else {
		for range 3 {
			l.LinkID = ids.New("", linkIDLength)
			if err = s.store.CreateLink(ctx, l); !errors.Is(err, trackly.ErrConflict) {
				break
			}
		}
	}
	if err != nil {
		return View{}, fmt.Errorf("create link: %w", err)
	}
	return View{Link: l, URL: s.URL(l.LinkID), OfferName: offer.Name}, nil
}

// Get reads a link.
func (s *Service) Get(ctx context.Context, linkID string) (View, error) {
	l, err := s.store.GetLink(ctx, linkID)
	if errors.Is(err, trackly.ErrNotFound) {
		return View{}, validate.Field("link_id", "no link %q", linkID)
	}
	if err != nil {
		return View{}, fmt.Errorf("read link: %w", err)
	}
	v := View{Link: l, URL: s.URL(l.LinkID)}
	// An offer removed since the link was made leaves the name out.
	offer, err := s.store.GetOffer(ctx, l.IntegrationID, l.OfferID)
	if err != nil && !errors.Is(err, trackly.ErrNotFound) {
		return View{}, fmt.Errorf("read offer: %w", err)
	}
	v.OfferName = offer.Name
	return v, nil
}

// URL is a link's short URL.
func (s *Service) URL(linkID string) string { return s.publicBaseURL + "/c/" + linkID }
