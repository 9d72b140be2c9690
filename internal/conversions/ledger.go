// Package conversions records conversions and applies the changes reported
// to them (by postbacks, reconciliation with TUNE's conversions report, or
// admins) through one rule, trackly.Conversion's Decide and Changed: each
// report either records a new conversion, changes a recorded one by exactly
// one new version, or changes nothing, whatever else is writing the same
// conversion at the same moment.
package conversions

import (
	"context"
	"errors"
	"fmt"

	"github.com/trackly/tune-integration/internal/trackly"
)

// Store is the storage a Ledger needs.
type Store interface {
	// RecordConversion writes a new conversion (version 1), and logged's
	// outcome when logged is not nil, in one write that requires the
	// conversion not to exist; when it does, it returns a
	// *trackly.DuplicateError holding the recorded conversion.
	RecordConversion(ctx context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error
	// SaveConversion writes a new version of a recorded conversion, and
	// logged's outcome when logged is not nil, in one write that requires the
	// stored version to be the one before c's; when it is not, it returns a
	// *trackly.VersionConflictError.
	SaveConversion(ctx context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error
	// GetConversion reads a conversion, strongly consistently.
	GetConversion(ctx context.Context, ref trackly.ConversionRef) (trackly.Conversion, error)
}

// MaxAttempts is how often Settle decides a change again on a conversion
// that other writers keep changing, before it gives up with an error its
// caller retries later.
const MaxAttempts = 8

// Report is one report of a conversion: what to record if the conversion is
// new, and the state it reports for the conversion if it is recorded.
type Report struct {
	// New is the conversion as it would be recorded; Settle gives it its
	// version and history.
	New trackly.Conversion
	// Claim returns the state the report gives the recorded conversion: a
	// postback that names no status keeps the recorded one, for instance.
	Claim func(recorded trackly.Conversion) trackly.ConversionState
	// Origin says who reports it, and when.
	Origin trackly.Origin
}

// Outcome is what a report came to.
type Outcome string

// Outcomes.
const (
	// Recorded is a new conversion.
	Recorded Outcome = "recorded"
	// Changed is a new version of a recorded conversion.
	Changed Outcome = "changed"
	// Same is a report of the state recorded: a duplicate.
	Same Outcome = "same"
	// Stale is a report the conversion may not follow (see trackly.VerdictStale).
	Stale Outcome = "stale"
)

// Result is what Settle did.
type Result struct {
	Outcome Outcome
	// Conversion is the conversion as stored after the report.
	Conversion trackly.Conversion
	// Again is set when the report's postback had already recorded or
	// changed the conversion: it was delivered again, and nothing was written.
	Again bool
	// Logged is set when the postback's outcome was written with the conversion.
	Logged bool
}

// Ledger records conversions and applies reported changes, each once.
type Ledger struct {
	store Store
}

// NewLedger returns a Ledger writing through st.
func NewLedger(st Store) *Ledger {
	return &Ledger{store: st}
}

// Settle records r's conversion or applies the state r claims to the
// recorded one. A change is written only if the conversion is still at the
// version it was decided on; if another writer changed it meanwhile, the
// change is decided again on what that writer stored. logged, when not nil,
// returns the postback outcome to write in the same transaction as the
// conversion, given what the write will come to; Result.Logged says whether
// it was (never for Same, Stale or Again, which write no conversion).
func (l *Ledger) Settle(ctx context.Context, r Report, logged func(Result) *trackly.PostbackResult) (Result, error) {
	fresh := r.New.Recorded(r.Origin)
	res := Result{Outcome: Recorded, Conversion: fresh}
	err := l.store.RecordConversion(ctx, fresh, logOf(logged, &res))
	var dup *trackly.DuplicateError
	if !errors.As(err, &dup) {
		return res, err
	}
	return l.Apply(ctx, dup.Recorded, r, logged)
}

// Apply applies the state r claims to recorded, a conversion as stored, as
// Settle does once the conversion is found recorded: for a caller that has
// read the conversion already, and writes nothing when r changes nothing.
func (l *Ledger) Apply(ctx context.Context, recorded trackly.Conversion, r Report, logged func(Result) *trackly.PostbackResult) (Result, error) {
	for attempt := 1; ; attempt++ {
		if done, ok := recorded.ReportedBy(r.Origin.PostbackID); ok {
			outcome := Changed
			if done.Version == 1 {
				outcome = Recorded
			}
			return Result{Outcome: outcome, Conversion: recorded, Again: true}, nil
		}
		to := r.Claim(recorded)
		switch recorded.Decide(to) {
		case trackly.VerdictSame:
			return Result{Outcome: Same, Conversion: recorded}, nil
		case trackly.VerdictStale:
			return Result{Outcome: Stale, Conversion: recorded}, nil
		}
		res := Result{Outcome: Changed, Conversion: recorded.Changed(to, r.Origin)}
		err := l.store.SaveConversion(ctx, res.Conversion, logOf(logged, &res))
		var conflict *trackly.VersionConflictError
		switch {
		case err == nil:
			return res, nil
		case !errors.As(err, &conflict):
			return Result{}, err
		case attempt == MaxAttempts:
			return Result{}, fmt.Errorf("change conversion: %w (%d attempts)", err, attempt)
		}
		var readErr error
		if recorded, readErr = l.store.GetConversion(ctx, recorded.Ref()); readErr != nil {
			return Result{}, fmt.Errorf("read the conversion changed meanwhile: %w", readErr)
		}
	}
}

// logOf returns the postback outcome to write with res, marking res logged.
func logOf(logged func(Result) *trackly.PostbackResult, res *Result) *trackly.PostbackResult {
	if logged == nil {
		return nil
	}
	res.Logged = true
	return logged(*res)
}
