package trackly

import "github.com/trackly/tune-integration/internal/money"

// Dimension is what a report line counts by.
type Dimension string

// Report dimensions.
const (
	DimensionAccount  Dimension = "account"
	DimensionMessage  Dimension = "message"
	DimensionOffer    Dimension = "offer"
	DimensionCampaign Dimension = "campaign"
)

// ReportRow holds the counters of one report row: an account's counts in one
// dimension, for one id of that dimension (a message, an offer...) and one day.
type ReportRow struct {
	AccountID   string
	Dimension   Dimension
	DimensionID string
	Day         string // YYYY-MM-DD, UTC
	Counters    map[string]money.Amount
}

// ReportIncrement adds its Counters to the named counters of one report row.
type ReportIncrement ReportRow
