package trackly

import (
	"regexp"
	"time"
)

// Placement says where a link sits and what it promotes: the account's message
// (and campaign) that carries it and the integration's offer it leads to. A
// click and the conversions it earns are counted for the same placement.
type Placement struct {
	AccountID     string `json:"account_id"`
	IntegrationID string `json:"integration_id"`
	OfferID       string `json:"offer_id"`
	MessageID     string `json:"message_id"`
	CampaignID    string `json:"campaign_id,omitempty"`
}

// Link is a tracked SMS link: a tap on it becomes a click for its placement.
type Link struct {
	LinkID string `json:"link_id"`
	Placement
	CreatedAt time.Time `json:"created_at,omitzero"`
}

var linkIDPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,30}$`)

// ValidLinkID reports whether id is a well-formed link id: 1 to 30 letters,
// digits, '-' or '_', so that it fits a short URL's path (/c/<link id>).
func ValidLinkID(id string) bool { return linkIDPattern.MatchString(id) }

// Click is one tap on a link, counted for the link's placement.
type Click struct {
	ClickID string `json:"click_id"`
	LinkID  string `json:"link_id"`
	Placement
	Bot       bool   `json:"bot"`
	UserAgent string `json:"user_agent,omitempty"`
	// CreatedAt is when the link was tapped.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// AttributableUntil ends the click's attribution window: a conversion
	// received before it is attributed to the click, a later one is an
	// orphan. The click is not kept past it.
	AttributableUntil time.Time `json:"attributable_until,omitzero"`
}

// ClickIDPlaceholder marks where an offer's tracking URL wants the click id.
const ClickIDPlaceholder = "{click_id}"

// DefaultClickParam is the TUNE sub id parameter that carries the click id
// when an integration names no other; the postback URL reads it back as {aff_sub}.
const DefaultClickParam = "aff_sub"
