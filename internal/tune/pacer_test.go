package tune_test

import (
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/tune"
)

// TestPacerKeepsWithinTheRateLimit makes calls from several goroutines
// through one client and checks, on the simulator's own arrival times, that
// no window ever saw more calls than the limit. The simulator enforces the
// same limit, so a single excess call would also fail (retries are off).
func TestPacerKeepsWithinTheRateLimit(t *testing.T) {
	const (
		limit      = 5
		window     = 200 * time.Millisecond
		goroutines = 4
		each       = 6
	)
	sim, base := simulator(t, tunesim.Options{Offers: 3, RateLimit: limit, RateWindow: window})
	c, err := tune.NewClient(tune.Config{
		NetworkID: networkID, BaseURL: base, KeyKind: tune.KeyKindNetwork, APIKey: networkToken,
		RateLimit: limit, RateWindow: window, MaxRetries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for range goroutines {
		wg.Go(func() {
			for range each {
				if _, err := c.TestConnection(t.Context()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	calls := sim.Calls()
	if len(calls) != goroutines*each {
		t.Fatalf("%d calls, want %d", len(calls), goroutines*each)
	}
	for i := limit; i < len(calls); i++ {
		if gap := calls[i].Time.Sub(calls[i-limit].Time); gap < window {
			t.Errorf("calls %d and %d arrived %v apart: %d calls within %v", i-limit, i, gap, limit+1, window)
		}
		if calls[i].Failure != "" {
			t.Errorf("call %d failed: %s", i, calls[i].Failure)
		}
	}
}
