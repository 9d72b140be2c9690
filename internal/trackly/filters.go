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
