package store

import (
	"context"
	"math/rand/v2"
	"time"
)

// maxUnprocessedRetries bounds the retries of items a batch call left unprocessed.
const maxUnprocessedRetries = 8

// backoff waits before retry attempt n (1-based): exponential with full jitter,
// from 25ms up to about 3s, or until ctx ends.
func backoff(ctx context.Context, n int) error {
	ceiling := 25 * time.Millisecond << min(n, 7)
	t := time.NewTimer(rand.N(ceiling) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
