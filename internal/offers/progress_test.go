package offers_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/trackly"
)

// TestImportOfChosenOffersRecordsItsProgress checks that an import of chosen offers, as one
// through a listing does, writes its running counters while it runs, for list_sync_runs (and
// trackly's progress line) to show. The service's clock moves 3 s at each TUNE call.
func TestImportOfChosenOffersRecordsItsProgress(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n, id := w.connect(t, 300, "network")
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	svc := w.service(offers.Options{Now: func() time.Time { return time.Unix(0, now.Load()) }})

	var (
		mu      sync.Mutex
		running []trackly.SyncRun // the newest run as each findAll call after the first starts
		readErr error
		calls   atomic.Int32
	)
	n.onRequest(func(r *http.Request) {
		if r.FormValue("Method") != "findAll" {
			return
		}
		if calls.Add(1) > 1 {
			runs, _, err := w.store.ListSyncRuns(ctx, trackly.SyncRunFilter{IntegrationID: id, Limit: 1})
			mu.Lock()
			if err != nil {
				readErr = err
			} else if len(runs) == 1 {
				running = append(running, runs[0])
			}
			mu.Unlock()
		}
		now.Add(int64(3 * time.Second))
	})
	defer n.onRequest(func(*http.Request) {})

	var ids []string
	for i := 1; i <= 250; i++ { // three calls of chosen ids
		ids = append(ids, strconv.Itoa(i))
	}
	res, err := svc.Import(ctx, offers.ImportRequest{IntegrationID: id, OfferIDs: ids})
	if err != nil || res.Imported != 250 {
		t.Fatalf("import: %v, %d imported", err, res.Imported)
	}
	mu.Lock()
	defer mu.Unlock()
	if readErr != nil {
		t.Fatal(readErr)
	}
	if len(running) != 2 {
		t.Fatalf("read the run before %d calls, want 2", len(running))
	}
	for i, r := range running {
		done := 100 * (i + 1)
		if r.RunID != res.RunID || r.Status != trackly.SyncRunning || r.Pages != i+1 || r.OffersSeen != done || r.OffersNew != done {
			t.Errorf("after %d calls, the run shows %+v; want running, %d pages, %d offers seen and new", i+1, r, i+1, done)
		}
	}
}
