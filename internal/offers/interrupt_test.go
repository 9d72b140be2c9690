package offers_test

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/app/adminfn"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/trackly"
)

// interruptBound is how soon after its context is cancelled a run must have
// returned, recorded and given its lease back: the local cloud's Ctrl-C
// stops everything within 5 seconds.
const interruptBound = 5 * time.Second

// onCall calls f with the request of call number at (1-based) of method to
// any of the networks, before the simulator answers it.
func onCall(method string, at int, f func(*http.Request), networks ...*network) {
	var calls atomic.Int32
	hook := func(r *http.Request) {
		if r.FormValue("Method") == method && int(calls.Add(1)) == at {
			f(r)
		}
	}
	for _, n := range networks {
		n.onRequest(hook)
	}
}

// cancelInCall cancels the invocation's context during call number at of
// method, holding the answer until the client gives up: a Ctrl-C in the
// middle of a TUNE call.
func cancelInCall(method string, at int, cancel context.CancelFunc, networks ...*network) {
	onCall(method, at, func(r *http.Request) {
		cancel()
		<-r.Context().Done()
	}, networks...)
}

// invocation returns the context of an invocation that the test interrupts,
// with a deadline an hour away when deadline is set, as Lambda and the
// local cloud give their invocations.
func invocation(t *testing.T, deadline bool) (context.Context, context.CancelFunc) {
	t.Helper()
	var (
		ctx    context.Context
		cancel context.CancelFunc
	)
	if deadline {
		ctx, cancel = context.WithTimeout(context.Background(), time.Hour)
	} else {
		ctx, cancel = context.WithCancel(context.Background())
	}
	t.Cleanup(cancel)
	return ctx, cancel
}

// promptly runs call, which the test cancels midway, and fails unless call
// returns within interruptBound of its context's cancellation.
func promptly(t *testing.T, ctx context.Context, call func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		call()
	}()
	select {
	case <-ctx.Done():
	case <-done:
		t.Fatal("the call returned before it was interrupted")
	}
	select {
	case <-done:
	case <-time.After(interruptBound):
		t.Fatalf("the call had not returned %v after it was interrupted", interruptBound)
	}
}

// checkStoredLikeTUNE checks that the integration holds exactly the
// network's offers 1..count, none removed, each with the network's name and payout.
func checkStoredLikeTUNE(t *testing.T, w *world, n *network, id string, count int) {
	t.Helper()
	stored := w.stored(t, id)
	if len(stored) != count {
		t.Errorf("%d offers stored, want %d", len(stored), count)
	}
	for oid := 1; oid <= count; oid++ {
		want, _ := n.sim.Offer(oid)
		got, ok := stored[strconv.Itoa(oid)]
		if !ok || got.Removed || got.Name != want.Name || !got.DefaultPayout.Equal(want.DefaultPayout) {
			t.Errorf("offer %d: stored %+v, network's %+v", oid, got, want)
		}
	}
}

func TestInterruptedImportStopsRecordsAndResumes(t *testing.T) {
	// 300 offers in pages of 50: each case interrupts the import once it has
	// read three pages, or is generating the link of the third page's last offer.
	const count, pageSize, pagesDone = 300, 50, 3
	tests := []struct {
		name string
		kind string
		// deadline gives the invocation a deadline, as Lambda and the local cloud do.
		deadline  bool
		rateLimit int
		opts      offers.Options
		interrupt func(cancel context.CancelFunc, n *network)
		// imported is the number of offers imported before the interruption.
		imported int
	}{
		{
			name:     "in a TUNE call",
			imported: pagesDone * pageSize,
			interrupt: func(cancel context.CancelFunc, n *network) {
				cancelInCall("findAll", pagesDone+1, cancel, n)
			},
		},
		{
			name:     "in a TUNE call, under a deadline",
			deadline: true,
			imported: pagesDone * pageSize,
			interrupt: func(cancel context.CancelFunc, n *network) {
				cancelInCall("findAll", pagesDone+1, cancel, n)
			},
		},
		{
			// The fourth call fails and its retry waits up to 10 minutes.
			name:     "in a retry's back-off",
			deadline: true,
			imported: pagesDone * pageSize,
			opts:     offers.Options{BackoffBase: 10 * time.Minute, BackoffMax: 10 * time.Minute, MaxRetries: 5},
			interrupt: func(cancel context.CancelFunc, n *network) {
				onCall("findAll", pagesDone+1, func(*http.Request) {
					n.sim.FailNext(tunesim.FailServerError, 2)
					time.AfterFunc(200*time.Millisecond, cancel)
				}, n)
			},
		},
		{
			// Three calls per 10 minutes: the fourth waits for the pacer.
			name:      "in the pacer's wait",
			deadline:  true,
			imported:  pagesDone * pageSize,
			rateLimit: pagesDone,
			opts:      offers.Options{RateWindow: 10 * time.Minute},
			interrupt: func(cancel context.CancelFunc, n *network) {
				onCall("findAll", pagesDone, func(*http.Request) { time.AfterFunc(200*time.Millisecond, cancel) }, n)
			},
		},
		{
			// A network key generates each new offer's link, a call per offer:
			// the 150th offer's link is never made, and that offer is not a failed one.
			name:     "in a tracking link's generation",
			kind:     "network",
			deadline: true,
			imported: pagesDone*pageSize - 1,
			interrupt: func(cancel context.CancelFunc, n *network) {
				cancelInCall("generateTrackingLink", pagesDone*pageSize, cancel, n)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := getWorld(t)
			n := newNetwork(t, tunesim.Options{Offers: count, RateLimit: -1})
			n.activateAll(count)
			id := w.integration(t, n, cmp.Or(tt.kind, "affiliate"), func(s *integrations.Settings) {
				if tt.rateLimit > 0 {
					s.RateLimit = ptr(tt.rateLimit)
				}
			})
			opts := tt.opts
			opts.PageSize = pageSize
			svc := w.service(opts)

			ctx, cancel := invocation(t, tt.deadline)
			tt.interrupt(cancel, n)
			var (
				res offers.ImportResult
				err error
			)
			promptly(t, ctx, func() {
				res, err = svc.Import(ctx, offers.ImportRequest{IntegrationID: id, Filter: &offers.ImportFilter{}})
			})
			if err != nil {
				t.Fatalf("interrupted import: %v", err)
			}
			want := tt.imported
			if res.Status != trackly.SyncInterrupted || res.Complete || !strings.Contains(res.Message, "interrupted") ||
				res.New != want || res.Imported != want || len(res.Failed) != 0 {
				t.Errorf("interrupted import answered status %q, complete %v, message %q, new %d, imported %d, failed %v",
					res.Status, res.Complete, res.Message, res.New, res.Imported, res.Failed)
			}
			runs, err := svc.ListRuns(context.Background(), offers.RunsQuery{IntegrationID: id})
			if err != nil {
				t.Fatal(err)
			}
			if len(runs.Runs) != 1 {
				t.Fatalf("%d runs recorded, want 1", len(runs.Runs))
			}
			run := runs.Runs[0]
			if run.RunID != res.RunID || run.Status != trackly.SyncInterrupted || !strings.Contains(run.Error, "interrupted") ||
				run.EndedAt.IsZero() || run.Pages != pagesDone || run.OffersSeen != pagesDone*pageSize || run.OffersNew != want || run.OffersFailed != 0 || run.Complete {
				t.Errorf("recorded run: %+v", run)
			}
			if got := len(w.stored(t, id)); got != want {
				t.Errorf("%d offers stored, want the %d read", got, want)
			}

			// Another execution environment, whose pacing lets the rate-limited case finish at once.
			n.onRequest(func(*http.Request) {})
			again := importAll(t, w.service(offers.Options{PageSize: pageSize, RateWindow: time.Millisecond}), id)
			if again.Status != trackly.SyncSucceeded || again.Imported != count || again.New != count-want || again.Unchanged != want {
				t.Errorf("import after the interruption: status %q, imported %d, new %d, unchanged %d", again.Status, again.Imported, again.New, again.Unchanged)
			}
			checkStoredLikeTUNE(t, w, n, id, count)
		})
	}
}

func TestInterruptedSyncGivesItsLeaseBackAndResumes(t *testing.T) {
	const pageSize = 50
	tests := []struct {
		name     string
		count    int
		deadline bool
		// interruptAt is the findAll call the cancellation comes in; the calls before it were read.
		interruptAt int
		// resumes says whether the next run resumes the listing (pages) or starts over (a read by id).
		resumes bool
	}{
		{name: "paging, in a TUNE call", count: 300, interruptAt: 4, resumes: true},
		{name: "paging, under a deadline", count: 300, deadline: true, interruptAt: 4, resumes: true},
		{name: "by id, in its one call", count: 60, deadline: true, interruptAt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := getWorld(t)
			n := newNetwork(t, tunesim.Options{Offers: tt.count, RateLimit: -1})
			n.activateAll(tt.count)
			id := w.integration(t, n, "affiliate", nil)
			svc := w.service(offers.Options{PageSize: pageSize})
			importAll(t, svc, id)
			n.sim.ChangeSome(tt.count) // every offer changes
			n.activateAll(tt.count)    // and stays visible to the affiliate key

			ctx, cancel := invocation(t, tt.deadline)
			cancelInCall("findAll", tt.interruptAt, cancel, n)
			var (
				run trackly.SyncRun
				err error
			)
			promptly(t, ctx, func() { run, err = svc.Sync(ctx, offers.SyncRequest{IntegrationID: id}) })
			if err != nil {
				t.Fatalf("interrupted sync: %v", err)
			}
			pagesDone := tt.interruptAt - 1
			want := pagesDone * pageSize
			if run.Status != trackly.SyncInterrupted || !strings.Contains(run.Error, "interrupted") || run.Complete ||
				run.Pages != pagesDone || run.LastPage != pagesDone || run.OffersSeen != want || run.OffersChanged != want || run.OffersRemoved != 0 {
				t.Fatalf("interrupted run: %+v", run)
			}
			runs, err := svc.ListRuns(context.Background(), offers.RunsQuery{IntegrationID: id, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got := runs.Runs[0]; got.RunID != run.RunID || got.Status != trackly.SyncInterrupted || got.OffersChanged != want || got.EndedAt.IsZero() {
				t.Errorf("recorded run: %+v", got)
			}
			updated := 0
			for _, o := range w.stored(t, id) {
				if want, _ := n.sim.Offer(mustAtoi(t, o.OfferID)); o.Name == want.Name {
					updated++
				}
			}
			if updated != want {
				t.Errorf("%d offers brought up to date, want the %d read", updated, want)
			}
			in, err := w.store.GetIntegration(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			wantCursor := 0
			if tt.resumes {
				wantCursor = pagesDone + 1
			}
			if in.SyncLeaseOwner != "" || !in.SyncLeaseUntil.IsZero() || in.SyncCursorPage != wantCursor || in.NextSyncAt.After(time.Now()) {
				t.Errorf("integration after the interruption: lease %q until %v, cursor %d (want %d), next sync %v",
					in.SyncLeaseOwner, in.SyncLeaseUntil, in.SyncCursorPage, wantCursor, in.NextSyncAt)
			}

			// The lease is free: another execution environment syncs at once, from where the run stopped.
			n.onRequest(func(*http.Request) {})
			next := syncNow(t, w.service(offers.Options{PageSize: pageSize}), id)
			if next.Status != trackly.SyncSucceeded || !next.Complete || next.OffersChanged != tt.count-want || next.OffersRemoved != 0 {
				t.Errorf("next run: %+v", next)
			}
			if resumed := next.ResumedFrom == run.RunID && next.FirstPage == pagesDone; resumed != tt.resumes {
				t.Errorf("next run resumed from %q at page %d, want resumed %v", next.ResumedFrom, next.FirstPage, tt.resumes)
			}
			checkStoredLikeTUNE(t, w, n, id, tt.count)
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// autoSynced creates an integration with auto-sync on, due now, and 150
// offers imported that have all changed since; auto-sync is turned off at
// the end of the test, so that later scheduled syncs leave it alone.
func autoSynced(t *testing.T, w *world) (*network, string) {
	t.Helper()
	const count = 150
	n := newNetwork(t, tunesim.Options{Offers: count, RateLimit: -1})
	n.activateAll(count)
	id := w.integration(t, n, "affiliate", func(s *integrations.Settings) { s.AutoSync = ptr(true) })
	importAll(t, w.service(offers.Options{PageSize: 50}), id)
	n.sim.ChangeSome(count)
	n.activateAll(count)
	t.Cleanup(func() {
		admin := integrations.NewService(w.store, w.secrets, "http://127.0.0.1:3000", 30, time.Now)
		if _, err := admin.Update(context.Background(), id, integrations.Settings{AutoSync: ptr(false)}); err != nil {
			t.Error(err)
		}
	})
	return n, id
}

func TestInterruptedSyncDueLeavesTheRestAndResumes(t *testing.T) {
	w := getWorld(t)
	n1, id1 := autoSynced(t, w)
	n2, id2 := autoSynced(t, w)
	// One at a time: the first sync is interrupted in its second call; the other is never started.
	svc := w.service(offers.Options{PageSize: 50, DueConcurrency: 1})
	ctx, cancel := invocation(t, true)
	cancelInCall("findAll", 2, cancel, n1, n2)
	var (
		res offers.DueResult
		err error
	)
	promptly(t, ctx, func() { res, err = svc.SyncDue(ctx) })
	if err != nil {
		t.Fatalf("interrupted sync_due: %v", err)
	}
	ours := []string{id1, id2}
	runs := slices.DeleteFunc(res.Runs, func(r trackly.SyncRun) bool { return !slices.Contains(ours, r.IntegrationID) })
	if !res.Interrupted || len(runs) != 1 || runs[0].Status != trackly.SyncInterrupted || runs[0].Pages != 1 {
		t.Fatalf("interrupted sync_due: %+v", res)
	}
	other := id2
	if runs[0].IntegrationID == id2 {
		other = id1
	}
	if !slices.Contains(res.NotStarted, other) {
		t.Errorf("sync_due did not list %s as not started: %+v", other, res)
	}
	in, err := w.store.GetIntegration(context.Background(), runs[0].IntegrationID)
	if err != nil {
		t.Fatal(err)
	}
	if in.SyncLeaseOwner != "" || in.SyncCursorPage != 2 {
		t.Errorf("interrupted integration: lease owner %q, cursor %d", in.SyncLeaseOwner, in.SyncCursorPage)
	}

	// Both are still due: the next scheduled run resumes one and syncs the other.
	n1.onRequest(func(*http.Request) {})
	n2.onRequest(func(*http.Request) {})
	res, err = svc.SyncDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Runs {
		if !slices.Contains(ours, r.IntegrationID) {
			continue
		}
		if r.Status != trackly.SyncSucceeded || !r.Complete || (r.IntegrationID == runs[0].IntegrationID) != (r.ResumedFrom == runs[0].RunID) {
			t.Errorf("next scheduled run: %+v", r)
		}
		ours = slices.DeleteFunc(ours, func(id string) bool { return id == r.IntegrationID })
	}
	if res.Interrupted || len(ours) != 0 {
		t.Errorf("the next scheduled run left %v: %+v", ours, res)
	}
	checkStoredLikeTUNE(t, w, n1, id1, 150)
	checkStoredLikeTUNE(t, w, n2, id2, 150)
}

// OfferSyncFunction answers an interrupted action with what it did, not with
// a function error.
func TestOfferSyncFunctionAnswersAnInterruptedAction(t *testing.T) {
	tests := []struct {
		action  string
		payload func(id string) string
		// interrupted reads from the answer whether it says the action was interrupted.
		interrupted func(t *testing.T, answer []byte) bool
	}{
		{
			action:  "import_offers",
			payload: func(id string) string { return `{"action":"import_offers","integration_id":"` + id + `","filter":{}}` },
			interrupted: func(t *testing.T, answer []byte) bool {
				var res offers.ImportResult
				unmarshal(t, answer, &res)
				return res.Status == trackly.SyncInterrupted && !res.Complete
			},
		},
		{
			action:  "sync_offers",
			payload: func(id string) string { return `{"action":"sync_offers","integration_id":"` + id + `"}` },
			interrupted: func(t *testing.T, answer []byte) bool {
				var run trackly.SyncRun
				unmarshal(t, answer, &run)
				return run.Status == trackly.SyncInterrupted
			},
		},
		{
			action:  "sync_due",
			payload: func(string) string { return `{"action":"sync_due"}` },
			interrupted: func(t *testing.T, answer []byte) bool {
				var res offers.DueResult
				unmarshal(t, answer, &res)
				return res.Interrupted && slices.ContainsFunc(res.Runs, func(r trackly.SyncRun) bool { return r.Status == trackly.SyncInterrupted })
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			w := getWorld(t)
			n, id := autoSynced(t, w)
			env := w.sys.Cloud.FunctionEnv("OfferSyncFunction")
			env["OFFER_PAGE_SIZE"] = "50"
			h, err := adminfn.OfferSync.New(context.Background(), w.sys.Cloud.AWSConfig(), func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := invocation(t, true)
			cancelInCall("findAll", 2, cancel, n)
			var answer []byte
			promptly(t, ctx, func() { answer, err = h.Invoke(ctx, []byte(tt.payload(id))) })
			if err != nil {
				t.Fatalf("function error: %v", err)
			}
			if !tt.interrupted(t, answer) {
				t.Errorf("the answer does not say interrupted: %s", answer)
			}
		})
	}
}

func unmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
}
