package localcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trackly/tune-integration/dev/samtemplate"
	"github.com/trackly/tune-integration/internal/backoff"
)

const (
	// defaultPollers is the number of pollers of a mapping without ScalingConfig.MaximumConcurrency.
	defaultPollers = 2
	// maxReceiveBatch is the most messages one ReceiveMessage returns.
	maxReceiveBatch = 10
	// pollRetryDelay is the pause after a failed ReceiveMessage.
	pollRetryDelay = time.Second
	// batchingPollInterval is how often a poller looks for more messages within the batching window.
	batchingPollInterval = 100 * time.Millisecond
)

// sqsMapping is an event source mapping: its pollers receive batches of messages from a queue,
// invoke the function with them, and delete the messages the function processed.
type sqsMapping struct {
	cloud    *Cloud
	fn       *function
	src      samtemplate.SQSEventSource
	client   *sqs.Client
	queueURL string
	// maxReceiveCount is the maxReceiveCount of the queue's redrive policy, or 0.
	maxReceiveCount int
	pollWait        time.Duration

	mu sync.Mutex
	// receives counts how often the mapping received each message in flight: goaws reports an
	// ApproximateReceiveCount of 1 on every receive.
	receives map[string]int
}

// run polls until ctx ends; the batch in flight when it ends is still processed.
func (m *sqsMapping) run(ctx context.Context) {
	log := m.cloud.log.With("function", m.fn.LogicalID, "event", m.src.Event)
	for ctx.Err() == nil {
		msgs, err := m.receive(ctx, m.pollWait, m.src.BatchSize)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("receive SQS messages", "error", err)
				_ = backoff.Sleep(ctx, pollRetryDelay)
			}
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		m.process(context.WithoutCancel(ctx), m.gather(ctx, msgs))
	}
}

// gather adds messages to a batch until it is full or the batching window ends.
func (m *sqsMapping) gather(ctx context.Context, msgs []types.Message) []types.Message {
	deadline := time.Now().Add(m.src.MaximumBatchingWindow)
	for len(msgs) < m.src.BatchSize && time.Now().Before(deadline) {
		more, err := m.receive(ctx, 0, m.src.BatchSize-len(msgs))
		if err != nil {
			break
		}
		msgs = append(msgs, more...)
		if len(more) == 0 && backoff.Sleep(ctx, min(batchingPollInterval, time.Until(deadline))) != nil {
			break
		}
	}
	return msgs
}

func (m *sqsMapping) receive(ctx context.Context, wait time.Duration, max int) ([]types.Message, error) {
	out, err := m.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(m.queueURL),
		MaxNumberOfMessages:         int32(min(max, maxReceiveBatch)),
		WaitTimeSeconds:             int32(wait / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, err
	}
	return out.Messages, nil
}

// process invokes the function with a batch and deletes the messages it processed. The others
// return to the queue when their visibility timeout ends.
func (m *sqsMapping) process(ctx context.Context, msgs []types.Message) {
	log := m.cloud.log.With("function", m.fn.LogicalID, "event", m.src.Event)
	event := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, msg := range msgs {
		event.Records = append(event.Records, m.record(msg))
	}
	payload, err := json.Marshal(event)
	if err != nil {
		log.Error("marshal SQS event", "error", err)
		return
	}
	out, err := m.cloud.invoke(ctx, m.fn, payload, lambdacontext.LambdaContext{})
	failed := map[string]bool{}
	if err == nil && m.src.ReportsBatchItemFailures() {
		if failed, err = batchItemFailures(out, event.Records); err != nil {
			log.Warn("invalid batch response, the whole batch failed", "error", err)
		}
	}
	if err != nil {
		for _, r := range event.Records {
			failed[r.MessageId] = true
		}
	}
	var done []types.DeleteMessageBatchRequestEntry
	for i, r := range event.Records {
		if failed[r.MessageId] {
			m.failed(r)
			continue
		}
		m.forget(r.MessageId)
		done = append(done, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r.ReceiptHandle)})
	}
	for start := 0; start < len(done); start += maxReceiveBatch {
		out, err := m.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
			QueueUrl: aws.String(m.queueURL),
			Entries:  done[start:min(start+maxReceiveBatch, len(done))],
		})
		if err == nil && len(out.Failed) > 0 {
			err = fmt.Errorf("%d messages not deleted: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
		if err != nil {
			log.Error("delete processed SQS messages", "error", err)
		}
	}
}

// batchItemFailures reads a partial batch response as Lambda does: an empty or null response or
// list means success, and an invalid response or an identifier that is not in the batch fails it all.
func batchItemFailures(out []byte, records []events.SQSMessage) (map[string]bool, error) {
	failed := map[string]bool{}
	if trimmed := bytes.TrimSpace(out); len(trimmed) == 0 || string(trimmed) == "null" {
		return failed, nil
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, err
	}
	inBatch := map[string]bool{}
	for _, r := range records {
		inBatch[r.MessageId] = true
	}
	for _, f := range resp.BatchItemFailures {
		if !inBatch[f.ItemIdentifier] {
			return nil, fmt.Errorf("itemIdentifier %q is not a message of the batch", f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}

// record converts a received message to the record Lambda delivers.
func (m *sqsMapping) record(msg types.Message) events.SQSMessage {
	r := events.SQSMessage{
		MessageId:              aws.ToString(msg.MessageId),
		ReceiptHandle:          aws.ToString(msg.ReceiptHandle),
		Body:                   aws.ToString(msg.Body),
		Md5OfBody:              aws.ToString(msg.MD5OfBody),
		Md5OfMessageAttributes: aws.ToString(msg.MD5OfMessageAttributes),
		Attributes:             make(map[string]string, len(msg.Attributes)),
		MessageAttributes:      make(map[string]events.SQSMessageAttribute, len(msg.MessageAttributes)),
		EventSourceARN:         m.src.QueueARN,
		EventSource:            "aws:sqs",
		AWSRegion:              m.cloud.template.Region,
	}
	for k, v := range msg.Attributes {
		r.Attributes[k] = v
	}
	reported, _ := strconv.Atoi(r.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	r.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)] = strconv.Itoa(m.received(r.MessageId, reported))
	for k, v := range msg.MessageAttributes {
		r.MessageAttributes[k] = events.SQSMessageAttribute{
			DataType:         aws.ToString(v.DataType),
			StringValue:      v.StringValue,
			BinaryValue:      v.BinaryValue,
			StringListValues: append([]string{}, v.StringListValues...),
			BinaryListValues: append([][]byte{}, v.BinaryListValues...),
		}
	}
	return r
}

// received counts a receive of a message and returns its receive count.
func (m *sqsMapping) received(id string, reported int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := max(m.receives[id]+1, reported)
	m.receives[id] = n
	return n
}

// failed forgets a failed message that the queue will now move to its dead-letter queue.
func (m *sqsMapping) failed(r events.SQSMessage) {
	count, _ := strconv.Atoi(r.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	if m.maxReceiveCount > 0 && count >= m.maxReceiveCount {
		m.forget(r.MessageId)
	}
}

func (m *sqsMapping) forget(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.receives, id)
}

// CountMessages returns how many messages the queue at queueURL holds in the given states: the sum
// of its approximate counts such as types.QueueAttributeNameApproximateNumberOfMessages (visible)
// and types.QueueAttributeNameApproximateNumberOfMessagesNotVisible (in flight).
func CountMessages(ctx context.Context, client *sqs.Client, queueURL string, states ...types.QueueAttributeName) (int, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: states})
	if err != nil {
		return 0, fmt.Errorf("count the messages of %s: %w", queueURL, err)
	}
	total := 0
	for _, v := range out.Attributes {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("count the messages of %s: %w", queueURL, err)
		}
		total += n
	}
	return total, nil
}
