package offers_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/trackly"
)

// importAll imports every offer the key sees.
func importAll(t *testing.T, svc *offers.Service, id string) offers.ImportResult {
	t.Helper()
	res, err := svc.Import(context.Background(), offers.ImportRequest{IntegrationID: id, Filter: &offers.ImportFilter{}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete {
		t.Fatalf("import incomplete: %+v", res)
	}
	return res
}

func syncNow(t *testing.T, svc *offers.Service, id string) trackly.SyncRun {
	t.Helper()
	run, err := svc.Sync(context.Background(), offers.SyncRequest{IntegrationID: id})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestPaginationIsCompleteAndResyncOfUnchangedOffersWritesNothing(t *testing.T) {
	w := getWorld(t)
	n, id := w.connect(t, 1234, "affiliate")
	n.activateAll(1234)
	svc := w.service(offers.Options{PageSize: 100})

	before := w.ddb.snapshot()
	res := importAll(t, svc, id)
	after := w.ddb.snapshot()
	if res.Imported != 1234 || res.New != 1234 || res.OffersOmitted != 234 {
		t.Fatalf("import: imported %d, new %d, omitted %d", res.Imported, res.New, res.OffersOmitted)
	}
	if got := n.calls("findAll"); got != 13 {
		t.Errorf("findAll calls = %d, want ceil(1234/100) = 13", got)
	}
	if got := n.calls("generateTrackingLink"); got != 0 {
		t.Errorf("generateTrackingLink calls = %d, want 0 (links come in bulk)", got)
	}
	if got := after["BatchWriteItem"] - before["BatchWriteItem"]; got != 50 {
		t.Errorf("BatchWriteItem calls = %d, want ceil(1234/25) = 50", got)
	}
	if got := len(w.stored(t, id)); got != 1234 {
		t.Fatalf("%d offers stored", got)
	}

	n.sim.ResetCalls()
	before = w.ddb.snapshot()
	run := syncNow(t, svc, id)
	after = w.ddb.snapshot()
	if run.Status != trackly.SyncSucceeded || !run.Complete || run.Pages != 13 || run.OffersSeen != 1234 || run.OffersUnchanged != 1234 ||
		run.OffersNew+run.OffersChanged+run.OffersRemoved != 0 || run.TUNECalls != 13 {
		t.Errorf("re-sync run: %+v", run)
	}
	if got := after["OfferWrite"] - before["OfferWrite"]; got != 0 {
		t.Errorf("an unchanged re-sync wrote offers %d times", got)
	}
	if got := n.calls("findAll"); got != 13 {
		t.Errorf("re-sync findAll calls = %d, want 13", got)
	}
}

func TestSyncWritesChangesMarksRemovedAndRestores(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n, id, svc := w.imported(t, 300, offers.Options{PageSize: 40})
	if got := n.calls("generateTrackingLink"); got != 300 {
		t.Fatalf("generateTrackingLink calls = %d, want one per new offer", got)
	}
	n.sim.ResetCalls()

	changed := n.sim.ChangeSome(12)
	gone := []int{7, 150, 300}
	for _, g := range gone {
		n.sim.RemoveOffer(g)
	}
	before := w.ddb.snapshot()
	run := syncNow(t, svc, id)
	after := w.ddb.snapshot()
	wantChanged := 0
	for _, c := range changed {
		if !slices.Contains(gone, c) {
			wantChanged++
		}
	}
	if run.Status != trackly.SyncSucceeded || run.OffersChanged != wantChanged || run.OffersRemoved != len(gone) || run.OffersNew != 0 {
		t.Fatalf("sync: %+v (changed ids %v)", run, changed)
	}
	if got := after["BatchWriteItem"] - before["BatchWriteItem"]; got != 1 { // the changes and removals fit one batch
		t.Errorf("BatchWriteItem calls = %d for %d writes, want 1", got, wantChanged+len(gone))
	}
	if got := n.calls("generateTrackingLink"); got != 0 {
		t.Errorf("a sync generated %d links for offers that have one", got)
	}
	stored := w.stored(t, id)
	for _, c := range changed {
		if slices.Contains(gone, c) {
			continue
		}
		o, _ := n.sim.Offer(c)
		if got := stored[strconv.Itoa(c)]; got.Name != o.Name || !got.DefaultPayout.Equal(o.DefaultPayout) || got.Status != o.Status {
			t.Errorf("offer %d not updated: %+v", c, got)
		}
	}
	for _, g := range gone {
		o, ok := stored[strconv.Itoa(g)]
		if !ok || !o.Removed || o.RemovedAt.IsZero() || o.TrackingURL == "" {
			t.Errorf("offer %d: removed record %+v", g, o)
		}
		// Its links keep working: the offer is still there for ClickFunction.
		if _, err := w.store.GetOffer(ctx, id, strconv.Itoa(g)); err != nil {
			t.Errorf("removed offer %d: %v", g, err)
		}
	}
	visible, err := svc.List(ctx, offers.ListQuery{IntegrationID: id, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	all, err := svc.List(ctx, offers.ListQuery{IntegrationID: id, IncludeRemoved: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(visible.Offers) != 297 || len(all.Offers) != 300 {
		t.Errorf("list_offers: %d visible, %d with removed", len(visible.Offers), len(all.Offers))
	}

	// A second sync has nothing to do; removed offers stay removed without being rewritten.
	before = w.ddb.snapshot()
	run = syncNow(t, svc, id)
	if run.OffersChanged+run.OffersRemoved+run.OffersNew != 0 || w.ddb.snapshot()["OfferWrite"] != before["OfferWrite"] {
		t.Errorf("second sync: %+v", run)
	}

	// An offer that comes back is restored.
	n.sim.AddOffer(tunesim.Offer{ID: 150, Name: "Back again", Status: "active", PayoutType: "cpa_flat", Currency: "USD"})
	run = syncNow(t, svc, id)
	if run.OffersRestored != 1 || run.OffersChanged != 1 {
		t.Errorf("restore run: %+v", run)
	}
	if o := w.stored(t, id)["150"]; o.Removed || o.Name != "Back again" || !o.RemovedAt.IsZero() {
		t.Errorf("restored offer: %+v", o)
	}
}

func TestFailedSyncKeepsProgressAndRemovesNothing(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n, id := w.connect(t, 200, "affiliate")
	n.activateAll(200)
	svc := w.service(offers.Options{PageSize: 50, MaxRetries: 2})
	importAll(t, svc, id)

	n.sim.ChangeSome(200)    // every offer changes
	n.activateAll(200)       // (and stays visible to the affiliate key)
	n.sim.RemoveOffer(199)   // and one is gone, on the last page
	var findAll atomic.Int32 // fail every call from the third page on
	n.onRequest(func(r *http.Request) {
		if r.FormValue("Method") == "findAll" && findAll.Add(1) == 3 {
			n.sim.FailNext(tunesim.FailServerError, 3)
		}
	})
	run := syncNow(t, svc, id)
	if run.Status != trackly.SyncFailed || run.Complete || run.ErrorKind != "server_error" || run.OffersRemoved != 0 || run.LastPage != 2 {
		t.Fatalf("failed run: %+v", run)
	}
	if run.OffersChanged != 100 {
		t.Errorf("the failed run changed %d offers, want the 100 of its 2 pages", run.OffersChanged)
	}
	stored := w.stored(t, id)
	updated := 0
	for _, o := range stored {
		if o.Removed {
			t.Errorf("offer %s marked removed by a partial listing", o.OfferID)
		}
		if !o.UpdatedAt.Equal(o.ImportedAt) {
			updated++
		}
	}
	if updated != 100 {
		t.Errorf("%d offers updated by the failed run, want 100", updated)
	}
	runs, err := svc.ListRuns(ctx, offers.RunsQuery{IntegrationID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs.Runs) != 2 || runs.Runs[0].RunID != run.RunID || runs.Runs[0].Status != trackly.SyncFailed || runs.Runs[1].Trigger != trackly.SyncTriggerImport {
		t.Errorf("list_sync_runs: %+v", runs.Runs)
	}
	in, _ := w.store.GetIntegration(ctx, id)
	if in.SyncCursorPage != 3 || in.SyncLeaseOwner != "" {
		t.Errorf("integration after failure: cursor %d, lease owner %q", in.SyncCursorPage, in.SyncLeaseOwner)
	}

	// The next run resumes (from page 2, which overlaps what was read) and,
	// having then read the whole listing, marks 199 removed.
	n.onRequest(func(*http.Request) {})
	run = syncNow(t, svc, id)
	if run.Status != trackly.SyncSucceeded || !run.Complete || run.ResumedFrom == "" || run.FirstPage != 2 || run.Pages != 3 || run.OffersRemoved != 1 || run.OffersChanged != 99 {
		t.Errorf("resumed run: %+v", run)
	}
	if o := w.stored(t, id)["199"]; !o.Removed {
		t.Errorf("offer 199 not marked removed: %+v", o)
	}
}

func TestSyncStopsBeforeTheDeadlineAndResumes(t *testing.T) {
	// Pages of 50: the first run reads pages 1-3 (ids 1-150) before the deadline.
	// Before the next run, offers of the pages already read go, shifting the
	// later pages back, and offer 260 (of a page not read yet) goes too.
	tests := []struct {
		name          string
		goneBefore    []int // ids of pages already read removed between the runs
		wantFirstPage int
	}{
		// 151, first of page 4, moves to page 3: the resumed run starts a page early and finds it there.
		{"shift of one offer", []int{10}, 3},
		// 151..210 move to pages 2-3: page 3 no longer overlaps what was read, so the run steps back to page 2.
		{"shift of more than a page", idsFrom(1, 60), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := getWorld(t)
			ctx := context.Background()
			n, id := w.connect(t, 300, "affiliate")
			n.activateAll(300)

			// The service's clock jumps past the work deadline once the third page is served.
			var skew atomic.Int64
			now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			svc := w.service(offers.Options{PageSize: 50, Now: now, DeadlineMargin: 10 * time.Second})
			importAll(t, svc, id)
			var findAll atomic.Int32
			n.onRequest(func(r *http.Request) {
				if r.FormValue("Method") == "findAll" && findAll.Add(1) == 3 {
					skew.Store(int64(time.Hour))
				}
			})
			dctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
			defer cancel()
			run, err := svc.Sync(dctx, offers.SyncRequest{IntegrationID: id})
			if err != nil {
				t.Fatal(err)
			}
			if run.Status != trackly.SyncPartial || run.Complete || run.LastPage != 3 || run.Pages != 3 || run.Error == "" || run.OffersRemoved != 0 {
				t.Fatalf("run at the deadline: %+v", run)
			}
			in, _ := w.store.GetIntegration(ctx, id)
			if in.SyncCursorPage != 4 || in.SyncLeaseOwner != "" || in.NextSyncAt.After(now()) {
				t.Fatalf("integration: cursor %d, owner %q, next %v", in.SyncCursorPage, in.SyncLeaseOwner, in.NextSyncAt)
			}

			for _, g := range append(tt.goneBefore, 260) {
				n.sim.RemoveOffer(g)
			}
			n.onRequest(func(*http.Request) {})
			run, err = svc.Sync(ctx, offers.SyncRequest{IntegrationID: id})
			if err != nil {
				t.Fatal(err)
			}
			if run.Status != trackly.SyncSucceeded || !run.Complete || run.ResumedFrom == "" || run.FirstPage != tt.wantFirstPage || run.OffersRemoved != 1 {
				t.Fatalf("resumed run: %+v", run)
			}
			stored := w.stored(t, id)
			if !stored["260"].Removed {
				t.Error("offer 260 not marked removed")
			}
			for oid := 1; oid <= 300; oid++ {
				if oid != 260 && stored[strconv.Itoa(oid)].Removed {
					t.Errorf("offer %d wrongly marked removed by the resumed run", oid)
				}
			}
			// The next full listing catches the offers that went from pages already read.
			run = syncNow(t, svc, id)
			if run.ResumedFrom != "" || run.FirstPage != 1 || run.OffersRemoved != len(tt.goneBefore) {
				t.Errorf("full run: %+v", run)
			}
			stored = w.stored(t, id)
			for _, g := range tt.goneBefore {
				if !stored[strconv.Itoa(g)].Removed {
					t.Errorf("offer %d not marked removed by the full run", g)
				}
			}
		})
	}
}

func idsFrom(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestLeaseBlocksASecondConcurrentSync(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n, id, svc := w.imported(t, 20, offers.Options{})
	n.sim.ResetCalls()

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	n.onRequest(func(r *http.Request) {
		if r.FormValue("Method") == "findAll" {
			once.Do(func() { close(entered); <-release })
		}
	})
	first := make(chan trackly.SyncRun, 1)
	go func() {
		run, err := svc.Sync(ctx, offers.SyncRequest{IntegrationID: id})
		if err != nil {
			t.Error(err)
		}
		first <- run
	}()
	<-entered // the first sync holds the lease and is talking to TUNE

	// Another execution environment (its own service) tries the same integration.
	second, err := w.service(offers.Options{}).Sync(ctx, offers.SyncRequest{IntegrationID: id})
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != trackly.SyncSkipped {
		t.Errorf("second sync: %+v", second)
	}
	due, err := w.store.DueIntegrations(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range due {
		if in.IntegrationID == id {
			t.Error("an integration under lease is listed as due")
		}
	}
	close(release)
	run := <-first
	if run.Status != trackly.SyncSucceeded {
		t.Errorf("first sync: %+v", run)
	}
	if got := n.calls("findAll"); got != 1 {
		t.Errorf("findAll calls = %d, want 1: the blocked sync must not call TUNE", got)
	}
	// Once released, the lease can be taken again.
	if run := syncNow(t, svc, id); run.Status != trackly.SyncSucceeded {
		t.Errorf("sync after release: %+v", run)
	}
}

func TestLeaseStore(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	_, id := w.connect(t, 1, "affiliate")
	now := time.Now().UTC()
	if _, err := w.store.AcquireSyncLease(ctx, id, "a", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	in, err := w.store.AcquireSyncLease(ctx, id, "b", now.Add(30*time.Second), now.Add(2*time.Minute))
	if !errors.Is(err, trackly.ErrLeaseHeld) || in.SyncLeaseOwner != "a" {
		t.Fatalf("second acquire: %v, owner %q", err, in.SyncLeaseOwner)
	}
	if err := w.store.ReleaseSyncLease(ctx, id, "b", trackly.SyncRelease{NextSyncAt: now}); !errors.Is(err, trackly.ErrConflict) {
		t.Errorf("release by a non-owner: %v", err)
	}
	// An expired lease can be taken over, to the millisecond.
	if _, err := w.store.AcquireSyncLease(ctx, id, "b", now.Add(time.Minute+time.Millisecond), now.Add(3*time.Minute)); err != nil {
		t.Fatalf("take over an expired lease: %v", err)
	}
	if err := w.store.ReleaseSyncLease(ctx, id, "a", trackly.SyncRelease{NextSyncAt: now}); !errors.Is(err, trackly.ErrConflict) {
		t.Errorf("release by the former owner: %v", err)
	}
	next := now.Add(time.Hour)
	if err := w.store.ReleaseSyncLease(ctx, id, "b", trackly.SyncRelease{LastSyncAt: now, NextSyncAt: next, CursorPage: 4}); err != nil {
		t.Fatal(err)
	}
	in, err = w.store.GetIntegration(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if in.SyncLeaseOwner != "" || !in.SyncLeaseUntil.IsZero() || !in.NextSyncAt.Equal(next) || in.SyncCursorPage != 4 || in.Name == "" {
		t.Errorf("after release: %+v", in)
	}
	if _, err := w.store.AcquireSyncLease(ctx, "in_missing", "c", now, now); !errors.Is(err, trackly.ErrNotFound) {
		t.Errorf("lease of a missing integration: %v", err)
	}
}

func TestPacingNeverExceedsTheRateLimitAndRetriesItsError(t *testing.T) {
	w := getWorld(t)
	const limit, window = 4, 250 * time.Millisecond
	n := newNetwork(t, tunesim.Options{Offers: 60, RateLimit: limit, RateWindow: window})
	n.activateAll(60)
	id := w.integration(t, n, "affiliate", func(s *integrations.Settings) { s.RateLimit = ptr(limit) })
	svc := w.service(offers.Options{PageSize: 5, RateWindow: window})

	n.sim.FailNext(tunesim.FailRateLimit, 2) // as if another system used the key
	res := importAll(t, svc, id)
	if res.Imported != 60 {
		t.Fatalf("imported %d", res.Imported)
	}
	calls := n.sim.Calls()
	if len(calls) != 12+2 {
		t.Errorf("%d calls, want 12 pages + 2 retried", len(calls))
	}
	for i, c := range calls {
		if c.Failure != "" && i >= 2 {
			t.Errorf("call %d failed: %s", i, c.Failure)
		}
		// No window holds more than limit calls: call i+limit comes a full window after call i.
		if j := i + limit; j < len(calls) && calls[j].Time.Sub(c.Time) < window {
			t.Errorf("calls %d and %d are %v apart, within one %v window", i, j, calls[j].Time.Sub(c.Time), window)
		}
	}
}

func TestSettingsChangesReachTheTrackingURLs(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n, id, svc := w.imported(t, 30, offers.Options{})
	admin := integrations.NewService(w.store, w.secrets, "http://127.0.0.1:3000", 30, time.Now)

	// A new click parameter: the stored links are reused, the tracking URLs rewritten.
	if _, err := admin.Update(ctx, id, integrations.Settings{ClickParam: ptr("aff_click_id")}); err != nil {
		t.Fatal(err)
	}
	n.sim.ResetCalls()
	run := syncNow(t, svc, id)
	if run.OffersChanged != 30 || n.calls("generateTrackingLink") != 0 {
		t.Errorf("after a click parameter change: %+v, %d link calls", run, n.calls("generateTrackingLink"))
	}
	for _, o := range w.stored(t, id) {
		if !strings.HasSuffix(o.TrackingURL, "&aff_id="+affiliateID+"&aff_click_id={click_id}") {
			t.Errorf("offer %s: %s", o.OfferID, o.TrackingURL)
		}
	}

	// Another affiliate: the links are generated again, once.
	if _, err := admin.Update(ctx, id, integrations.Settings{AffiliateID: ptr("42")}); err != nil {
		t.Fatal(err)
	}
	n.sim.ResetCalls()
	run = syncNow(t, svc, id)
	if run.OffersChanged != 30 || n.calls("generateTrackingLink") != 30 {
		t.Errorf("after an affiliate change: %+v, %d link calls", run, n.calls("generateTrackingLink"))
	}
	for _, o := range w.stored(t, id) {
		if !strings.Contains(o.TrackingURL, "&aff_id=42&aff_click_id={click_id}") {
			t.Errorf("offer %s: %s", o.OfferID, o.TrackingURL)
		}
	}
	n.sim.ResetCalls()
	if run := syncNow(t, svc, id); run.OffersChanged != 0 || n.calls("generateTrackingLink") != 0 {
		t.Errorf("sync after: %+v", run)
	}
}
