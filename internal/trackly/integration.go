package trackly

import "time"

// Integration is a TUNE network connection owned by an account. Its API key and
// postback token live in the secret store; the integration keeps only their
// names and, for the token, a hash that PostbackFunction can check without a
// secret read. Admins never see it whole: the integrations package answers
// with a view that leaves secrets out.
type Integration struct {
	IntegrationID         string
	AccountID             string
	Name                  string
	NetworkID             string
	APIDomain             string
	APIBaseURL            string
	KeyKind               string
	APIKeySecret          string
	AffiliateID           string
	ClickParam            string
	DefaultCurrency       string
	AttributionWindowDays int
	RateLimit             int
	AutoSync              bool
	SyncEveryMinutes      int
	PostbackTokenHash     string
	PostbackTokenSecret   string
	RequirePostbackToken  bool
	LastSyncAt            time.Time
	NextSyncAt            time.Time
	// SyncLeaseUntil and SyncLeaseOwner say which sync run holds the
	// integration and until when; zero when no run does.
	SyncLeaseUntil time.Time
	SyncLeaseOwner string
	// SyncCursorPage is the listing page the next sync resumes at; 0 starts over.
	SyncCursorPage int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}
