package reports_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

var clickedAt = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// clickOn is a phone's click on message msg1 of account acc1 (offer off1, campaign camp1).
func clickOn(id string) *trackly.Click {
	return &trackly.Click{ClickID: id, Placement: trackly.Placement{AccountID: "acc1", MessageID: "msg1", OfferID: "off1", CampaignID: "camp1"}, CreatedAt: clickedAt}
}

// attributed is an attributed conversion of tx1 on message msg1 of account acc1.
func attributed(status trackly.ConversionStatus, payout, currency string) *trackly.Conversion {
	return &trackly.Conversion{
		IntegrationID: "in1", ConversionID: "tx1", GoalID: "0", AccountID: "acc1", MessageID: "msg1", OfferID: "off1", CampaignID: "camp1",
		Attribution: trackly.ConversionAttributed, Status: status, Payout: amount(payout), Currency: currency, ReceivedAt: clickedAt,
	}
}

func TestChangeIncrements(t *testing.T) {
	bot := clickOn("ck1")
	bot.Bot = true
	orphan := attributed(trackly.StatusApproved, "12.50", "USD")
	orphan.Attribution = trackly.ConversionOrphan
	tests := []struct {
		name   string
		change trackly.Change
		want   []increment
	}{
		{"a click inserted counts one click", trackly.Change{NewClick: clickOn("ck1")},
			onEveryDimension("2026-03-14", counters{"clicks": "1"})},
		{"a bot's click inserted counts nothing", trackly.Change{NewClick: bot}, []increment{}},
		{"a click removed (its TTL) counts nothing back", trackly.Change{OldClick: clickOn("ck1")}, []increment{}},
		{"a click rewritten the same counts nothing more", trackly.Change{OldClick: clickOn("ck1"), NewClick: clickOn("ck1")}, []increment{}},
		{"a conversion inserted counts with its revenue", trackly.Change{NewConversion: attributed(trackly.StatusApproved, "12.50", "USD")},
			onEveryDimension("2026-03-14", counters{"conversions": "1", "revenue_USD": "12.5"})},
		{"an orphan inserted counts nothing", trackly.Change{NewConversion: orphan}, []increment{}},
		{"pending to approved moves the count and the revenue out of pending",
			trackly.Change{OldConversion: attributed(trackly.StatusPending, "12.50", "USD"), NewConversion: attributed(trackly.StatusApproved, "12.50", "USD")},
			onEveryDimension("2026-03-14", counters{"conversions": "1", "revenue_USD": "12.5", "pending_conversions": "-1", "pending_revenue_USD": "-12.5"})},
		{"approved to rejected (a reversal) takes the revenue back",
			trackly.Change{OldConversion: attributed(trackly.StatusApproved, "12.50", "USD"), NewConversion: attributed(trackly.StatusRejected, "12.50", "USD")},
			onEveryDimension("2026-03-14", counters{"conversions": "-1", "revenue_USD": "-12.5", "rejected_conversions": "1"})},
		{"a payout corrected moves the revenue by the difference, exactly",
			trackly.Change{OldConversion: attributed(trackly.StatusApproved, "12.50", "USD"), NewConversion: attributed(trackly.StatusApproved, "12.40000001", "USD")},
			onEveryDimension("2026-03-14", counters{"conversions": "0", "revenue_USD": "-0.09999999"})},
		{"a currency corrected moves the revenue from one currency to the other",
			trackly.Change{OldConversion: attributed(trackly.StatusApproved, "12.50", "USD"), NewConversion: attributed(trackly.StatusApproved, "11", "EUR")},
			onEveryDimension("2026-03-14", counters{"conversions": "0", "revenue_USD": "-12.5", "revenue_EUR": "11"})},
		{"an orphan attributed later counts as it would have",
			trackly.Change{OldConversion: orphan, NewConversion: attributed(trackly.StatusApproved, "12.50", "USD")},
			onEveryDimension("2026-03-14", counters{"conversions": "1", "revenue_USD": "12.5"})},
		{"a conversion rewritten the same counts nothing more",
			trackly.Change{OldConversion: attributed(trackly.StatusApproved, "12.50", "USD"), NewConversion: attributed(trackly.StatusApproved, "12.50", "USD")},
			[]increment{}},
		{"a conversion removed counts nothing back", trackly.Change{OldConversion: attributed(trackly.StatusApproved, "12.50", "USD")}, []increment{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := asText(reports.ChangeIncrements(tt.change))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// memoryCounts stands for the reports and counted changes tables: CountChanges behaves as the
// store's transaction does (all or nothing; nothing, naming them, when some changes are marked).
type memoryCounts struct {
	mu    sync.Mutex
	marks map[string]bool
	rows  map[string]map[string]money.Amount // "dimension id day" -> counters
	calls int
	// items are the items of each write that was applied.
	items []int
	// fail fails write n (1-based) with the error it returns, before (lost false) or after (lost
	// true) applying it.
	fail func(n int) (err error, lost bool)
}

func newMemoryCounts() *memoryCounts {
	return &memoryCounts{marks: map[string]bool{}, rows: map[string]map[string]money.Amount{}}
}

var errConflict = errors.New("TransactionCanceledException: [TransactionConflict]")

func (m *memoryCounts) CountChanges(ctx context.Context, changeIDs []string, increments []trackly.ReportIncrement) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n := len(changeIDs) + len(increments); n > reports.MaxCountItems {
		return nil, fmt.Errorf("a transaction of %d items", n)
	}
	var failure error
	lost := false
	if m.fail != nil {
		failure, lost = m.fail(m.calls)
	}
	if failure != nil && !lost {
		return nil, failure
	}
	var counted []string
	for _, id := range changeIDs {
		if m.marks[id] {
			counted = append(counted, id)
		}
	}
	if len(counted) > 0 {
		return counted, nil
	}
	for _, id := range changeIDs {
		m.marks[id] = true
	}
	for _, inc := range increments {
		k := fmt.Sprint(inc.Dimension, " ", inc.DimensionID, " ", inc.Day)
		if m.rows[k] == nil {
			m.rows[k] = map[string]money.Amount{}
		}
		for name, v := range inc.Counters {
			m.rows[k][name] = m.rows[k][name].Add(v)
		}
	}
	m.items = append(m.items, len(changeIDs)+len(increments))
	return nil, failure
}

// counter reads a counter of a row of account acc1 ("" when absent).
func (m *memoryCounts) counter(dimension, id, name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.rows[dimension+" "+id+" 2026-03-14"][name]
	if !ok {
		return ""
	}
	return v.String()
}

func newCounter(st reports.CountStore) *reports.Counter {
	return reports.NewCounter(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// clickChanges are n stream records of phones' clicks on msg1, with IDs prefix-0, prefix-1, …
func clickChanges(prefix string, n int) []trackly.Change {
	out := make([]trackly.Change, n)
	for i := range out {
		id := fmt.Sprintf("%s-%d", prefix, i)
		out[i] = trackly.Change{ID: id, NewClick: clickOn("ck-" + id)}
	}
	return out
}

func TestCountCountsEachChangeOnce(t *testing.T) {
	conversions := func() []trackly.Change {
		pending := attributed(trackly.StatusPending, "0.1", "USD")
		return []trackly.Change{
			{ID: "conv-1", NewConversion: attributed(trackly.StatusApproved, "0.2", "USD")},
			{ID: "conv-2", NewConversion: pending},
			{ID: "conv-2-approved", OldConversion: pending, NewConversion: attributed(trackly.StatusApproved, "0.1", "USD")},
			{ID: "conv-3", NewConversion: attributed(trackly.StatusApproved, "7", "EUR")},
		}
	}
	tests := []struct {
		name       string
		deliveries [][]trackly.Change // delivered one after the other
		fail       func(n int) (error, bool)
		clicks     string // msg1's clicks after them all
		revenue    string // msg1's revenue_USD after them all
		writes     int    // the most applied writes expected
	}{
		{
			name:       "a batch is summed per row: one write",
			deliveries: [][]trackly.Change{append(clickChanges("a", 3), conversions()...)},
			clicks:     "3", revenue: "0.3", writes: 1,
		},
		{
			name:       "the same batch delivered again counts nothing twice",
			deliveries: [][]trackly.Change{clickChanges("a", 3), clickChanges("a", 3)},
			clicks:     "3", writes: 1,
		},
		{
			name:       "a batch of which an earlier delivery counted a part counts the rest",
			deliveries: [][]trackly.Change{clickChanges("a", 2), clickChanges("a", 5)},
			clicks:     "5", writes: 2,
		},
		{
			name:       "a write whose answer was lost is not counted again",
			deliveries: [][]trackly.Change{clickChanges("a", 4)},
			fail: func(n int) (error, bool) {
				if n == 1 {
					return errors.New("connection reset: the answer was lost"), true
				}
				return nil, false
			},
			clicks: "4", writes: 1,
		},
		{
			name:       "conflicts and throttling are tried again",
			deliveries: [][]trackly.Change{conversions()},
			fail: func(n int) (error, bool) {
				if n <= 3 {
					return errConflict, false
				}
				return nil, false
			},
			clicks: "", revenue: "0.3", writes: 1,
		},
		{
			name:       "more changes than a transaction holds are counted in several, none over 100 items",
			deliveries: [][]trackly.Change{append(clickChanges("a", 250), conversions()...)},
			clicks:     "250", revenue: "0.3", writes: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemoryCounts()
			st.fail = tt.fail
			c := newCounter(st)
			for i, batch := range tt.deliveries {
				n, err := c.Count(context.Background(), batch)
				if err != nil || n != len(batch) {
					t.Fatalf("delivery %d: counted %d of %d, %v", i+1, n, len(batch), err)
				}
			}
			if got := st.counter("message", "msg1", "clicks"); got != tt.clicks {
				t.Errorf("msg1 clicks %q, want %q", got, tt.clicks)
			}
			if got := st.counter("message", "msg1", "revenue_USD"); got != tt.revenue {
				t.Errorf("msg1 revenue_USD %q, want %q", got, tt.revenue)
			}
			if len(st.items) > tt.writes || slices.ContainsFunc(st.items, func(n int) bool { return n > reports.MaxCountItems }) {
				t.Errorf("writes of %v items, want at most %d writes of at most %d", st.items, tt.writes, reports.MaxCountItems)
			}
		})
	}

	t.Run("a change moving counters in several currencies keeps each exact", func(t *testing.T) {
		st := newMemoryCounts()
		batch := conversions()
		if n, err := newCounter(st).Count(context.Background(), batch); err != nil || n != len(batch) {
			t.Fatalf("counted %d of %d, %v", n, len(batch), err)
		}
		// The pending conversion approved in the same batch leaves its pending counters at 0.
		for name, want := range map[string]string{"conversions": "3", "revenue_USD": "0.3", "revenue_EUR": "7", "pending_conversions": "0", "pending_revenue_USD": "0"} {
			if got := st.counter("account", "acc1", name); got != want {
				t.Errorf("acc1 %s %q, want %q", name, got, want)
			}
		}
	})
}

// When the deadline comes before every change is counted, Count says how many are, from the
// first, so that the caller has the rest delivered again; those counted are marked.
func TestCountStopsBeforeTheDeadline(t *testing.T) {
	t.Run("a deadline too near to write: nothing counted", func(t *testing.T) {
		st := newMemoryCounts()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond) // less than the margin kept to answer
		defer cancel()
		n, err := newCounter(st).Count(ctx, clickChanges("a", 3))
		if n != 0 || err == nil {
			t.Errorf("counted %d, %v; want 0 and an error", n, err)
		}
		if got := st.counter("message", "msg1", "clicks"); got != "" {
			t.Errorf("msg1 clicks %q, want none", got)
		}
	})

	t.Run("writes failing until the end: the changes counted before are told", func(t *testing.T) {
		st := newMemoryCounts()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// The first write (the first 96 changes and their 4 rows) succeeds; the next fail until
		// the invocation's time is up.
		st.fail = func(n int) (error, bool) {
			switch {
			case n == 1:
				return nil, false
			case n >= 4:
				cancel()
			}
			return errConflict, false
		}
		n, err := newCounter(st).Count(ctx, clickChanges("a", 150))
		if n != 96 || !errors.Is(err, context.Canceled) {
			t.Errorf("counted %d, %v; want the 96 of the first write and the context's error", n, err)
		}
		if got := st.counter("message", "msg1", "clicks"); got != "96" {
			t.Errorf("msg1 clicks %q, want 96", got)
		}
		// Delivered again from the first change not counted, or from the start: each counts once.
		st.fail = nil
		for _, batch := range [][]trackly.Change{clickChanges("a", 150)[n:], clickChanges("a", 150)} {
			if n, err := newCounter(st).Count(context.Background(), batch); n != len(batch) || err != nil {
				t.Fatalf("delivered again: counted %d of %d, %v", n, len(batch), err)
			}
		}
		if got := st.counter("message", "msg1", "clicks"); got != "150" {
			t.Errorf("msg1 clicks %q, want 150", got)
		}
	})
}
