package e2e

import (
	"maps"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/money"
)

func TestDataSurvivesARestart(t *testing.T) {
	opts := localrun.Options{DataDir: t.TempDir(), KeepData: true, DrainTimeout: 10 * time.Second}
	before := localruntest.Start(t, opts)
	localruntest.Eventually(t, "the demo's own tap and pending conversion in the report", func() bool {
		tot := before.Report(t, "message", "").Total
		return tot.Clicks == 1 && tot.PendingConversions == 1
	})
	seeded := before.Report(t, "message", "").Total
	click := before.ClickID(t, before.Demo.LinkURL)
	conversion := url.Values{
		"click_id": {click}, "payout": {"12.50"}, "conversion_id": {"restart-1"}, "token": {before.PostbackToken(t)},
	}
	if a := before.Postback(t, conversion); a.Status != http.StatusOK {
		t.Fatalf("postback: %d %s", a.Status, a.Raw)
	}
	localruntest.Eventually(t, "the tap and the conversion in the report", func() bool {
		tot := before.Report(t, "message", "").Total
		return tot.Conversions == seeded.Conversions+1 && tot.Clicks == seeded.Clicks+1
	})
	want := before.Report(t, "message", "")
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}

	after := localruntest.Start(t, opts)
	if after.Demo.LinkID != before.Demo.LinkID || after.PostbackToken(t) != before.PostbackToken(t) {
		t.Errorf("the demo was seeded again: link %s, token changed %v", after.Demo.LinkID, after.PostbackToken(t) != before.PostbackToken(t))
	}
	if got := after.Report(t, "message", ""); got.Total.Clicks != want.Total.Clicks || !maps.EqualFunc(got.Total.Revenue, want.Total.Revenue, sameAmount) {
		t.Errorf("report after a restart = %+v, want %+v", got.Total, want.Total)
	}
	if after.Demo.ConversionEventID == "" || len(after.TUNE.Conversions()) != 1 {
		t.Errorf("the TUNE simulator, which keeps nothing, lists %d conversions after a restart; want the demo's, as recorded", len(after.TUNE.Conversions()))
	}
	after.ClickID(t, after.Demo.LinkURL) // the link still redirects
	if a := after.Postback(t, conversion); a.Status != http.StatusOK {
		t.Fatalf("postback again: %d %s", a.Status, a.Raw)
	}
	localruntest.Eventually(t, "the second tap in the report", func() bool { return after.Report(t, "message", "").Total.Clicks == want.Total.Clicks+1 })
	localruntest.Eventually(t, "the repeated postback to be logged", func() bool {
		for _, p := range after.PostbackLog(t) {
			if p.Outcome == "duplicate" {
				return true
			}
		}
		return false
	})
	if got := after.Report(t, "message", "").Total; got.Conversions != want.Total.Conversions || !maps.EqualFunc(got.Revenue, want.Total.Revenue, sameAmount) {
		t.Errorf("after the repeated postback: %d conversions, revenue %v; want the one kept from before the restart", got.Conversions, got.Revenue)
	}
}

// sameAmount reports whether a and b are the same amount of money.
func sameAmount(a, b money.Amount) bool { return a.Equal(b.Decimal) }
