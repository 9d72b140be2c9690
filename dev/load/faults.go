package load

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackly/tune-integration/dev/dynamodbrules"
)

// dynamoDBRules puts DynamoDB's rules for concurrent writers in front of DynamoDB Local, and the
// injected faults once faultsOn is called: the admin actions that set up the account run without
// them.
type dynamoDBRules struct {
	calm, faulty *dynamodbrules.Handler
	faults       atomic.Bool
}

// middleware returns the localrun.Options.DynamoDBMiddleware that applies the rules of opts.
func (d *dynamoDBRules) middleware(opts Options) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		d.calm = dynamodbrules.New(next, dynamodbrules.Options{NoContention: opts.NoContention})
		d.faulty = dynamodbrules.New(next, dynamodbrules.Options{
			NoContention:   opts.NoContention,
			FailureRate:    opts.FailureRate,
			LostAnswerRate: opts.LostAnswerRate,
			Seed:           opts.Seed,
		})
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if d.faults.Load() {
				d.faulty.ServeHTTP(w, r)
				return
			}
			d.calm.ServeHTTP(w, r)
		})
	}
}

// faultsOn starts injecting the faults. Call it while nothing writes: the two handlers keep the
// transactions in flight apart.
func (d *dynamoDBRules) faultsOn() { d.faults.Store(true) }

// stats returns what the rules and faults did.
func (d *dynamoDBRules) stats() dynamodbrules.Stats {
	var total dynamodbrules.Stats
	for _, h := range []*dynamodbrules.Handler{d.calm, d.faulty} {
		if h == nil {
			continue
		}
		s := h.Stats()
		total.Requests += s.Requests
		total.Conflicts += s.Conflicts
		total.Throttled += s.Throttled
		total.Failures += s.Failures
		total.LostAnswers += s.LostAnswers
	}
	return total
}

// outage makes the embedded SQS unreachable while it lasts: every SQS request then has its
// connection closed before it reaches SQS, so that nothing it asked for is done.
type outage struct {
	down atomic.Bool

	mu       sync.Mutex
	from, to time.Time
}

// middleware is the localrun.Options.SQSMiddleware.
func (o *outage) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.down.Load() {
			panic(http.ErrAbortHandler)
		}
		next.ServeHTTP(w, r)
	})
}

// begin makes SQS unreachable.
func (o *outage) begin() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down.Store(true)
	o.from = time.Now()
}

// end makes SQS reachable again.
func (o *outage) end() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.to = time.Now()
	o.down.Store(false)
}

// window returns when the outage began and ended, zero times if there was none: SQS was unreachable
// all the while, as each is read with SQS down, so that a busy machine that pauses begin or end
// between the two cannot make a request that reached SQS seem to come within the outage.
func (o *outage) window() (from, to time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.from, o.to
}
