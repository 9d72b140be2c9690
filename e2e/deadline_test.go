package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/trackly"
)

// TestAttributionKeepsItsDeadlineWhenDynamoDBIsSlow runs AttributionFunction with a 6 s timeout on a
// DynamoDB whose conversion writes go one at a time, each taking 150 ms, as a DynamoDB Local on a
// busy machine does: 10 batches at once cannot all finish in time. (A 4 s timeout left a margin of
// 0.8 s, which a machine starved of CPU by other tests could use up.) Every postback must still end as
// exactly one conversion, with no invocation timed out and no message in the dead-letter queue.
func TestAttributionKeepsItsDeadlineWhenDynamoDBIsSlow(t *testing.T) {
	const timeout = 6 * time.Second
	timeouts := &recordCounter{match: "Sandbox.Timedout"}
	slow := &serialConversionWrites{each: 150 * time.Millisecond, turn: make(chan struct{}, 1)}
	s := localruntest.Start(t, localrun.Options{
		FunctionTimeouts: map[string]time.Duration{"AttributionFunction": timeout},
		// Longer than an invocation, so that a message is never delivered again while it is processed.
		VisibilityTimeout:  2 * timeout,
		DynamoDBMiddleware: slow.wrap,
		Logger:             slog.New(timeouts.wrap(localruntest.Logger(t).Handler())),
	})
	slow.table.Store(s.Cloud.TableName("ConversionsTable"))
	token := s.PostbackToken(t)
	click := s.ClickID(t, s.Demo.LinkURL)

	// 40 conversions, 5 of them sent twice.
	const conversions, resent = 40, 5
	var sends []url.Values
	for i := range conversions {
		sends = append(sends, url.Values{"click_id": {click}, "payout": {"1.25"}, "conversion_id": {fmt.Sprintf("deadline-%02d", i)}, "token": {token}})
	}
	sends = append(sends, sends[:resent]...)
	ids := make([]string, len(sends))
	var wg sync.WaitGroup
	errs := make(chan error, len(sends))
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(sends); i += 8 {
				a, err := s.SendPostback(sends[i])
				if err == nil && a.Status != http.StatusOK {
					err = fmt.Errorf("postback %v: %d %s", sends[i], a.Status, a.Raw)
				}
				if err != nil {
					errs <- err
					continue
				}
				ids[i], _ = a.Body["postback_id"].(string)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	client := sqs.NewFromConfig(s.Cloud.AWSConfig())
	queue, dlq := s.Cloud.QueueURL("PostbackQueue"), s.Cloud.QueueURL("PostbackDeadLetterQueue")
	var outcomes map[string]trackly.PostbackOutcome
	awaitWithin(t, 3*time.Minute, "every postback attributed or duplicate and the queue empty", func() bool {
		if timeouts.n.Load() > 0 {
			t.Fatalf("%d AttributionFunction invocations timed out", timeouts.n.Load())
		}
		outcomes = map[string]trackly.PostbackOutcome{}
		for _, p := range s.PostbackLog(t) {
			outcomes[p.PostbackID] = p.Outcome
		}
		for _, id := range ids {
			if o := outcomes[id]; o != trackly.PostbackAttributed && o != trackly.PostbackDuplicate {
				return false
			}
		}
		return messagesIn(t, client, queue) == 0
	})

	counts := map[trackly.PostbackOutcome]int{}
	for _, id := range ids {
		counts[outcomes[id]]++
	}
	if counts[trackly.PostbackAttributed] != conversions || counts[trackly.PostbackDuplicate] != resent {
		t.Errorf("postbacks %v, want %d attributed and %d duplicate", counts, conversions, resent)
	}
	var listed struct {
		Conversions []struct {
			ConversionID string `json:"conversion_id"`
		} `json:"conversions"`
	}
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "list_conversions", "account_id": s.Demo.AccountID, "limit": 1000}, &listed)
	seen := map[string]int{}
	for _, c := range listed.Conversions {
		seen[c.ConversionID]++
	}
	for i := range conversions {
		if id := fmt.Sprintf("deadline-%02d", i); seen[id] != 1 {
			t.Errorf("conversion %s listed %d times, want once", id, seen[id])
		}
	}
	if n := len(listed.Conversions) - seen[s.Demo.ConversionID]; n != conversions {
		t.Errorf("%d conversions listed besides the demo's own, want %d", n, conversions)
	}
	if n := messagesIn(t, client, dlq); n != 0 {
		t.Errorf("%d messages in the dead-letter queue, want none", n)
	}
	if n := timeouts.n.Load(); n > 0 {
		t.Errorf("%d AttributionFunction invocations timed out", n)
	}
	t.Logf("conversion writes: %d applied, %d given up by their caller (cut by the deadline)", slow.applied.Load(), slow.abandoned.Load())
}

// serialConversionWrites is DynamoDB middleware that makes the transactions writing a conversion
// wait their turn and then take each, one at a time, as a saturated engine does. A caller that
// gives up while its transaction waits or runs leaves nothing written.
type serialConversionWrites struct {
	each  time.Duration
	table atomic.Value  // the conversions table's name, once known
	turn  chan struct{} // holds a token while a conversion write runs

	applied, abandoned atomic.Int64
}

func (m *serialConversionWrites) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.TransactWriteItems" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !m.writesConversion(body) {
			next.ServeHTTP(w, r)
			return
		}
		if !m.wait(r.Context()) {
			m.abandoned.Add(1)
			return
		}
		defer func() { <-m.turn }()
		m.applied.Add(1)
		next.ServeHTTP(w, r)
	})
}

// wait takes the turn and holds it for m.each; it tells whether the caller still waits then, and
// gives the turn up if not.
func (m *serialConversionWrites) wait(ctx context.Context) bool {
	select {
	case m.turn <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	t := time.NewTimer(m.each)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		<-m.turn
		return false
	}
}

// writesConversion tells whether a TransactWriteItems request writes to the conversions table.
func (m *serialConversionWrites) writesConversion(body []byte) bool {
	table, _ := m.table.Load().(string)
	if table == "" {
		return false
	}
	var req struct {
		TransactItems []map[string]struct{ TableName string }
	}
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	for _, item := range req.TransactItems {
		for _, op := range item {
			if op.TableName == table {
				return true
			}
		}
	}
	return false
}

// recordCounter counts the log records (Warn and above, as localruntest.Logger's) whose text holds
// match, and passes every record on.
type recordCounter struct {
	match string
	n     atomic.Int64
}

func (c *recordCounter) wrap(next slog.Handler) slog.Handler { return countingLogHandler{c, next} }

type countingLogHandler struct {
	c    *recordCounter
	next slog.Handler
}

func (h countingLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h countingLogHandler) Handle(ctx context.Context, r slog.Record) error {
	text := r.Message
	r.Attrs(func(a slog.Attr) bool {
		text += " " + a.Value.String()
		return true
	})
	if strings.Contains(text, h.c.match) {
		h.c.n.Add(1)
	}
	return h.next.Handle(ctx, r)
}

func (h countingLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return countingLogHandler{h.c, h.next.WithAttrs(attrs)}
}

func (h countingLogHandler) WithGroup(name string) slog.Handler {
	return countingLogHandler{h.c, h.next.WithGroup(name)}
}

// messagesIn counts a queue's messages, visible or in flight.
func messagesIn(t *testing.T, client *sqs.Client, queueURL string) int {
	t.Helper()
	out, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, v := range out.Attributes {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// awaitWithin polls cond every 200 ms until it holds, and fails t if it does not within limit.
func awaitWithin(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s not reached within %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
