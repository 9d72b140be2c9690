package reconcile_test

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/reconcile"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
)

// benchConversions is how many conversions the simulated network has over
// the 7 days of the default lookback.
const benchConversions = 10_000

// BenchmarkReconcile reconciles 7 days of 10,000 conversions of the
// simulated network, through the TUNE client, into the in-memory store:
// once into an empty table (every conversion new), and once more over a
// table that already holds them all. It reports the TUNE calls and the
// conversion writes of a run, and fails unless the calls are the pages the
// days need and no more, and an unchanged window writes nothing. It says
// nothing of time.
func BenchmarkReconcile(b *testing.B) {
	sim := tunesim.New(tunesim.Options{AffiliateKey: "AFFkey", AffiliateID: "3", RateLimit: -1})
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	c, err := tune.NewClient(tune.Config{NetworkID: "demo", BaseURL: srv.URL + "/Apiv3/json", KeyKind: tune.KeyKindAffiliate, APIKey: "AFFkey", RateLimit: 1000})
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture(integration, now, reconcile.Options{})
	f.through(f.st, client{c})
	// The window is 2026-11-18 to 2026-11-24: the conversions of each day
	// come a few seconds apart from its midnight, all before now (12:00).
	perDay := map[string]int{}
	for i := range benchConversions {
		click, err := signer.New(linkID)
		if err != nil {
			b.Fatal(err)
		}
		f.st.clicks[click] = trackly.Click{ClickID: click, LinkID: linkID, Placement: f.st.links[linkID].Placement,
			CreatedAt: at(17, 0), AttributableUntil: at(17, 0).AddDate(0, 0, 30)}
		when := at(18+i%7, 0).Add(time.Duration(i/7) * 4 * time.Second)
		perDay[when.Format(time.DateOnly)]++
		sim.AddConversion(tunesim.Conversion{TransactionID: fmt.Sprintf("tx-%05d", i), OfferID: offerID, GoalID: "0",
			Payout: "1.25", Currency: "USD", At: when, Subs: [5]string{click}})
	}
	pages := 0
	for _, n := range perDay {
		pages += (n + reconcile.DefaultPageSize - 1) / reconcile.DefaultPageSize
	}
	run := func(b *testing.B) trackly.ReconcileRun {
		b.Helper()
		r, err := f.r.Reconcile(context.Background(), reconcile.Request{IntegrationID: integrationID})
		if err != nil || r.Status != trackly.SyncSucceeded {
			b.Fatalf("run %s: %v %s", r.Status, err, r.Error)
		}
		if r.TUNECalls != pages {
			b.Fatalf("%d TUNE calls, want the %d pages the 7 days need", r.TUNECalls, pages)
		}
		return r
	}

	b.Run("every conversion new", func(b *testing.B) {
		var r trackly.ReconcileRun
		for b.Loop() {
			b.StopTimer()
			clear(f.st.conversions)
			f.st.writes = 0
			b.StartTimer()
			r = run(b)
		}
		if r.New != benchConversions || f.st.writes != benchConversions {
			b.Fatalf("%d new, %d writes; want each of %d conversions recorded once", r.New, f.st.writes, benchConversions)
		}
		b.ReportMetric(float64(r.TUNECalls), "tune_calls/op")
		b.ReportMetric(float64(f.st.writes), "writes/op")
	})

	b.Run("unchanged window", func(b *testing.B) {
		if len(f.st.conversions) != benchConversions {
			clear(f.st.conversions)
			run(b)
		}
		recorded := maps.Clone(f.st.conversions)
		f.st.writes = 0
		var r trackly.ReconcileRun
		for b.Loop() {
			r = run(b)
		}
		if r.Unchanged != benchConversions || f.st.writes != 0 || !maps.EqualFunc(recorded, f.st.conversions, sameVersion) {
			b.Fatalf("%d unchanged, %d writes; want all %d unchanged and nothing written", r.Unchanged, f.st.writes, benchConversions)
		}
		b.ReportMetric(float64(r.TUNECalls), "tune_calls/op")
		b.ReportMetric(float64(f.st.writes)/float64(b.N), "writes/op")
	})
}

func sameVersion(a, b trackly.Conversion) bool { return a.Version == b.Version }
