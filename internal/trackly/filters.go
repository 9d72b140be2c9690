package trackly

// ConversionFilter selects an account's conversions, newest first.
type ConversionFilter struct {
	AccountID   string
	Attribution Attribution // "" for attributed conversions and orphans alike
	Limit       int
	Cursor      string
}

// PostbackFilter selects one day's logged postbacks, newest first.
type PostbackFilter struct {
	Day     string // YYYY-MM-DD, UTC
	Outcome PostbackOutcome
	Limit   int
	Cursor  string
}

// OfferFilter selects an integration's imported offers, in offer id order
// (as strings).
type OfferFilter struct {
	IntegrationID  string
	IncludeRemoved bool
	Limit          int
	Cursor         string
}

// SyncRunFilter selects an integration's sync runs, newest first.
type SyncRunFilter struct {
	IntegrationID string
	Limit         int
	Cursor        string
}
