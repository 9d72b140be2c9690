package attribution_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/attribution"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// received is when the test postbacks reached PostbackFunction.
var received = time.Date(2026, 3, 14, 15, 4, 5, 0, time.UTC)

const receivedDay = "2026-03-14"

// rowID names one report row: an account's dimension id on one day.
type rowID struct{ account, dimension, id, day string }

// memoryTables stands for the DynamoDB tables attribution reads (clicks,
// links, integrations, offers) and writes (conversions, postback log), and for
// the report counters that ReportsFunction moves from the conversions' stream.
// RecordConversion and SaveConversion behave as the store's transactions do:
// the conversion and its postback outcome are written together, or nothing is
// written and a DuplicateError naming the conversion recorded (or a
// VersionConflictError) is returned; a conversion written moves the counters
// as its stream record does.
type memoryTables struct {
	mu           sync.Mutex
	clicks       map[string]trackly.Click
	links        map[string]trackly.Link
	integrations map[string]trackly.Integration
	offers       map[trackly.OfferRef]trackly.Offer
	conversions  map[trackly.ConversionRef]trackly.Conversion
	counters     map[rowID]map[string]money.Amount
	postbackLog  map[string]trackly.PostbackResult // by logKey

	reads map[string][][]string // table -> the ids asked, one entry per call

	failReads      error            // every batched read fails with it
	failRecord     map[string]error // conversion writes fail for these conversion ids
	loseAnswer     map[string]error // conversion writes write these conversion ids, then fail
	failSetOutcome error            // SetPostbackOutcome fails with it
}

// world returns tables holding two integrations of two accounts, their
// offers, links and clicks:
//
//	in_a (account acc1, default currency GBP, token not required)
//	  off1 (no currency, default payout 3.00)   off2 (CAD, default payout 4.00)
//	  lnk1 → off1, message msg1, campaign camp1; click ck1 on lnk1, live for 30 days
//	  lnk2 → off2, message msg2, no campaign; no click
//	in_b (account acc2, token required)
//	  offb (USD); lnkb → offb, message msgb; click ckb on lnkb
//
// Each edit that is not nil then changes them.
func world(edits ...func(*memoryTables)) *memoryTables {
	st := &memoryTables{
		integrations: map[string]trackly.Integration{
			"in_a": {IntegrationID: "in_a", AccountID: "acc1", DefaultCurrency: "GBP"},
			"in_b": {IntegrationID: "in_b", AccountID: "acc2", DefaultCurrency: "USD", RequirePostbackToken: true},
		},
		offers: map[trackly.OfferRef]trackly.Offer{
			{IntegrationID: "in_a", OfferID: "off1"}: {IntegrationID: "in_a", OfferID: "off1", DefaultPayout: amount("3.00")},
			{IntegrationID: "in_a", OfferID: "off2"}: {IntegrationID: "in_a", OfferID: "off2", DefaultPayout: amount("4.00"), Currency: "CAD"},
			{IntegrationID: "in_b", OfferID: "offb"}: {IntegrationID: "in_b", OfferID: "offb", DefaultPayout: amount("1"), Currency: "USD"},
		},
		links: map[string]trackly.Link{
			"lnk1": {LinkID: "lnk1", Placement: trackly.Placement{AccountID: "acc1", IntegrationID: "in_a", OfferID: "off1", MessageID: "msg1", CampaignID: "camp1"}},
			"lnk2": {LinkID: "lnk2", Placement: trackly.Placement{AccountID: "acc1", IntegrationID: "in_a", OfferID: "off2", MessageID: "msg2"}},
			"lnkb": {LinkID: "lnkb", Placement: trackly.Placement{AccountID: "acc2", IntegrationID: "in_b", OfferID: "offb", MessageID: "msgb"}},
		},
		clicks:      map[string]trackly.Click{},
		conversions: map[trackly.ConversionRef]trackly.Conversion{},
		counters:    map[rowID]map[string]money.Amount{},
		postbackLog: map[string]trackly.PostbackResult{},
		reads:       map[string][][]string{},
		failRecord:  map[string]error{},
		loseAnswer:  map[string]error{},
	}
	st.addClick("ck1", "lnk1", received.Add(-time.Hour), received.AddDate(0, 0, 30))
	st.addClick("ckb", "lnkb", received.Add(-time.Hour), received.AddDate(0, 0, 30))
	for _, edit := range edits {
		if edit != nil {
			edit(st)
		}
	}
	return st
}

// addClick stores a tap on linkID made at createdAt whose attribution window ends at expiresAt.
func (st *memoryTables) addClick(clickID, linkID string, createdAt, expiresAt time.Time) {
	l := st.links[linkID]
	st.clicks[clickID] = trackly.Click{
		ClickID: clickID, LinkID: l.LinkID, Placement: l.Placement, CreatedAt: createdAt, AttributableUntil: expiresAt,
	}
}

// batchRead answers a batched read of table as the store does, with the rows of the keys that
// exist, and records the ids asked (id names a key); with failReads set, it fails instead.
func batchRead[K comparable, V any](st *memoryTables, table string, rows map[K]V, keys []K, id func(K) string) (map[K]V, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = id(k)
	}
	st.reads[table] = append(st.reads[table], ids)
	if st.failReads != nil {
		return nil, st.failReads
	}
	out := map[K]V{}
	for _, k := range keys {
		if v, ok := rows[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

func itself(id string) string { return id }

func (st *memoryTables) GetClicks(_ context.Context, clickIDs []string) (map[string]trackly.Click, error) {
	return batchRead(st, "clicks", st.clicks, clickIDs, itself)
}

func (st *memoryTables) GetLinks(_ context.Context, linkIDs []string) (map[string]trackly.Link, error) {
	return batchRead(st, "links", st.links, linkIDs, itself)
}

func (st *memoryTables) GetIntegrations(_ context.Context, integrationIDs []string) (map[string]trackly.Integration, error) {
	return batchRead(st, "integrations", st.integrations, integrationIDs, itself)
}

func (st *memoryTables) GetOffers(_ context.Context, refs []trackly.OfferRef) (map[trackly.OfferRef]trackly.Offer, error) {
	return batchRead(st, "offers", st.offers, refs, func(r trackly.OfferRef) string { return r.IntegrationID + "/" + r.OfferID })
}

func (st *memoryTables) RecordConversion(_ context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.failRecord[c.ConversionID]; err != nil {
		return err
	}
	if recorded, taken := st.conversions[c.Ref()]; taken {
		return &trackly.DuplicateError{Recorded: recorded}
	}
	st.write(c, logged)
	return st.loseAnswer[c.ConversionID]
}

// SaveConversion writes a new version of a recorded conversion, as the
// store's transaction conditioned on the version before it does.
func (st *memoryTables) SaveConversion(_ context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.failRecord[c.ConversionID]; err != nil {
		return err
	}
	if st.conversions[c.Ref()].CurrentVersion() != c.Version-1 {
		return &trackly.VersionConflictError{Ref: c.Ref(), Version: c.Version - 1}
	}
	st.write(c, logged)
	return st.loseAnswer[c.ConversionID]
}

// write stores c with its postback's outcome, and moves the counters by the
// difference from the version it replaces, as its stream record does.
func (st *memoryTables) write(c trackly.Conversion, logged *trackly.PostbackResult) {
	ch := trackly.Change{ID: fmt.Sprintf("%s v%d", c.ConversionID, c.Version), NewConversion: &c}
	if old, ok := st.conversions[c.Ref()]; ok {
		ch.OldConversion = &old
	}
	st.conversions[c.Ref()] = c
	for _, inc := range reports.ChangeIncrements(ch) {
		id := rowID{inc.AccountID, string(inc.Dimension), inc.DimensionID, inc.Day}
		if st.counters[id] == nil {
			st.counters[id] = map[string]money.Amount{}
		}
		for name, v := range inc.Counters {
			st.counters[id][name] = st.counters[id][name].Add(v)
		}
	}
	if logged != nil {
		st.postbackLog[logKey(logged.PostbackID, logged.ReceivedAt)] = *logged
	}
}

func (st *memoryTables) GetConversion(_ context.Context, ref trackly.ConversionRef) (trackly.Conversion, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return memtable.Get(st.conversions, ref)
}

func (st *memoryTables) SetPostbackOutcome(_ context.Context, r trackly.PostbackResult) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.failSetOutcome != nil {
		return st.failSetOutcome
	}
	st.postbackLog[logKey(r.PostbackID, r.ReceivedAt)] = r
	return nil
}

// logged is what the postback log says became of a postback.
func (st *memoryTables) logged(p postbacks.Message) trackly.PostbackResult {
	return st.postbackLog[logKey(p.PostbackID, p.ReceivedAt)]
}

// logKey names a logged postback as the store does: by its id and the time it was received.
func logKey(postbackID string, receivedAt time.Time) string {
	return postbackID + "@" + receivedAt.UTC().Format(time.RFC3339Nano)
}

// counter reads one counter of one report row ("" when the row or counter is absent).
func (st *memoryTables) counter(account, dimension, id, day, name string) string {
	v, ok := st.counters[rowID{account, dimension, id, day}][name]
	if !ok {
		return ""
	}
	return v.String()
}

func amount(s string) money.Amount {
	a, err := money.Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

func amountPtr(s string) *money.Amount {
	a := amount(s)
	return &a
}

// postback is an approved postback of 12.50 for conversionID on clickID, whose
// signed click id named linkID, as PostbackFunction queues it.
func postback(postbackID, clickID, linkID, conversionID string) postbacks.Message {
	return postbacks.Message{
		PostbackID: postbackID, ReceivedAt: received,
		ClickID: clickID, LinkID: linkID, ConversionID: conversionID, GoalID: "0",
		Payout: amountPtr("12.50"), Status: trackly.StatusApproved,
	}
}

// delivery is a postback as SQS delivers it: the message id stays the same on redelivery.
func delivery(p postbacks.Message) attribution.Message {
	body, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return attribution.Message{ID: "sqs-" + p.PostbackID, Body: body}
}

func deliveries(ps ...postbacks.Message) []attribution.Message {
	out := make([]attribution.Message, len(ps))
	for i, p := range ps {
		out[i] = delivery(p)
	}
	return out
}

// withToken is p as PostbackFunction queues it when it came with owner's valid token.
func withToken(p postbacks.Message, owner string) postbacks.Message {
	p.TokenOwner, p.TokenPresent = owner, owner != ""
	return p
}

func newProcessor(st attribution.Store) *attribution.Processor {
	now := received.Add(2 * time.Second)
	return attribution.NewProcessor(st, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

func TestProcessRecordsEachConversionOnce(t *testing.T) {
	withGoal := func(p postbacks.Message, goal string) postbacks.Message { p.GoalID = goal; return p }
	tests := []struct {
		name    string
		batches [][]postbacks.Message
		want    *attribution.Outcome // summed over the batches; nil: not checked
		records int                  // conversions stored
		count   string               // the conversions counter of message msg1
	}{
		{
			name:    "one postback is one conversion",
			batches: [][]postbacks.Message{{postback("pb1", "ck1", "lnk1", "tx1")}},
			want:    &attribution.Outcome{Attributed: 1}, records: 1, count: "1",
		},
		{
			name:    "the same conversion twice in one batch counts once",
			batches: [][]postbacks.Message{{postback("pb1", "ck1", "lnk1", "tx1"), postback("pb2", "ck1", "lnk1", "tx1")}},
			want:    &attribution.Outcome{Attributed: 1, Duplicates: 1}, records: 1, count: "1",
		},
		{
			name:    "a duplicate postback in a later batch counts once",
			batches: [][]postbacks.Message{{postback("pb1", "ck1", "lnk1", "tx1")}, {postback("pb2", "ck1", "lnk1", "tx1")}},
			want:    &attribution.Outcome{Attributed: 1, Duplicates: 1}, records: 1, count: "1",
		},
		{
			// How the redelivery is labelled is TestProcessLogsWhatBecameOfEachPostback's concern.
			name:    "a redelivered message counts once",
			batches: [][]postbacks.Message{{postback("pb1", "ck1", "lnk1", "tx1")}, {postback("pb1", "ck1", "lnk1", "tx1")}},
			records: 1, count: "1",
		},
		{
			name: "two goals of one transaction are two conversions",
			batches: [][]postbacks.Message{{
				withGoal(postback("pb1", "ck1", "lnk1", "tx1"), "0"),
				withGoal(postback("pb2", "ck1", "lnk1", "tx1"), "5"),
			}},
			want: &attribution.Outcome{Attributed: 2}, records: 2, count: "2",
		},
		{
			name: "the same goal twice counts once even among other goals",
			batches: [][]postbacks.Message{{
				withGoal(postback("pb1", "ck1", "lnk1", "tx1"), "5"),
				withGoal(postback("pb2", "ck1", "lnk1", "tx1"), "0"),
				withGoal(postback("pb3", "ck1", "lnk1", "tx1"), "5"),
			}},
			want: &attribution.Outcome{Attributed: 2, Duplicates: 1}, records: 2, count: "2",
		},
		{
			name:    "different transactions on one click are two conversions",
			batches: [][]postbacks.Message{{postback("pb1", "ck1", "lnk1", "tx1"), postback("pb2", "ck1", "lnk1", "tx2")}},
			want:    &attribution.Outcome{Attributed: 2}, records: 2, count: "2",
		},
		{
			name:    "the same transaction id in two integrations is two conversions",
			batches: [][]postbacks.Message{{postback("pb1", "ck1", "lnk1", "tx1"), withToken(postback("pb2", "ckb", "lnkb", "tx1"), "in_b")}},
			want:    &attribution.Outcome{Attributed: 2}, records: 2, count: "1",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := world()
			p := newProcessor(st)
			var got attribution.Outcome
			for _, b := range tt.batches {
				failed, out := p.Process(context.Background(), deliveries(b...))
				if len(failed) > 0 {
					t.Fatalf("failed messages %v", failed)
				}
				got.Attributed += out.Attributed
				got.Orphaned += out.Orphaned
				got.Duplicates += out.Duplicates
				got.Rejected += out.Rejected
				got.Failed += out.Failed
			}
			if tt.want != nil && got != *tt.want {
				t.Errorf("outcome %+v, want %+v", got, *tt.want)
			}
			if len(st.conversions) != tt.records {
				t.Errorf("%d conversions stored, want %d", len(st.conversions), tt.records)
			}
			for _, dim := range []struct{ dimension, id string }{{"account", "acc1"}, {"message", "msg1"}, {"offer", "off1"}, {"campaign", "camp1"}} {
				if got := st.counter("acc1", dim.dimension, dim.id, receivedDay, "conversions"); got != tt.count {
					t.Errorf("%s %s conversions = %q, want %q", dim.dimension, dim.id, got, tt.count)
				}
			}
		})
	}
}

func TestProcessLogsWhatBecameOfEachPostback(t *testing.T) {
	for _, tt := range []struct {
		name            string
		firstDeliveries int // of the first postback, before the second
	}{
		{"a duplicate postback is logged duplicate and the first stays attributed", 1},
		{"another postback of a conversion a redelivery recorded is still a duplicate", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := world()
			p := newProcessor(st)
			first, second := postback("pb1", "ck1", "lnk1", "tx1"), postback("pb2", "ck1", "lnk1", "tx1")
			for range tt.firstDeliveries {
				p.Process(context.Background(), deliveries(first))
			}
			if _, out := p.Process(context.Background(), deliveries(second)); out != (attribution.Outcome{Duplicates: 1}) {
				t.Errorf("outcome %+v, want one duplicate", out)
			}
			key := trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx1", GoalID: "0"}
			if got := st.logged(first); got.Outcome != trackly.PostbackAttributed || got.Conversion != key {
				t.Errorf("first postback logged %+v, want attributed to %s", got, key)
			}
			if got := st.logged(second); got.Outcome != trackly.PostbackDuplicate || got.Conversion != key || got.Reason == "" {
				t.Errorf("second postback logged %+v, want duplicate of %s with a reason", got, key)
			}
		})
	}

	t.Run("a redelivered message keeps its own outcome", func(t *testing.T) {
		errLost := errors.New("connection reset: the write's answer was lost")
		tests := []struct {
			name     string
			pb       postbacks.Message
			between  func(st *memoryTables) // what changes before the redelivery
			want     trackly.PostbackOutcome
			attrib   trackly.Attribution
			outcome  attribution.Outcome // of the redelivery
			reason   string              // words the logged reason must hold
			counters string              // msg1's conversions after both
		}{
			{
				name: "attributed, its answer lost", pb: postback("pb1", "ck1", "lnk1", "tx1"),
				want: trackly.PostbackAttributed, attrib: trackly.ConversionAttributed,
				outcome: attribution.Outcome{Attributed: 1}, counters: "1",
			},
			{
				name: "orphaned, its answer lost, its click stored since", pb: postback("pb1", "ck_late", "lnk1", "tx1"),
				between: func(st *memoryTables) {
					st.addClick("ck_late", "lnk1", received.Add(-time.Hour), received.AddDate(0, 0, 30))
				},
				want: trackly.PostbackOrphaned, attrib: trackly.ConversionOrphan,
				outcome: attribution.Outcome{Orphaned: 1}, reason: "no click", counters: "",
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st := world()
				st.loseAnswer[tt.pb.ConversionID] = errLost
				p := newProcessor(st)
				if failed, _ := p.Process(context.Background(), deliveries(tt.pb)); len(failed) != 1 {
					t.Fatalf("failed %v, want the message retried", failed)
				}
				delete(st.loseAnswer, tt.pb.ConversionID)
				if tt.between != nil {
					tt.between(st)
				}
				// SQS delivers the same message again.
				failed, out := p.Process(context.Background(), deliveries(tt.pb))
				if len(failed) > 0 || out != tt.outcome {
					t.Errorf("redelivery: failed %v, outcome %+v; want %+v", failed, out, tt.outcome)
				}
				key := trackly.ConversionRef{IntegrationID: "in_a", ConversionID: tt.pb.ConversionID, GoalID: "0"}
				if got := st.logged(tt.pb); got.Outcome != tt.want || got.Conversion != key || !strings.Contains(got.Reason, tt.reason) {
					t.Errorf("logged %+v, want %s of %s with a reason saying %q", got, tt.want, key, tt.reason)
				}
				if c := st.conversions[key]; len(st.conversions) != 1 || c.PostbackID != "pb1" || c.Attribution != tt.attrib {
					t.Errorf("conversions %v (%+v), want one, %s by pb1", keys(st.conversions), c, tt.attrib)
				}
				if got := st.counter("acc1", "message", "msg1", receivedDay, "conversions"); got != tt.counters {
					t.Errorf("msg1 conversions %q, want %q", got, tt.counters)
				}
			})
		}
	})

	t.Run("the outcome carries the time of processing", func(t *testing.T) {
		st := world()
		newProcessor(st).Process(context.Background(), deliveries(postback("pb1", "ck1", "lnk1", "tx1")))
		got := st.logged(postback("pb1", "ck1", "lnk1", "tx1")).UpdatedAt
		if want := received.Add(2 * time.Second); !got.Equal(want) {
			t.Errorf("updated at %q, want %q", got, want)
		}
	})
}

// origin is where a conversion is said to come from.
type origin struct {
	AccountID, IntegrationID, LinkID, MessageID, CampaignID, OfferID string
}

func TestProcessKeepsOrphans(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(st *memoryTables)
		pb      postbacks.Message
		want    origin
		reason  string // a word the logged reason must contain
		outcome attribution.Outcome
	}{
		{
			name:   "a click never stored becomes an orphan of the link its click id names",
			pb:     postback("pb1", "lnk1.gone.sig", "lnk1", "tx1"),
			want:   origin{AccountID: "acc1", IntegrationID: "in_a", LinkID: "lnk1", MessageID: "msg1", CampaignID: "camp1", OfferID: "off1"},
			reason: "no click", outcome: attribution.Outcome{Orphaned: 1},
		},
		{
			name: "an expired click becomes an orphan of its own link",
			setup: func(st *memoryTables) {
				st.addClick("ck_old", "lnk2", received.AddDate(0, 0, -31), received.Add(-time.Hour))
			},
			pb:     postback("pb1", "ck_old", "lnk2", "tx1"),
			want:   origin{AccountID: "acc1", IntegrationID: "in_a", LinkID: "lnk2", MessageID: "msg2", OfferID: "off2"},
			reason: "expired", outcome: attribution.Outcome{Orphaned: 1},
		},
		{
			// AttributableUntil ends the window: a conversion received at that
			// instant is no longer before it.
			name: "a click whose window ends the instant the postback arrives is expired",
			setup: func(st *memoryTables) {
				st.addClick("ck_edge", "lnk2", received.AddDate(0, 0, -30), received)
			},
			pb:     postback("pb1", "ck_edge", "lnk2", "tx1"),
			want:   origin{AccountID: "acc1", IntegrationID: "in_a", LinkID: "lnk2", MessageID: "msg2", OfferID: "off2"},
			reason: "expired", outcome: attribution.Outcome{Orphaned: 1},
		},
		{
			name: "neither click nor link: the token's integration and its account keep it",
			pb: func() postbacks.Message {
				p := postback("pb1", "lnkX.r.s", "lnkX", "tx1")
				p.TokenOwner, p.TokenPresent, p.OfferID = "in_a", true, "off9"
				return p
			}(),
			want:   origin{AccountID: "acc1", IntegrationID: "in_a", LinkID: "lnkX", OfferID: "off9"},
			reason: "no click", outcome: attribution.Outcome{Orphaned: 1},
		},
		{
			name:   "neither click, link nor token: kept under the unknown account",
			pb:     postback("pb1", "lnkX.r.s", "lnkX", "tx1"),
			want:   origin{AccountID: "unknown", LinkID: "lnkX"},
			reason: "no click", outcome: attribution.Outcome{Orphaned: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := world(tt.setup)
			failed, out := newProcessor(st).Process(context.Background(), deliveries(tt.pb))
			if len(failed) > 0 || out != tt.outcome {
				t.Fatalf("failed %v, outcome %+v; want none failed and %+v", failed, out, tt.outcome)
			}
			key := trackly.ConversionRef{IntegrationID: tt.want.IntegrationID, ConversionID: tt.pb.ConversionID, GoalID: tt.pb.GoalID}
			c, ok := st.conversions[key]
			if !ok {
				t.Fatalf("no conversion under %q; stored: %v", key, keys(st.conversions))
			}
			if c.Attribution != trackly.ConversionOrphan {
				t.Errorf("attribution %q, want %q", c.Attribution, trackly.ConversionOrphan)
			}
			got := origin{AccountID: c.AccountID, IntegrationID: c.IntegrationID, LinkID: c.LinkID, MessageID: c.MessageID, CampaignID: c.CampaignID, OfferID: c.OfferID}
			if got != tt.want {
				t.Errorf("orphan kept as %+v, want %+v", got, tt.want)
			}
			if c.ClickID != tt.pb.ClickID || !c.Payout.Equal(amount("12.50").Decimal) {
				t.Errorf("orphan lost the postback's click id or payout: %+v", c)
			}
			if len(st.counters) != 0 {
				t.Errorf("an orphan moved report counters: %v", st.counters)
			}
			log := st.logged(tt.pb)
			if log.Outcome != trackly.PostbackOrphaned || log.Conversion != key || !strings.Contains(log.Reason, tt.reason) {
				t.Errorf("postback logged %+v, want orphaned, %s, a reason saying %q", log, key, tt.reason)
			}
		})
	}

	t.Run("an orphan delivered again stays one orphan", func(t *testing.T) {
		st := world()
		p := newProcessor(st)
		pb := postback("pb1", "lnk1.gone.sig", "lnk1", "tx1")
		p.Process(context.Background(), deliveries(pb))
		_, out := p.Process(context.Background(), deliveries(postback("pb2", "lnk1.gone.sig", "lnk1", "tx1")))
		if out != (attribution.Outcome{Duplicates: 1}) || len(st.conversions) != 1 {
			t.Errorf("second postback: %+v, %d conversions; want one duplicate and one conversion", out, len(st.conversions))
		}
	})
}

func TestProcessMovesReportCounters(t *testing.T) {
	type counters map[string]string // counter name -> value, on every row of the conversion
	// The rows of acc1 that a conversion on lnk1 moves; one on lnk2 (no campaign) moves all but camp1's.
	lnk1 := map[string]string{"account": "acc1", "message": "msg1", "offer": "off1", "campaign": "camp1"}
	lnk2 := map[string]string{"account": "acc1", "message": "msg2", "offer": "off2"}
	onLnk1 := func(edit func(p *postbacks.Message)) postbacks.Message {
		p := postback("pb1", "ck1", "lnk1", "tx1")
		edit(&p)
		return p
	}
	tests := []struct {
		name       string
		pb         postbacks.Message
		dimensions map[string]string // dimension -> id of acc1's rows that must move
		day        string
		want       counters
	}{
		{"approved: a conversion and its revenue in the postback's currency",
			onLnk1(func(p *postbacks.Message) { p.Currency = "EUR" }),
			lnk1, receivedDay, counters{"conversions": "1", "revenue_EUR": "12.5"}},
		{"pending: counted apart with its revenue apart",
			onLnk1(func(p *postbacks.Message) { p.Status, p.Currency = trackly.StatusPending, "EUR" }),
			lnk1, receivedDay, counters{"pending_conversions": "1", "pending_revenue_EUR": "12.5"}},
		{"rejected: only counted, no revenue",
			onLnk1(func(p *postbacks.Message) { p.Status, p.Currency = trackly.StatusRejected, "EUR" }),
			lnk1, receivedDay, counters{"rejected_conversions": "1"}},
		{"no currency in the postback: the offer's",
			postback("pb1", "ck2", "lnk2", "tx1"),
			lnk2, receivedDay, counters{"conversions": "1", "revenue_CAD": "12.5"}},
		{"no currency in the postback nor the offer: the integration's default",
			postback("pb1", "ck1", "lnk1", "tx1"),
			lnk1, receivedDay, counters{"conversions": "1", "revenue_GBP": "12.5"}},
		{"no payout in the postback: the offer's default payout",
			onLnk1(func(p *postbacks.Message) { p.Payout = nil }),
			lnk1, receivedDay, counters{"conversions": "1", "revenue_GBP": "3"}},
		{"a payout of 0 is 0, not the offer's default",
			onLnk1(func(p *postbacks.Message) { p.Payout = amountPtr("0") }),
			lnk1, receivedDay, counters{"conversions": "1", "revenue_GBP": "0"}},
		// 23:30 in New York on the 14th is 03:30 UTC on the 15th.
		{"the day is the UTC day the postback arrived, not the click's",
			onLnk1(func(p *postbacks.Message) {
				p.ReceivedAt = time.Date(2026, 3, 14, 23, 30, 0, 0, time.FixedZone("EDT", -4*3600))
			}),
			lnk1, "2026-03-15", counters{"conversions": "1", "revenue_GBP": "12.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := world()
			st.addClick("ck2", "lnk2", received.Add(-time.Hour), received.AddDate(0, 0, 30))
			if _, out := newProcessor(st).Process(context.Background(), deliveries(tt.pb)); out != (attribution.Outcome{Attributed: 1}) {
				t.Fatalf("outcome %+v, want one attributed", out)
			}
			if len(st.counters) != len(tt.dimensions) {
				t.Errorf("%d report rows moved, want %d (%v): %v", len(st.counters), len(tt.dimensions), tt.dimensions, st.counters)
			}
			for dim, id := range tt.dimensions {
				row := st.counters[rowID{"acc1", dim, id, tt.day}]
				if row == nil {
					t.Errorf("row %s %s %s did not move", dim, id, tt.day)
					continue
				}
				got := counters{}
				for name, v := range row {
					got[name] = v.String()
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("row %s %s %s = %v, want %v", dim, id, tt.day, got, tt.want)
				}
			}
		})
	}

	t.Run("an offer's default payout of more than 8 decimal places is rounded once, for the conversion and the report alike", func(t *testing.T) {
		st := world(func(st *memoryTables) {
			o := st.offers[trackly.OfferRef{IntegrationID: "in_a", OfferID: "off1"}]
			o.DefaultPayout = money.FromDecimal(decimal.RequireFromString("0.123456789"))
			st.offers[trackly.OfferRef{IntegrationID: "in_a", OfferID: "off1"}] = o
		})
		pb := postback("pb1", "ck1", "lnk1", "tx1")
		pb.Payout = nil
		newProcessor(st).Process(context.Background(), deliveries(pb))
		c := st.conversions[trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx1", GoalID: "0"}]
		revenue := st.counter("acc1", "message", "msg1", receivedDay, "revenue_GBP")
		if c.Payout.String() != "0.12345679" || revenue != "0.12345679" {
			t.Errorf("conversion payout %s, report revenue %s; want both 0.12345679", c.Payout, revenue)
		}
	})

	t.Run("revenue adds up exactly in decimal", func(t *testing.T) {
		st := world()
		a, b := postback("pb1", "ck1", "lnk1", "tx1"), postback("pb2", "ck1", "lnk1", "tx2")
		a.Payout, b.Payout = amountPtr("0.1"), amountPtr("0.2")
		third := postback("pb3", "ck1", "lnk1", "tx3")
		third.Payout = amountPtr("0.00000001")
		newProcessor(st).Process(context.Background(), deliveries(a, b, third))
		// 0.1 + 0.2 in float64 is 0.30000000000000004.
		if got := st.counter("acc1", "message", "msg1", receivedDay, "revenue_GBP"); got != "0.30000001" {
			t.Errorf("revenue %s, want exactly 0.30000001", got)
		}
	})
}

func TestProcessRecordsTheConversion(t *testing.T) {
	st := world()
	pb := postback("pb1", "ck1", "lnk1", "tx 1")
	pb.GoalID, pb.Source, pb.SaleAmount, pb.Extra = "7", "sms", amountPtr("99.95"), map[string]string{"aff_sub2": "x"}
	newProcessor(st).Process(context.Background(), deliveries(pb))
	key := trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx 1", GoalID: "7"}
	c, ok := st.conversions[key]
	if !ok {
		t.Fatalf("no conversion %q; stored %v", key, keys(st.conversions))
	}
	click := st.clicks["ck1"]
	checks := []struct {
		field     string
		got, want any
	}{
		{"attribution", c.Attribution, trackly.ConversionAttributed},
		{"account_id", c.AccountID, "acc1"},
		{"integration_id", c.IntegrationID, "in_a"},
		{"conversion_id", c.ConversionID, "tx 1"},
		{"goal_id", c.GoalID, "7"},
		{"click_id", c.ClickID, "ck1"},
		{"link_id", c.LinkID, "lnk1"},
		{"message_id", c.MessageID, "msg1"},
		{"campaign_id", c.CampaignID, "camp1"},
		{"offer_id", c.OfferID, "off1"},
		{"status", c.Status, trackly.StatusApproved},
		{"payout", c.Payout.String(), "12.5"},
		{"currency", c.Currency, "GBP"},
		{"sale_amount", c.SaleAmount.String(), "99.95"},
		{"source", c.Source, "sms"},
		{"postback_id", c.PostbackID, "pb1"},
		{"received_at", c.ReceivedAt.Equal(received), true},
		{"clicked_at", c.ClickedAt.Equal(click.CreatedAt), true},
		{"extra", fmt.Sprint(c.Extra), "map[aff_sub2:x]"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.field, ck.got, ck.want)
		}
	}
}

func TestProcessAuthenticatesPostbacks(t *testing.T) {
	tests := []struct {
		name   string
		pb     postbacks.Message
		want   trackly.PostbackOutcome // logged outcome
		reason string                  // words the reason must hold when rejected
	}{
		{"no token where none is required is attributed", postback("pb1", "ck1", "lnk1", "tx1"), trackly.PostbackAttributed, ""},
		{"the click's own integration's token is attributed", withToken(postback("pb1", "ck1", "lnk1", "tx1"), "in_a"), trackly.PostbackAttributed, ""},
		{"another integration's token is rejected", withToken(postback("pb1", "ck1", "lnk1", "tx1"), "in_b"), trackly.PostbackRejected, "another integration"},
		{"no token where the integration requires one is rejected", postback("pb1", "ckb", "lnkb", "tx1"), trackly.PostbackRejected, "requires a postback token"},
		{"the required token is attributed", withToken(postback("pb1", "ckb", "lnkb", "tx1"), "in_b"), trackly.PostbackAttributed, ""},
		{"another integration's token on an orphan's link is rejected", withToken(postback("pb1", "lnk1.gone.sig", "lnk1", "tx1"), "in_b"), trackly.PostbackRejected, "another integration"},
		{"no token on an orphan of an integration that requires one is rejected", postback("pb1", "lnkb.gone.sig", "lnkb", "tx1"), trackly.PostbackRejected, "requires a postback token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := world()
			failed, out := newProcessor(st).Process(context.Background(), deliveries(tt.pb))
			if len(failed) > 0 {
				t.Fatalf("failed %v", failed)
			}
			log := st.logged(tt.pb)
			if log.Outcome != tt.want {
				t.Fatalf("logged %q (%s), want %q", log.Outcome, log.Reason, tt.want)
			}
			if tt.want != trackly.PostbackRejected {
				return
			}
			if out != (attribution.Outcome{Rejected: 1}) {
				t.Errorf("outcome %+v, want one rejected", out)
			}
			if !strings.Contains(log.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", log.Reason, tt.reason)
			}
			if len(st.conversions) != 0 || len(st.counters) != 0 {
				t.Errorf("a rejected postback was recorded: %v, counters %v", keys(st.conversions), st.counters)
			}
		})
	}
}

func TestProcessReportsPartialBatchFailures(t *testing.T) {
	errDown := errors.New("service unavailable")
	good1, good2, bad := postback("pb1", "ck1", "lnk1", "tx1"), postback("pb2", "ck1", "lnk1", "tx2"), postback("pb3", "ck1", "lnk1", "tx3")
	tests := []struct {
		name     string
		setup    func(st *memoryTables)
		batch    []attribution.Message
		failed   []string
		recorded []string // conversion ids recorded
		outcome  attribution.Outcome
	}{
		{
			name:     "a message whose conversion cannot be written is retried, the others are not",
			setup:    func(st *memoryTables) { st.failRecord["tx3"] = errDown },
			batch:    deliveries(good1, bad, good2),
			failed:   []string{"sqs-pb3"},
			recorded: []string{"tx1", "tx2"},
			outcome:  attribution.Outcome{Attributed: 2, Failed: 1},
		},
		{
			name:     "a message that is not JSON is left for redrive, the others are recorded",
			batch:    append(deliveries(good1), attribution.Message{ID: "sqs-garbage", Body: []byte("{not json")}),
			failed:   []string{"sqs-garbage"},
			recorded: []string{"tx1"},
			outcome:  attribution.Outcome{Attributed: 1, Failed: 1},
		},
		{
			name: "a message without click id or conversion id is left for redrive",
			batch: append(deliveries(good1),
				attribution.Message{ID: "sqs-noclick", Body: []byte(`{"conversion_id":"tx9"}`)},
				attribution.Message{ID: "sqs-noconv", Body: []byte(`{"click_id":"ck1"}`)}),
			failed:   []string{"sqs-noclick", "sqs-noconv"},
			recorded: []string{"tx1"},
			outcome:  attribution.Outcome{Attributed: 1, Failed: 2},
		},
		{
			name:    "a failed batch read retries every message",
			setup:   func(st *memoryTables) { st.failReads = errDown },
			batch:   append(deliveries(good1, good2), attribution.Message{ID: "sqs-garbage", Body: []byte("[")}),
			failed:  []string{"sqs-pb1", "sqs-pb2", "sqs-garbage"},
			outcome: attribution.Outcome{Failed: 3},
		},
		{
			name: "a rejection that cannot be logged is retried",
			setup: func(st *memoryTables) {
				st.failSetOutcome = errDown
			},
			batch:    deliveries(good1, postback("pb4", "ckb", "lnkb", "tx4")),
			failed:   []string{"sqs-pb4"},
			recorded: []string{"tx1"},
			outcome:  attribution.Outcome{Attributed: 1, Failed: 1},
		},
		{
			name: "a duplicate that cannot be logged is retried",
			setup: func(st *memoryTables) {
				st.conversions[trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx2", GoalID: "0"}] = trackly.Conversion{
					IntegrationID: "in_a", ConversionID: "tx2", GoalID: "0", Status: trackly.StatusApproved, Payout: *amountPtr("12.50"), Currency: "GBP"}
				st.failSetOutcome = errDown
			},
			batch:    deliveries(good1, good2),
			failed:   []string{"sqs-pb2"},
			recorded: []string{"tx1", "tx2"},
			outcome:  attribution.Outcome{Attributed: 1, Failed: 1},
		},
		{
			name:     "nothing fails, nothing is retried",
			batch:    deliveries(good1, good2),
			recorded: []string{"tx1", "tx2"},
			outcome:  attribution.Outcome{Attributed: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := world(tt.setup)
			failed, out := newProcessor(st).Process(context.Background(), tt.batch)
			if fmt.Sprint(sorted(failed)) != fmt.Sprint(sorted(tt.failed)) {
				t.Errorf("failed %v, want %v", failed, tt.failed)
			}
			if out != tt.outcome {
				t.Errorf("outcome %+v, want %+v", out, tt.outcome)
			}
			var recorded []string
			for _, c := range st.conversions {
				recorded = append(recorded, c.ConversionID)
			}
			if fmt.Sprint(sorted(recorded)) != fmt.Sprint(sorted(tt.recorded)) {
				t.Errorf("recorded %v, want %v", recorded, tt.recorded)
			}
		})
	}

	t.Run("a retried message is then recorded once", func(t *testing.T) {
		st := world()
		st.failRecord["tx3"] = errDown
		p := newProcessor(st)
		p.Process(context.Background(), deliveries(good1, bad))
		delete(st.failRecord, "tx3")
		failed, out := p.Process(context.Background(), deliveries(bad))
		if len(failed) > 0 || out != (attribution.Outcome{Attributed: 1}) {
			t.Fatalf("retry: failed %v, outcome %+v", failed, out)
		}
		if got := st.counter("acc1", "account", "acc1", receivedDay, "conversions"); got != "2" {
			t.Errorf("account conversions %q, want 2", got)
		}
	})
}

func TestProcessReadsEachTableOncePerBatch(t *testing.T) {
	st := world()
	batch := deliveries(
		postback("pb1", "ck1", "lnk1", "tx1"),
		postback("pb2", "ckb", "lnkb", "tx2"),
		postback("pb3", "lnk2.gone.sig", "lnk2", "tx3"),
	)
	newProcessor(st).Process(context.Background(), batch)
	for _, table := range []string{"clicks", "links", "integrations", "offers"} {
		if n := len(st.reads[table]); n != 1 {
			t.Errorf("%s read %d times for one batch, want once", table, n)
		}
	}
	if got := sorted(st.reads["clicks"][0]); fmt.Sprint(got) != fmt.Sprint([]string{"ck1", "ckb", "lnk2.gone.sig"}) {
		t.Errorf("clicks asked %v, want the batch's three click ids", got)
	}
	// Only the postback whose click is missing needs its link.
	if got := st.reads["links"][0]; fmt.Sprint(got) != fmt.Sprint([]string{"lnk2"}) {
		t.Errorf("links asked %v, want [lnk2]", got)
	}
}

// keys lists the conversions stored, for failure messages.
func keys(m map[trackly.ConversionRef]trackly.Conversion) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, fmt.Sprintf("%s/%s/%s", k.IntegrationID, k.ConversionID, k.GoalID))
	}
	sort.Strings(out)
	return out
}
