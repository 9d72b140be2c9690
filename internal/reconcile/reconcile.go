// Package reconcile brings an integration's conversions in line with TUNE's
// conversions report, the network's truth: the conversions whose postback
// never came are recorded, the ones whose status, payout or currency
// changed since are changed, and the ones TUNE no longer lists are flagged
// for an admin, never deleted.
//
// A run covers a window of days in the network's time zone, reading the
// report a day per call, page by page. Each row whose click parameter holds
// a click id this system signed is compared with the conversion recorded
// (in batches, a page at a time), and only the new and the differing ones
// are written, through the same ledger as postbacks, so that a change is
// applied once whatever else writes the conversion at the same moment: an
// unchanged window writes no conversion. TUNE's test conversions and other
// people's traffic are counted and never recorded.
//
// A run holds a lease on the integration (apart from the offer sync's), so
// that two runs never reconcile it at once; it stops starting TUNE calls
// before its context's deadline, records how far it got, and the next run
// resumes there. Every run is recorded.
package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// Report is an integration's conversions report at TUNE: a *tune.Client.
type Report interface {
	Conversions(ctx context.Context, q tune.ConversionQuery) (tune.ConversionPage, error)
}

// TUNE opens the conversions report of an integration. Settings that cannot
// reach TUNE (no API key, say) are a *validate.FieldError.
type TUNE interface {
	Report(ctx context.Context, in trackly.Integration) (Report, error)
}

// ClickVerifier proves that a click id was issued by this system and names
// its link. Its error wraps clickid.ErrForged for a click id this system did
// not issue; any other error is its own (its key could not be loaded).
type ClickVerifier interface {
	Verify(clickID string) (linkID string, err error)
}

// ConversionStore reads and writes the conversions a run compares.
type ConversionStore interface {
	conversions.Store
	conversions.LookupStore
	// GetConversions reads the recorded conversions among refs; the others
	// are absent from the result.
	GetConversions(ctx context.Context, refs []trackly.ConversionRef) (map[trackly.ConversionRef]trackly.Conversion, error)
	// ListIntegrationConversions lists the integration's conversions
	// received in [from, to).
	ListIntegrationConversions(ctx context.Context, integrationID string, from, to time.Time) ([]trackly.Conversion, error)
}

// RunStore keeps the runs, the integrations' leases and their schedule.
type RunStore interface {
	GetIntegration(ctx context.Context, integrationID string) (trackly.Integration, error)
	// DueReconciliations lists the integrations with reconciliation on
	// whose next run is due at now and whose lease is free.
	DueReconciliations(ctx context.Context, now time.Time) ([]trackly.Integration, error)
	// AcquireReconcileLease takes the integration's lease for owner until
	// the given time, returning the integration; trackly.ErrLeaseHeld when
	// another run holds it, trackly.ErrNotFound when there is no integration.
	AcquireReconcileLease(ctx context.Context, integrationID, owner string, now, until time.Time) (trackly.Integration, error)
	ReleaseReconcileLease(ctx context.Context, integrationID, owner string, r trackly.ReconcileRelease) error
	PutReconcileRun(ctx context.Context, r trackly.ReconcileRun) error
	ListReconcileRuns(ctx context.Context, f trackly.ReconcileRunFilter) ([]trackly.ReconcileRun, string, error)
}

// Store is the storage a Reconciler needs.
type Store interface {
	ConversionStore
	RunStore
}

// Defaults of Options, and limits.
const (
	// DefaultPageSize is the number of rows asked per report call.
	DefaultPageSize = 1000
	// DefaultDeadlineMargin is the time a run keeps before its context's
	// deadline to write what it read, its record and its lease.
	DefaultDeadlineMargin = 20 * time.Second
	// DefaultConcurrency is how many rows of a page are written at once.
	DefaultConcurrency = 8
	// DefaultLease is how long a run's lease lasts when its context has no deadline.
	DefaultLease = 15 * time.Minute
	// DefaultRunsLimit is the number of runs ListRuns lists by default.
	DefaultRunsLimit = 20
	// MaxWindowDays is the widest window a run covers.
	MaxWindowDays = 31
	// EdgeMargin is kept at both ends of the days a run read in full when
	// it looks for conversions TUNE did not list: a conversion TUNE dates
	// just before midnight may reach this system just after, on the next
	// day, which the run did not read.
	EdgeMargin = time.Hour
	// failedRetryAfter is the longest wait before a failed scheduled run is tried again.
	failedRetryAfter = 15 * time.Minute
	// resumeMaxAge is the oldest stopped run that a run resumes.
	resumeMaxAge = 6 * time.Hour
)

// Options tunes a Reconciler. Zero fields take the defaults above; a
// PageSize above tune.MaxConversionLimit takes that limit.
type Options struct {
	// PageSize is the limit of each report call, at most tune.MaxConversionLimit.
	PageSize       int
	DeadlineMargin time.Duration
	Concurrency    int
	Logger         *slog.Logger
	Now            func() time.Time
}

// Reconciler runs reconciliations.
type Reconciler struct {
	store  Store
	ledger *conversions.Ledger
	tune   TUNE
	clicks ClickVerifier
	opts   Options
}

// New returns a Reconciler.
func New(st Store, t TUNE, clicks ClickVerifier, opts Options) *Reconciler {
	opts.PageSize = min(cmp.Or(opts.PageSize, DefaultPageSize), tune.MaxConversionLimit)
	opts.DeadlineMargin = cmp.Or(opts.DeadlineMargin, DefaultDeadlineMargin)
	opts.Concurrency = cmp.Or(opts.Concurrency, DefaultConcurrency)
	opts.Logger = cmp.Or(opts.Logger, slog.Default())
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Reconciler{store: st, ledger: conversions.NewLedger(st), tune: t, clicks: clicks, opts: opts}
}

// Request is reconcile_conversions' payload: an integration, and the days
// to reconcile (YYYY-MM-DD in the network's time zone, both included). Both
// left out cover the integration's lookback, today included; From alone
// runs to today, To alone goes back the lookback from To.
type Request struct {
	IntegrationID string `json:"integration_id"`
	From          string `json:"from,omitempty"`
	To            string `json:"to,omitempty"`
}

// Reconcile runs one reconciliation of an integration now, under its lease.
// TUNE's failures do not fail the call: they are recorded in the run it
// returns (status failed, error, error_kind). A run that another run's
// lease blocks comes back with status skipped, unrecorded.
func (r *Reconciler) Reconcile(ctx context.Context, req Request) (trackly.ReconcileRun, error) {
	if req.IntegrationID == "" {
		return trackly.ReconcileRun{}, validate.Field("integration_id", "is required")
	}
	for _, f := range [...]struct{ name, day string }{{"from", req.From}, {"to", req.To}} {
		if _, err := validate.Date(f.name, f.day); f.day != "" && err != nil {
			return trackly.ReconcileRun{}, err
		}
	}
	in, err := integrations.Read(ctx, r.store, req.IntegrationID)
	if err != nil {
		return trackly.ReconcileRun{}, err
	}
	w, err := manualWindow(in, req, r.opts.Now())
	if err != nil {
		return trackly.ReconcileRun{}, err
	}
	return r.run(ctx, in.IntegrationID, trackly.SyncTriggerManual, func(trackly.Integration) (window, error) { return w, nil })
}

// DueResult is reconcile_due's answer.
type DueResult struct {
	// Due is the number of integrations whose reconciliation was due.
	Due  int                    `json:"due"`
	Runs []trackly.ReconcileRun `json:"runs"`
	// NotStarted lists due integrations left for the next run because the
	// deadline came near or the invocation was cancelled.
	NotStarted []string `json:"not_started,omitempty"`
}

// ReconcileDue reconciles, one after the other, the integrations with
// reconciliation on whose next run is due: over their lookback, or from
// where a run that stopped early stopped. It is what the schedule invokes.
func (r *Reconciler) ReconcileDue(ctx context.Context) (DueResult, error) {
	due, err := r.store.DueReconciliations(ctx, r.opts.Now().UTC())
	if err != nil {
		return DueResult{}, err
	}
	res := DueResult{Due: len(due), Runs: []trackly.ReconcileRun{}}
	var errs []error
	for _, in := range due {
		if d, ok := ctx.Deadline(); ctx.Err() != nil || ok && d.Sub(r.opts.Now()) < 2*r.opts.DeadlineMargin {
			res.NotStarted = append(res.NotStarted, in.IntegrationID)
			continue
		}
		run, err := r.run(ctx, in.IntegrationID, trackly.SyncTriggerSchedule, func(in trackly.Integration) (window, error) {
			return r.scheduledWindow(ctx, in)
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("integration %s: %w", in.IntegrationID, err))
			continue
		}
		res.Runs = append(res.Runs, run)
	}
	return res, errors.Join(errs...)
}

// RunList is one page of an integration's reconciliation runs, newest
// first, with when its next scheduled run is due (none while scheduled
// reconciliation is off).
type RunList struct {
	IntegrationID string                 `json:"integration_id"`
	NextRunAt     time.Time              `json:"next_run_at,omitzero"`
	Runs          []trackly.ReconcileRun `json:"runs"`
	NextCursor    string                 `json:"next_cursor"`
}

// ListRuns lists a page of an integration's reconciliation runs, newest
// first: DefaultRunsLimit of them unless f sets a limit, which the store
// refuses, naming the field, when it does not serve it.
func (r *Reconciler) ListRuns(ctx context.Context, f trackly.ReconcileRunFilter) (RunList, error) {
	in, err := integrations.Read(ctx, r.store, f.IntegrationID)
	if err != nil {
		return RunList{}, err
	}
	list := RunList{IntegrationID: in.IntegrationID}
	if in.Reconcile {
		list.NextRunAt = in.NextReconcileAt
	}
	f.Limit = cmp.Or(f.Limit, DefaultRunsLimit)
	list.Runs, list.NextCursor, err = r.store.ListReconcileRuns(ctx, f)
	return list, err
}
