package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/offers"
)

// TestTwoImportsOfOneNetworkStayWithinItsRateLimit imports every offer of one network into two
// integrations at once, each through its own OfferSyncFunction instance, as two admins would. TUNE
// counts calls per network, and so does the simulator (50 calls per 10 s, as the pacing assumes):
// no call may be refused for the rate limit, and both imports complete with every offer. A
// network key makes one call per offer (generateTrackingLink), so the two imports together make
// more calls than one window allows.
func TestTwoImportsOfOneNetworkStayWithinItsRateLimit(t *testing.T) {
	const (
		count  = 30
		limit  = 50 // the simulator's default, and the integrations'
		window = 10 * time.Second
	)
	s := localruntest.Start(t, localrun.Options{SkipDemo: true, TUNEOffers: count})
	integrations := []string{"in_pace_a", "in_pace_b"}
	for _, id := range integrations {
		s.MustInvoke(t, "AdminFunction", map[string]any{
			"action": "create_integration", "integration_id": id, "account_id": "pacing", "name": "pacing " + id,
			"network_id": localrun.DemoNetworkID, "api_base_url": s.TUNEURL, "key_kind": "network",
			"api_key": localrun.DemoNetworkToken, "affiliate_id": localrun.DemoAffiliateID, "rate_limit": limit,
		}, nil)
	}

	results := make([]offers.ImportResult, len(integrations))
	errs := make([]error, len(integrations))
	var wg sync.WaitGroup
	for i, id := range integrations {
		wg.Go(func() {
			errs[i] = s.System.Invoke(context.Background(), "OfferSyncFunction",
				map[string]any{"action": "import_offers", "integration_id": id, "filter": map[string]any{}}, &results[i])
		})
	}
	wg.Wait()

	calls := s.TUNE.Calls()
	refused := 0
	for _, c := range calls {
		if c.Failure == "rate_limited" {
			refused++
		}
	}
	if refused > 0 {
		t.Errorf("%d of %d calls were refused for the network's rate limit", refused, len(calls))
	}
	if len(calls) <= limit {
		t.Errorf("the imports made %d calls; the test needs more than %d to show the shared limit", len(calls), limit)
	}
	for i := limit; i < len(calls); i++ {
		if gap := calls[i].Time.Sub(calls[i-limit].Time); gap < window {
			t.Errorf("calls %d and %d reached TUNE %v apart: %d calls within %v", i-limit, i, gap, limit+1, window)
			break
		}
	}
	for i, id := range integrations {
		if errs[i] != nil {
			t.Errorf("import into %s: %v", id, errs[i])
			continue
		}
		if r := results[i]; !r.Complete || r.Imported != count || len(r.Failed) > 0 {
			t.Errorf("import into %s: complete %v, %d of %d offers imported, failed %v (%s)", id, r.Complete, r.Imported, count, r.Failed, r.Message)
		}
	}
}
