package reconcile_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/reconcile"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
)

// client is a TUNE client that opens its report for any integration.
type client struct{ *tune.Client }

func (c client) Report(context.Context, trackly.Integration) (reconcile.Report, error) {
	return c.Client, nil
}

// TestBothKeyKinds reconciles through the TUNE client and the simulator,
// whose report's fields differ between the kinds: a network key sees every
// affiliate's conversions, an affiliate key its own.
func TestBothKeyKinds(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind, key string
		// wantNew are the conversions the first run records.
		wantNew int
	}{
		{kind: tune.KeyKindNetwork, key: "NETtoken", wantNew: 2},
		{kind: tune.KeyKindAffiliate, key: "AFFkey", wantNew: 1},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			sim := tunesim.New(tunesim.Options{NetworkToken: "NETtoken", AffiliateKey: "AFFkey", AffiliateID: "3", TimeZone: tokyo})
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			c, err := tune.NewClient(tune.Config{NetworkID: "demo", BaseURL: srv.URL + "/Apiv3/json", KeyKind: tt.kind, APIKey: tt.key, AffiliateID: "3"})
			if err != nil {
				t.Fatal(err)
			}
			in := integration
			in.TimeZone = "Asia/Tokyo"
			f := newFixture(in, now, reconcile.Options{})
			f.through(f.st, client{c})
			clicks := newClicks(t, f)
			ours := func(tx, affiliate string) tunesim.Conversion {
				return tunesim.Conversion{TransactionID: tx, AffiliateID: affiliate, OfferID: offerID, GoalID: "0", Status: "pending",
					Payout: "5", SaleAmount: "40", At: at(20, 9), Subs: [5]string{clicks.stored}}
			}
			mine := sim.AddConversion(ours("tx-1", "3"))
			sim.AddConversion(ours("tx-2", "4"))
			test := ours("tx-test", "3")
			test.StatusCode = 22
			sim.AddConversion(test)
			foreign := ours("tx-foreign", "3")
			foreign.Subs[0] = "someone-elses-sub"
			sim.AddConversion(foreign)

			first := f.reconcile(t)
			if first.Status != trackly.SyncSucceeded || first.New != tt.wantNew || first.TestSkipped != 1 || first.NotOurs != 1 || first.TUNECalls != 7 {
				t.Fatalf("first run %s %+v after %d calls (%s), want %d new, 1 test, 1 not ours, a call a day", first.Status, countsOf(first), first.TUNECalls, first.Error, tt.wantNew)
			}
			got := f.st.conversion(t, ref("tx-1"))
			if got.Status != trackly.StatusPending || got.Payout.String() != "5" || got.SaleAmount == nil || got.SaleAmount.String() != "40" || !got.ReceivedAt.Equal(at(20, 9)) {
				t.Errorf("recorded %v sale %v at %v, want pending 5, sale 40, at %v", got.State(), got.SaleAmount, got.ReceivedAt, at(20, 9))
			}

			sim.UpdateConversion(mine, func(c *tunesim.Conversion) { c.Status, c.Payout = "approved", "4.5" })
			writes := f.st.writes
			second := f.reconcile(t)
			if second.Changed != 1 || second.New != 0 || f.st.writes-writes != 1 {
				t.Errorf("second run %+v with %d writes, want the one change written", countsOf(second), f.st.writes-writes)
			}
			if got := f.st.conversion(t, ref("tx-1")); got.Status != trackly.StatusApproved || got.Payout.String() != "4.5" {
				t.Errorf("stored %v, want approved 4.5", got.State())
			}
		})
	}
}
