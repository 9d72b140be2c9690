package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/store"
)

// pacing returns a Store on the local cloud's DynamoDB Local and the name of
// its TUNE pacing table, as template.yaml gives them to OfferSyncFunction.
func pacing(t *testing.T) (*store.Store, string) {
	t.Helper()
	s, _, env := localStore(t, "OfferSyncFunction")
	return s, env["TUNE_PACING_TABLE"]
}

// server records when calls arrive, by caller, as TUNE would see them.
type server struct {
	mu    sync.Mutex
	calls map[string][]time.Time
}

func (s *server) call(caller string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[caller] = append(s.calls[caller], time.Now())
}

// crowded returns a description of the first limit+1 calls among times that
// arrived within one window, or "" if there are none.
func crowded(times []time.Time, limit int, window time.Duration) string {
	times = slices.SortedFunc(slices.Values(times), time.Time.Compare)
	for i := limit; i < len(times); i++ {
		if gap := times[i].Sub(times[i-limit]); gap < window {
			return fmt.Sprintf("calls %d to %d arrived within %v", i-limit, i, gap)
		}
	}
	return ""
}

// TestPacerKeepsConcurrentCallersWithinTheLimit runs callers of one network in
// two pacers, as two function instances with integrations of different
// limits would, and checks the times the "server" saw: never more calls within
// a window than the largest limit, nor more calls of one pacer than its own.
func TestPacerKeepsConcurrentCallersWithinTheLimit(t *testing.T) {
	const (
		window  = 300 * time.Millisecond
		callers = 3
		each    = 5
	)
	s, table := pacing(t)
	limits := map[string]int{"instance A": 4, "instance B": 2}
	srv := &server{calls: map[string][]time.Time{}}
	var wg sync.WaitGroup
	errs := make(chan error, len(limits)*callers*each)
	for name, limit := range limits {
		p := s.Pacer(table, "demo@demo.api.hasoffers.com", limit, window, time.Second)
		for range callers {
			wg.Go(func() {
				for range each {
					release, err := p.Acquire(t.Context())
					if err != nil {
						errs <- err
						return
					}
					srv.call(name)
					release()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var all []time.Time
	for name, limit := range limits {
		if n := len(srv.calls[name]); n != callers*each {
			t.Errorf("%s made %d calls, want %d", name, n, callers*each)
		}
		if c := crowded(srv.calls[name], limit, window); c != "" {
			t.Errorf("%s, limit %d: %s", name, limit, c)
		}
		all = append(all, srv.calls[name]...)
	}
	if c := crowded(all, 4, window); c != "" {
		t.Errorf("the network, largest limit 4: %s", c)
	}
}

// TestPacerSlots checks how slots are held and given back.
func TestPacerSlots(t *testing.T) {
	s, table := pacing(t)

	t.Run("a network's slots are its own", func(t *testing.T) {
		busy := s.Pacer(table, "busy@api.example.net", 1, time.Minute, time.Second)
		if _, err := busy.Acquire(t.Context()); err != nil {
			t.Fatal(err)
		}
		other := s.Pacer(table, "other@api.example.net", 1, time.Minute, time.Second)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		release, err := other.Acquire(ctx)
		if err != nil {
			t.Fatalf("another network waits for a busy one: %v", err)
		}
		release()
	})

	t.Run("no slot before the deadline answers at once", func(t *testing.T) {
		p := s.Pacer(table, "full@api.example.net", 2, time.Minute, time.Second)
		for range 2 {
			release, err := p.Acquire(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			release() // the slot stays busy for a window after its call
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err := p.Acquire(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire with every slot busy beyond the deadline: %v, want context.DeadlineExceeded", err)
		}
		if ctx.Err() != nil {
			t.Error("Acquire waited for the deadline instead of answering at once")
		}
	})

	t.Run("a slot never given back frees after its call's time-out and a window", func(t *testing.T) {
		const window, timeout = 100 * time.Millisecond, 200 * time.Millisecond
		p := s.Pacer(table, "crashed@api.example.net", 1, window, timeout)
		if _, err := p.Acquire(t.Context()); err != nil { // its holder crashes: no release
			t.Fatal(err)
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		release, err := p.Acquire(ctx)
		if err != nil {
			t.Fatalf("the abandoned slot never freed: %v", err)
		}
		release()
		if waited := time.Since(start); waited < timeout+window {
			t.Errorf("the abandoned slot freed after %v, before its call could have timed out (%v) and a window passed (%v)", waited, timeout, window)
		}
	})
}
