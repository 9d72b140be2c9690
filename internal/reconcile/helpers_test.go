package reconcile_test

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reconcile"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
)

// The integration reconciled, its link and offer, and another integration's link.
const (
	integrationID = "in-1"
	linkID        = "ln-1"
	offerID       = "7"
	otherLinkID   = "ln-2"
)

var signer = mustSigner("a test signing key of 32 bytes!!")

func mustSigner(key string) *clickid.Signer {
	s, err := clickid.NewSigner([]byte(key))
	if err != nil {
		panic(err)
	}
	return s
}

// clickOf issues a click id for a link, signed with s.
func clickOf(t *testing.T, s *clickid.Signer, link string) string {
	t.Helper()
	id, err := s.New(link)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// clock is a test clock that moves only when told.
type clock struct {
	start   time.Time
	elapsed atomic.Int64
}

func (c *clock) Now() time.Time { return c.start.Add(time.Duration(c.elapsed.Load())) }

func (c *clock) advance(d time.Duration) { c.elapsed.Add(int64(d)) }

// store is an in-memory store that writes conversions as the store's
// conditional writes do, and counts the conversion writes.
type store struct {
	mu           sync.Mutex
	conversions  map[trackly.ConversionRef]trackly.Conversion
	clicks       map[string]trackly.Click
	links        map[string]trackly.Link
	integrations map[string]trackly.Integration
	offers       map[trackly.OfferRef]trackly.Offer
	runs         []trackly.ReconcileRun
	writes       int
}

func newStore(in trackly.Integration) *store {
	return &store{
		conversions:  map[trackly.ConversionRef]trackly.Conversion{},
		clicks:       map[string]trackly.Click{},
		integrations: map[string]trackly.Integration{in.IntegrationID: in, "in-2": {IntegrationID: "in-2", AccountID: "other"}},
		links: map[string]trackly.Link{
			linkID:      {LinkID: linkID, Placement: trackly.Placement{AccountID: "acct", IntegrationID: in.IntegrationID, OfferID: offerID, MessageID: "m-1"}},
			otherLinkID: {LinkID: otherLinkID, Placement: trackly.Placement{AccountID: "other", IntegrationID: "in-2", OfferID: offerID, MessageID: "m-2"}},
		},
		offers: map[trackly.OfferRef]trackly.Offer{
			{IntegrationID: in.IntegrationID, OfferID: offerID}: {IntegrationID: in.IntegrationID, OfferID: offerID, Currency: "EUR"},
		},
	}
}

func (s *store) RecordConversion(_ context.Context, c trackly.Conversion, _ *trackly.PostbackResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if recorded, ok := s.conversions[c.Ref()]; ok {
		return &trackly.DuplicateError{Recorded: recorded}
	}
	s.conversions[c.Ref()] = c
	s.writes++
	return nil
}

func (s *store) SaveConversion(_ context.Context, c trackly.Conversion, _ *trackly.PostbackResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stored, ok := s.conversions[c.Ref()]; !ok || stored.CurrentVersion() != c.Version-1 {
		return &trackly.VersionConflictError{Ref: c.Ref(), Version: c.Version - 1}
	}
	s.conversions[c.Ref()] = c
	s.writes++
	return nil
}

func (s *store) GetConversion(_ context.Context, ref trackly.ConversionRef) (trackly.Conversion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return memtable.Get(s.conversions, ref)
}

func (s *store) GetConversions(_ context.Context, refs []trackly.ConversionRef) (map[trackly.ConversionRef]trackly.Conversion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return pick(s.conversions, refs), nil
}

func (s *store) ListIntegrationConversions(_ context.Context, integrationID string, from, to time.Time) ([]trackly.Conversion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return memtable.Select(s.conversions, func(c trackly.Conversion) bool {
		return c.IntegrationID == integrationID && !c.ReceivedAt.Before(from) && c.ReceivedAt.Before(to)
	}), nil
}

func (s *store) GetClicks(_ context.Context, ids []string) (map[string]trackly.Click, error) {
	return pick(s.clicks, ids), nil
}

func (s *store) GetLinks(_ context.Context, ids []string) (map[string]trackly.Link, error) {
	return pick(s.links, ids), nil
}

func (s *store) GetIntegrations(_ context.Context, ids []string) (map[string]trackly.Integration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return pick(s.integrations, ids), nil
}

func (s *store) GetOffers(_ context.Context, refs []trackly.OfferRef) (map[trackly.OfferRef]trackly.Offer, error) {
	return pick(s.offers, refs), nil
}

func (s *store) GetIntegration(_ context.Context, id string) (trackly.Integration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return memtable.Get(s.integrations, id)
}

func (s *store) DueReconciliations(_ context.Context, now time.Time) ([]trackly.Integration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return memtable.Select(s.integrations, func(in trackly.Integration) bool {
		return in.Reconcile && !in.NextReconcileAt.After(now) && in.ReconcileLeaseUntil.Before(now)
	}), nil
}

func (s *store) AcquireReconcileLease(_ context.Context, id, owner string, now, until time.Time) (trackly.Integration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := memtable.Get(s.integrations, id)
	if err != nil {
		return in, err
	}
	if !in.ReconcileLeaseUntil.Before(now) {
		return in, trackly.ErrLeaseHeld
	}
	in.ReconcileLeaseOwner, in.ReconcileLeaseUntil = owner, until
	s.integrations[id] = in
	return in, nil
}

func (s *store) ReleaseReconcileLease(_ context.Context, id, owner string, r trackly.ReconcileRelease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.integrations[id]
	if in.ReconcileLeaseOwner != owner {
		return trackly.ErrConflict
	}
	in.ReconcileLeaseOwner, in.ReconcileLeaseUntil = "", time.Time{}
	if !r.LastReconcileAt.IsZero() {
		in.LastReconcileAt = r.LastReconcileAt
	}
	if !r.NextReconcileAt.IsZero() {
		in.NextReconcileAt = r.NextReconcileAt
	}
	s.integrations[id] = in
	return nil
}

func (s *store) PutReconcileRun(_ context.Context, r trackly.ReconcileRun) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(s.runs, func(o trackly.ReconcileRun) bool { return o.RunID == r.RunID }); i >= 0 {
		s.runs[i] = r
		return nil
	}
	s.runs = append(s.runs, r)
	return nil
}

func (s *store) ListReconcileRuns(_ context.Context, f trackly.ReconcileRunFilter) ([]trackly.ReconcileRun, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []trackly.ReconcileRun
	for _, r := range slices.Backward(s.runs) {
		if r.IntegrationID == f.IntegrationID && len(out) < cmp.Or(f.Limit, len(s.runs)) {
			out = append(out, r)
		}
	}
	return out, "", nil
}

// conversion returns a recorded conversion of ours, by a postback.
func (s *store) conversion(t *testing.T, ref trackly.ConversionRef) trackly.Conversion {
	t.Helper()
	c, err := s.GetConversion(context.Background(), ref)
	if err != nil {
		t.Fatalf("conversion %v: %v", ref, err)
	}
	return c
}

// pick returns the rows of m under keys.
func pick[K comparable, V any](m map[K]V, keys []K) map[K]V {
	out := map[K]V{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// network is TUNE's conversions report of an integration, in memory: its
// rows, the calls made and an optional hook run before each answer.
type network struct {
	mu     sync.Mutex
	rows   []tune.ReportConversion
	calls  []tune.ConversionQuery
	onCall func(q tune.ConversionQuery) error
}

// Report opens the report: network is its own report for every integration.
func (n *network) Report(context.Context, trackly.Integration) (reconcile.Report, error) {
	return n, nil
}

// Conversions answers one page of one or more days, as TUNE does.
func (n *network) Conversions(ctx context.Context, q tune.ConversionQuery) (tune.ConversionPage, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, q)
	if n.onCall != nil {
		if err := n.onCall(q); err != nil {
			return tune.ConversionPage{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return tune.ConversionPage{}, err
	}
	loc := cmp.Or(q.Location, time.UTC)
	var rows []tune.ReportConversion
	for _, r := range n.rows {
		if day := r.At.In(loc).Format(time.DateOnly); day >= q.From && day <= q.To {
			rows = append(rows, r)
		}
	}
	slices.SortStableFunc(rows, func(a, b tune.ReportConversion) int { return a.At.Compare(b.At) })
	first := min((q.Page-1)*q.Limit, len(rows))
	return tune.ConversionPage{
		Page: q.Page, Count: len(rows), PageCount: (len(rows) + q.Limit - 1) / q.Limit,
		Conversions: rows[first:min(first+q.Limit, len(rows))],
	}, nil
}

// days returns the days of the calls made, in order.
func (n *network) days() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, q := range n.calls {
		if q.From != q.To {
			out = append(out, q.From+".."+q.To)
			continue
		}
		out = append(out, q.From)
	}
	return out
}

// amount reads a decimal written in a test.
func amount(s string) money.Amount { return money.FromDecimal(decimal.RequireFromString(s)) }

// row is a report row of transaction tx for click id clickID.
func row(t *testing.T, tx, clickID string, status trackly.ConversionStatus, payout string, at time.Time) tune.ReportConversion {
	t.Helper()
	return tune.ReportConversion{EventID: "ev-" + tx, At: at, TransactionID: tx, ClickID: clickID, OfferID: offerID,
		GoalID: "0", Status: string(status), Payout: amount(payout)}
}

// recorded is the conversion a postback recorded for transaction tx.
func recorded(t *testing.T, tx, clickID string, status trackly.ConversionStatus, payout string, at time.Time) trackly.Conversion {
	t.Helper()
	c := trackly.Conversion{IntegrationID: integrationID, ConversionID: tx, GoalID: "0", AccountID: "acct", ClickID: clickID,
		LinkID: linkID, OfferID: offerID, Attribution: trackly.ConversionAttributed, Status: status, Payout: amount(payout),
		Currency: "USD", PostbackID: "pb-" + tx, ReceivedAt: at}
	return c.Recorded(trackly.Origin{Source: trackly.SourcePostback, At: at, PostbackID: c.PostbackID})
}

// ref names transaction tx's conversion of the integration.
func ref(tx string) trackly.ConversionRef {
	return trackly.ConversionRef{IntegrationID: integrationID, ConversionID: tx, GoalID: "0"}
}

// counts are a run's counters.
type counts struct {
	Rows, New, Changed, Unchanged, Stale, Test, NotOurs, Ignored, Failed, Missing, Cleared int
}

func countsOf(r trackly.ReconcileRun) counts {
	return counts{Rows: r.RowsSeen, New: r.New, Changed: r.Changed, Unchanged: r.Unchanged, Stale: r.Stale, Test: r.TestSkipped,
		NotOurs: r.NotOurs, Ignored: r.Ignored, Failed: r.Failed, Missing: r.MissingAtTUNE, Cleared: r.MissingCleared}
}

// fixture is a reconciler of integration in-1 over an in-memory store and network.
type fixture struct {
	st    *store
	net   *network
	clock *clock
	opts  reconcile.Options
	r     *reconcile.Reconciler
}

func newFixture(in trackly.Integration, now time.Time, opts reconcile.Options) *fixture {
	f := &fixture{st: newStore(in), net: &network{}, clock: &clock{start: now}, opts: opts}
	f.opts.Now, f.opts.Logger = f.clock.Now, slog.New(slog.DiscardHandler)
	f.r = reconcile.New(f.st, f.net, signer, f.opts)
	return f
}

// through makes the fixture's reconciler use st and t.
func (f *fixture) through(st reconcile.Store, t reconcile.TUNE) {
	f.r = reconcile.New(st, t, signer, f.opts)
}

// reconcile runs a manual reconciliation of the integration's lookback.
func (f *fixture) reconcile(t *testing.T) trackly.ReconcileRun {
	t.Helper()
	run, err := f.r.Reconcile(context.Background(), reconcile.Request{IntegrationID: integrationID})
	if err != nil {
		t.Fatal(err)
	}
	return run
}
