package trackly

import (
	"fmt"
	"time"

	"github.com/trackly/tune-integration/internal/money"
)

// ConversionStatus is a conversion's status, as TUNE names it.
type ConversionStatus string

// Conversion statuses.
const (
	StatusApproved ConversionStatus = "approved"
	StatusPending  ConversionStatus = "pending"
	StatusRejected ConversionStatus = "rejected"
)

// Attribution says whether a conversion was attributed to its click.
type Attribution string

// Attributions.
const (
	// ConversionAttributed is a conversion whose click was found within its
	// attribution window.
	ConversionAttributed Attribution = "attributed"
	// ConversionOrphan is a conversion whose click is unknown (yet) or
	// expired before the conversion came.
	ConversionOrphan Attribution = "orphan"
)

// ConversionRef names one conversion: a conversion is unique per
// integration, TUNE conversion (transaction) id and goal id.
type ConversionRef struct {
	IntegrationID string `json:"integration_id"`
	ConversionID  string `json:"conversion_id"`
	GoalID        string `json:"goal_id"`
}

// Conversion is one TUNE conversion, unique per integration, conversion id and goal id.
type Conversion struct {
	IntegrationID string            `json:"integration_id"`
	ConversionID  string            `json:"conversion_id"`
	GoalID        string            `json:"goal_id"`
	AccountID     string            `json:"account_id"`
	ClickID       string            `json:"click_id"`
	LinkID        string            `json:"link_id,omitempty"`
	MessageID     string            `json:"message_id,omitempty"`
	CampaignID    string            `json:"campaign_id,omitempty"`
	OfferID       string            `json:"offer_id,omitempty"`
	Attribution   Attribution       `json:"attribution"`
	Status        ConversionStatus  `json:"status"`
	Payout        money.Amount      `json:"payout"`
	Currency      string            `json:"currency"`
	SaleAmount    *money.Amount     `json:"sale_amount,omitempty"`
	Source        string            `json:"source,omitempty"`
	PostbackID    string            `json:"postback_id"`
	ReceivedAt    time.Time         `json:"received_at,omitzero"`
	ClickedAt     time.Time         `json:"clicked_at,omitzero"`
	Extra         map[string]string `json:"extra,omitempty"`
}

// Ref returns what names the conversion.
func (c Conversion) Ref() ConversionRef {
	return ConversionRef{IntegrationID: c.IntegrationID, ConversionID: c.ConversionID, GoalID: c.GoalID}
}

// DuplicateError is returned when a conversion with the same integration,
// conversion id and goal id is already recorded. It names the conversion
// recorded, so that a postback delivered again can tell its own conversion
// (the same postback id) from another postback's. It wraps ErrDuplicate.
type DuplicateError struct {
	Recorded Conversion
}

// Error says that the conversion is recorded, and by which postback.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%v: by postback %s", ErrDuplicate, e.Recorded.PostbackID)
}

// Unwrap returns ErrDuplicate.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }
