package trackly

import (
	"time"

	"github.com/trackly/tune-integration/internal/money"
)

// Offer is a TUNE offer imported into an integration. OfferSyncFunction
// owns offers: it writes them whole, and only when a mapped field changed
// (Fingerprint). An offer TUNE no longer returns is marked Removed, never
// deleted, so that its links keep redirecting.
type Offer struct {
	IntegrationID string `json:"integration_id"`
	OfferID       string `json:"offer_id"`
	Name          string `json:"name"`
	// TrackingURL is TUNE's tracking link for the integration's account with
	// ClickIDPlaceholder in the integration's click parameter.
	TrackingURL string `json:"tracking_url,omitempty"`
	// TUNETrackingLink is the tracking link exactly as TUNE gave it, kept so
	// that a network key does not have to generate it again.
	TUNETrackingLink string `json:"-"`
	// TrackingLinkFor names whose link TUNETrackingLink is ("affiliate" for
	// an affiliate key's own, "network:<affiliate id>" for a network key's),
	// so that a change of key or affiliate gets new links.
	TrackingLinkFor string `json:"-"`
	// PreviewURL is the advertiser's landing page, for people; never a tracking link.
	PreviewURL     string        `json:"preview_url,omitempty"`
	DefaultPayout  money.Amount  `json:"default_payout"`
	PercentPayout  *money.Amount `json:"percent_payout,omitempty"`
	PayoutType     string        `json:"payout_type,omitempty"`
	Currency       string        `json:"currency"`
	Status         string        `json:"status"`
	AdvertiserName string        `json:"advertiser_name,omitempty"`
	ExpirationDate time.Time     `json:"expiration_date,omitzero"`
	SessionHours   int           `json:"session_hours,omitempty"`
	Removed        bool          `json:"removed"`
	RemovedAt      time.Time     `json:"removed_at,omitzero"`
	// Fingerprint is a hash of the mapped fields: a sync writes an offer only when it changes.
	Fingerprint string    `json:"-"`
	ImportedAt  time.Time `json:"imported_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// OfferRef names one imported offer.
type OfferRef struct {
	IntegrationID string
	OfferID       string
}
