package localcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// worker records the SQS records it receives and answers with decide's batch item failures.
type worker struct {
	mu      sync.Mutex
	records []events.SQSMessage
	decide  func(r events.SQSMessage) (fail bool)
	// failBatch makes the handler fail whole batches that hold a record with this body.
	failBatch string
}

func (w *worker) handler() lambda.Handler {
	return lambda.NewHandler(func(_ context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		var resp events.SQSEventResponse
		for _, r := range e.Records {
			w.records = append(w.records, r)
			if r.Body == w.failBatch {
				return resp, errors.New("poison message")
			}
			if w.decide != nil && w.decide(r) {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	})
}

// received returns the records received with a body.
func (w *worker) received(body string) []events.SQSMessage {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []events.SQSMessage
	for _, r := range w.records {
		if r.Body == body {
			out = append(out, r)
		}
	}
	return out
}

func send(t *testing.T, client *sqs.Client, queueURL string, bodies ...string) {
	t.Helper()
	for _, body := range bodies {
		if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
}

// queueEmpty tells whether a queue has no messages, visible or in flight.
func queueEmpty(t *testing.T, client *sqs.Client, queueURL string) bool {
	t.Helper()
	n, err := CountMessages(context.Background(), client, queueURL,
		types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
	if err != nil {
		t.Fatal(err)
	}
	return n == 0
}

func TestSQSBatch(t *testing.T) {
	w := &worker{}
	c := startCloud(t, map[string]Factory{"WorkerFunction": static(w.handler())}, nil)
	client := sqs.NewFromConfig(c.AWSConfig())
	queueURL := c.QueueURL("WorkQueue")
	_, err := client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{
		QueueUrl: aws.String(queueURL),
		Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("1"), MessageBody: aws.String("one"), MessageAttributes: map[string]types.MessageAttributeValue{
				"source": {DataType: aws.String("String"), StringValue: aws.String("tune")},
			}},
			{Id: aws.String("2"), MessageBody: aws.String("two")},
			{Id: aws.String("3"), MessageBody: aws.String("three")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the messages to be processed", func() bool {
		return len(w.received("one")) == 1 && len(w.received("two")) == 1 && len(w.received("three")) == 1
	})
	eventually(t, "the processed messages to be deleted", func() bool { return queueEmpty(t, client, queueURL) })

	r := w.received("one")[0]
	if r.EventSource != "aws:sqs" || r.EventSourceARN != c.Template().Queues["WorkQueue"].ARN || r.AWSRegion != "us-east-1" {
		t.Errorf("record source = %s %s %s", r.EventSource, r.EventSourceARN, r.AWSRegion)
	}
	if r.MessageId == "" || r.ReceiptHandle == "" || r.Md5OfBody != "f97c5d29941bfb1b2fdab0874906ab82" {
		t.Errorf("record identity = %q %q %q", r.MessageId, r.ReceiptHandle, r.Md5OfBody)
	}
	for _, attr := range []string{"ApproximateReceiveCount", "SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId"} {
		if r.Attributes[attr] == "" {
			t.Errorf("attribute %s missing from %v", attr, r.Attributes)
		}
	}
	if r.Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("ApproximateReceiveCount = %q", r.Attributes["ApproximateReceiveCount"])
	}
	if got := r.MessageAttributes["source"]; got.DataType != "String" || aws.ToString(got.StringValue) != "tune" {
		t.Errorf("message attribute source = %+v", got)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"messageId", "receiptHandle", "body", "md5OfBody", "attributes", "messageAttributes", "eventSource", "eventSourceARN", "awsRegion"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("record has no %s", k)
		}
	}
}

func TestSQSPartialBatchFailure(t *testing.T) {
	w := &worker{decide: func(r events.SQSMessage) bool {
		return r.Body == "flaky" && r.Attributes["ApproximateReceiveCount"] == "1"
	}}
	// The steady message must be deleted within the visibility timeout of its receipt, or SQS
	// delivers it again (and goaws then refuses the stale receipt's delete): 3 s rather than the
	// tests' usual 1 s, which a busy machine can spend between a receipt and its delete.
	c := startCloud(t, map[string]Factory{"WorkerFunction": static(w.handler())}, func(o *Options) { o.VisibilityTimeout = 3 * time.Second })
	client := sqs.NewFromConfig(c.AWSConfig())
	queueURL := c.QueueURL("WorkQueue")
	send(t, client, queueURL, "steady", "flaky")

	eventually(t, "the flaky message to be redelivered", func() bool { return len(w.received("flaky")) == 2 })
	eventually(t, "the queue to be empty", func() bool { return queueEmpty(t, client, queueURL) })
	if got := w.received("steady"); len(got) != 1 {
		t.Errorf("the steady message was delivered %d times", len(got))
	}
	flaky := w.received("flaky")
	if counts := []string{flaky[0].Attributes["ApproximateReceiveCount"], flaky[1].Attributes["ApproximateReceiveCount"]}; !slices.Equal(counts, []string{"1", "2"}) {
		t.Errorf("receive counts of the flaky message = %v", counts)
	}
	if flaky[0].MessageId != flaky[1].MessageId {
		t.Error("the redelivered message has another ID")
	}
}

func TestSQSDeadLetterQueue(t *testing.T) {
	w := &worker{failBatch: "poison"}
	c := startCloud(t, map[string]Factory{"WorkerFunction": static(w.handler())}, nil)
	client := sqs.NewFromConfig(c.AWSConfig())
	send(t, client, c.QueueURL("WorkQueue"), "poison")

	var dead []types.Message
	eventually(t, "the poison message in the dead-letter queue", func() bool {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl:        aws.String(c.QueueURL("WorkDeadLetterQueue")),
			WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		dead = out.Messages
		return len(dead) > 0
	})
	if len(dead) != 1 || aws.ToString(dead[0].Body) != "poison" {
		t.Fatalf("dead-letter queue holds %v", dead)
	}
	deliveries := w.received("poison")
	maxReceiveCount := c.Template().Queues["WorkQueue"].RedrivePolicy.MaxReceiveCount
	if len(deliveries) != maxReceiveCount {
		t.Errorf("the poison message was delivered %d times, want maxReceiveCount %d", len(deliveries), maxReceiveCount)
	}
	for i, d := range deliveries {
		if got := d.Attributes["ApproximateReceiveCount"]; got != strconv.Itoa(i+1) {
			t.Errorf("delivery %d: ApproximateReceiveCount = %s", i+1, got)
		}
	}
	if queueEmpty(t, client, c.QueueURL("WorkQueue")) != true {
		t.Error("the poison message is still in the source queue")
	}
}

func TestBatchItemFailures(t *testing.T) {
	records := []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}}
	checkFailureResponses(t, "batchItemFailures", func(out []byte) ([]string, error) {
		failed, err := batchItemFailures(out, records)
		return slices.Sorted(maps.Keys(failed)), err
	}, slices.Equal, nil, []failureCase[[]string]{
		{out: `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, want: []string{"b"}},
		{out: `{"batchItemFailures":[{"itemIdentifier":""}]}`, invalid: true},
		{out: `{"batchItemFailures":[{"id":"a"}]}`, invalid: true},
		{out: `{"batchItemFailures":[{"itemIdentifier":"zzz"}]}`, invalid: true},
	})
}

// failureCase is a response of a batch's function and what the function that reads its
// batchItemFailures should make of it: want, or an error if invalid.
type failureCase[W any] struct {
	out     string
	want    W
	invalid bool
}

// checkFailureResponses checks that parse (named name) reads each case as it wants, and reads
// the responses that report no failure (empty, null, no list, an empty list) as none and
// refuses a response that is not an object.
func checkFailureResponses[W any](t *testing.T, name string, parse func([]byte) (W, error), equal func(W, W) bool, none W, cases []failureCase[W]) {
	t.Helper()
	for _, out := range []string{``, `null`, `{}`, `{"batchItemFailures":null}`, `{"batchItemFailures":[]}`} {
		cases = append(cases, failureCase[W]{out: out, want: none})
	}
	cases = append(cases, failureCase[W]{out: `"ok"`, invalid: true})
	for _, tc := range cases {
		got, err := parse([]byte(tc.out))
		if tc.invalid {
			if err == nil {
				t.Errorf("%s(%s) accepted an invalid response", name, tc.out)
			}
			continue
		}
		if err != nil || !equal(got, tc.want) {
			t.Errorf("%s(%s) = %v, %v; want %v", name, tc.out, got, err, tc.want)
		}
	}
}

// lossyEndpoint serves SQS from an emulator of its own and loses every lossEvery-th ReceiveMessage
// answer that carries messages, one at most per call, after goaws has put the messages in flight:
// the connection breaks under a 200 answer, as it did now and then under the pollers (see
// sqsEmulator.receive), and the SDK retries the call.
type lossyEndpoint struct {
	*httptest.Server
	t         *testing.T
	emulator  *sqsEmulator
	lossEvery int

	mu      sync.Mutex
	answers int             // ReceiveMessage answers that carried messages
	lost    map[string]bool // invocation IDs of the calls whose answer was lost
}

func newLossyEndpoint(t *testing.T, lossEvery int) *lossyEndpoint {
	e := &lossyEndpoint{t: t, lossEvery: lossEvery, lost: map[string]bool{}}
	e.Server = httptest.NewUnstartedServer(e)
	e.emulator = newSQSEmulator("us-east-1", "000000000000", "http://"+e.Listener.Addr().String())
	e.Start()
	t.Cleanup(e.Close)
	return e
}

func (e *lossyEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != sqsTargetPrefix+"ReceiveMessage" {
		e.emulator.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	e.emulator.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if !e.lose(r.Header.Get(invocationIDHeader), body) {
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		e.t.Errorf("hijack the connection of a ReceiveMessage answer: %v", err)
		return
	}
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", rec.Header().Get("Content-Type"), len(body))
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
	// A reset, not an end of file: the SDK retries a call whose connection was reset.
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// lose tells whether to lose the answer to a call.
func (e *lossyEndpoint) lose(call string, answer []byte) bool {
	var result struct{ Messages []json.RawMessage }
	if call == "" || json.Unmarshal(answer, &result) != nil || len(result.Messages) == 0 {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lost[call] {
		return false
	}
	e.answers++
	if e.answers%e.lossEvery != 0 {
		return false
	}
	e.lost[call] = true
	return true
}

func (e *lossyEndpoint) lostAnswers() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.lost)
}

// TestSQSLostReceiveAnswers sends a burst of messages from several goroutines to a queue whose
// visibility timeout is long, while some ReceiveMessage answers are lost on their way to the pollers.
// Every message must be processed once, and the queue must be empty long before the visibility
// timeout: no message may wait it out although its function succeeded.
func TestSQSLostReceiveAnswers(t *testing.T) {
	const (
		senders   = 8
		sendBatch = 10 // SendMessageBatch's limit
		// deadline is far below the queue's visibility timeout of 5 minutes.
		deadline = 90 * time.Second
	)
	messages := 4000
	if testing.Short() {
		messages = 1000
	}
	endpoint := newLossyEndpoint(t, 20)
	t.Setenv("AWS_REGION", "us-east-1")
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_ENDPOINT_URL_SQS", endpoint.URL)
	// The template has no tables: a DynamoDB endpoint that nothing calls keeps the Cloud from starting one.
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://dynamodb.invalid")

	var mu sync.Mutex
	deliveries := map[string]int{} // by message body
	consumer := handlerFunc(func(_ context.Context, payload []byte) ([]byte, error) {
		var e events.SQSEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range e.Records {
			deliveries[r.Body]++
		}
		return nil, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c, err := Start(ctx, Options{
		TemplatePath: "testdata/burst.yaml",
		Functions:    map[string]Factory{"BurstFunction": static(consumer)},
		Logger:       slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	client := sqs.NewFromConfig(c.AWSConfig())
	queueURL := c.QueueURL("BurstQueue")
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		// goaws outlives the test; the next run of it creates the queue anew.
		if _, err := client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(queueURL)}); err != nil {
			t.Errorf("delete the queue: %v", err)
		}
	})

	start := time.Now()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			// Sender s sends the batches s, s+senders, s+2*senders…
			for first := s * sendBatch; first < messages; first += senders * sendBatch {
				in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL)}
				for i := first; i < min(first+sendBatch, messages); i++ {
					id := strconv.Itoa(i)
					in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(id)})
				}
				out, err := client.SendMessageBatch(context.Background(), in)
				if err == nil && len(out.Failed) > 0 {
					err = fmt.Errorf("%d messages not sent", len(out.Failed))
				}
				if err != nil {
					t.Errorf("send messages from %d: %v", first, err)
					return
				}
			}
		})
	}
	wg.Wait()
	sent := time.Since(start)
	if t.Failed() {
		return
	}
	processed := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(deliveries)
	}
	for processed() < messages || !queueEmpty(t, client, queueURL) {
		if time.Since(start) > deadline {
			t.Fatalf("after %v, %d of %d messages were processed and the queue is not empty; %d ReceiveMessage answers were lost",
				deadline, processed(), messages, endpoint.lostAnswers())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d messages sent in %v and processed in %v; %d ReceiveMessage answers were lost",
		messages, sent.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), endpoint.lostAnswers())
	if endpoint.lostAnswers() == 0 {
		t.Error("no ReceiveMessage answer was lost")
	}
	mu.Lock()
	defer mu.Unlock()
	for body, n := range deliveries {
		if n != 1 {
			t.Errorf("message %s was delivered %d times", body, n)
		}
	}
}

// sqsCall sends h an SQS request of the JSON protocol as an attempt of the SDK call with invocation ID
// call, and decodes the answer into out unless out is nil.
func sqsCall(t *testing.T, h http.Handler, action, call string, in, out any) {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", sqsTargetPrefix+action)
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set(invocationIDHeader, call)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", action, w.Code, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatalf("%s answer %s: %v", action, w.Body, err)
		}
	}
}

// TestSQSReceiveRetry checks how the emulator answers a retry of a ReceiveMessage call: with the
// messages of the call's earlier answer while they are in flight under its receipt handles, and as a
// new call once they are not.
func TestSQSReceiveRetry(t *testing.T) {
	e := newSQSEmulator("us-east-1", "000000000000", "http://sqs.test")
	name := "Retry-" + randomHex(4)
	queueURL := "http://sqs.test/000000000000/" + name
	sqsCall(t, e, "CreateQueue", "create", map[string]any{"QueueName": name, "Attributes": map[string]string{"VisibilityTimeout": "1"}}, nil)
	t.Cleanup(func() { sqsCall(t, e, "DeleteQueue", "delete", map[string]string{"QueueUrl": queueURL}, nil) })
	sqsCall(t, e, "SendMessage", "send", map[string]string{"QueueUrl": queueURL, "MessageBody": "x"}, nil)
	receive := func(call string) []types.Message {
		var out sqs.ReceiveMessageOutput
		sqsCall(t, e, "ReceiveMessage", call, map[string]any{"QueueUrl": queueURL, "MaxNumberOfMessages": 10}, &out)
		return out.Messages
	}

	first := receive("lost")
	if len(first) != 1 {
		t.Fatalf("ReceiveMessage = %d messages, want 1", len(first))
	}
	if got := receive("other"); len(got) != 0 {
		t.Errorf("another call received %d messages in flight", len(got))
	}
	if got := receive("lost"); len(got) != 1 || aws.ToString(got[0].ReceiptHandle) != aws.ToString(first[0].ReceiptHandle) {
		t.Errorf("the retry received %+v, want the message of the lost answer", got)
	}
	var again []types.Message
	eventually(t, "the message to come back after its visibility timeout", func() bool {
		again = receive("lost")
		return len(again) == 1 && aws.ToString(again[0].ReceiptHandle) != aws.ToString(first[0].ReceiptHandle)
	})
	if aws.ToString(again[0].MessageId) != aws.ToString(first[0].MessageId) {
		t.Errorf("received message %s, want %s", aws.ToString(again[0].MessageId), aws.ToString(first[0].MessageId))
	}
}
