package trackly

import "time"

// PostbackOutcome is what became of a received postback.
type PostbackOutcome string

// Postback outcomes. PostbackFunction answers with the first four;
// attribution then records one of the others, which replaces accepted and
// which the handler's log write, should it land later, never replaces.
const (
	PostbackAccepted   PostbackOutcome = "accepted"
	PostbackInvalid    PostbackOutcome = "invalid"
	PostbackRejected   PostbackOutcome = "rejected"
	PostbackFailed     PostbackOutcome = "failed"
	PostbackAttributed PostbackOutcome = "attributed"
	PostbackOrphaned   PostbackOutcome = "orphaned"
	PostbackDuplicate  PostbackOutcome = "duplicate"
	// PostbackChanged is a postback that reported another status or payout
	// for a recorded conversion, and changed it.
	PostbackChanged PostbackOutcome = "changed"
	// PostbackStale is a postback that reported pending for a conversion
	// already approved or rejected: older than what is recorded, ignored.
	PostbackStale PostbackOutcome = "stale"
)

// PostbackLogEntry records one received postback and what became of it. The
// token is masked before it reaches the entry.
type PostbackLogEntry struct {
	PostbackID string            `json:"postback_id"`
	ReceivedAt time.Time         `json:"received_at,omitzero"`
	Method     string            `json:"method"`
	Query      string            `json:"query"`
	Params     map[string]string `json:"params,omitempty"`
	SourceIP   string            `json:"source_ip,omitempty"`
	UserAgent  string            `json:"user_agent,omitempty"`
	Outcome    PostbackOutcome   `json:"outcome"`
	Reason     string            `json:"reason,omitempty"`
	// Note says what the handler did to a value it accepted, such as an
	// amount it rounded; the query and the parameters keep the value as sent.
	Note       string `json:"note,omitempty"`
	HTTPStatus int    `json:"http_status"`
	// Conversion is the conversion the postback recorded, or the one it
	// duplicated; zero when it came to neither.
	Conversion ConversionRef `json:"conversion,omitzero"`
	UpdatedAt  time.Time     `json:"updated_at,omitzero"`
}

// PostbackResult is what became of a logged postback once attributed. It
// names the logged postback by its id and the time it was received.
type PostbackResult struct {
	PostbackID string
	ReceivedAt time.Time
	Outcome    PostbackOutcome
	Reason     string
	// Conversion is the conversion the postback recorded or duplicated, if any.
	Conversion ConversionRef
	UpdatedAt  time.Time
}
