package tune

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Pacer keeps the calls to one TUNE network within its rate limit: at most
// a limit of calls within any sliding window, counted the way TUNE counts
// them.
//
// A call holds its slot from the moment it starts until one window after
// its answer arrived. The server saw the call somewhere in between, so a
// later call that starts after the slot is free reaches the server more than
// a window after this one, whatever the network latency. This also bounds
// the number of calls started within any window by the limit.
//
// Acquire waits for a slot and returns the function to call once the
// answer has arrived (or the attempt failed). When no slot can be free
// before ctx's deadline, it returns at once an error that wraps
// context.DeadlineExceeded; when ctx ends while it waits, ctx's error.
type Pacer interface {
	Acquire(ctx context.Context) (release func(), err error)
}

// Pacing is what a pacer shared by several clients needs to know of one
// client: see Config.Pacers.
type Pacing struct {
	// Network names the budget the calls count against: the network id at
	// its API host, such as "demo@demo.api.hasoffers.com", or at the host of
	// Config.BaseURL. The API key is no part of it: TUNE configures its rate
	// limit per network, so every key of a network (network and affiliate
	// keys alike) spends the same budget.
	Network string
	// Limit is the client's RateLimit: the number of slots its calls may take.
	Limit int
	// Window is the client's RateWindow.
	Window time.Duration
	// CallTimeout is the client's Timeout, which bounds each attempt: a
	// shared pacer frees by itself the slot of a holder that never gives it
	// back (a crash), no sooner than CallTimeout plus Window after the call
	// started.
	CallTimeout time.Duration
}

// errNoSlot reports that the pacer could not start a call before the
// context's deadline.
var errNoSlot = fmt.Errorf("no call slot free before the context deadline: %w", context.DeadlineExceeded)

// pacer is the in-process Pacer of a client that shares its pace with no
// other: its slots live in memory, so only the client's own calls count.
type pacer struct {
	limit  int
	window time.Duration
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	mu       sync.Mutex
	inFlight int
	finished []time.Time   // ends of finished calls still within the window, oldest first
	changed  chan struct{} // closed and replaced when a call finishes
}

func newPacer(limit int, window time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *pacer {
	return &pacer{limit: limit, window: window, now: now, sleep: sleep, changed: make(chan struct{})}
}

// Acquire waits for a slot and returns the function to call once the
// answer has arrived (or the attempt failed).
func (p *pacer) Acquire(ctx context.Context) (release func(), err error) {
	for {
		p.mu.Lock()
		now := p.now()
		p.forget(now)
		if p.inFlight+len(p.finished) < p.limit {
			p.inFlight++
			p.mu.Unlock()
			return p.release, nil
		}
		var wait time.Duration
		if len(p.finished) > 0 {
			wait = p.finished[0].Add(p.window).Sub(now)
		}
		changed := p.changed
		p.mu.Unlock()

		if wait > 0 {
			if deadline, ok := ctx.Deadline(); ok && now.Add(wait).After(deadline) {
				return nil, errNoSlot
			}
			if err := p.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		// Every slot is held by a call in flight: wait for one to finish.
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release marks the end of a call started by Acquire.
func (p *pacer) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	p.finished = append(p.finished, p.now())
	close(p.changed)
	p.changed = make(chan struct{})
}

// forget drops finished calls that ended a full window before now.
func (p *pacer) forget(now time.Time) {
	i := 0
	for i < len(p.finished) && !now.Before(p.finished[i].Add(p.window)) {
		i++
	}
	p.finished = p.finished[i:]
}
