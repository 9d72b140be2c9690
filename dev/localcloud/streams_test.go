package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trackly/tune-integration/dev/samtemplate"
)

// streamsTemplate has tables with streams and the functions that consume them.
const streamsTemplate = "testdata/streams.yaml"

var streamFunctions = []string{"ChangesFunction", "InsertsFunction", "BisectFunction"}

func startStreamsCloud(t *testing.T, factories map[string]Factory, configure func(*Options)) *Cloud {
	t.Helper()
	return startTemplateCloud(t, streamsTemplate, streamFunctions, factories, configure)
}

// delivery is an invocation of a consumer: its payload, its records, and whether it failed.
type delivery struct {
	payload []byte
	records []events.DynamoDBEventRecord
	failed  bool
}

// consumer records the batches of stream records it gets and answers with respond's response.
type consumer struct {
	mu         sync.Mutex
	deliveries []delivery
	// respond answers a batch; nil answers success. It runs with the consumer locked.
	respond func(records []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error)
}

func (c *consumer) factory() Factory {
	return static(handlerFunc(func(_ context.Context, payload []byte) ([]byte, error) {
		var e events.DynamoDBEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		var resp events.DynamoDBEventResponse
		var err error
		if c.respond != nil {
			resp, err = c.respond(e.Records)
		}
		c.deliveries = append(c.deliveries, delivery{payload: payload, records: e.Records, failed: err != nil || len(resp.BatchItemFailures) > 0})
		if err != nil {
			return nil, err
		}
		return json.Marshal(resp)
	}))
}

func (c *consumer) all() []delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.deliveries)
}

// records returns the records delivered, in order.
func (c *consumer) records() []events.DynamoDBEventRecord {
	var out []events.DynamoDBEventRecord
	for _, d := range c.all() {
		out = append(out, d.records...)
	}
	return out
}

// delivered tells whether a record of the item with key pk was delivered.
func (c *consumer) delivered(pk string) bool {
	return slices.ContainsFunc(c.records(), func(r events.DynamoDBEventRecord) bool { return key(r) == pk })
}

// processed tells whether a record of the item with key pk was delivered in a batch that succeeded.
func (c *consumer) processed(pk string) bool {
	return slices.ContainsFunc(c.all(), func(d delivery) bool { return !d.failed && hasKey(d.records, pk) })
}

func key(r events.DynamoDBEventRecord) string { return r.Change.Keys["pk"].String() }

func seqs(records []events.DynamoDBEventRecord) []string {
	var out []string
	for _, r := range records {
		out = append(out, r.Change.SequenceNumber)
	}
	return out
}

func hasKey(records []events.DynamoDBEventRecord, pk string) bool {
	return slices.ContainsFunc(records, func(r events.DynamoDBEventRecord) bool { return key(r) == pk })
}

func item(pk string, v int) map[string]dynamodbtypes.AttributeValue {
	return map[string]dynamodbtypes.AttributeValue{
		"pk": &dynamodbtypes.AttributeValueMemberS{Value: pk},
		"v":  &dynamodbtypes.AttributeValueMemberN{Value: strconv.Itoa(v)},
	}
}

func put(t *testing.T, client *dynamodb.Client, table, pk string, v int) {
	t.Helper()
	if _, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item(pk, v)}); err != nil {
		t.Error(err)
	}
}

// putTogether writes items in one transaction, so that their records are read together.
func putTogether(t *testing.T, client *dynamodb.Client, table string, pks ...string) {
	t.Helper()
	in := &dynamodb.TransactWriteItemsInput{}
	for _, pk := range pks {
		in.TransactItems = append(in.TransactItems, dynamodbtypes.TransactWriteItem{Put: &dynamodbtypes.Put{TableName: aws.String(table), Item: item(pk, 0)}})
	}
	if _, err := client.TransactWriteItems(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// deliverPastFailure has w consume ChangesTable's stream while the items pks are written in one
// transaction and then the item last, until last is processed. It returns w's deliveries and the
// index of the first that failed, and fails t unless another delivery came after that one.
func deliverPastFailure(t *testing.T, w *consumer, last string, pks ...string) (all []delivery, failed int) {
	t.Helper()
	c := startStreamsCloud(t, map[string]Factory{"ChangesFunction": w.factory()}, nil)
	ddb := dynamodb.NewFromConfig(c.AWSConfig())
	putTogether(t, ddb, c.TableName("ChangesTable"), pks...)
	put(t, ddb, c.TableName("ChangesTable"), last, 0)
	eventually(t, "the last record to be processed", func() bool { return w.processed(last) })
	all = w.all()
	failed = slices.IndexFunc(all, func(d delivery) bool { return d.failed })
	if failed < 0 || failed+1 >= len(all) {
		t.Fatalf("no delivery after the failure: %d deliveries", len(all))
	}
	return all, failed
}

// failsOnPoison returns a consumer that fails every batch that holds the item "poison".
func failsOnPoison() *consumer {
	return &consumer{respond: func(records []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		if hasKey(records, "poison") {
			return events.DynamoDBEventResponse{}, errors.New("poison")
		}
		return events.DynamoDBEventResponse{}, nil
	}}
}

// awaitFailedBatches waits until the OnFailure queue holds what (a batch it describes) and returns
// the messages received by then.
func awaitFailedBatches(t *testing.T, c *Cloud, what string) []streamFailure {
	t.Helper()
	var failures []streamFailure
	eventually(t, what+" in the OnFailure queue", func() bool {
		failures = append(failures, failedBatches(t, c)...)
		return len(failures) > 0
	})
	return failures
}

// failedBatches returns the messages of the OnFailure queue.
func failedBatches(t *testing.T, c *Cloud) []streamFailure {
	t.Helper()
	out, err := sqs.NewFromConfig(c.AWSConfig()).ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(c.QueueURL("FailedBatchesQueue")),
		MaxNumberOfMessages: 10,
		WaitTimeSeconds:     1,
	})
	if err != nil {
		t.Fatal(err)
	}
	var failures []streamFailure
	for _, m := range out.Messages {
		var f streamFailure
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &f); err != nil {
			t.Fatalf("OnFailure message %s: %v", aws.ToString(m.Body), err)
		}
		failures = append(failures, f)
	}
	return failures
}

func TestStreamDeliversEachChangeOnceInOrder(t *testing.T) {
	w := &consumer{}
	c := startStreamsCloud(t, map[string]Factory{"ChangesFunction": w.factory()}, nil)
	ddb := dynamodb.NewFromConfig(c.AWSConfig())
	table := c.TableName("ChangesTable")
	const writers, items, versions = 3, 3, 4
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for v := range versions {
				for i := range items {
					put(t, ddb, table, fmt.Sprintf("w%d-i%d", g, i), v)
				}
			}
		})
	}
	wg.Wait()
	const total = writers * items * versions
	eventually(t, "every change to be delivered", func() bool { return len(w.records()) >= total })

	records := w.records()
	if len(records) != total {
		t.Errorf("%d records delivered, want %d", len(records), total)
	}
	streamARN := c.Template().Tables["ChangesTable"].StreamARN
	if streamARN == "" || c.FunctionEnv("ChangesFunction")["CHANGES_STREAM"] != streamARN {
		t.Errorf("stream ARN %q, CHANGES_STREAM %q", streamARN, c.FunctionEnv("ChangesFunction")["CHANGES_STREAM"])
	}
	ids := map[string]bool{}
	versionsOf := map[string][]int{}
	var last *big.Int
	for _, r := range records {
		if ids[r.EventID] {
			t.Errorf("event %s delivered twice", r.EventID)
		}
		ids[r.EventID] = true
		seq, ok := new(big.Int).SetString(r.Change.SequenceNumber, 10)
		if !ok || (last != nil && seq.Cmp(last) <= 0) {
			t.Errorf("sequence number %s after %v", r.Change.SequenceNumber, last)
		}
		last = seq
		v, err := strconv.Atoi(r.Change.NewImage["v"].Number())
		if err != nil {
			t.Fatal(err)
		}
		pk := key(r)
		wantName, wantOld := "MODIFY", strconv.Itoa(v-1)
		if v == 0 {
			wantName, wantOld = "INSERT", ""
		}
		if old, ok := r.Change.OldImage["v"]; r.EventName != wantName || (ok && old.Number() != wantOld) || ok != (v > 0) {
			t.Errorf("%s version %d: %s with old image %v", pk, v, r.EventName, r.Change.OldImage)
		}
		versionsOf[pk] = append(versionsOf[pk], v)
		if r.EventSource != "aws:dynamodb" || r.AWSRegion != "us-east-1" || r.EventVersion != "1.1" || r.EventSourceArn != streamARN {
			t.Errorf("record source %s %s %s %s", r.EventSource, r.AWSRegion, r.EventVersion, r.EventSourceArn)
		}
		if r.Change.StreamViewType != "NEW_AND_OLD_IMAGES" || r.Change.SizeBytes <= 0 || r.Change.ApproximateCreationDateTime.IsZero() {
			t.Errorf("record %+v", r.Change)
		}
	}
	for pk, got := range versionsOf {
		if want := []int{0, 1, 2, 3}; !slices.Equal(got, want) {
			t.Errorf("versions of %s delivered as %v, want %v", pk, got, want)
		}
	}
	for _, d := range w.all() {
		if len(d.records) == 0 || len(d.records) > 10 {
			t.Errorf("a batch of %d records, BatchSize is 10", len(d.records))
		}
	}

	// The payload has the fields Lambda sends.
	var raw struct {
		Records []map[string]json.RawMessage
	}
	if err := json.Unmarshal(w.all()[0].payload, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb", "eventSourceARN"} {
		if _, ok := raw.Records[0][k]; !ok {
			t.Errorf("record has no %s: %s", k, w.all()[0].payload)
		}
	}
	var change map[string]any
	if err := json.Unmarshal(raw.Records[0]["dynamodb"], &change); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ApproximateCreationDateTime", "Keys", "NewImage", "SequenceNumber", "SizeBytes", "StreamViewType"} {
		if _, ok := change[k]; !ok {
			t.Errorf("dynamodb has no %s: %v", k, change)
		}
	}
	if _, ok := change["ApproximateCreationDateTime"].(float64); !ok {
		t.Errorf("ApproximateCreationDateTime = %v, want epoch seconds", change["ApproximateCreationDateTime"])
	}

	// DynamoDB Streams clients reach DynamoDB Local through the Cloud's endpoint.
	out, err := dynamodbstreams.NewFromConfig(c.AWSConfig()).DescribeStream(context.Background(), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.StreamDescription.Shards) == 0 || aws.ToString(out.StreamDescription.TableName) != table {
		t.Errorf("DescribeStream = %+v", out.StreamDescription)
	}
}

func TestStreamPartialBatchFailure(t *testing.T) {
	failed := false
	w := &consumer{respond: func(records []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		for _, r := range records {
			if key(r) == "flaky" && !failed {
				failed = true
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			}
		}
		return resp, nil
	}}
	all, i := deliverPastFailure(t, w, "d", "a", "b", "flaky", "c")
	failedBatch := all[i].records
	at := slices.IndexFunc(failedBatch, func(r events.DynamoDBEventRecord) bool { return key(r) == "flaky" })
	if at == 0 {
		t.Fatalf("the transaction's records were not delivered together: %v", seqs(failedBatch))
	}
	if got, want := seqs(all[i+1].records), seqs(failedBatch[at:]); !slices.Equal(got, want) {
		t.Errorf("the redelivery holds %v, want the failed record and those after it in the batch, %v", got, want)
	}
	count := map[string]int{}
	for _, r := range w.records() {
		count[key(r)]++
	}
	// The records before the failed one were processed once; it and those after it in its batch
	// were delivered again.
	want := map[string]int{"a": 1, "b": 1, "flaky": 2, "c": 2, "d": 1}
	if hasKey(failedBatch, "d") {
		want["d"] = 2
	}
	for pk, n := range want {
		if count[pk] != n {
			t.Errorf("%s delivered %d times, want %d (deliveries %v)", pk, count[pk], n, count)
		}
	}
}

func TestStreamFunctionErrorRetries(t *testing.T) {
	failed := false
	w := &consumer{respond: func(records []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		if hasKey(records, "boom") && !failed {
			failed = true
			return events.DynamoDBEventResponse{}, errors.New("boom")
		}
		return events.DynamoDBEventResponse{}, nil
	}}
	all, i := deliverPastFailure(t, w, "c", "a", "boom", "b")
	if got, want := seqs(all[i+1].records), seqs(all[i].records); !slices.Equal(got, want) {
		t.Errorf("the retry holds %v, want the failed batch %v", got, want)
	}
	for _, d := range all[:i] {
		if hasKey(d.records, "a") || hasKey(d.records, "boom") {
			t.Errorf("records of the failed batch were delivered before it: %v", seqs(d.records))
		}
	}
}

func TestStreamRetriesExhaustedGoToOnFailure(t *testing.T) {
	w := failsOnPoison()
	c := startStreamsCloud(t, map[string]Factory{"ChangesFunction": w.factory()}, nil)
	ddb := dynamodb.NewFromConfig(c.AWSConfig())
	putTogether(t, ddb, c.TableName("ChangesTable"), "a", "poison", "b")
	failures := awaitFailedBatches(t, c, "the failed batch")
	put(t, ddb, c.TableName("ChangesTable"), "after", 0)
	eventually(t, "the record after the discarded batch to be delivered", func() bool { return w.delivered("after") })

	var poisoned []delivery
	for _, d := range w.all() {
		if hasKey(d.records, "poison") {
			poisoned = append(poisoned, d)
		}
	}
	// MaximumRetryAttempts is 2: the batch is invoked once and retried twice.
	if len(poisoned) != 3 {
		t.Fatalf("the poisoned batch was delivered %d times, want 3", len(poisoned))
	}
	for _, d := range poisoned[1:] {
		if !slices.Equal(seqs(d.records), seqs(poisoned[0].records)) {
			t.Errorf("retry %v differs from the batch %v", seqs(d.records), seqs(poisoned[0].records))
		}
	}
	if len(failures) != 1 {
		t.Fatalf("%d messages in the OnFailure queue, want 1", len(failures))
	}
	f, batch := failures[0], poisoned[0].records
	b := f.BatchInfo
	if f.RequestContext.Condition != "RetryAttemptsExhausted" || f.RequestContext.ApproximateInvokeCount != 3 ||
		f.RequestContext.FunctionARN != "arn:aws:lambda:us-east-1:000000000000:function:ChangesFunction" || f.RequestContext.RequestID == "" {
		t.Errorf("requestContext = %+v", f.RequestContext)
	}
	if f.ResponseContext.StatusCode != 200 || f.ResponseContext.FunctionError != "Unhandled" || f.ResponseContext.ExecutedVersion != "$LATEST" || f.Version != "1.0" {
		t.Errorf("responseContext = %+v, version %s", f.ResponseContext, f.Version)
	}
	if b.StartSequenceNumber != batch[0].Change.SequenceNumber || b.EndSequenceNumber != batch[len(batch)-1].Change.SequenceNumber ||
		b.BatchSize != len(batch) || b.StreamARN != c.Template().Tables["ChangesTable"].StreamARN || b.ShardID == "" {
		t.Errorf("DDBStreamBatchInfo = %+v for the batch %v", b, seqs(batch))
	}
	if _, err := time.Parse(time.RFC3339, b.ApproximateArrivalOfFirstRecord); err != nil {
		t.Errorf("approximateArrivalOfFirstRecord: %v", err)
	}
}

func TestStreamBisectsFailedBatches(t *testing.T) {
	w := failsOnPoison()
	c := startStreamsCloud(t, map[string]Factory{"BisectFunction": w.factory()}, nil)
	ddb := dynamodb.NewFromConfig(c.AWSConfig())
	pks := []string{"a", "b", "c", "d", "e", "poison", "f", "g"}
	putTogether(t, ddb, c.TableName("BisectTable"), pks...)
	failures := awaitFailedBatches(t, c, "the poison record")
	eventually(t, "the records after the poison to be processed", func() bool {
		return slices.ContainsFunc(w.all(), func(d delivery) bool { return !d.failed && hasKey(d.records, "g") })
	})

	processed := map[string]int{}
	poisoned := 0
	for _, d := range w.all() {
		if d.failed {
			poisoned++
			continue
		}
		for _, r := range d.records {
			processed[key(r)]++
		}
	}
	for _, pk := range pks {
		if want := map[bool]int{true: 0, false: 1}[pk == "poison"]; processed[pk] != want {
			t.Errorf("%s processed %d times, want %d", pk, processed[pk], want)
		}
	}
	if len(failures) != 1 {
		t.Fatalf("%d messages in the OnFailure queue, want 1", len(failures))
	}
	b := failures[0].BatchInfo
	if b.BatchSize != 1 || b.StartSequenceNumber != b.EndSequenceNumber || failures[0].RequestContext.ApproximateInvokeCount != poisoned {
		t.Errorf("OnFailure message %+v after %d invocations with the poison record", failures[0], poisoned)
	}
	if poisoned < 2 {
		t.Errorf("the poison record was invoked %d times: the batch was not split", poisoned)
	}
}

func TestStreamFilter(t *testing.T) {
	w := &consumer{}
	c := startStreamsCloud(t, map[string]Factory{"InsertsFunction": w.factory()}, nil)
	ddb := dynamodb.NewFromConfig(c.AWSConfig())
	table := c.TableName("ChangesTable")
	put(t, ddb, table, "x", 0)
	put(t, ddb, table, "x", 1)
	if _, err := ddb.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]dynamodbtypes.AttributeValue{
		"pk": &dynamodbtypes.AttributeValueMemberS{Value: "x"},
	}}); err != nil {
		t.Fatal(err)
	}
	put(t, ddb, table, "y", 0)
	eventually(t, "the insert of y to be delivered", func() bool { return w.delivered("y") })
	var got []string
	for _, r := range w.records() {
		got = append(got, key(r)+" "+r.EventName)
	}
	if want := []string{"x INSERT", "y INSERT"}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
}

func TestStreamCloseDrains(t *testing.T) {
	const items = 40
	processed := make(chan string, items)
	slow := &consumer{respond: func(records []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		time.Sleep(50 * time.Millisecond) // a real function's work: the stream outlasts Close's start
		for _, r := range records {
			processed <- key(r)
		}
		return events.DynamoDBEventResponse{}, nil
	}}
	c := startStreamsCloud(t, map[string]Factory{"ChangesFunction": slow.factory()}, func(o *Options) {
		o.DrainTimeout = waitTimeout
	})
	ddb := dynamodb.NewFromConfig(c.AWSConfig())
	for i := range items {
		put(t, ddb, c.TableName("ChangesTable"), strconv.Itoa(i), 0)
	}
	closeDrains(t, c, processed, items, "records")
}

func TestStreamCheckpointsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	configure := func(o *Options) { o.DynamoDBDataDir = dir }
	before := &consumer{}
	c := startStreamsCloud(t, map[string]Factory{"ChangesFunction": before.factory()}, configure)
	put(t, dynamodb.NewFromConfig(c.AWSConfig()), c.TableName("ChangesTable"), "before", 0)
	eventually(t, "the record before the restart to be delivered", func() bool { return before.delivered("before") })
	streamARN := c.Template().Tables["ChangesTable"].StreamARN
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, streamCheckpointsFile)); err != nil {
		t.Fatalf("checkpoints not kept: %v", err)
	}

	after := &consumer{}
	c = startStreamsCloud(t, map[string]Factory{"ChangesFunction": after.factory()}, configure)
	if got := c.Template().Tables["ChangesTable"].StreamARN; got != streamARN {
		t.Errorf("stream after the restart %s, before %s", got, streamARN)
	}
	put(t, dynamodb.NewFromConfig(c.AWSConfig()), c.TableName("ChangesTable"), "after", 0)
	eventually(t, "the record after the restart to be delivered", func() bool { return after.delivered("after") })
	// The stream is read in order: had the mapping started over, "before" would have come first.
	if after.delivered("before") {
		t.Error("the record processed before the restart was delivered again")
	}
}

func TestTableStream(t *testing.T) {
	ctx := context.Background()
	client := localDynamoDB(t)
	table := &samtemplate.Table{
		Name:                 "StreamLater-" + randomHex(4),
		AttributeDefinitions: []samtemplate.AttributeDefinition{{AttributeName: "pk", AttributeType: "S"}},
		KeySchema:            []samtemplate.KeySchemaElement{{AttributeName: "pk", KeyType: "HASH"}},
	}
	if _, err := createTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)}) })
	viewType := func() string {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table.Name)})
		if err != nil {
			t.Fatal(err)
		}
		if s := out.Table.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
			return string(s.StreamViewType)
		}
		return ""
	}

	// A table made before its template declared a stream gets one, ...
	table.StreamViewType = "NEW_IMAGE"
	first, err := tableStream(ctx, client, table)
	if err != nil || first == "" || viewType() != "NEW_IMAGE" {
		t.Fatalf("tableStream = %q, %v; view type %q", first, err, viewType())
	}
	// ... keeps it while the template does not change, ...
	if again, err := tableStream(ctx, client, table); err != nil || again != first {
		t.Errorf("tableStream again = %q, %v; want %q", again, err, first)
	}
	// ... and gets a new one for another view type.
	table.StreamViewType = "KEYS_ONLY"
	replaced, err := tableStream(ctx, client, table)
	if err != nil || replaced == first || viewType() != "KEYS_ONLY" {
		t.Errorf("tableStream with another view type = %q, %v; view type %q (first stream %s)", replaced, err, viewType(), first)
	}
}

func TestFirstFailure(t *testing.T) {
	records := []events.DynamoDBEventRecord{
		{Change: events.DynamoDBStreamRecord{SequenceNumber: "100"}},
		{Change: events.DynamoDBStreamRecord{SequenceNumber: "200"}},
		{Change: events.DynamoDBStreamRecord{SequenceNumber: "300"}},
	}
	checkFailureResponses(t, "firstFailure", func(out []byte) (int, error) {
		return firstFailure(out, records)
	}, func(a, b int) bool { return a == b }, 3, []failureCase[int]{
		{out: `{"batchItemFailures":[{"itemIdentifier":"200"}]}`, want: 1},
		{out: `{"batchItemFailures":[{"itemIdentifier":"300"},{"itemIdentifier":"200"}]}`, want: 1},
		{out: `{"batchItemFailures":[{"itemIdentifier":""}]}`, invalid: true},
		{out: `{"batchItemFailures":[{"id":"100"}]}`, invalid: true},
		{out: `{"batchItemFailures":[{"itemIdentifier":"999"}]}`, invalid: true},
	})
}

func TestFilterPatterns(t *testing.T) {
	record := `{"eventName":"MODIFY","awsRegion":"us-east-1","dynamodb":{"Keys":{"pk":{"S":"click#1"}},
		"NewImage":{"pk":{"S":"click#1"},"status":{"S":"approved"},"tags":{"SS":["a","b"]}},"SizeBytes":12}}`
	var doc map[string]any
	if err := json.Unmarshal([]byte(record), &doc); err != nil {
		t.Fatal(err)
	}
	for pattern, want := range map[string]bool{
		`{"eventName":["INSERT"]}`:                                          false,
		`{"eventName":["INSERT","MODIFY"]}`:                                 true,
		`{"eventName":["MODIFY"],"awsRegion":["eu-west-1"]}`:                false,
		`{"dynamodb":{"NewImage":{"status":{"S":["approved"]}}}}`:           true,
		`{"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"click#"}]}}}}`:          true,
		`{"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"offer#"}]}}}}`:          false,
		`{"eventName":[{"anything-but":"REMOVE"}]}`:                         true,
		`{"eventName":[{"anything-but":["MODIFY","REMOVE"]}]}`:              false,
		`{"dynamodb":{"OldImage":[{"exists":false}]}}`:                      true,
		`{"dynamodb":{"NewImage":{"status":[{"exists":true}]}}}`:            false, // exists matches leaves only
		`{"dynamodb":{"NewImage":{"status":{"S":[{"exists":true}]}}}}`:      true,
		`{"dynamodb":{"NewImage":{"tags":{"SS":["b"]}}}}`:                   true,
		`{"dynamodb":{"SizeBytes":[12]}}`:                                   true,
		`{"dynamodb":{"NewImage":{"missing":{"S":["approved"]}}}}`:          false,
		`{"dynamodb":{"NewImage":{"status":{"S":[{"anything-but":"x"}]}}}}`: true,
	} {
		f, err := compileFilter(pattern)
		if err != nil {
			t.Errorf("compileFilter(%s): %v", pattern, err)
			continue
		}
		if got := matchFilter(f, doc); got != want {
			t.Errorf("%s matches = %v, want %v", pattern, got, want)
		}
	}
	for _, pattern := range []string{
		`{"dynamodb":{"SizeBytes":[{"numeric":[">",10]}]}}`,
		`{"eventName":[{"suffix":"T"}]}`,
		`{"$or":[{"eventName":["INSERT"]}]}`,
		`{"eventName":"INSERT"}`,
		`{"eventName":[{"prefix":1}]}`,
		`not json`,
	} {
		if _, err := compileFilter(pattern); err == nil {
			t.Errorf("compileFilter(%s) accepted a pattern the local cloud does not support", pattern)
		}
	}
}

func TestShardsParentsFirst(t *testing.T) {
	m := &streamMapping{shards: map[string]*shard{}}
	for id, parent := range map[string]string{"a3": "c2", "b1": "", "c2": "b1", "d9": "gone", "e0": "c2"} {
		m.shards[id] = &shard{id: id, parent: parent}
	}
	var got []string
	for _, sh := range m.ordered() {
		got = append(got, sh.id)
	}
	pos := func(id string) int { return slices.Index(got, id) }
	if len(got) != 5 || pos("b1") > pos("c2") || pos("c2") > pos("a3") || pos("c2") > pos("e0") {
		t.Errorf("ordered = %v, want parents before children", got)
	}
}
