// Package backoff waits between the attempts of a call that failed for a
// reason that passes (a throttle, a transaction conflict), as long as the
// caller's context lets it.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Sleep waits for d, or until ctx ends and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wait waits before retry attempt n (1-based): a random time (full jitter)
// under a ceiling that doubles from 25ms to about 3s. It returns ctx's error
// if ctx ends first.
func Wait(ctx context.Context, n int) error {
	ceiling := 25 * time.Millisecond << min(max(n-1, 0), 7)
	return Sleep(ctx, rand.N(ceiling)+time.Millisecond)
}
