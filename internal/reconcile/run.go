package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trackly/tune-integration/internal/ids"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

const (
	// finalWriteTimeout bounds a run's last writes once its invocation's context is done.
	finalWriteTimeout = 5 * time.Second
	// progressEvery is how often a long run writes its record while it runs,
	// so that a run whose invocation dies is resumed from near where it died.
	progressEvery = 30 * time.Second
)

var (
	// errStopped is a run that stopped before its context's deadline.
	errStopped = errors.New("stopped before the deadline; the next run resumes where this one stopped")
	// errInterrupted is a run whose invocation was cancelled.
	errInterrupted = errors.New("interrupted: the invocation was cancelled; the next run resumes where this one stopped")
)

// job is one run over one integration's window.
type job struct {
	r      *Reconciler
	in     trackly.Integration
	w      window
	run    trackly.ReconcileRun
	report Report
	// listed holds every conversion the report listed in this run, ours or not.
	listed map[trackly.ConversionRef]bool
	// applied holds the conversions of ours a row was compared with in this run.
	applied map[trackly.ConversionRef]bool
	// full is the days read in full, from their first page on: full.from
	// to full.to, none when full.from is zero.
	full struct{ from, to time.Time }
	// workDeadline ends TUNE calls, DeadlineMargin before the context's deadline.
	workDeadline time.Time
	lastProgress time.Time
}

// run runs one reconciliation of an integration under its lease, over the
// window windowOf gives for the integration as the lease read it.
func (r *Reconciler) run(ctx context.Context, integrationID string, trigger trackly.SyncTrigger, windowOf func(trackly.Integration) (window, error)) (trackly.ReconcileRun, error) {
	started := r.opts.Now().UTC()
	run := trackly.ReconcileRun{Run: trackly.Run{IntegrationID: integrationID, RunID: ids.New("rr_", 12), Trigger: trigger, Status: trackly.SyncRunning, StartedAt: started}}
	until := started.Add(DefaultLease)
	if d, ok := ctx.Deadline(); ok {
		// A run never outlives its invocation: its lease ends soon after.
		until = d.Add(time.Minute)
	}
	in, err := r.store.AcquireReconcileLease(ctx, integrationID, run.RunID, started, until)
	switch {
	case errors.Is(err, trackly.ErrNotFound):
		return run, validate.Field("integration_id", "no integration %q", integrationID)
	case errors.Is(err, trackly.ErrLeaseHeld):
		run.Status = trackly.SyncSkipped
		run.Error = fmt.Sprintf("another reconciliation of this integration is running (lease held until %s)", in.ReconcileLeaseUntil.UTC().Format(time.RFC3339))
		return run, nil
	case err != nil:
		return run, fmt.Errorf("take the reconciliation lease: %w", err)
	}
	j := &job{r: r, in: in, run: run, lastProgress: started,
		listed: map[trackly.ConversionRef]bool{}, applied: map[trackly.ConversionRef]bool{}}
	fctx, cancel := finalContext(ctx)
	defer cancel()
	j.end(ctx, j.do(ctx, windowOf))
	putErr := r.store.PutReconcileRun(fctx, j.run)
	relErr := r.store.ReleaseReconcileLease(fctx, integrationID, j.run.RunID, j.release())
	r.opts.Logger.InfoContext(ctx, "conversions reconciled", "integration_id", integrationID, "run_id", j.run.RunID,
		"trigger", trigger, "status", j.run.Status, "from", j.run.From, "to", j.run.To, "time_zone", j.run.TimeZone,
		"tune_calls", j.run.TUNECalls, "rows", j.run.RowsSeen, "new", j.run.New, "changed", j.run.Changed,
		"unchanged", j.run.Unchanged, "stale", j.run.Stale, "test", j.run.TestSkipped, "not_ours", j.run.NotOurs,
		"missing_at_tune", j.run.MissingAtTUNE, "error", j.run.Error)
	return j.run, errors.Join(putErr, relErr)
}

// do reads the window's report and applies it.
func (j *job) do(ctx context.Context, windowOf func(trackly.Integration) (window, error)) error {
	w, err := windowOf(j.in)
	if err != nil {
		return err
	}
	j.w = w
	j.run.From, j.run.To, j.run.TimeZone = w.from.Format(time.DateOnly), w.to.Format(time.DateOnly), w.loc.String()
	j.run.ResumedFrom = w.resumedFrom
	j.run.ResumeDay, j.run.ResumePage = j.run.From, w.page
	if err := j.r.store.PutReconcileRun(ctx, j.run); err != nil {
		return fmt.Errorf("record the run: %w", err)
	}
	if j.report, err = j.r.tune.Report(ctx, j.in); err != nil {
		return err
	}
	wctx, cancel := j.workContext(ctx)
	defer cancel()
	for n := range w.days() {
		page := 1
		if n == 0 {
			page = w.page
		}
		if err := j.readDay(ctx, wctx, w.day(n), page); err != nil {
			return err
		}
		j.progress(ctx)
	}
	j.run.Complete, j.run.ResumeDay, j.run.ResumePage = true, "", 0
	return j.flagMissing(ctx)
}

// readDay reads one day's report from page on, applying each page. The run
// records the page it is at, where the next run resumes if this one stops.
func (j *job) readDay(ctx, wctx context.Context, day time.Time, page int) error {
	first := page
	q := tune.ConversionQuery{
		From: day.Format(time.DateOnly), To: day.Format(time.DateOnly), Location: j.w.loc,
		ClickParam: clickParam(j.in), Limit: j.r.opts.PageSize,
	}
	for ; ; page++ {
		j.run.ResumeDay, j.run.ResumePage = q.From, page
		if j.outOfTime() {
			return errStopped
		}
		q.Page = page
		p, err := j.report.Conversions(wctx, q)
		j.run.TUNECalls++
		if err != nil {
			return err
		}
		if err := j.apply(ctx, p.Conversions); err != nil {
			return err
		}
		if page >= p.PageCount {
			break
		}
	}
	next := day.AddDate(0, 0, 1)
	j.run.ResumeDay, j.run.ResumePage = next.Format(time.DateOnly), 1
	if first == 1 {
		if j.full.from.IsZero() {
			j.full.from = day
		}
		j.full.to = day
	}
	return nil
}

// clickParam is the sub id parameter that carries the integration's click ids.
func clickParam(in trackly.Integration) string {
	if in.ClickParam == "" {
		return trackly.DefaultClickParam
	}
	return in.ClickParam
}

// progress writes the running run's record when the last write is old
// enough: a run whose invocation dies is resumed from about there.
func (j *job) progress(ctx context.Context) {
	now := j.r.opts.Now()
	if now.Sub(j.lastProgress) < progressEvery {
		return
	}
	j.lastProgress = now
	if err := j.r.store.PutReconcileRun(ctx, j.run); err != nil {
		j.r.opts.Logger.WarnContext(ctx, "record reconciliation progress", "integration_id", j.in.IntegrationID, "run_id", j.run.RunID, "error", err)
	}
}

// workContext returns the context of TUNE calls: it ends DeadlineMargin
// before ctx does.
func (j *job) workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		j.workDeadline = d.Add(-j.r.opts.DeadlineMargin)
		return context.WithDeadline(ctx, j.workDeadline)
	}
	return context.WithCancel(ctx)
}

// outOfTime reports whether the work deadline has come.
func (j *job) outOfTime() bool {
	return !j.workDeadline.IsZero() && !j.r.opts.Now().Before(j.workDeadline)
}

// stoppedByDeadline reports whether err came from the work deadline rather
// than from TUNE: the tune client also gives up, without waiting, when its
// pacing or its next back-off would pass the deadline.
func (j *job) stoppedByDeadline(err error) bool {
	if errors.Is(err, errStopped) {
		return true
	}
	if j.workDeadline.IsZero() {
		return false
	}
	var te *tune.Error
	return errors.Is(err, context.DeadlineExceeded) || j.outOfTime() || errors.As(err, &te) && strings.Contains(te.Message, "deadline")
}

// end sets how the run ended from its error.
func (j *job) end(ctx context.Context, err error) {
	j.run.EndedAt = j.r.opts.Now().UTC()
	var te *tune.Error
	switch {
	case err == nil:
		j.run.Status = trackly.SyncSucceeded
	case errors.Is(ctx.Err(), context.Canceled):
		j.run.Status, j.run.Error = trackly.SyncInterrupted, errInterrupted.Error()
	case j.stoppedByDeadline(err):
		j.run.Status, j.run.Error = trackly.SyncPartial, errStopped.Error()
	default:
		j.run.Status, j.run.Error = trackly.SyncFailed, err.Error()
		if _, ok := validate.AsFieldError(err); ok {
			j.run.ErrorKind = "settings"
		} else if errors.As(err, &te) {
			j.run.ErrorKind = string(te.Kind)
		} else {
			j.r.opts.Logger.ErrorContext(ctx, "reconciliation failed", "integration_id", j.in.IntegrationID, "run_id", j.run.RunID, "error", err)
		}
	}
}

// release is the bookkeeping the run leaves on its integration. A
// scheduled run that stopped early is due again at once, to resume; a
// failed one is tried again within failedRetryAfter. A manual run leaves
// the schedule alone unless it stopped early.
func (j *job) release() trackly.ReconcileRelease {
	now := j.r.opts.Now().UTC()
	every := j.in.ReconcileEvery()
	var rel trackly.ReconcileRelease
	if j.run.Complete {
		rel.LastReconcileAt = now
	}
	switch {
	case j.run.Status == trackly.SyncPartial || j.run.Status == trackly.SyncInterrupted:
		rel.NextReconcileAt = now
	case j.run.Trigger == trackly.SyncTriggerManual:
	case j.run.Status == trackly.SyncFailed:
		rel.NextReconcileAt = now.Add(min(every, failedRetryAfter))
	default:
		rel.NextReconcileAt = now.Add(every)
	}
	return rel
}

// finalContext returns the context of a run's last writes: its record and
// its lease. They are made even when the invocation is interrupted, so the
// context is not cancelled with ctx; it ends finalWriteTimeout after ctx
// does instead.
func finalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(finalWriteTimeout, cancel) })
	return fctx, func() { stop(); cancel() }
}
