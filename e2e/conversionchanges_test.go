package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// totals is what a report line says of conversions, as strings to compare in one go.
type totals struct {
	conversions, pending, rejected, reversed int64
	revenue, pendingRevenue, reversedRevenue string
}

func totalsOf(l reports.Line) totals {
	return totals{l.Conversions, l.PendingConversions, l.RejectedConversions, l.ReversedConversions,
		l.Revenue["USD"].String(), l.PendingRevenue["USD"].String(), l.ReversedRevenue["USD"].String()}
}

// Each subtest converts on a link of its own, so that it reads a report of its own and runs alone.
func TestConversionChangesMoveTheReportOnce(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	token := s.PostbackToken(t)
	get := func(t *testing.T, conversionID string) trackly.Conversion {
		t.Helper()
		var c trackly.Conversion
		s.MustInvoke(t, "AdminFunction", map[string]any{"action": "get_conversion", "integration_id": s.Demo.IntegrationID, "conversion_id": conversionID}, &c)
		return c
	}

	t.Run("status-change postbacks move the report by exact deltas", func(t *testing.T) {
		link := newLink(t, s, "lifecycle")
		click := s.ClickID(t, link.URL)
		steps := []struct {
			status, payout string
			outcome        trackly.PostbackOutcome
			want           totals
		}{
			{"pending", "10.00", trackly.PostbackAttributed, totals{0, 1, 0, 0, "0", "10", "0"}},
			{"approved", "9.50", trackly.PostbackChanged, totals{1, 0, 0, 0, "9.5", "0", "0"}},
			{"rejected", "9.50", trackly.PostbackChanged, totals{0, 0, 1, 1, "0", "0", "9.5"}},
			{"pending", "9.50", trackly.PostbackStale, totals{0, 0, 1, 1, "0", "0", "9.5"}},
			{"approved", "9.50", trackly.PostbackChanged, totals{1, 0, 0, 0, "9.5", "0", "0"}},
			{"approved", "9.50", trackly.PostbackDuplicate, totals{1, 0, 0, 0, "9.5", "0", "0"}},
		}
		for i, step := range steps {
			a := s.Postback(t, url.Values{"click_id": {click}, "payout": {step.payout}, "currency": {"USD"}, "conversion_id": {"tx-life"},
				"status": {step.status}, "token": {token}})
			if a.Status != http.StatusOK {
				t.Fatalf("step %d: postback %d %s", i, a.Status, a.Raw)
			}
			id := a.Body["postback_id"].(string)
			localruntest.Eventually(t, "the postback's outcome", func() bool { return s.OutcomeOf(t, id).Outcome != trackly.PostbackAccepted })
			if got := s.OutcomeOf(t, id); got.Outcome != step.outcome {
				t.Fatalf("step %d (%s %s): outcome %s (%s), want %s", i, step.status, step.payout, got.Outcome, got.Reason, step.outcome)
			}
			localruntest.Eventually(t, "the report after the step", func() bool {
				return totalsOf(s.Report(t, "message", link.MessageID).Total) == step.want
			})
		}
		if c := get(t, "tx-life"); c.Version != 4 || len(c.History) != 4 || c.Status != trackly.StatusApproved || c.Reversed {
			t.Errorf("conversion at version %d with %d history entries, %s, reversed %v; want version 4, approved, not reversed", c.Version, len(c.History), c.Status, c.Reversed)
		}
	})

	t.Run("the same change sent three times at once applies once", func(t *testing.T) {
		link := newLink(t, s, "concurrent-change")
		click := s.ClickID(t, link.URL)
		params := url.Values{"click_id": {click}, "payout": {"4.20"}, "currency": {"USD"}, "conversion_id": {"tx-race"}, "status": {"pending"}, "token": {token}}
		s.Postback(t, params)
		localruntest.Eventually(t, "the pending conversion", func() bool { return s.Report(t, "message", link.MessageID).Total.PendingConversions == 1 })

		params.Set("status", "approved")
		outcomes := sendAtOnce(t, s, params, 3)
		if outcomes[trackly.PostbackChanged] != 1 || outcomes[trackly.PostbackDuplicate] != 2 {
			t.Errorf("outcomes %v, want one changed and two duplicates", outcomes)
		}
		want := totals{1, 0, 0, 0, "4.2", "0", "0"}
		localruntest.Eventually(t, "the approved conversion in the report", func() bool { return totalsOf(s.Report(t, "message", link.MessageID).Total) == want })
		if c := get(t, "tx-race"); c.Version != 2 {
			t.Errorf("conversion at version %d, want 2: one change", c.Version)
		}
	})

	t.Run("an admin's correction moves the report and stays in the history", func(t *testing.T) {
		link := newLink(t, s, "admin-change")
		s.Postback(t, url.Values{"click_id": {s.ClickID(t, link.URL)}, "payout": {"7"}, "currency": {"USD"}, "conversion_id": {"tx-admin"}, "token": {token}})
		localruntest.Eventually(t, "the conversion", func() bool { return s.Report(t, "message", link.MessageID).Total.Conversions == 1 })
		var res conversions.ChangeResult
		s.MustInvoke(t, "AdminFunction", map[string]any{"action": "change_conversion", "integration_id": s.Demo.IntegrationID,
			"conversion_id": "tx-admin", "payout": "6.25", "note": "advertiser's corrected figure"}, &res)
		if res.Outcome != conversions.Changed || res.Conversion.Payout.String() != "6.25" {
			t.Fatalf("change answered %+v", res)
		}
		want := totals{1, 0, 0, 0, "6.25", "0", "0"}
		localruntest.Eventually(t, "the corrected revenue", func() bool { return totalsOf(s.Report(t, "message", link.MessageID).Total) == want })
		if last := get(t, "tx-admin").History[1]; last.Source != trackly.SourceAdmin || last.Note != "advertiser's corrected figure" {
			t.Errorf("history entry %+v, want the admin's note", last)
		}
	})
}
