package trackly

import (
	"fmt"
	"time"

	"github.com/trackly/tune-integration/internal/money"
)

// A conversion has a life. TUNE records it pending, approved or rejected, and
// the network may change it later; postbacks, reconciliation with TUNE's
// conversions report and admins report those changes, and every one of them
// goes through Decide and Change:
//
//	pending  → approved | rejected      the network decides
//	approved → rejected                 a reversal (chargeback); counted apart in reports
//	rejected → approved                 the network corrects itself; the reversal is undone
//	any      → the same status          with another payout or currency: a correction
//	approved | rejected → pending       refused as stale: a decided conversion never
//	                                     becomes pending again, so such a report is older
//	                                     than what is recorded (an out-of-order arrival)
//
// A report that differs in nothing is a duplicate. Each change makes a new
// version of the conversion, stored only if the version it was made from is
// still the stored one, and appends one entry to its history. The report rows
// of the conversion's day (the day it was first recorded) move by the
// difference between the old and the new version, counted once from the
// conversions table's stream.
//
// Out-of-order arrivals that Decide cannot see: a postback carries no time of
// the change it reports, so "rejected" then "approved" arriving in the other
// order leave the conversion approved; the next reconciliation, which reads
// TUNE's current state, puts it right.

// ChangeSource says what reported a conversion or a change to it.
type ChangeSource string

// Change sources.
const (
	SourcePostback       ChangeSource = "postback"
	SourceReconciliation ChangeSource = "reconciliation"
	SourceAdmin          ChangeSource = "admin"
)

// ConversionState is what of a conversion can change after it is recorded.
type ConversionState struct {
	Status   ConversionStatus `json:"status"`
	Payout   money.Amount     `json:"payout"`
	Currency string           `json:"currency"`
}

// Equal reports whether s and o are the same state, amounts compared by value.
func (s ConversionState) Equal(o ConversionState) bool {
	return s.Status == o.Status && s.Currency == o.Currency && s.Payout.Equal(o.Payout.Decimal)
}

// String formats the state for messages: "approved 12.5 USD".
func (s ConversionState) String() string {
	return fmt.Sprintf("%s %s %s", s.Status, s.Payout.String(), s.Currency)
}

// ConversionChange is one entry of a conversion's history: its recording
// (From nil) or a change of its state.
type ConversionChange struct {
	// Version is the version of the conversion this entry made: 1 for the recording.
	Version int              `json:"version"`
	From    *ConversionState `json:"from,omitempty"`
	To      ConversionState  `json:"to"`
	Source  ChangeSource     `json:"source"`
	At      time.Time        `json:"at"`
	// PostbackID is the postback that reported the change, RunID the
	// reconciliation run; Note what an admin wrote.
	PostbackID string `json:"postback_id,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Origin is who reports a conversion's state, and when.
type Origin struct {
	Source     ChangeSource
	At         time.Time
	PostbackID string
	RunID      string
	Note       string
}

// Verdict is what a reported state does to a recorded conversion.
type Verdict string

// Verdicts.
const (
	// VerdictSame is a report of the state recorded: a duplicate.
	VerdictSame Verdict = "same"
	// VerdictChange is a report of another state that the conversion may take.
	VerdictChange Verdict = "change"
	// VerdictStale is a report the conversion may not follow: pending for a
	// conversion already approved or rejected.
	VerdictStale Verdict = "stale"
)

// State returns the conversion's current state.
func (c Conversion) State() ConversionState {
	return ConversionState{Status: c.Status, Payout: c.Payout, Currency: c.Currency}
}

// Decide says what reporting state to does to c.
func (c Conversion) Decide(to ConversionState) Verdict {
	switch {
	case c.State().Equal(to):
		return VerdictSame
	case to.Status == StatusPending && c.Status != StatusPending:
		return VerdictStale
	default:
		return VerdictChange
	}
}

// Recorded returns c as first recorded by r: version 1, its history one entry.
func (c Conversion) Recorded(r Origin) Conversion {
	c.Version = 1
	c.RecordedBy = r.Source
	c.UpdatedAt = r.At
	c.Reversed = false
	c.History = []ConversionChange{{Version: 1, To: c.State(), Source: r.Source, At: r.At, PostbackID: r.PostbackID, RunID: r.RunID, Note: r.Note}}
	return c
}

// Changed returns the next version of c, in state to as r reports it, with
// the change in its history. The caller has Decide say VerdictChange first.
// An approved conversion that becomes rejected is marked reversed; a
// reversed one approved again is not.
func (c Conversion) Changed(to ConversionState, r Origin) Conversion {
	from := c.State()
	switch {
	case from.Status == StatusApproved && to.Status == StatusRejected:
		c.Reversed = true
	case to.Status != StatusRejected:
		c.Reversed = false
	}
	c.Status, c.Payout, c.Currency = to.Status, to.Payout, to.Currency
	c.Version = c.CurrentVersion() + 1
	c.UpdatedAt = r.At
	c.History = append(c.History[:len(c.History):len(c.History)], ConversionChange{
		Version: c.Version, From: &from, To: to, Source: r.Source, At: r.At,
		PostbackID: r.PostbackID, RunID: r.RunID, Note: r.Note,
	})
	return c
}

// CurrentVersion is c's version: conversions recorded before versions
// existed read as version 1.
func (c Conversion) CurrentVersion() int { return max(c.Version, 1) }

// ReportedBy reports whether the postback with the given id recorded c or
// changed it: a postback delivered again finds its own work done.
func (c Conversion) ReportedBy(postbackID string) (ConversionChange, bool) {
	if postbackID == "" {
		return ConversionChange{}, false
	}
	for _, ch := range c.History {
		if ch.PostbackID == postbackID {
			return ch, true
		}
	}
	if c.PostbackID == postbackID {
		return ConversionChange{Version: 1, To: c.State(), Source: SourcePostback, PostbackID: postbackID}, true
	}
	return ConversionChange{}, false
}

// VersionConflictError is returned when a conversion changed since the
// version a change was made from: the change is to be decided again on the
// conversion as it now is. It wraps ErrConflict.
type VersionConflictError struct {
	Ref     ConversionRef
	Version int
}

// Error names the conversion and the version the change expected.
func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("%v: conversion %s/%s/%s is no longer at version %d", ErrConflict, e.Ref.IntegrationID, e.Ref.ConversionID, e.Ref.GoalID, e.Version)
}

// Unwrap returns ErrConflict.
func (e *VersionConflictError) Unwrap() error { return ErrConflict }
