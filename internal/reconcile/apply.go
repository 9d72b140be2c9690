package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
)

// defaultGoal is the goal of a conversion that names none, as postbacks record it.
const defaultGoal = "0"

// Status codes of rows that report no state of a conversion of their own:
// TUNE rejected them as duplicates of another conversion.
const (
	codeDuplicate         = 12
	codeDuplicateUniqueID = 18
)

// refOf names the conversion of the integration that a row reports.
func refOf(in trackly.Integration, row tune.ReportConversion) trackly.ConversionRef {
	goal := row.GoalID
	if goal == "" {
		goal = defaultGoal
	}
	return trackly.ConversionRef{IntegrationID: in.IntegrationID, ConversionID: row.TransactionID, GoalID: goal}
}

// apply compares one page's rows with the conversions recorded and writes
// only the new and the differing ones.
func (j *job) apply(ctx context.Context, rows []tune.ReportConversion) error {
	var (
		claims []conversions.Claim
		refs   []trackly.ConversionRef
	)
	for _, row := range rows {
		j.run.RowsSeen++
		ref := refOf(j.in, row)
		j.listed[ref] = true
		if row.IsTest() {
			j.run.TestSkipped++
			continue
		}
		linkID, ours, err := j.ours(row.ClickID)
		switch {
		case err != nil:
			return err
		case !ours:
			j.run.NotOurs++
		case row.TransactionID == "" || row.IsAdjustment || row.StatusCode == codeDuplicate || row.StatusCode == codeDuplicateUniqueID || j.applied[ref]:
			j.run.Ignored++
		default:
			j.applied[ref] = true
			claims, refs = append(claims, j.claim(ref, linkID, row)), append(refs, ref)
		}
	}
	if len(claims) == 0 {
		return nil
	}
	recorded, err := j.r.store.GetConversions(ctx, refs)
	if err != nil {
		return fmt.Errorf("read conversions: %w", err)
	}
	var reports []report
	var fresh []conversions.Claim
	var listedAgain []trackly.Conversion
	for i, c := range claims {
		rec, ok := recorded[refs[i]]
		if !ok {
			fresh = append(fresh, c)
			continue
		}
		switch rec.Decide(c.State(rec)) {
		case trackly.VerdictSame:
			j.run.Unchanged++
		case trackly.VerdictStale:
			j.run.Stale++
		default:
			reports = append(reports, report{Report: conversions.Report{Claim: c.State, Origin: j.origin()}, recorded: &rec})
			continue
		}
		if !rec.MissingAtTUNE.IsZero() {
			listedAgain = append(listedAgain, rec)
		}
	}
	if len(fresh) > 0 {
		batch, err := conversions.Lookup(ctx, j.r.store, fresh)
		if err != nil {
			return fmt.Errorf("look up new conversions: %w", err)
		}
		for _, c := range fresh {
			conv, _ := batch.Conversion(c)
			if conv.IntegrationID != j.in.IntegrationID {
				j.run.NotOurs++ // a click of another integration's link
				continue
			}
			reports = append(reports, report{Report: conversions.Report{New: conv, Claim: c.State, Origin: j.origin()}})
		}
	}
	return j.settle(ctx, reports, listedAgain)
}

// ours returns the link a click id names when this system signed it; ok is
// false for someone else's value. An error is the click signing key's, which
// could not be loaded: no row can be judged without it.
func (j *job) ours(clickID string) (linkID string, ok bool, err error) {
	if clickID == "" {
		return "", false, nil
	}
	linkID, err = j.r.clicks.Verify(clickID)
	switch {
	case err == nil:
		return linkID, true, nil
	case errors.Is(err, clickid.ErrForged):
		return "", false, nil
	}
	return "", false, fmt.Errorf("verify click id: %w", err)
}

// claim is what a row of ours tells of its conversion. TUNE's null
// currency (the network's default) leaves a recorded conversion's currency
// alone, and gives a new one the offer's or the integration's.
func (j *job) claim(ref trackly.ConversionRef, linkID string, row tune.ReportConversion) conversions.Claim {
	payout := row.Payout
	return conversions.Claim{
		ClickID: row.ClickID, LinkID: linkID, IntegrationID: ref.IntegrationID,
		ConversionID: ref.ConversionID, GoalID: ref.GoalID, OfferID: row.OfferID,
		Status: trackly.ConversionStatus(row.Status), Payout: &payout, Currency: row.Currency,
		SaleAmount: row.SaleAmount, Source: row.Source, At: row.At,
		Extra: map[string]string{"tune_event_id": row.EventID},
	}
}

// origin is who reports the changes this run makes, and when.
func (j *job) origin() trackly.Origin {
	return trackly.Origin{Source: trackly.SourceReconciliation, At: j.r.opts.Now().UTC(), RunID: j.run.RunID}
}

// report is a row's report of a conversion: a change of recorded, read
// already, or, when recorded is nil, a conversion to record.
type report struct {
	conversions.Report
	recorded *trackly.Conversion
}

// ref names the conversion r reports.
func (r report) ref() trackly.ConversionRef {
	if r.recorded != nil {
		return r.recorded.Ref()
	}
	return r.New.Ref()
}

// settleOne applies r through the ledger: a change of a conversion read
// already is written on the version read, with no recording attempt first.
func (j *job) settleOne(ctx context.Context, r report) (conversions.Result, error) {
	if r.recorded != nil {
		return j.r.ledger.Apply(ctx, *r.recorded, r.Report, nil)
	}
	return j.r.ledger.Settle(ctx, r.Report, nil)
}

// settle applies reports through the ledger and clears the flag of the
// conversions TUNE lists again, a few at once. A conversion that other
// writers kept changing is counted failed, for the next run to try again;
// any other error stops the run.
func (j *job) settle(ctx context.Context, reports []report, listedAgain []trackly.Conversion) error {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
		sem  = make(chan struct{}, j.r.opts.Concurrency)
	)
	do := func(f func() error) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	for _, rep := range reports {
		do(func() error {
			res, err := j.settleOne(ctx, rep)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, trackly.ErrConflict):
				j.run.Failed++
				return nil
			case err != nil:
				return fmt.Errorf("settle conversion %s: %w", rep.ref().ConversionID, err)
			}
			switch res.Outcome {
			case conversions.Recorded:
				j.run.New++
			case conversions.Changed:
				j.run.Changed++
			case conversions.Same:
				j.run.Unchanged++
			case conversions.Stale:
				j.run.Stale++
			}
			if !res.Conversion.MissingAtTUNE.IsZero() {
				listedAgain = append(listedAgain, res.Conversion)
			}
			return nil
		})
	}
	wg.Wait()
	for _, c := range listedAgain {
		do(func() error {
			cleared, err := j.flag(ctx, c, time.Time{})
			mu.Lock()
			defer mu.Unlock()
			if cleared {
				j.run.MissingCleared++
			}
			return err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// flag writes c's next version flagged missing at TUNE since at, or with
// the flag cleared when at is zero, and reports whether it did. A conversion
// that changed meanwhile is left to the next run.
func (j *job) flag(ctx context.Context, c trackly.Conversion, at time.Time) (bool, error) {
	c.MissingAtTUNE, c.MissingRunID = at, ""
	if !at.IsZero() {
		c.MissingRunID = j.run.RunID
	}
	c.Version = c.CurrentVersion() + 1
	err := j.r.store.SaveConversion(ctx, c, nil)
	if errors.Is(err, trackly.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("flag conversion %s: %w", c.ConversionID, err)
	}
	return true, nil
}

// flagMissing flags the integration's conversions that TUNE did not list in
// the days this run read in full, EdgeMargin inside their ends and the
// run's start (a conversion received later may not be in the report read).
func (j *job) flagMissing(ctx context.Context) error {
	if j.full.from.IsZero() {
		return nil
	}
	from := j.full.from.Add(EdgeMargin)
	to := j.full.to.AddDate(0, 0, 1)
	if to.After(j.run.StartedAt) {
		to = j.run.StartedAt
	}
	to = to.Add(-EdgeMargin)
	if !from.Before(to) {
		return nil
	}
	ours, err := j.r.store.ListIntegrationConversions(ctx, j.in.IntegrationID, from, to)
	if err != nil {
		return fmt.Errorf("list conversions to find those TUNE did not list: %w", err)
	}
	now := j.r.opts.Now().UTC()
	for _, c := range ours {
		if j.listed[c.Ref()] {
			continue
		}
		j.run.MissingAtTUNE++
		if !c.MissingAtTUNE.IsZero() {
			continue // flagged by an earlier run
		}
		if _, err := j.flag(ctx, c, now); err != nil {
			return err
		}
	}
	return nil
}
