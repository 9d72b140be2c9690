package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/backoff"
	"github.com/trackly/tune-integration/internal/ids"
)

// The pacing table holds the call slots of each TUNE network's rate limit,
// where every function instance sees them: one item per slot, keyed by the
// network and the slot's number, holding the time the slot is busy until
// (unix milliseconds) and, while a call holds it, the holder's token.
//
// A call takes a free slot with one conditional write (busy until its start
// plus a margin, the call time-out and one window, so that a holder that
// crashes frees its slot by itself) and gives it back with another (busy
// until one window after the answer, if it still holds it): the semantics of
// the tune client's in-process pacer, shared by every instance. Reading the
// slots is one strongly consistent Query.
//
// One item per slot keeps every write at one write unit whatever the limit.
// At TUNE's 50 calls per 10 s a network's slots see about 10 writes and a few
// Query reads a second, far below what DynamoDB serves on one partition key
// (1,000 write units and 3,000 read units a second), and still below it at
// the largest rate_limit (1,000 calls per 10 s: 200 writes a second).
//
// The slots' times come from the clocks of the instances, which AWS keeps
// synchronized far more closely than a window's length.

// Limits of the slot pacer.
const (
	// acquireMargin bounds the time between reading the clock and the start
	// of the call a slot is taken for; a slot taken more slowly is given back.
	acquireMargin = time.Second
	// releaseTimeout bounds the write that gives a slot back.
	releaseTimeout = 5 * time.Second
	// minPoll is the shortest wait between two reads of a network's slots.
	minPoll = 10 * time.Millisecond
	// paceSlotRetention is how long after its last use a slot item stays (DynamoDB TTL).
	paceSlotRetention = 24 * time.Hour
)

// errSlotTaken reports that another caller took a slot first.
var errSlotTaken = errors.New("the slot was taken")

// paceSlot is one call slot of a network's rate limit.
type paceSlot struct {
	network   string
	slot      int
	busyUntil int64  // unix milliseconds
	holder    string // the token of the call holding the slot; "" once released
}

// paceSlotRow binds an item of the pacing table to s.
func paceSlotRow(s *paceSlot) row {
	return row{
		field("network", &s.network), field("slot", &s.slot),
		field("busy_until", &s.busyUntil), optional("holder", &s.holder),
	}
}

// Pacer keeps the calls to one TUNE network within its rate limit through
// the pacing table, across function instances: it satisfies tune.Pacer.
//
// The integrations of a network may set different limits: each call takes
// one of the first limit slots of its own pacer. The network then never
// sees more calls within a window than the largest limit among its
// integrations, and the calls of an integration never fill more than its
// own limit.
type Pacer struct {
	s       *Store
	table   string
	network string
	limit   int
	window  time.Duration
	hold    time.Duration
	poll    time.Duration
}

// Pacer returns the pacer of a network's calls in the pacing table: at most
// limit calls within any window, each attempt bounded by callTimeout. The
// network names the budget, whatever the API key (see tune.Pacing).
func (s *Store) Pacer(table, network string, limit int, window, callTimeout time.Duration) *Pacer {
	return &Pacer{
		s: s, table: table, network: network, limit: limit, window: window,
		hold: acquireMargin + callTimeout + window,
		poll: max(window/20, minPoll),
	}
}

// Acquire waits for a free slot, takes it, and returns the function that
// gives it back once the call's answer has arrived. When no slot can be
// free before ctx's deadline it returns at once an error that wraps
// context.DeadlineExceeded. A release that fails leaves the slot busy until
// its hold ends: the pace is then slower, never faster.
func (p *Pacer) Acquire(ctx context.Context) (release func(), err error) {
	for {
		now := time.Now()
		slots, err := p.read(ctx)
		if err != nil {
			return nil, err
		}
		nowMilli := now.UnixMilli()
		var free []int
		next := now.Add(p.poll) // when to read the slots again
		soonest := time.Time{}  // the soonest a slot can be free
		for i := range p.limit {
			s, ok := slots[i]
			if !ok || s.busyUntil <= nowMilli {
				free = append(free, i)
				continue
			}
			until := time.UnixMilli(s.busyUntil)
			next = earlier(next, until)
			if s.holder != "" {
				// Its call may answer at any moment: the slot is then free one window later.
				until = earlier(until, now.Add(p.window))
			}
			if soonest.IsZero() || until.Before(soonest) {
				soonest = until
			}
		}
		if len(free) > 0 {
			slot := free[rand.N(len(free))]
			token := ids.New("", 16)
			err := p.take(ctx, slot, token, now)
			switch {
			case errors.Is(err, errSlotTaken):
				continue
			case err != nil:
				return nil, err
			}
			release := func() { p.release(context.WithoutCancel(ctx), slot, token) }
			if time.Since(now) > acquireMargin {
				release() // taken too slowly for its hold to cover the call
				continue
			}
			return release, nil
		}
		if deadline, ok := ctx.Deadline(); ok && soonest.After(deadline) {
			return nil, fmt.Errorf("%d call slots of %s busy beyond the deadline: %w", p.limit, p.network, context.DeadlineExceeded)
		}
		if err := backoff.Sleep(ctx, next.Sub(now)); err != nil {
			return nil, err
		}
	}
}

// read returns the network's first limit slots that have items, by number.
func (p *Pacer) read(ctx context.Context) (map[int]paceSlot, error) {
	key := expression.Key("network").Equal(expression.Value(p.network)).
		And(expression.Key("slot").LessThan(expression.Value(p.limit)))
	list, _, err := query(ctx, p.s, listQuery{table: p.table, key: key}, decoder(paceSlotRow))
	if err != nil {
		return nil, fmt.Errorf("read the call slots of %s: %w", p.network, err)
	}
	slots := make(map[int]paceSlot, len(list))
	for _, s := range list {
		slots[s.slot] = s
	}
	return slots, nil
}

// take makes slot busy for token, if it is free at now; errSlotTaken if it is not.
func (p *Pacer) take(ctx context.Context, slot int, token string, now time.Time) error {
	until := now.Add(p.hold)
	update := expression.Set(expression.Name("busy_until"), expression.Value(ceilMilli(until))).
		Set(expression.Name("holder"), expression.Value(token)).
		Set(expression.Name("expires_at"), expression.Value(until.Add(paceSlotRetention).Unix()))
	free := expression.AttributeNotExists(expression.Name("busy_until")).
		Or(expression.Name("busy_until").LessThanEqual(expression.Value(now.UnixMilli())))
	if _, err := p.s.update(ctx, p.table, p.key(slot), update, &free, errSlotTaken); err != nil {
		if errors.Is(err, errSlotTaken) {
			return err
		}
		return fmt.Errorf("take a call slot of %s: %w", p.network, err)
	}
	return nil
}

// release makes slot busy until one window from now, if token still holds it.
func (p *Pacer) release(ctx context.Context, slot int, token string) {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	until := time.Now().Add(p.window)
	update := expression.Set(expression.Name("busy_until"), expression.Value(ceilMilli(until))).
		Set(expression.Name("expires_at"), expression.Value(until.Add(paceSlotRetention).Unix())).
		Remove(expression.Name("holder"))
	held := expression.Name("holder").Equal(expression.Value(token))
	// A failure leaves the slot busy until its hold ends; nothing else to do.
	_, _ = p.s.update(ctx, p.table, p.key(slot), update, &held, errSlotTaken)
}

// key is the key of a slot's item.
func (p *Pacer) key(slot int) key {
	return key{
		"network": &types.AttributeValueMemberS{Value: p.network},
		"slot":    &types.AttributeValueMemberN{Value: strconv.Itoa(slot)},
	}
}

// ceilMilli is t in unix milliseconds, rounded up, so that a slot is never
// free earlier than t.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}

// earlier returns the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
