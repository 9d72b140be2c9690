package conversions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// Service serves admins' reads and changes of one conversion.
type Service struct {
	store  Store
	ledger *Ledger
	now    func() time.Time
}

// NewService returns a Service over st.
func NewService(st Store, now func() time.Time) *Service {
	return &Service{store: st, ledger: NewLedger(st), now: now}
}

// maxValueLength is the longest id or note a request may hold: TUNE's
// values (a transaction id, a goal id) are at most 500 characters.
const maxValueLength = 500

// Ref names a conversion in a request: goal "0" (TUNE's default goal) when left out.
type Ref struct {
	IntegrationID string `json:"integration_id"`
	ConversionID  string `json:"conversion_id"`
	GoalID        string `json:"goal_id,omitempty"`
}

// ChangeRequest is change_conversion's request: an admin's correction of a
// conversion's status, payout or currency, with a note saying why.
type ChangeRequest struct {
	Ref
	Status   trackly.ConversionStatus `json:"status,omitempty"`
	Payout   string                   `json:"payout,omitempty"`
	Currency string                   `json:"currency,omitempty"`
	Note     string                   `json:"note"`
}

// ChangeResult is change_conversion's answer: what the change came to
// (changed, same or stale) and the conversion as stored after it.
type ChangeResult struct {
	Outcome    Outcome            `json:"outcome"`
	Conversion trackly.Conversion `json:"conversion"`
}

// Get returns a conversion with its history.
func (s *Service) Get(ctx context.Context, r Ref) (trackly.Conversion, error) {
	ref, err := r.check()
	if err != nil {
		return trackly.Conversion{}, err
	}
	c, err := s.store.GetConversion(ctx, ref)
	if errors.Is(err, trackly.ErrNotFound) {
		return trackly.Conversion{}, validate.Field("conversion_id", "no conversion %q of goal %q in integration %q", ref.ConversionID, ref.GoalID, ref.IntegrationID)
	}
	if err != nil {
		return trackly.Conversion{}, fmt.Errorf("read conversion: %w", err)
	}
	return c, nil
}

// Change applies an admin's correction through the same rule as postbacks
// and reconciliation: a change is one new version with its history entry; a
// correction to the state recorded changes nothing; pending is refused for a
// decided conversion.
func (s *Service) Change(ctx context.Context, r ChangeRequest) (ChangeResult, error) {
	claim, err := r.claim()
	if err != nil {
		return ChangeResult{}, err
	}
	recorded, err := s.Get(ctx, r.Ref)
	if err != nil {
		return ChangeResult{}, err
	}
	res, err := s.ledger.Apply(ctx, recorded, Report{
		Claim:  claim.State,
		Origin: trackly.Origin{Source: trackly.SourceAdmin, At: s.now().UTC(), Note: r.Note},
	}, nil)
	if err != nil {
		return ChangeResult{}, fmt.Errorf("change conversion: %w", err)
	}
	if res.Outcome == Stale {
		return ChangeResult{}, validate.Field("status", "the conversion is %s; a decided conversion never becomes pending again", recorded.Status)
	}
	return ChangeResult{Outcome: res.Outcome, Conversion: res.Conversion}, nil
}

func (r Ref) check() (trackly.ConversionRef, error) {
	ref := trackly.ConversionRef{IntegrationID: r.IntegrationID, ConversionID: r.ConversionID, GoalID: r.GoalID}
	if ref.GoalID == "" {
		ref.GoalID = "0"
	}
	for _, f := range []struct{ name, value string }{{"integration_id", ref.IntegrationID}, {"conversion_id", ref.ConversionID}, {"goal_id", ref.GoalID}} {
		if f.value == "" {
			return ref, validate.Field(f.name, "is required")
		}
		if len(f.value) > maxValueLength {
			return ref, validate.Field(f.name, "must be at most %d bytes, as TUNE's values are", maxValueLength)
		}
		if err := validate.Text(f.name, f.value); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

// claim checks the request and returns what it claims.
func (r ChangeRequest) claim() (Claim, error) {
	if _, err := r.check(); err != nil {
		return Claim{}, err
	}
	if strings.TrimSpace(r.Note) == "" {
		return Claim{}, validate.Field("note", "is required: say why the conversion changes (it is kept in its history)")
	}
	if len(r.Note) > maxValueLength {
		return Claim{}, validate.Field("note", "must be at most %d bytes", maxValueLength)
	}
	if err := validate.Text("note", r.Note); err != nil {
		return Claim{}, err
	}
	var c Claim
	switch r.Status {
	case "", trackly.StatusApproved, trackly.StatusPending, trackly.StatusRejected:
		c.Status = r.Status
	default:
		return Claim{}, validate.Field("status", "must be approved, pending or rejected, not %q", r.Status)
	}
	if r.Payout != "" {
		p, err := money.Parse(r.Payout)
		if err != nil {
			return Claim{}, validate.Field("payout", "%v", err)
		}
		p = p.Round()
		c.Payout = &p
	}
	if r.Currency != "" {
		if !validate.Currency(r.Currency) {
			return Claim{}, validate.Field("currency", "must be a three-letter ISO 4217 code in capitals like USD, not %q", r.Currency)
		}
		c.Currency = r.Currency
	}
	if c.Status == "" && c.Payout == nil && c.Currency == "" {
		return Claim{}, validate.Field("status", "name a status, a payout or a currency to change")
	}
	return c, nil
}
