package adminapi

import (
	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/links"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Requests of AdminFunction's actions.
type (
	// IntegrationSettings is create_integration's request: the new
	// integration's settings, its API key included.
	IntegrationSettings = integrations.Settings

	// LinkRequest is create_link's request.
	LinkRequest = links.Request

	// ReportQuery is report's request: an account's report in one dimension
	// over a range of days.
	ReportQuery = reports.Query

	// ConversionRef names a conversion: get_conversion's request.
	ConversionRef = conversions.Ref

	// ConversionChange is change_conversion's request: an admin's
	// correction of a conversion's status, payout or currency, with a note.
	ConversionChange = conversions.ChangeRequest
)

// IntegrationRef names an integration: the request of get_integration,
// postback_url and rotate_postback_token.
type IntegrationRef struct {
	IntegrationID string `json:"integration_id"`
}

// IntegrationUpdate is update_integration's request: the settings to change
// (a field left out keeps its value).
type IntegrationUpdate struct {
	IntegrationID string `json:"integration_id"`
	integrations.Settings
}

// IntegrationsQuery is list_integrations' request: one account's
// integrations, or every integration when AccountID is empty.
type IntegrationsQuery struct {
	AccountID string `json:"account_id,omitempty"`
}

// LinkRef names a link: get_link's request.
type LinkRef struct {
	LinkID string `json:"link_id"`
}

// ConversionQuery is list_conversions' request: a page of an account's
// conversions, newest first.
type ConversionQuery struct {
	AccountID string `json:"account_id"`
	// Orphans lists only orphans, as Attribution "orphan" does.
	Orphans     bool                `json:"orphans,omitempty"`
	Attribution trackly.Attribution `json:"attribution,omitempty"`
	Limit       int                 `json:"limit,omitempty"`
	Cursor      string              `json:"cursor,omitempty"`
}

// PostbackQuery is list_postbacks' request: a page of one day's postback log.
type PostbackQuery struct {
	// Day is a UTC day like 2026-01-31; by default, today.
	Day     string                  `json:"day,omitempty"`
	Outcome trackly.PostbackOutcome `json:"outcome,omitempty"`
	Limit   int                     `json:"limit,omitempty"`
	Cursor  string                  `json:"cursor,omitempty"`
}

// Answers of AdminFunction's actions.
type (
	// Integration is an integration as admins see it, never with its secrets:
	// the answer of create_integration, update_integration and get_integration.
	Integration = integrations.View

	// GlobalPostbackURL is the answer of postback_url and
	// rotate_postback_token: the URL to paste into TUNE, token included.
	GlobalPostbackURL = integrations.PostbackURL

	// Link is a tracked link with its short URL: the answer of create_link and get_link.
	Link = links.View

	// AccountReport is report's answer: the query, its lines and their total.
	AccountReport = reports.Report

	// ReportLine is one line of an AccountReport.
	ReportLine = reports.Line

	// Conversion is a stored conversion with its history, as
	// list_conversions lists it and get_conversion answers.
	Conversion = trackly.Conversion

	// ConversionChanged is change_conversion's answer: what the change
	// came to and the conversion after it.
	ConversionChanged = conversions.ChangeResult

	// PostbackLogEntry is a received postback and what became of it, as
	// list_postbacks lists it.
	PostbackLogEntry = trackly.PostbackLogEntry
)

// IntegrationList is list_integrations' answer.
type IntegrationList struct {
	Integrations []Integration `json:"integrations"`
}

// ConversionList is list_conversions' answer: a page of conversions, newest first.
type ConversionList struct {
	Conversions []Conversion `json:"conversions"`
	// NextCursor asks for the next page; it is empty after the last one.
	NextCursor string `json:"next_cursor"`
}

// PostbackList is list_postbacks' answer: a page of one day's postbacks, newest first.
type PostbackList struct {
	// Day is the day listed, the default filled in.
	Day string `json:"day"`
	// NextCursor asks for the next page; it is empty after the last one.
	NextCursor string             `json:"next_cursor"`
	Postbacks  []PostbackLogEntry `json:"postbacks"`
}

// Requests of OfferSyncFunction's actions.
type (
	// ConnectionQuery is test_connection's request.
	ConnectionQuery = offers.ConnectionQuery

	// RemoteOfferQuery is list_remote_offers' request: one page of the
	// network's offers, filtered.
	RemoteOfferQuery = offers.RemoteQuery

	// ImportRequest is import_offers' request: chosen offer ids, or a filter.
	ImportRequest = offers.ImportRequest

	// ImportFilter selects the network's offers an ImportRequest imports.
	ImportFilter = offers.ImportFilter

	// OfferQuery is list_offers' request: a page of an integration's imported offers.
	OfferQuery = offers.ListQuery

	// SyncRequest is sync_offers' request.
	SyncRequest = offers.SyncRequest

	// SyncRunQuery is list_sync_runs' request: a page of an integration's sync runs.
	SyncRunQuery = offers.RunsQuery
)

// SyncDueRequest is sync_due's request, which has no fields: the schedule
// sends {"action":"sync_due"} and nothing else.
type SyncDueRequest struct{}

// Answers of OfferSyncFunction's actions.
type (
	// ConnectionResult is test_connection's answer: success, or the cause of
	// the failure with a hint. A failed test is an answer, not an error.
	ConnectionResult = offers.ConnectionResult

	// RemotePage is list_remote_offers' answer.
	RemotePage = offers.RemotePage

	// RemoteOffer is a network offer in a RemotePage.
	RemoteOffer = offers.RemoteOffer

	// ImportResult is import_offers' answer.
	ImportResult = offers.ImportResult

	// OfferFailure is an offer an import could not write.
	OfferFailure = offers.OfferFailure

	// OfferList is list_offers' answer.
	OfferList = offers.OfferList

	// Offer is an imported offer.
	Offer = trackly.Offer

	// SyncRun is one sync or import of an integration: sync_offers' answer,
	// and what DueResult and SyncRunList hold.
	SyncRun = trackly.SyncRun

	// DueResult is sync_due's answer.
	DueResult = offers.DueResult

	// SyncRunList is list_sync_runs' answer.
	SyncRunList = offers.RunList
)
