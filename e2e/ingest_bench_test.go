package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/ids"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/postbacktoken"
	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
)

// ingestSenders is how many postbacks (or raw call pairs) are in flight at once.
const ingestSenders = 16

// BenchmarkPostbackIngest measures PostbackFunction's throughput against the
// raw AWS calls it must make, side by side in one run on the local cloud:
// b.N postbacks sent over HTTP, and b.N times the raw calls, each made
// directly on the same queue and table: SendMessage of the same message with
// the SDK, and the conditional PutItem of the same log entry through the
// store, as the handler writes it, the two at once as the handler makes them.
// (Its token check, kept for a minute, makes no call.) The two alternate in
// rounds, so that attribution, which consumes both's messages meanwhile,
// weighs on both alike. It reports postbacks/s, raw/s and their ratio; the
// goal is a ratio of at least 0.8.
func BenchmarkPostbackIngest(b *testing.B) {
	ctx := context.Background()
	// Batches are not delivered again while attribution works on them, as with
	// the template's timeout (the tests' 1 s would add redeliveries to the load).
	s := localruntest.Start(b, localrun.Options{VisibilityTimeout: 30 * time.Second})
	click := s.ClickID(b, s.Demo.LinkURL)
	token := s.PostbackToken(b)
	env := s.Cloud.FunctionEnv("PostbackFunction")
	raw := rawIngest{
		sqs: sqs.NewFromConfig(s.Cloud.AWSConfig()), queueURL: env["POSTBACK_QUEUE_URL"],
		log:   store.New(dynamodb.NewFromConfig(s.Cloud.AWSConfig()), store.TablesFromEnv(func(k string) string { return env[k] })),
		click: click, linkID: s.Demo.LinkID, integrationID: s.Demo.IntegrationID, token: token,
	}
	ours := func(i int) error {
		q := url.Values{"click_id": {click}, "payout": {"0.01"}, "conversion_id": {fmt.Sprintf("ingest-ours-%d", i)}, "token": {token}}
		res, err := s.HTTP.Get(s.Cloud.HTTPURL() + "/api/postbacks/tune?" + q.Encode())
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("postback %d: status %d", i, res.StatusCode)
		}
		return nil
	}
	rawCalls := func(i int) error { return raw.ingest(ctx, i) }

	// Warm up both: connections, the handler's token cache, the tables' first writes.
	if _, err := inFlight(-100, 0, ours); err != nil {
		b.Fatal(err)
	}
	if _, err := inFlight(-100, 0, rawCalls); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var oursTime, rawTime time.Duration
	rounds := min(4, b.N)
	for r := range rounds {
		from, to := r*b.N/rounds, (r+1)*b.N/rounds
		sides := []struct {
			op    func(int) error
			total *time.Duration
		}{{ours, &oursTime}, {rawCalls, &rawTime}}
		if r%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			d, err := inFlight(from, to, side.op)
			if err != nil {
				b.Fatal(err)
			}
			*side.total += d
		}
	}
	b.StopTimer()
	oursRate, rawRate := float64(b.N)/oursTime.Seconds(), float64(b.N)/rawTime.Seconds()
	b.ReportMetric(oursRate, "postbacks/s")
	b.ReportMetric(rawRate, "raw/s")
	b.ReportMetric(oursRate/rawRate, "ratio")
}

// inFlight runs op for each i from from to to (excluded), ingestSenders at a
// time, and returns how long that took and the first error.
func inFlight(from, to int, op func(i int) error) (time.Duration, error) {
	var (
		next     atomic.Int64
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	next.Store(int64(from))
	start := time.Now()
	for range ingestSenders {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(to); i = next.Add(1) - 1 {
				if err := op(int(i)); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// rawIngest makes the AWS calls PostbackFunction makes for an accepted
// postback, directly.
type rawIngest struct {
	sqs                          *sqs.Client
	queueURL                     string
	log                          *store.Store
	click, linkID, integrationID string
	token                        string
}

// ingest sends the message of postback i and writes its log entry, the two at once.
func (r rawIngest) ingest(ctx context.Context, i int) error {
	now := time.Now().UTC()
	id := ids.New("pb_", 16)
	conversionID := fmt.Sprintf("ingest-raw-%d", i)
	payout, err := money.Parse("0.01")
	if err != nil {
		return err
	}
	body, err := json.Marshal(postbacks.Message{
		PostbackID: id, ReceivedAt: now, ClickID: r.click, LinkID: r.linkID, ConversionID: conversionID, GoalID: "0",
		Payout: &payout, Status: trackly.StatusApproved, TokenPresent: true, TokenOwner: r.integrationID,
	})
	if err != nil {
		return err
	}
	params := map[string]string{"click_id": r.click, "conversion_id": conversionID, "payout": "0.01", "token": postbacktoken.Mask(r.token)}
	query := url.Values{}
	for k, v := range params {
		query.Set(k, v)
	}
	entry := trackly.PostbackLogEntry{
		PostbackID: id, ReceivedAt: now, Method: http.MethodGet, Query: query.Encode(), Params: params,
		SourceIP: "127.0.0.1:50000", UserAgent: "Go-http-client/1.1", Outcome: trackly.PostbackAccepted,
		HTTPStatus: http.StatusOK, UpdatedAt: now,
	}
	put := make(chan error, 1)
	go func() { put <- r.log.LogPostback(ctx, entry) }()
	_, sendErr := r.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(r.queueURL), MessageBody: aws.String(string(body))})
	if err := <-put; err != nil {
		return fmt.Errorf("put log entry %d: %w", i, err)
	}
	if sendErr != nil {
		return fmt.Errorf("send message %d: %w", i, sendErr)
	}
	return nil
}
