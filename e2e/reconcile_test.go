package e2e

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/trackly"
)

// reconciler reconciles the demo integration with the simulated network's
// conversions report, one day at a time: each subtest's conversions happen
// on a day of its own, so that its runs count only them and it runs alone.
type reconciler struct {
	s *localruntest.System
}

// day is the day n days before today (UTC, the demo network's time zone),
// at hour h.
func day(n, h int) time.Time {
	y, m, d := time.Now().UTC().Date()
	return time.Date(y, m, d-n, h, 0, 0, 0, time.UTC)
}

// reconcile runs reconcile_conversions over the day of at, which must succeed
// with one TUNE call. It reports failures with t.Error, so that it may run
// beside the test's goroutine.
func (r reconciler) reconcile(t *testing.T, at time.Time) trackly.ReconcileRun {
	t.Helper()
	d := at.Format(time.DateOnly)
	var run trackly.ReconcileRun
	if fe := r.s.Invoke(t, "ReconciliationFunction", map[string]any{"action": "reconcile_conversions", "integration_id": r.s.Demo.IntegrationID, "from": d, "to": d}, &run); fe != "" {
		t.Errorf("reconcile_conversions: %s", fe)
	}
	if run.Status != trackly.SyncSucceeded || run.TUNECalls != 1 {
		t.Errorf("run %s after %d TUNE calls: %s; want a succeeded run of one call", run.Status, run.TUNECalls, run.Error)
	}
	return run
}

// conversion adds a conversion of click to the simulated network at at, and returns its event id.
func (r reconciler) conversion(tx, click, status, payout string, at time.Time) string {
	return r.s.TUNE.AddConversion(tunesim.Conversion{TransactionID: tx, OfferID: r.s.Demo.OfferID, GoalID: "0", Status: status,
		Payout: payout, Currency: "USD", At: at, Subs: [5]string{click}})
}

// get reads a conversion of the demo integration.
func (r reconciler) get(t *testing.T, tx string) trackly.Conversion {
	t.Helper()
	var c trackly.Conversion
	r.s.MustInvoke(t, "AdminFunction", map[string]any{"action": "get_conversion", "integration_id": r.s.Demo.IntegrationID, "conversion_id": tx}, &c)
	return c
}

// reportIs waits until the report of a link's message shows want.
func (r reconciler) reportIs(t *testing.T, messageID string, want totals) {
	t.Helper()
	localruntest.Eventually(t, "the report", func() bool { return totalsOf(r.s.Report(t, "message", messageID).Total) == want })
}

// counts are the counters of a run that the subtests check.
type counts struct{ rows, recorded, changed, unchanged, test, notOurs int }

func countsOf(r trackly.ReconcileRun) counts {
	return counts{r.RowsSeen, r.New, r.Changed, r.Unchanged, r.TestSkipped, r.NotOurs}
}

func TestReconciliationWithTUNE(t *testing.T) {
	// No schedule: every run here is one the test asks for.
	s := localruntest.Start(t, localrun.Options{DisableSchedules: true})
	r := reconciler{s}

	t.Run("a missed postback is recovered and counted", func(t *testing.T) {
		link := newLink(t, s, "reconcile-missed")
		at := day(2, 10)
		r.conversion("tx-missed", s.ClickID(t, link.URL), "approved", "12.5", at)
		run := r.reconcile(t, at)
		if got := countsOf(run); got != (counts{rows: 1, recorded: 1}) {
			t.Errorf("run counts %+v, want the one conversion recorded", got)
		}
		r.reportIs(t, link.MessageID, totals{1, 0, 0, 0, "12.5", "0", "0"})
		c := r.get(t, "tx-missed")
		if c.RecordedBy != trackly.SourceReconciliation || c.Attribution != trackly.ConversionAttributed || !c.ReceivedAt.Equal(at) ||
			len(c.History) != 1 || c.History[0].RunID != run.RunID {
			t.Errorf("conversion %+v, want recorded by run %s, attributed, received when TUNE dates it", c, run.RunID)
		}
	})

	t.Run("a status change in TUNE moves the report by exact deltas", func(t *testing.T) {
		link := newLink(t, s, "reconcile-status")
		at := day(3, 10)
		event := r.conversion("tx-status", s.ClickID(t, link.URL), "pending", "10", at)
		steps := []struct {
			status, payout string
			run            counts
			want           totals
		}{
			{"pending", "10", counts{rows: 1, recorded: 1}, totals{0, 1, 0, 0, "0", "10", "0"}},
			{"approved", "9.5", counts{rows: 1, changed: 1}, totals{1, 0, 0, 0, "9.5", "0", "0"}},
			{"rejected", "9.5", counts{rows: 1, changed: 1}, totals{0, 0, 1, 1, "0", "0", "9.5"}},
			{"approved", "9.75", counts{rows: 1, changed: 1}, totals{1, 0, 0, 0, "9.75", "0", "0"}},
		}
		for i, step := range steps {
			s.TUNE.UpdateConversion(event, func(c *tunesim.Conversion) { c.Status, c.Payout = step.status, step.payout })
			if got := countsOf(r.reconcile(t, at)); got != step.run {
				t.Errorf("step %d (%s %s): run counts %+v, want %+v", i, step.status, step.payout, got, step.run)
			}
			r.reportIs(t, link.MessageID, step.want)
		}
		if c := r.get(t, "tx-status"); c.Version != len(steps) || len(c.History) != len(steps) || c.Reversed {
			t.Errorf("conversion at version %d with %d history entries, reversed %v; want version %d, not reversed", c.Version, len(c.History), c.Reversed, len(steps))
		}
	})

	t.Run("reconciling twice changes nothing the second time", func(t *testing.T) {
		link := newLink(t, s, "reconcile-twice")
		at := day(4, 10)
		click := s.ClickID(t, link.URL)
		r.conversion("tx-twice-1", click, "approved", "3", at)
		r.conversion("tx-twice-2", click, "pending", "4", at.Add(time.Hour))
		if got := countsOf(r.reconcile(t, at)); got != (counts{rows: 2, recorded: 2}) {
			t.Fatalf("first run counts %+v, want both recorded", got)
		}
		r.reportIs(t, link.MessageID, totals{1, 1, 0, 0, "3", "4", "0"})
		if got := countsOf(r.reconcile(t, at)); got != (counts{rows: 2, unchanged: 2}) {
			t.Errorf("second run counts %+v, want both unchanged", got)
		}
		for _, tx := range []string{"tx-twice-1", "tx-twice-2"} {
			if c := r.get(t, tx); c.Version != 1 {
				t.Errorf("%s at version %d after the second run, want 1: nothing written", tx, c.Version)
			}
		}
		r.reportIs(t, link.MessageID, totals{1, 1, 0, 0, "3", "4", "0"})
	})

	t.Run("test conversions and other people's sub values are never counted", func(t *testing.T) {
		link := newLink(t, s, "reconcile-foreign")
		at := day(5, 10)
		click := s.ClickID(t, link.URL)
		test := r.conversion("tx-test", click, "approved", "5", at)
		s.TUNE.UpdateConversion(test, func(c *tunesim.Conversion) { c.StatusCode = 22 })
		r.conversion("tx-their-sub", "their-own-sub-42", "approved", "5", at)
		forger, err := clickid.NewSigner([]byte("a key that is not this system's!!"))
		if err != nil {
			t.Fatal(err)
		}
		forged, err := forger.New(link.LinkID)
		if err != nil {
			t.Fatal(err)
		}
		r.conversion("tx-forged", forged, "approved", "5", at)
		if got := countsOf(r.reconcile(t, at)); got != (counts{rows: 3, test: 1, notOurs: 2}) {
			t.Errorf("run counts %+v, want 1 test and 2 not ours, none recorded", got)
		}
		for _, tx := range []string{"tx-test", "tx-their-sub", "tx-forged"} {
			if fe := s.Invoke(t, "AdminFunction", map[string]any{"action": "get_conversion", "integration_id": s.Demo.IntegrationID, "conversion_id": tx}, nil); fe == "" {
				t.Errorf("%s was recorded", tx)
			}
		}
		if total := s.Report(t, "message", link.MessageID).Total; total.Conversions+total.PendingConversions+total.RejectedConversions != 0 {
			t.Errorf("the report counts %+v", total)
		}
	})

	t.Run("a status-change postback and a reconciliation at the same moment apply the change once", func(t *testing.T) {
		link := newLink(t, s, "reconcile-race")
		at := day(6, 10)
		click := s.ClickID(t, link.URL)
		event := r.conversion("tx-race", click, "pending", "5", at)
		r.reconcile(t, at)
		r.reportIs(t, link.MessageID, totals{0, 1, 0, 0, "0", "5", "0"})

		// The network approves the conversion, and says so both in its report and with a postback.
		s.TUNE.UpdateConversion(event, func(c *tunesim.Conversion) { c.Status = "approved" })
		var (
			wg       sync.WaitGroup
			run      trackly.ReconcileRun
			postback localruntest.PostbackAnswer
			sendErr  error
		)
		token := s.PostbackToken(t)
		wg.Go(func() { run = r.reconcile(t, at) })
		wg.Go(func() {
			postback, sendErr = s.SendPostback(url.Values{"click_id": {click}, "payout": {"5"}, "currency": {"USD"}, "conversion_id": {"tx-race"},
				"status": {"approved"}, "token": {token}})
		})
		wg.Wait()
		if sendErr != nil || postback.Status != http.StatusOK {
			t.Fatalf("postback: %v %d %s", sendErr, postback.Status, postback.Raw)
		}
		id := postback.Body["postback_id"].(string)
		localruntest.Eventually(t, "the postback's outcome", func() bool { return s.OutcomeOf(t, id).Outcome != trackly.PostbackAccepted })
		outcome := s.OutcomeOf(t, id).Outcome
		byPostback, byRun := outcome == trackly.PostbackChanged, run.Changed == 1
		if byPostback == byRun || (byPostback && run.Unchanged != 1) || (byRun && outcome != trackly.PostbackDuplicate) {
			t.Errorf("postback %s, run %+v: want exactly one of them to change the conversion, the other to find it done", outcome, countsOf(run))
		}
		c := r.get(t, "tx-race")
		if c.Version != 2 || len(c.History) != 2 || c.Status != trackly.StatusApproved {
			t.Errorf("conversion %s at version %d with %d history entries, want approved at version 2", c.Status, c.Version, len(c.History))
		}
		r.reportIs(t, link.MessageID, totals{1, 0, 0, 0, "5", "0", "0"})
	})
}
