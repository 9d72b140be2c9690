package offers

import (
	"context"
	"slices"
	"strings"

	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// Statuses are TUNE's offer statuses.
var Statuses = []string{"active", "paused", "pending", "deleted"}

// Remote listing page sizes.
const (
	DefaultRemoteLimit = 50
	MaxRemoteLimit     = 500
)

// RemoteQuery is list_remote_offers' payload.
type RemoteQuery struct {
	IntegrationID string `json:"integration_id"`
	// Status keeps offers with any of these statuses (active, paused, pending, deleted).
	Status []string `json:"status,omitempty"`
	// Search keeps offers whose name contains this text.
	Search string `json:"search,omitempty"`
	// Page is 1-based; default 1.
	Page int `json:"page,omitempty"`
	// Limit is the number of offers per page; default 50, at most 500.
	Limit int `json:"limit,omitempty"`
}

// RemoteOffer is a network offer as list_remote_offers shows it: the offer
// as an import would store it, and whether it is imported.
type RemoteOffer struct {
	trackly.Offer
	// Imported is true when the offer is imported into the integration (and not removed).
	Imported bool `json:"imported"`
}

// RemotePage is one page of a network's offers.
type RemotePage struct {
	IntegrationID string        `json:"integration_id"`
	Offers        []RemoteOffer `json:"offers"`
	Page          int           `json:"page"`
	PageCount     int           `json:"page_count"`
	// Count is the number of matching offers on all pages.
	Count int `json:"count"`
}

// ListRemote lists one page of the network's offers, filtered by status and
// name, each marked with whether it is imported.
func (s *Service) ListRemote(ctx context.Context, q RemoteQuery) (RemotePage, error) {
	if err := checkFilter(q.Status, q.Search); err != nil {
		return RemotePage{}, err
	}
	if q.Page < 0 {
		return RemotePage{}, validate.Field("page", "must be 1 or more, not %d", q.Page)
	}
	if q.Limit < 0 || q.Limit > MaxRemoteLimit {
		return RemotePage{}, validate.Field("limit", "must be between 1 and %d, not %d", MaxRemoteLimit, q.Limit)
	}
	if q.Limit == 0 {
		q.Limit = DefaultRemoteLimit
	}
	in, c, err := s.integrationClient(ctx, q.IntegrationID)
	if err != nil {
		return RemotePage{}, err
	}
	p, err := c.FindOffers(ctx, tune.OfferQuery{Statuses: q.Status, NameContains: strings.TrimSpace(q.Search), Page: max(q.Page, 1), Limit: q.Limit})
	if err != nil {
		return RemotePage{}, err
	}
	refs := make([]trackly.OfferRef, len(p.Offers))
	for i, o := range p.Offers {
		refs[i] = trackly.OfferRef{IntegrationID: in.IntegrationID, OfferID: o.ID}
	}
	imported, err := s.store.GetOffers(ctx, refs)
	if err != nil {
		return RemotePage{}, err
	}
	out := RemotePage{IntegrationID: in.IntegrationID, Offers: make([]RemoteOffer, len(p.Offers)), Page: p.Page, PageCount: p.PageCount, Count: p.Count}
	for i, o := range p.Offers {
		stored, ok := imported[refs[i]]
		out.Offers[i] = RemoteOffer{Offer: mapOffer(in, o, ""), Imported: ok && !stored.Removed}
	}
	return out, nil
}

// checkFilter validates a status list and a name search.
func checkFilter(statuses []string, search string) error {
	for _, st := range statuses {
		if !slices.Contains(Statuses, st) {
			return validate.Field("status", "must list statuses among %s, not %q", strings.Join(Statuses, ", "), st)
		}
	}
	if len(search) > 200 {
		return validate.Field("search", "must be at most 200 characters")
	}
	return nil
}
