package trackly

import (
	"time"
	// The functions run where no zoneinfo may be installed: an
	// integration's time zone is read from the tables embedded here.
	_ "time/tzdata"
)

// Reconciliation defaults and limits of an integration's settings.
const (
	DefaultReconcileEvery        = time.Hour
	DefaultReconcileLookbackDays = 7
	MaxReconcileLookbackDays     = 30
)

// Location returns the integration's time zone: TimeZone, or UTC when unset.
func (in Integration) Location() (*time.Location, error) {
	if in.TimeZone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(in.TimeZone)
}

// ReconcileLookback is the number of days a scheduled reconciliation covers,
// today included.
func (in Integration) ReconcileLookback() int {
	if in.ReconcileLookbackDays <= 0 {
		return DefaultReconcileLookbackDays
	}
	return in.ReconcileLookbackDays
}

// ReconcileEvery is the interval of scheduled reconciliations.
func (in Integration) ReconcileEvery() time.Duration {
	if in.ReconcileEveryMinutes <= 0 {
		return DefaultReconcileEvery
	}
	return time.Duration(in.ReconcileEveryMinutes) * time.Minute
}

// ReconcileRun is one reconciliation of an integration's conversions with
// TUNE's conversions report over a window of days in the network's time
// zone. It shares the triggers (schedule, manual) and statuses of sync runs.
type ReconcileRun struct {
	Run
	// From and To are the window's first and last day (YYYY-MM-DD, both
	// included) in TimeZone, the network's time zone (an IANA name).
	From     string `json:"from"`
	To       string `json:"to"`
	TimeZone string `json:"time_zone"`
	// TUNECalls counts the report pages asked of TUNE (a call the client
	// retried counts once).
	TUNECalls int `json:"tune_calls"`
	// RowsSeen counts the report's rows; each is counted once more below.
	RowsSeen int `json:"rows_seen"`
	// New, Changed, Unchanged and Stale are the rows of this system's
	// conversions: recorded (their postback never came), changed (status,
	// payout or currency), the same as recorded, and pending in TUNE while
	// decided here (a decided conversion never becomes pending again).
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Stale     int `json:"stale"`
	// TestSkipped are TUNE's test conversions (status codes 21 to 23) and
	// NotOurs the rows whose click parameter holds no click id this system
	// signed for the integration: someone else's traffic. Neither is recorded.
	TestSkipped int `json:"test_skipped"`
	NotOurs     int `json:"not_ours"`
	// Ignored are rows that report no state of their own: adjustment rows,
	// rows TUNE rejected as duplicates (status codes 12 and 18), and further
	// rows of a conversion already read in the run.
	Ignored int `json:"ignored"`
	// Failed are rows whose conversion kept changing under other writers;
	// the next run tries them again.
	Failed int `json:"failed"`
	// MissingAtTUNE counts this system's conversions that TUNE did not list
	// in the days it returned in full (flagged by this run or before);
	// MissingCleared those flagged before that TUNE lists again.
	MissingAtTUNE  int `json:"missing_at_tune"`
	MissingCleared int `json:"missing_cleared"`
	// Complete is true when the run read every page of every day of its window.
	Complete bool `json:"complete"`
	// ResumedFrom is the RunID of the partial run this one continued.
	ResumedFrom string `json:"resumed_from,omitempty"`
	// ResumeDay and ResumePage are where a run that stopped early stopped:
	// the next run starts there.
	ResumeDay  string `json:"resume_day,omitempty"`
	ResumePage int    `json:"resume_page,omitempty"`
}

// ReconcileRelease is the bookkeeping written when a reconciliation run
// gives its integration's lease back.
type ReconcileRelease struct {
	// LastReconcileAt, when set, is when the integration was last reconciled in full.
	LastReconcileAt time.Time
	// NextReconcileAt is when the integration's next scheduled run is due.
	NextReconcileAt time.Time
}

// ReconcileRunFilter selects an integration's reconciliation runs, newest first.
type ReconcileRunFilter struct {
	IntegrationID string
	Limit         int
	Cursor        string
}
