package backoff_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/backoff"
)

func TestWaitEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := backoff.Wait(ctx, 8); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait on an ended context = %v, want context.Canceled", err)
	}
}

func TestSleepWaitsItsTime(t *testing.T) {
	if err := backoff.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v, want nil", err)
	}
}
