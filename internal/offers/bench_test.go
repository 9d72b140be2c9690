package offers_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/trackly"
)

// BenchmarkImportAndResync10k imports the 10,000 offers of a network into an
// integration with an affiliate key (tracking links in bulk), then re-syncs
// them unchanged, with TUNE's default pacing (50 calls per 10 s) and the
// default page size, against the simulator and DynamoDB Local. It
// reports per iteration the TUNE calls and DynamoDB BatchWriteItem calls of
// the import, the TUNE calls and offer writes of the re-sync, and the time
// of each. Goals: ceil(10,000/500) = 20 list calls, no generateTrackingLink,
// at most 400 batch writes for the import, 0 offer writes for the re-sync.
func BenchmarkImportAndResync10k(b *testing.B) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	const count = 10_000
	w := getWorld(b)
	ctx := context.Background()
	var importCalls, importLinks, importBatches, resyncCalls, resyncWrites, importTime, resyncTime float64
	for range b.N {
		b.StopTimer()
		n := newNetwork(b, tunesim.Options{Offers: count})
		n.activateAll(count)
		id := w.integration(b, n, "affiliate", func(s *integrations.Settings) { s.RateLimit = ptr(integrations.DefaultRateLimit) })
		// TUNE's default pacing and back-off; only the logger is quiet.
		svc := offers.NewService(w.store, w.secrets, offers.Options{Logger: quiet})
		n.sim.ResetCalls()
		before := w.ddb.snapshot()
		b.StartTimer()

		start := time.Now()
		res, err := svc.Import(ctx, offers.ImportRequest{IntegrationID: id, Filter: &offers.ImportFilter{}})
		importTime += float64(time.Since(start).Milliseconds())
		if err != nil {
			b.Fatal(err)
		}
		if res.Imported != count || !res.Complete {
			b.Fatalf("imported %d of %d, complete %v", res.Imported, count, res.Complete)
		}
		mid := w.ddb.snapshot()
		importCalls += float64(len(n.sim.Calls()))
		importLinks += float64(n.calls("generateTrackingLink"))
		importBatches += float64(mid["BatchWriteItem"] - before["BatchWriteItem"])

		n.sim.ResetCalls()
		start = time.Now()
		run, err := svc.Sync(ctx, offers.SyncRequest{IntegrationID: id})
		resyncTime += float64(time.Since(start).Milliseconds())
		if err != nil {
			b.Fatal(err)
		}
		if run.Status != trackly.SyncSucceeded || run.OffersUnchanged != count {
			b.Fatalf("re-sync: %+v", run)
		}
		resyncCalls += float64(len(n.sim.Calls()))
		resyncWrites += float64(w.ddb.snapshot()["OfferWrite"] - mid["OfferWrite"])
	}
	per := float64(b.N)
	b.ReportMetric(importCalls/per, "tune_calls")
	b.ReportMetric(importLinks/per, "link_calls")
	b.ReportMetric(importBatches/per, "ddb_batch_writes")
	b.ReportMetric(importTime/per, "import_ms")
	b.ReportMetric(resyncCalls/per, "resync_tune_calls")
	b.ReportMetric(resyncWrites/per, "resync_writes")
	b.ReportMetric(resyncTime/per, "resync_ms")
}
