package reconcile

import (
	"context"
	"time"

	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// window is the days a run reads, in the network's time zone.
type window struct {
	loc *time.Location
	// from and to are the first and last day, both included.
	from, to time.Time
	// page is the page of the first day to start at: 1, or where a run that
	// stopped early stopped (resumedFrom).
	page        int
	resumedFrom string
}

// day is the day (midnight in w's time zone) n days after from.
func (w window) day(n int) time.Time { return w.from.AddDate(0, 0, n) }

// days is the number of days in w.
func (w window) days() int {
	n := 0
	for d := w.from; !d.After(w.to); d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

// location reads an integration's time zone; one that cannot be read (its
// name came before this system knew it) is the admin's to fix.
func location(in trackly.Integration) (*time.Location, error) {
	loc, err := in.Location()
	if err != nil {
		return nil, validate.Field("time_zone", "integration %s has the time zone %q, which cannot be read (%v): set it with update_integration", in.IntegrationID, in.TimeZone, err)
	}
	return loc, nil
}

// today is the midnight that starts now's day in loc.
func today(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// parseDay reads a day, already validated, as its midnight in loc.
func parseDay(day string, loc *time.Location) time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, day, loc)
	return t
}

// manualWindow is the window a reconcile_conversions request asks for: see Request.
func manualWindow(in trackly.Integration, req Request, now time.Time) (window, error) {
	loc, err := location(in)
	if err != nil {
		return window{}, err
	}
	last := today(now, loc)
	w := window{loc: loc, page: 1, to: last}
	if req.To != "" {
		w.to = parseDay(req.To, loc)
		if w.to.After(last) {
			return window{}, validate.Field("to", "%s is after today (%s in the network's time zone, %s)", req.To, last.Format(time.DateOnly), loc)
		}
	}
	w.from = w.to.AddDate(0, 0, 1-in.ReconcileLookback())
	if req.From != "" {
		w.from = parseDay(req.From, loc)
		if w.from.After(last) {
			return window{}, validate.Field("from", "%s is after today (%s in the network's time zone, %s)", req.From, last.Format(time.DateOnly), loc)
		}
		if w.from.After(w.to) {
			return window{}, validate.Field("to", "%s is before from (%s)", w.to.Format(time.DateOnly), req.From)
		}
		if n := w.days(); n > MaxWindowDays {
			return window{}, validate.Field("from", "the window from %s to %s has %d days; at most %d", req.From, w.to.Format(time.DateOnly), n, MaxWindowDays)
		}
	}
	return w, nil
}

// scheduledWindow is the window of a scheduled run: the rest of the
// integration's last run when that run stopped early, not long ago, in the
// same time zone; otherwise the integration's lookback, today included.
func (r *Reconciler) scheduledWindow(ctx context.Context, in trackly.Integration) (window, error) {
	loc, err := location(in)
	if err != nil {
		return window{}, err
	}
	now := r.opts.Now()
	last, _, err := r.store.ListReconcileRuns(ctx, trackly.ReconcileRunFilter{IntegrationID: in.IntegrationID, Limit: 1})
	if err != nil {
		return window{}, err
	}
	if len(last) == 1 {
		prev := last[0]
		if prev.ResumeDay != "" && prev.TimeZone == loc.String() && now.Sub(prev.StartedAt) < resumeMaxAge {
			return window{loc: loc, from: parseDay(prev.ResumeDay, loc), to: parseDay(prev.To, loc), page: max(prev.ResumePage, 1), resumedFrom: prev.RunID}, nil
		}
	}
	to := today(now, loc)
	return window{loc: loc, from: to.AddDate(0, 0, 1-in.ReconcileLookback()), to: to, page: 1}, nil
}
