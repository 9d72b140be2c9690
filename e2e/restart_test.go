package e2e

import (
	"maps"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/localrun"
)

func TestDataSurvivesARestart(t *testing.T) {
	opts := localrun.Options{DataDir: t.TempDir(), KeepData: true, DrainTimeout: 10 * time.Second}
	before := startSystemWith(t, opts)
	click := before.clickIDOf(before.Demo.LinkURL)
	conversion := url.Values{
		"click_id": {click}, "payout": {"12.50"}, "conversion_id": {"restart-1"}, "token": {before.postbackToken()},
	}
	if a := before.postback(conversion); a.Status != http.StatusOK {
		t.Fatalf("postback: %d %s", a.Status, a.RawMessage)
	}
	eventually(t, "the conversion in the report", func() bool { return before.report("message", "").Total.Conversions == 1 })
	want := before.report("message", "")
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}

	after := startSystemWith(t, opts)
	if after.Demo.LinkID != before.Demo.LinkID || after.postbackToken() != before.postbackToken() {
		t.Errorf("the demo was seeded again: link %s, token changed %v", after.Demo.LinkID, after.postbackToken() != before.postbackToken())
	}
	if got := after.report("message", ""); got.Total.Clicks != want.Total.Clicks || !maps.Equal(got.Total.Revenue, want.Total.Revenue) {
		t.Errorf("report after a restart = %+v, want %+v", got.Total, want.Total)
	}
	after.clickIDOf(after.Demo.LinkURL) // the link still redirects
	if a := after.postback(conversion); a.Status != http.StatusOK {
		t.Fatalf("postback again: %d %s", a.Status, a.RawMessage)
	}
	eventually(t, "the second tap in the report", func() bool { return after.report("message", "").Total.Clicks == want.Total.Clicks+1 })
	eventually(t, "the repeated postback to be logged", func() bool {
		for _, p := range after.postbackLog() {
			if p.Outcome == "duplicate" {
				return true
			}
		}
		return false
	})
	if got := after.report("message", "").Total; got.Conversions != 1 || !maps.Equal(got.Revenue, want.Total.Revenue) {
		t.Errorf("after the repeated postback: %d conversions, revenue %v; want the one kept from before the restart", got.Conversions, got.Revenue)
	}
}
