package attribution

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/trackly"
)

// DefaultWorkers is how many messages of a batch a Processor from NewProcessor attributes at once.
const DefaultWorkers = 8

// DefaultMargin is the most time Process keeps before its deadline when Processor.Margin is zero.
const DefaultMargin = 2 * time.Second

// job is one readable message of a batch and what became of it.
type job struct {
	id       string
	receives int
	pb       postbacks.Message

	outcome trackly.PostbackOutcome
	err     error
	// deferred tells that the deadline came before the job started or while it ran.
	deferred bool
}

// budget returns when a batch must stop starting messages (zero when ctx has
// no deadline) and the context its work runs in, which ends half the margin
// before ctx's deadline: a message started just before the cutoff has the
// other half to finish, and the batch is answered in time.
func (p *Processor) budget(ctx context.Context) (stopStarting time.Time, work context.Context, cancel context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		work, cancel = context.WithCancel(ctx)
		return time.Time{}, work, cancel
	}
	margin := p.Margin
	if margin <= 0 {
		margin = min(DefaultMargin, deadline.Sub(p.now())/5)
	}
	work, cancel = context.WithDeadline(ctx, deadline.Add(-margin/2))
	return deadline.Add(-margin), work, cancel
}

// mayStart tells whether a message may start now.
func (p *Processor) mayStart(ctx context.Context, stopStarting time.Time) bool {
	return ctx.Err() == nil && (stopStarting.IsZero() || p.now().Before(stopStarting))
}

// attributeAll attributes the jobs, up to p.Workers at once. The jobs of one
// conversion (integration, conversion id, goal id) run one after another in
// batch order, in one worker, so that they never race each other; the
// conversions whose messages were received most often start first. No job
// starts once stopStarting has passed or ctx has ended: such a job, and one
// that ctx ends while it runs, is deferred.
func (p *Processor) attributeAll(ctx context.Context, stopStarting time.Time, b conversions.Batch, jobs []*job) {
	groups := byConversion(b, jobs)
	queue := make(chan []*job, len(groups))
	for _, g := range groups {
		queue <- g
	}
	close(queue)
	var workers sync.WaitGroup
	for range min(max(p.Workers, 1), len(groups)) {
		workers.Go(func() {
			for g := range queue {
				for _, j := range g {
					p.run(ctx, stopStarting, b, j)
				}
			}
		})
	}
	workers.Wait()
}

// run attributes one job, unless it may no longer start.
func (p *Processor) run(ctx context.Context, stopStarting time.Time, b conversions.Batch, j *job) {
	if !p.mayStart(ctx, stopStarting) {
		j.deferred = true
		return
	}
	j.outcome, j.err = p.attribute(ctx, b, j.pb)
	j.deferred = j.err != nil && ctx.Err() != nil
}

// byConversion groups the jobs by conversion, each group in batch order, the
// groups ordered by the most receives of a message in them, then by batch order.
func byConversion(b conversions.Batch, jobs []*job) [][]*job {
	index := map[trackly.ConversionRef]int{}
	var groups [][]*job
	for _, j := range jobs {
		key := trackly.ConversionRef{IntegrationID: b.Source(claimOf(j.pb)).IntegrationID, ConversionID: j.pb.ConversionID, GoalID: j.pb.GoalID}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], j)
	}
	receives := func(g []*job) int {
		return slices.MaxFunc(g, func(a, b *job) int { return cmp.Compare(a.receives, b.receives) }).receives
	}
	slices.SortStableFunc(groups, func(a, b []*job) int { return cmp.Compare(receives(b), receives(a)) })
	return groups
}
