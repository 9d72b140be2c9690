package trackly

import "time"

// SyncTrigger says what started a sync run.
type SyncTrigger string

// Sync run triggers.
const (
	SyncTriggerSchedule SyncTrigger = "schedule"
	SyncTriggerManual   SyncTrigger = "manual"
	SyncTriggerImport   SyncTrigger = "import"
)

// SyncStatus is where a sync run stands, or how it ended.
type SyncStatus string

// Sync run statuses.
const (
	SyncRunning   SyncStatus = "running"
	SyncSucceeded SyncStatus = "succeeded"
	// SyncPartial is a run that stopped before the end of the listing (the
	// Lambda deadline came near); the next run resumes where it stopped.
	SyncPartial SyncStatus = "partial"
	// SyncInterrupted is a run whose invocation was cancelled before it
	// ended (the local cloud's Ctrl-C, not the Lambda deadline); like a
	// partial run it keeps its progress, and the next run resumes.
	SyncInterrupted SyncStatus = "interrupted"
	SyncFailed      SyncStatus = "failed"
	// SyncSkipped is a sync that did not run because another run holds the
	// integration's lease. Skipped runs are answered, not recorded.
	SyncSkipped SyncStatus = "skipped"
)

// Run is what every run of an integration's work with TUNE (an offer sync,
// a reconciliation) says of itself: which run of which integration, what
// started it, where it stands and when it started and ended.
type Run struct {
	IntegrationID string      `json:"integration_id"`
	RunID         string      `json:"run_id"`
	Trigger       SyncTrigger `json:"trigger"`
	Status        SyncStatus  `json:"status"`
	StartedAt     time.Time   `json:"started_at,omitzero"`
	EndedAt       time.Time   `json:"ended_at,omitzero"`
	// Error says why a run failed, stopped early or did not run.
	Error string `json:"error,omitempty"`
	// ErrorKind is the tune error kind of Error when TUNE caused it
	// (key_rejected, rate_limited...), "settings" when the integration's
	// settings cannot reach TUNE.
	ErrorKind string `json:"error_kind,omitempty"`
}

// SyncRun is one offer sync (or import) of an integration.
type SyncRun struct {
	Run
	// FirstPage and LastPage are the listing pages this run read (1-based);
	// PageCount is how many pages the listing had.
	FirstPage       int `json:"first_page,omitempty"`
	LastPage        int `json:"last_page,omitempty"`
	PageCount       int `json:"page_count,omitempty"`
	Pages           int `json:"pages"`
	OffersSeen      int `json:"offers_seen"`
	OffersNew       int `json:"offers_new"`
	OffersChanged   int `json:"offers_changed"`
	OffersUnchanged int `json:"offers_unchanged"`
	OffersRemoved   int `json:"offers_removed"`
	OffersRestored  int `json:"offers_restored"`
	OffersFailed    int `json:"offers_failed"`
	TUNECalls       int `json:"tune_calls"`
	// Complete is true when the run (with the runs it resumed) read the whole listing.
	Complete bool `json:"complete"`
	// ResumedFrom is the RunID of the partial run this one continued.
	ResumedFrom string `json:"resumed_from,omitempty"`
	// ResumeAfterID and RemovalCandidates carry a partial listing to the run
	// that resumes it: the highest offer id read so far, and the stored
	// offers at or below it that the listing did not return.
	ResumeAfterID     string   `json:"-"`
	RemovalCandidates []string `json:"-"`
}

// SyncRelease is the bookkeeping written when a sync run gives its
// integration's lease back.
type SyncRelease struct {
	// LastSyncAt, when set, is when the integration was last synced.
	LastSyncAt time.Time
	// NextSyncAt is when the integration's next sync is due.
	NextSyncAt time.Time
	// CursorPage is the listing page the next run resumes at; 0 starts over.
	CursorPage int
}
