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
	// Version counts the conversion's versions: 1 when recorded, one more
	// with each write after (a change of its state, see Decide, or a flag
	// set or cleared). History holds an entry per change of its state, the
	// recording first. RecordedBy says what recorded it: a postback, or a
	// reconciliation that found a conversion whose postback never came.
	Version    int                `json:"version"`
	RecordedBy ChangeSource       `json:"recorded_by,omitempty"`
	History    []ConversionChange `json:"history,omitempty"`
	// Reversed marks a rejected conversion that was approved before: a
	// reversal, which reports count apart.
	Reversed  bool      `json:"reversed,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// MissingAtTUNE is set when a reconciliation run found TUNE's report
	// without this conversion, in a window TUNE returned in full; the run
	// that did is MissingRunID. It is cleared when TUNE lists it again.
	// Nothing is deleted: an admin looks.
	MissingAtTUNE time.Time `json:"missing_at_tune,omitzero"`
	MissingRunID  string    `json:"missing_run_id,omitempty"`
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
