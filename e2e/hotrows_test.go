package e2e

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/dev/dynamodbrules"
	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
)

// TestABlastCountsExactlyUnderDynamoDBsRules taps one link from many phones at once and converts
// some of the taps, with DynamoDB's rules for concurrent writers in front of DynamoDB Local
// (dev/dynamodbrules: a transaction that overlaps another on an item is cancelled, an item takes
// 1,000 write units a second). Every tap served is a click stored, and the report, counted from
// the tables' streams, comes to the exact totals: no tap and no postback writes an item another
// one writes.
func TestABlastCountsExactlyUnderDynamoDBsRules(t *testing.T) {
	var rules *dynamodbrules.Handler
	s := localruntest.Start(t, localrun.Options{DynamoDBMiddleware: func(next http.Handler) http.Handler {
		rules = dynamodbrules.New(next, dynamodbrules.Options{})
		return rules
	}})
	token := s.PostbackToken(t)
	link := newLink(t, s, "blast")

	// 320 taps, 32 phones at a time.
	const senders, tapsEach = 32, 10
	var mu sync.Mutex
	var clicks []string
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for range tapsEach {
				id, err := tap(s, link.URL)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				clicks = append(clicks, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	env := s.Cloud.FunctionEnv("ClickFunction")
	st := store.New(dynamodb.NewFromConfig(s.Cloud.AWSConfig()), store.TablesFromEnv(func(k string) string { return env[k] }))
	stored, err := st.GetClicks(context.Background(), clicks)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(clicks) {
		t.Errorf("%d taps served, %d clicks stored: every tap served must be a click", len(clicks), len(stored))
	}

	// 36 conversions of those clicks, in three currencies and every status, each sent twice
	// (TUNE retries), 12 at a time; the second of each is a duplicate.
	currencies := []string{"USD", "EUR", "GBP"}
	statuses := []trackly.ConversionStatus{trackly.StatusApproved, trackly.StatusPending, trackly.StatusRejected}
	want := reports.Line{Clicks: int64(len(clicks)), Revenue: map[string]money.Amount{}, PendingRevenue: map[string]money.Amount{}}
	var postbacks []url.Values
	for i := range 36 {
		payout := decimal.New(int64(1000+37*i), -3) // 1.000, 1.037, … exact decimals
		cur, status := currencies[i%3], statuses[(i/3)%3]
		switch status {
		case trackly.StatusApproved:
			want.Conversions++
			want.Revenue[cur] = want.Revenue[cur].Add(money.FromDecimal(payout))
		case trackly.StatusPending:
			want.PendingConversions++
			want.PendingRevenue[cur] = want.PendingRevenue[cur].Add(money.FromDecimal(payout))
		case trackly.StatusRejected:
			want.RejectedConversions++
		}
		p := url.Values{"click_id": {clicks[i*7]}, "payout": {payout.String()}, "currency": {cur}, "status": {string(status)},
			"conversion_id": {fmt.Sprintf("tx-blast-%d", i)}, "token": {token}}
		postbacks = append(postbacks, p, p)
	}
	sendAll(t, s, postbacks, 12)

	var last string
	localruntest.Eventually(t, "the report's totals to be exact", func() bool {
		got := s.Report(t, "message", link.MessageID).Total
		diff := lineDiff(got, want)
		if diff != last && diff != "" {
			t.Logf("report: %s", diff)
		}
		last = diff
		return diff == ""
	})
	stats := rules.Stats()
	t.Logf("DynamoDB's rules: %d requests, %d conflicts, %d throttled", stats.Requests, stats.Conflicts, stats.Throttled)
}

// tap opens a tracked link as a phone does and returns the click id of its redirect. It may be
// called from any goroutine.
func tap(s *localruntest.System, linkURL string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, linkURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", localruntest.IPhone)
	res, err := s.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("tap: %w", err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || loc.Query().Get("aff_sub") == "" {
		return "", fmt.Errorf("tap: status %d, Location %q; want 302 with a click id", res.StatusCode, res.Header.Get("Location"))
	}
	return loc.Query().Get("aff_sub"), nil
}

// sendAll sends postbacks, parallel at a time, each until it is answered 200 (TUNE retries what
// it is refused with 503).
func sendAll(t *testing.T, s *localruntest.System, postbacks []url.Values, parallel int) {
	t.Helper()
	next := make(chan url.Values)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for p := range next {
				for {
					a, err := s.SendPostback(p)
					if err != nil {
						t.Error(err)
						break
					}
					if a.Status == http.StatusOK {
						break
					}
					if a.Status != http.StatusServiceUnavailable {
						t.Errorf("postback %s: %d %s", p.Get("conversion_id"), a.Status, a.Raw)
						break
					}
				}
			}
		})
	}
	for _, p := range postbacks {
		next <- p
	}
	close(next)
	wg.Wait()
}

// lineDiff says how a report line's counts differ from want's, or "" if they do not.
func lineDiff(got, want reports.Line) string {
	var diffs []string
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"clicks", got.Clicks, want.Clicks}, {"conversions", got.Conversions, want.Conversions},
		{"pending", got.PendingConversions, want.PendingConversions}, {"rejected", got.RejectedConversions, want.RejectedConversions},
	} {
		if c.got != c.want {
			diffs = append(diffs, fmt.Sprintf("%s %d, want %d", c.name, c.got, c.want))
		}
	}
	for _, m := range []struct {
		name      string
		got, want map[string]money.Amount
	}{{"revenue", got.Revenue, want.Revenue}, {"pending revenue", got.PendingRevenue, want.PendingRevenue}} {
		if !maps.EqualFunc(m.got, m.want, func(a, b money.Amount) bool { return a.Equal(b.Decimal) }) {
			diffs = append(diffs, fmt.Sprintf("%s %v, want %v", m.name, m.got, m.want))
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}
