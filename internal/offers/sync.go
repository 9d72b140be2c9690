package offers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/tuneclients"
	"github.com/trackly/tune-integration/internal/validate"
)

// SyncRequest is sync_offers' payload.
type SyncRequest struct {
	IntegrationID string `json:"integration_id"`
}

// Sync re-syncs the imported offers of one integration now, under its
// lease. TUNE's failures do not fail the call: they are recorded in the
// run it returns (status failed, error, error_kind). A run that another run's
// lease blocks comes back with status "skipped". A run whose context is
// cancelled stops at once, keeps its progress, gives its lease back and
// comes back with status interrupted.
func (s *Service) Sync(ctx context.Context, r SyncRequest) (trackly.SyncRun, error) {
	if r.IntegrationID == "" {
		return trackly.SyncRun{}, validate.Field("integration_id", "is required")
	}
	return s.sync(ctx, r.IntegrationID, trackly.SyncTriggerManual)
}

// DueResult is what sync_due did.
type DueResult struct {
	// Due is the number of integrations whose sync was due.
	Due  int               `json:"due"`
	Runs []trackly.SyncRun `json:"runs"`
	// NotStarted lists due integrations left for the next run because the
	// deadline came near or the invocation was interrupted.
	NotStarted []string `json:"not_started,omitempty"`
	// Interrupted is true when the invocation was cancelled before every due
	// integration was synced: the runs under way stopped with status
	// interrupted, and the others were not started.
	Interrupted bool `json:"interrupted,omitempty"`
}

// SyncDue syncs every integration with auto-sync on whose next sync is due,
// a few at once, each under its lease. It is what the schedule invokes.
func (s *Service) SyncDue(ctx context.Context) (DueResult, error) {
	due, err := s.store.DueIntegrations(ctx, s.now().UTC())
	if err != nil {
		return DueResult{}, err
	}
	res := DueResult{Due: len(due), Runs: []trackly.SyncRun{}}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
		sem  = make(chan struct{}, s.opts.DueConcurrency)
	)
	for _, in := range due {
		if d, ok := ctx.Deadline(); ok && time.Until(d) < 2*s.opts.DeadlineMargin {
			res.NotStarted = append(res.NotStarted, in.IntegrationID)
			continue
		}
		sem <- struct{}{}
		if interrupted(ctx) {
			<-sem
			res.NotStarted = append(res.NotStarted, in.IntegrationID)
			res.Interrupted = true
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			run, err := s.sync(ctx, in.IntegrationID, trackly.SyncTriggerSchedule)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("integration %s: %w", in.IntegrationID, err))
				return
			}
			res.Runs = append(res.Runs, run)
		}()
	}
	wg.Wait()
	if slices.ContainsFunc(res.Runs, func(r trackly.SyncRun) bool { return r.Status == trackly.SyncInterrupted }) {
		res.Interrupted = true
	}
	return res, errors.Join(errs...)
}

// sync runs one integration's sync under its lease.
func (s *Service) sync(ctx context.Context, integrationID string, trigger trackly.SyncTrigger) (trackly.SyncRun, error) {
	j := s.newJob(trackly.Integration{IntegrationID: integrationID}, nil, trigger, true)
	until := j.started.Add(DefaultLease)
	if d, ok := ctx.Deadline(); ok {
		// A run never outlives its invocation: its lease ends soon after.
		until = d.Add(time.Minute)
	}
	in, err := s.store.AcquireSyncLease(ctx, integrationID, j.run.RunID, j.started, until)
	switch {
	case errors.Is(err, trackly.ErrNotFound):
		return trackly.SyncRun{}, validate.Field("integration_id", "no integration %q", integrationID)
	case errors.Is(err, trackly.ErrLeaseHeld):
		j.run.Status = trackly.SyncSkipped
		j.run.Error = fmt.Sprintf("another sync of this integration is running (lease held until %s)", in.SyncLeaseUntil.UTC().Format(time.RFC3339))
		return j.run, nil
	case err != nil:
		return trackly.SyncRun{}, err
	}
	j.in = in
	fctx, cancel := finalContext(ctx)
	defer cancel()
	runErr := j.end(ctx, fctx, s.runSync(ctx, j))
	if j.run.Status == trackly.SyncFailed {
		var te *tune.Error
		var se *tuneclients.SettingsError
		if !errors.As(runErr, &te) && !errors.As(runErr, &se) {
			s.logger.ErrorContext(ctx, "offer sync failed", "integration_id", integrationID, "run_id", j.run.RunID, "error", runErr)
		}
	}
	putErr := s.store.PutSyncRun(fctx, j.run)

	now := s.now().UTC()
	every := DefaultSyncEvery
	if in.SyncEveryMinutes > 0 {
		every = time.Duration(in.SyncEveryMinutes) * time.Minute
	}
	release := trackly.SyncRelease{LastSyncAt: now, NextSyncAt: now.Add(every)}
	switch j.run.Status {
	case trackly.SyncPartial, trackly.SyncInterrupted:
		release.NextSyncAt = now // resume at the next scheduled run
	case trackly.SyncFailed:
		release.LastSyncAt = time.Time{}
		release.NextSyncAt = now.Add(min(every, failedRetryAfter))
	}
	if j.run.Status != trackly.SyncSucceeded && j.run.LastPage > 0 && j.run.ResumeAfterID != "" {
		release.CursorPage = j.run.LastPage + 1
	}
	relErr := s.store.ReleaseSyncLease(fctx, integrationID, j.run.RunID, release)
	s.logger.InfoContext(ctx, "offer sync", "integration_id", integrationID, "run_id", j.run.RunID, "trigger", trigger,
		"status", j.run.Status, "pages", j.run.Pages, "seen", j.run.OffersSeen, "new", j.run.OffersNew,
		"changed", j.run.OffersChanged, "removed", j.run.OffersRemoved, "tune_calls", j.run.TUNECalls, "error", j.run.Error)
	if err := errors.Join(putErr, relErr); err != nil {
		return j.run, err
	}
	return j.run, nil
}

// resumeState is what a partial run handed to the next.
type resumeState struct {
	runID      string
	page       int
	afterID    string
	candidates map[string]bool
}

// runSync reads the listing and brings the imported offers up to date,
// writing them in whole batches (end writes the rest). On a complete listing
// it marks removed the imported offers TUNE no longer returns; on a partial
// one it leaves the state the next run resumes from.
func (s *Service) runSync(ctx context.Context, j *job) error {
	if err := s.putRunning(ctx, j); err != nil {
		return err
	}
	c, err := s.tune.Client(ctx, j.in)
	if err != nil {
		return err
	}
	j.c = c
	stored, err := s.store.IntegrationOffers(ctx, j.in.IntegrationID)
	if err != nil {
		return err
	}
	for _, o := range stored {
		j.stored[o.OfferID] = o
	}
	if len(j.stored) == 0 {
		j.run.Complete = true
		return nil // nothing imported, nothing to sync
	}
	wctx, cancel := j.workContext(ctx)
	defer cancel()

	var listErr error
	var resume *resumeState
	if len(j.stored) <= idsPerCall {
		// Few imported offers: ask for them by id, in one call, rather than
		// page through the whole network. Their absence is as telling as in
		// a full listing.
		listErr = j.listIDs(ctx, wctx, slices.DeleteFunc(j.storedIDs(), func(id string) bool { return !isDigits(id) }))
		if listErr == nil {
			j.run.Complete = true
		}
	} else {
		resume, err = s.resumeState(ctx, j.in)
		if err != nil {
			return err
		}
		start, after := 1, ""
		if resume != nil {
			// One page early: only an overlap with what was read proves that
			// no offer slipped between the pages read then and now.
			start, after = max(resume.page-1, 1), resume.afterID
			j.run.ResumedFrom = resume.runID
		}
		var res pageResult
		res, listErr = j.listPages(ctx, wctx, tune.OfferQuery{}, start, after)
		j.run.Complete = listErr == nil && res.complete
		if !j.run.Complete && res.lastDone > 0 {
			j.handOver(resume)
		}
	}
	if listErr != nil {
		// A partial listing never marks offers removed.
		return listErr
	}
	j.markRemoved(resume)
	return nil
}

// putRunning records the run as started.
func (s *Service) putRunning(ctx context.Context, j *job) error {
	if err := s.store.PutSyncRun(ctx, j.run); err != nil {
		return fmt.Errorf("record sync run: %w", err)
	}
	return nil
}

// resumeState finds the partial run an integration's cursor points to, if
// it is recent enough to resume.
func (s *Service) resumeState(ctx context.Context, in trackly.Integration) (*resumeState, error) {
	if in.SyncCursorPage <= 0 {
		return nil, nil
	}
	runs, _, err := s.store.ListSyncRuns(ctx, trackly.SyncRunFilter{IntegrationID: in.IntegrationID, Limit: 20})
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		switch {
		case r.Trigger == trackly.SyncTriggerImport || r.Status == trackly.SyncRunning:
			continue
		case r.Status == trackly.SyncSucceeded || r.ResumeAfterID == "" || s.now().Sub(r.StartedAt) > resumeMaxAge:
			return nil, nil
		}
		st := &resumeState{runID: r.RunID, page: in.SyncCursorPage, afterID: r.ResumeAfterID, candidates: map[string]bool{}}
		for _, id := range r.RemovalCandidates {
			st.candidates[id] = true
		}
		return st, nil
	}
	return nil, nil
}

// coveredBefore reports whether the partial runs this one resumed read the
// listing past offer id (ids at or below afterID), and if so whether the
// listing missed it there (it is among the candidates).
func (r *resumeState) coveredBefore(id string) (covered, missing bool) {
	if r == nil || r.afterID == "" || compareIDs(id, r.afterID) > 0 {
		return false, false
	}
	return true, r.candidates[id]
}

// handOver records, for the run that resumes this partial listing, the
// highest id read so far and the stored offers at or below it that the
// listing did not return.
func (j *job) handOver(prev *resumeState) {
	after := j.maxSeen
	if prev != nil && prev.afterID != "" && (after == "" || compareIDs(prev.afterID, after) > 0) {
		after = prev.afterID
	}
	if after == "" {
		return
	}
	var candidates []string
	for _, id := range j.storedIDs() {
		if j.seen[id] || compareIDs(id, after) > 0 {
			continue
		}
		if covered, missing := prev.coveredBefore(id); covered && !missing {
			continue
		}
		candidates = append(candidates, id)
	}
	j.run.ResumeAfterID = after
	j.run.RemovalCandidates = candidates
}

// markRemoved queues as removed the imported offers a complete listing did
// not return, never deleting them: their links keep redirecting.
func (j *job) markRemoved(prev *resumeState) {
	if !j.run.Complete {
		return
	}
	now := j.s.now().UTC()
	for _, id := range j.storedIDs() {
		o := j.stored[id]
		if j.seen[id] || o.Removed {
			continue
		}
		if covered, missing := prev.coveredBefore(id); covered && !missing {
			continue // returned by the listing the run resumed
		}
		o.Removed, o.RemovedAt, o.UpdatedAt = true, now, now
		o.Fingerprint = fingerprint(o)
		j.stored[id] = o
		j.pending = append(j.pending, o)
		j.run.OffersRemoved++
	}
}
