package reports

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/trackly/tune-integration/internal/backoff"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

// ChangeIncrements returns the counters a change to a click or a conversion
// moves: those its new record moves less those its old record moved, so that a
// conversion whose status or payout changes moves each counter by the
// difference, and a change that moves no counter returns no increment. A removal moves
// none either: clicks leave their table when their attribution window ends, and
// the report keeps counting them.
func ChangeIncrements(ch trackly.Change) []trackly.ReportIncrement {
	var now, before []trackly.ReportIncrement
	switch {
	case ch.NewClick != nil:
		now = clickIncrements(*ch.NewClick)
		if ch.OldClick != nil {
			before = clickIncrements(*ch.OldClick)
		}
	case ch.NewConversion != nil:
		now = conversionIncrements(*ch.NewConversion)
		if ch.OldConversion != nil {
			before = conversionIncrements(*ch.OldConversion)
		}
	}
	var sum rowSums
	sum.add(now, false)
	sum.add(before, true)
	return sum.increments()
}

// rowSums sums increments per report row, in the order the rows come.
type rowSums struct {
	order []rowOf
	rows  map[rowOf]map[string]money.Amount
}

// rowOf names a report row.
type rowOf struct {
	accountID   string
	dimension   trackly.Dimension
	dimensionID string
	day         string
}

// add adds incs to the sums, or subtracts them when negate is set.
func (s *rowSums) add(incs []trackly.ReportIncrement, negate bool) {
	if s.rows == nil {
		s.rows = map[rowOf]map[string]money.Amount{}
	}
	for _, inc := range incs {
		r := rowOf{inc.AccountID, inc.Dimension, inc.DimensionID, inc.Day}
		counters, ok := s.rows[r]
		if !ok {
			counters = map[string]money.Amount{}
			s.rows[r] = counters
			s.order = append(s.order, r)
		}
		for name, v := range inc.Counters {
			if negate {
				v = money.FromDecimal(v.Neg())
			}
			counters[name] = counters[name].Add(v)
		}
	}
}

// has reports whether the sums hold row r.
func (s *rowSums) has(r rowOf) bool {
	_, ok := s.rows[r]
	return ok
}

// increments returns the sums, one increment per row, without the rows whose
// counters all sum to zero: they would not move.
func (s *rowSums) increments() []trackly.ReportIncrement {
	var out []trackly.ReportIncrement
	for _, r := range s.order {
		counters := s.rows[r]
		if allZero(counters) {
			continue
		}
		out = append(out, trackly.ReportIncrement{AccountID: r.accountID, Dimension: r.dimension, DimensionID: r.dimensionID, Day: r.day, Counters: counters})
	}
	return out
}

func allZero(counters map[string]money.Amount) bool {
	for _, v := range counters {
		if !v.IsZero() {
			return false
		}
	}
	return true
}

// MaxCountItems is the most items one CountChanges writes: DynamoDB's limit
// of items in a transaction.
const MaxCountItems = 100

// CountStore applies counted changes to the report rows.
type CountStore interface {
	// CountChanges adds increments (one per report row) to the report rows
	// and marks the changes with the given IDs counted, in one transaction of
	// one item per change and one per increment, at most MaxCountItems, that
	// requires none of the changes to be marked yet. When some are (an earlier
	// delivery counted them, and its answer was lost), it writes nothing and
	// returns their IDs.
	CountChanges(ctx context.Context, changeIDs []string, increments []trackly.ReportIncrement) (counted []string, err error)
}

// answerMargin is the time Count leaves its caller before the deadline of
// its context: it starts no write after it, and a write still running then
// is abandoned, so that the caller has time to answer which changes remain.
const answerMargin = time.Second

// Counter counts changes to clicks and conversions in the report rows,
// exactly once each however often they are delivered.
type Counter struct {
	store  CountStore
	logger *slog.Logger
}

// NewCounter returns a Counter that applies counts through st.
func NewCounter(st CountStore, logger *slog.Logger) *Counter {
	return &Counter{store: st, logger: logger}
}

// Count counts changes, in order, and returns how many of them, from the
// first, are counted, whether now or by an earlier delivery; the error says
// why the others are not. It sums their increments per report row and applies
// them in as few writes as the item limit allows, each marking the changes it
// counts. A write that fails (a transaction conflict, throttling, a failure
// whose answer was lost) is tried again after a jittered pause, until the
// deadline of ctx comes near: the caller is then to have the changes from the
// first one not counted delivered again. Those before it are marked, so that
// even a delivery of all of them again would count none twice.
func (c *Counter) Count(ctx context.Context, changes []trackly.Change) (int, error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-answerMargin))
		defer cancel()
	}
	done := 0
	for _, ch := range chunks(changes) {
		if err := c.apply(ctx, ch); err != nil {
			return done, err
		}
		done += len(ch)
	}
	return done, nil
}

// apply counts one chunk of changes, retrying until it is counted or ctx ends.
func (c *Counter) apply(ctx context.Context, changes []trackly.Change) error {
	for attempt := 0; len(changes) > 0; {
		ids := make([]string, len(changes))
		var sum rowSums
		for i, ch := range changes {
			ids[i] = ch.ID
			sum.add(ChangeIncrements(ch), false)
		}
		counted, err := c.store.CountChanges(ctx, ids, sum.increments())
		switch {
		case err != nil:
			attempt++
			c.logger.WarnContext(ctx, "counting changes failed; trying again", "changes", len(ids), "attempt", attempt, "error", err)
			if waitErr := backoff.Wait(ctx, attempt); waitErr != nil {
				return fmt.Errorf("count %d changes: %w (after %d attempts, the last: %w)", len(ids), waitErr, attempt, err)
			}
		case len(counted) > 0:
			// Counted by an earlier delivery whose answer was lost: the
			// others are counted without them.
			c.logger.InfoContext(ctx, "changes already counted", "changes", len(counted))
			left := slices.DeleteFunc(changes, func(ch trackly.Change) bool { return slices.Contains(counted, ch.ID) })
			if len(left) == len(changes) {
				return fmt.Errorf("count %d changes: the store says %v are counted, none of which it was asked", len(ids), counted)
			}
			changes = left
		default:
			return nil
		}
	}
	return nil
}

// chunks splits changes, in order, into chunks whose CountChanges writes at
// most MaxCountItems items: one per change, one per report row it moves.
func chunks(changes []trackly.Change) [][]trackly.Change {
	var out [][]trackly.Change
	var current []trackly.Change
	var rows rowSums
	for _, ch := range changes {
		incs := ChangeIncrements(ch)
		added := 0
		for _, inc := range incs {
			if !rows.has(rowOf{inc.AccountID, inc.Dimension, inc.DimensionID, inc.Day}) {
				added++
			}
		}
		if len(current) > 0 && len(current)+1+len(rows.order)+added > MaxCountItems {
			out = append(out, current)
			current, rows = nil, rowSums{}
		}
		current = append(current, ch)
		rows.add(incs, false)
	}
	if len(current) > 0 {
		out = append(out, current)
	}
	return out
}
