package attribution_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/attribution"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/trackly"
)

// slowTables are memoryTables whose conversion writes first run write, which
// may take the fake clock forward or block, and fail the write if it fails.
// With apply set, the write is applied even when write fails (its answer lost).
type slowTables struct {
	*memoryTables
	write func(ctx context.Context, c trackly.Conversion) error
	apply bool
}

func (st *slowTables) RecordConversion(ctx context.Context, c trackly.Conversion, result *trackly.PostbackResult) error {
	err := st.write(ctx, c)
	if err != nil && !st.apply {
		return err
	}
	if recErr := st.memoryTables.RecordConversion(ctx, c, result); recErr != nil {
		return recErr
	}
	return err
}

// slowWrites returns slowTables over world() whose conversion writes each take d on the clock that
// now reads, which starts at the present and moves only as the writes take their time.
func slowWrites(d time.Duration) (slow *slowTables, now func() time.Time) {
	var mu sync.Mutex
	clock := time.Now()
	slow = &slowTables{memoryTables: world(), write: func(context.Context, trackly.Conversion) error {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(d)
		return nil
	}}
	return slow, func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	}
}

// distinct returns n postbacks of n conversions on click ck1 as SQS delivers them, and the postbacks.
func distinct(n int) ([]attribution.Message, []postbacks.Message) {
	pbs := make([]postbacks.Message, n)
	for i := range pbs {
		pbs[i] = postback(fmt.Sprintf("pb%02d", i), "ck1", "lnk1", fmt.Sprintf("tx%02d", i))
	}
	return deliveries(pbs...), pbs
}

// recordedBy returns the ids of the postbacks whose conversions are stored.
func recordedBy(st *memoryTables) map[string]bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := map[string]bool{}
	for _, c := range st.conversions {
		out[c.PostbackID] = true
	}
	return out
}

// checkEachOnce checks that every postback of pbs is either recorded or among
// the failed message ids, never both, and that what is not recorded is not
// logged either.
func checkEachOnce(t *testing.T, st *memoryTables, pbs []postbacks.Message, failed []string) {
	t.Helper()
	returned := map[string]bool{}
	for _, id := range failed {
		if returned[id] {
			t.Errorf("message %s returned twice", id)
		}
		returned[id] = true
	}
	recorded := recordedBy(st)
	for _, pb := range pbs {
		id := "sqs-" + pb.PostbackID
		switch {
		case recorded[pb.PostbackID] && returned[id]:
			t.Errorf("%s was recorded and returned for redelivery", pb.PostbackID)
		case !recorded[pb.PostbackID] && !returned[id]:
			t.Errorf("%s was neither recorded nor returned", pb.PostbackID)
		case !recorded[pb.PostbackID] && st.logged(pb).Outcome != "":
			t.Errorf("%s was not recorded but its postback log says %q", pb.PostbackID, st.logged(pb).Outcome)
		}
	}
}

// redeliver makes the writes of slow instant and processes the messages of
// batch that failed lists again, with no deadline. It fails t unless each is
// then attributed and every message of batch is recorded.
func redeliver(t *testing.T, p *attribution.Processor, slow *slowTables, batch []attribution.Message, failed []string) {
	t.Helper()
	slow.write = func(context.Context, trackly.Conversion) error { return nil }
	again := map[string]bool{}
	for _, id := range failed {
		again[id] = true
	}
	var msgs []attribution.Message
	for _, m := range batch {
		if again[m.ID] {
			msgs = append(msgs, m)
		}
	}
	left, out := p.Process(context.Background(), msgs)
	if len(left) > 0 {
		t.Fatalf("redelivery: %v failed again", left)
	}
	if out.Attributed != len(failed) {
		t.Errorf("redelivery outcome %+v, want %d attributed", out, len(failed))
	}
	if n := len(recordedBy(slow.memoryTables)); n != len(batch) {
		t.Errorf("%d conversions recorded after the redelivery, want %d", n, len(batch))
	}
}

func TestProcessStopsBeforeTheDeadline(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	t.Run("a batch that would overrun its deadline returns the messages it did not start", func(t *testing.T) {
		// Each conversion write takes a minute; the batch has ten.
		slow, now := slowWrites(time.Minute)
		st := slow.memoryTables
		ctx, cancel := context.WithDeadline(context.Background(), now().Add(10*time.Minute))
		defer cancel()
		batch, pbs := distinct(20)
		p := attribution.NewProcessor(slow, quiet, now)
		failed, out := p.Process(ctx, batch)
		if len(failed) == 0 {
			t.Fatalf("all 20 messages done, the last ones after the deadline; want those returned")
		}
		checkEachOnce(t, st, pbs, failed)
		if done := len(recordedBy(st)); out != (attribution.Outcome{Attributed: done, Deferred: len(failed)}) {
			t.Errorf("outcome %+v with %d recorded and %d returned; want them attributed and deferred", out, done, len(failed))
		}
		redeliver(t, p, slow, batch, failed)
	})

	t.Run("a write the deadline cuts short is returned, and its redelivery counts it once", func(t *testing.T) {
		st := world()
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
		defer cancel()
		arrived := make(chan struct{}, 20)
		// Every write waits for the deadline, then is applied and its answer lost.
		slow := &slowTables{memoryTables: st, apply: true, write: func(ctx context.Context, _ trackly.Conversion) error {
			arrived <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}}
		batch, pbs := distinct(12)
		p := newProcessor(slow)
		go func() {
			<-arrived
			cancel() // the deadline comes
		}()
		failed, out := p.Process(ctx, batch)
		if len(failed) != len(batch) || out != (attribution.Outcome{Deferred: len(batch)}) {
			t.Fatalf("%d of %d messages returned, outcome %+v; want all deferred: the deadline came before any was done", len(failed), len(batch), out)
		}
		for _, pb := range pbs {
			if got := st.logged(pb).Outcome; got != "" && got != trackly.PostbackAttributed {
				t.Errorf("%s logged %q", pb.PostbackID, got)
			}
		}
		redeliver(t, p, slow, batch, failed)
	})

	t.Run("one worker: the messages that start before the cutoff are done, the others returned", func(t *testing.T) {
		slow, now := slowWrites(3 * time.Second)
		st := slow.memoryTables
		// The deadline is in 10 s and the margin 2 s: writes start at 0, 3 and 6 s; the fourth would start at 9 s.
		ctx, cancel := context.WithDeadline(context.Background(), now().Add(10*time.Second))
		defer cancel()
		batch, pbs := distinct(5)
		p := attribution.NewProcessor(slow, quiet, now)
		p.Workers, p.Margin = 1, 2*time.Second
		failed, out := p.Process(ctx, batch)
		if want := []string{"sqs-pb03", "sqs-pb04"}; fmt.Sprint(failed) != fmt.Sprint(want) {
			t.Errorf("returned %v, want %v", failed, want)
		}
		if out != (attribution.Outcome{Attributed: 3, Deferred: 2}) {
			t.Errorf("outcome %+v, want 3 attributed and 2 deferred", out)
		}
		checkEachOnce(t, st, pbs, failed)
	})

	t.Run("a batch that arrives after the cutoff reads nothing and returns every message", func(t *testing.T) {
		st := world()
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
		defer cancel()
		late := time.Now().Add(time.Hour - time.Second)
		batch, pbs := distinct(3)
		p := attribution.NewProcessor(st, quiet, func() time.Time { return late })
		p.Margin = 2 * time.Second
		failed, out := p.Process(ctx, batch)
		if len(failed) != 3 || out != (attribution.Outcome{Deferred: 3}) {
			t.Errorf("returned %v, outcome %+v; want all 3 deferred", failed, out)
		}
		if len(st.reads) != 0 {
			t.Errorf("read %v after the cutoff", st.reads)
		}
		checkEachOnce(t, st, pbs, failed)
	})

	t.Run("a batch read the deadline cuts short returns every message undone", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
		defer cancel()
		st := &cutReads{memoryTables: world(), cancel: cancel}
		batch, pbs := distinct(3)
		failed, out := newProcessor(st).Process(ctx, batch)
		if len(failed) != 3 || out != (attribution.Outcome{Deferred: 3}) {
			t.Errorf("returned %v, outcome %+v; want all 3 deferred", failed, out)
		}
		checkEachOnce(t, st.memoryTables, pbs, failed)
	})

	t.Run("the messages received most often start first", func(t *testing.T) {
		slow, now := slowWrites(time.Minute)
		ctx, cancel := context.WithDeadline(context.Background(), now().Add(time.Hour))
		defer cancel()
		batch, _ := distinct(4)
		batch[2].ReceiveCount, batch[3].ReceiveCount = 4, 2
		p := attribution.NewProcessor(slow, quiet, now)
		// One worker, and time for two writes only.
		p.Workers, p.Margin = 1, time.Hour-90*time.Second
		failed, _ := p.Process(ctx, batch)
		if want := []string{"sqs-pb00", "sqs-pb01"}; fmt.Sprint(failed) != fmt.Sprint(want) {
			t.Errorf("returned %v, want %v: the messages received 4 and 2 times go first", failed, want)
		}
	})
}

// cutReads are memoryTables whose first batched read of clicks comes as the
// deadline does: it ends the context and fails with its error.
type cutReads struct {
	*memoryTables
	cancel context.CancelFunc
}

func (st *cutReads) GetClicks(ctx context.Context, _ []string) (map[string]trackly.Click, error) {
	st.cancel()
	return nil, ctx.Err()
}

// heldWrites are memoryTables whose conversion writes wait until the test
// releases them. Each write says which postback it writes on arrived as it
// comes, and counts the writes in flight at once.
type heldWrites struct {
	*memoryTables
	arrived chan string
	release chan struct{}

	mu             sync.Mutex
	inFlight, most int
	writing        map[trackly.ConversionRef]bool
	overlapping    []string // postbacks written while their conversion was being written
}

func holdWrites(st *memoryTables) *heldWrites {
	return &heldWrites{memoryTables: st, arrived: make(chan string, 100), release: make(chan struct{}), writing: map[trackly.ConversionRef]bool{}}
}

func (st *heldWrites) RecordConversion(ctx context.Context, c trackly.Conversion, result *trackly.PostbackResult) error {
	st.mu.Lock()
	st.inFlight++
	st.most = max(st.most, st.inFlight)
	if st.writing[c.Ref()] {
		st.overlapping = append(st.overlapping, c.PostbackID)
	}
	st.writing[c.Ref()] = true
	st.mu.Unlock()
	st.arrived <- c.PostbackID
	<-st.release
	err := st.memoryTables.RecordConversion(ctx, c, result)
	st.mu.Lock()
	st.inFlight--
	delete(st.writing, c.Ref())
	st.mu.Unlock()
	return err
}

func TestProcessRunsABatchInParallel(t *testing.T) {
	t.Run("at most Workers messages at once, and as many as that", func(t *testing.T) {
		st := holdWrites(world())
		batch, pbs := distinct(20)
		p := newProcessor(st)
		p.Workers = 8
		type result struct {
			failed []string
			out    attribution.Outcome
		}
		done := make(chan result)
		go func() {
			failed, out := p.Process(context.Background(), batch)
			done <- result{failed, out}
		}()
		for range 8 {
			<-st.arrived
		}
		close(st.release)
		r := <-done
		if len(r.failed) > 0 || r.out != (attribution.Outcome{Attributed: 20}) {
			t.Errorf("returned %v, outcome %+v; want 20 attributed", r.failed, r.out)
		}
		if st.most != 8 {
			t.Errorf("%d writes at once, want 8", st.most)
		}
		checkEachOnce(t, st.memoryTables, pbs, r.failed)
	})

	t.Run("the messages of one conversion run one after another, in batch order", func(t *testing.T) {
		st := holdWrites(world())
		first, again, other := postback("pb1", "ck1", "lnk1", "tx1"), postback("pb2", "ck1", "lnk1", "tx1"), postback("pb3", "ck1", "lnk1", "tx2")
		p := newProcessor(st)
		type result struct {
			failed []string
			out    attribution.Outcome
		}
		done := make(chan result)
		go func() {
			failed, out := p.Process(context.Background(), deliveries(first, again, other))
			done <- result{failed, out}
		}()
		// Two conversions: two writes start at once, pb2's waits for pb1's.
		arrivals := []string{<-st.arrived, <-st.arrived}
		close(st.release)
		r := <-done
		if fmt.Sprint(sorted(arrivals)) != "[pb1 pb3]" {
			t.Errorf("the first writes were %v, want pb1's and pb3's", arrivals)
		}
		if len(st.overlapping) > 0 {
			t.Errorf("%v written while their conversion was being written", st.overlapping)
		}
		if len(r.failed) > 0 || r.out != (attribution.Outcome{Attributed: 2, Duplicates: 1}) {
			t.Errorf("returned %v, outcome %+v; want 2 attributed and 1 duplicate", r.failed, r.out)
		}
		if got := st.logged(first).Outcome; got != trackly.PostbackAttributed {
			t.Errorf("pb1 logged %q, want attributed", got)
		}
		if got := st.logged(again).Outcome; got != trackly.PostbackDuplicate {
			t.Errorf("pb2 logged %q, want duplicate", got)
		}
		if len(st.conversions) != 2 {
			t.Errorf("conversions %v, want tx1 and tx2", keys(st.conversions))
		}
	})
}
