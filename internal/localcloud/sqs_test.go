package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"

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
	out, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)] == "0" &&
		out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)] == "0"
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
	c := startCloud(t, map[string]Factory{"WorkerFunction": static(w.handler())}, nil)
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
	for _, tc := range []struct {
		out     string
		failed  []string
		invalid bool
	}{
		{out: ``},
		{out: `null`},
		{out: `{}`},
		{out: `{"batchItemFailures":null}`},
		{out: `{"batchItemFailures":[]}`},
		{out: `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, failed: []string{"b"}},
		{out: `{"batchItemFailures":[{"itemIdentifier":""}]}`, invalid: true},
		{out: `{"batchItemFailures":[{"id":"a"}]}`, invalid: true},
		{out: `{"batchItemFailures":[{"itemIdentifier":"zzz"}]}`, invalid: true},
		{out: `"ok"`, invalid: true},
	} {
		failed, err := batchItemFailures([]byte(tc.out), records)
		if tc.invalid {
			if err == nil {
				t.Errorf("batchItemFailures(%s) accepted an invalid response", tc.out)
			}
			continue
		}
		if err != nil || !slices.Equal(slices.Sorted(maps.Keys(failed)), tc.failed) {
			t.Errorf("batchItemFailures(%s) = %v, %v; want %v", tc.out, failed, err, tc.failed)
		}
	}
}
