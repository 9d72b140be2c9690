package bench_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/trackly/tune-integration/dev/bench"
	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/dev/samcheck"
	"github.com/trackly/tune-integration/dev/workspace"
	"github.com/trackly/tune-integration/internal/app/attributionfn"
	"github.com/trackly/tune-integration/internal/app/clickfn"
	"github.com/trackly/tune-integration/internal/app/postbackfn"
	"github.com/trackly/tune-integration/internal/secrets"
)

const (
	// workers is how many callers run ours, and then the raw calls, at once (postbacks, taps), as
	// BenchmarkPostbackIngest in e2e does.
	workers = 16
	// attributionWorkers is how many AttributionFunction invocations run at once, as the SQS event
	// source's MaximumConcurrency in template.yaml allows, and how many raw transactions run at once.
	attributionWorkers = 10
	// batchSize is the SQS event source's BatchSize in template.yaml.
	batchSize = 25
	// coldStarts is the least number of cold starts of each bootstrap, the hello world's included.
	coldStarts = 20
	// minPostbacks, minConversions and minTaps are the least numbers of operations each side of a path makes
	// (-benchtime Nx asks for more): enough for the rates to hold still from run to run.
	minPostbacks   = 1000
	minConversions = 500
	minTaps        = 500
	// stored is how many records the second half of the run stores before it measures again.
	stored = 50_000
)

// BenchmarkRatios measures, side by side in one run on the local cloud (DynamoDB Local and goaws),
// each path against the raw AWS calls it makes, and each function's cold start under the Runtime
// Interface Emulator against a hello-world bootstrap; then it stores 50,000 records and measures
// again. It prints one table; docs/performance.md says how to read it.
func BenchmarkRatios(b *testing.B) {
	if testing.Short() {
		b.Skip("starts the local system, builds every bootstrap and stores 50,000 records; -short skips it")
	}
	f := newFixture(b)
	phase := func(b *testing.B, after bool) {
		b.Run("ingest", func(b *testing.B) { f.ingest(b, after) })
		b.Run("attribution", func(b *testing.B) { f.attribution(b, after) })
		b.Run("taps", func(b *testing.B) { f.taps(b, after) })
		b.Run("coldstart", func(b *testing.B) {
			for _, id := range append([]string{bench.SDKHello}, f.functions...) {
				b.Run(id, func(b *testing.B) { f.coldStart(b, id, after) })
			}
		})
	}
	b.Run("empty", func(b *testing.B) { phase(b, false) })
	b.Run("after50k", func(b *testing.B) {
		f.store(b, stored)
		phase(b, true)
	})
	fmt.Fprintf(f.stdout, "\n%s\n", f.table.String())
}

// fixture is the local system, the functions' handlers built from its environment as the local cloud
// builds them, clients for the raw calls on the same endpoint, and the bootstraps.
type fixture struct {
	sys   *localruntest.System
	table *bench.Table
	ddb   *dynamodb.Client
	sqs   *sqs.Client
	// tables are the physical table names by environment variable (LINKS_TABLE, …).
	tables map[string]string
	token  string
	// clickIDs are click ids of real taps, which postbacks name.
	clickIDs []string
	seq      atomic.Int64

	// postbackFn queues to ingestQueue; feedFn, another PostbackFunction, to feedQueue, from which
	// the attribution path takes its batches. No function polls either queue.
	postbackFn, clickFn, attributionFn, feedFn *handler
	ingestQueue, feedQueue                     string

	// stdout is where the table goes; os.Stdout takes the functions' logs meanwhile.
	stdout *os.File

	// functions are the template's functions, whose bootstraps are cold-started.
	functions  []string
	rie        bench.Emulator
	bootstraps map[string]string
	// rieEnv is each function's environment under the emulator.
	rieEnv map[string]map[string]string
}

// handler is a function's handler, built by its factory in internal/app, and the AWS calls it made.
type handler struct {
	lambda.Handler
	calls *calls
}

func newFixture(b *testing.B) *fixture {
	b.Helper()
	// The functions log every postback and tap at Info to stdout, which Lambda's runtime sends to
	// CloudWatch; here the lines would bury the table, so they go to /dev/null.
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = devNull
	b.Cleanup(func() { os.Stdout = stdout; devNull.Close() })

	ctx := b.Context()
	sys := localruntest.Start(b, localrun.Options{VisibilityTimeout: 3 * time.Minute}) // the template's: no redelivery while a batch runs
	env := sys.Cloud.FunctionEnv("PostbackFunction")
	f := &fixture{
		stdout: stdout,
		sys:    sys,
		table:  &bench.Table{Title: fmt.Sprintf("`make bench` on %d CPUs (%s/%s), DynamoDB Local and goaws through the local cloud", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)},
		ddb:    dynamodb.NewFromConfig(sys.Cloud.AWSConfig()),
		sqs:    sqs.NewFromConfig(sys.Cloud.AWSConfig()),
		tables: map[string]string{},
		token:  sys.PostbackToken(b),
	}
	for k, v := range env {
		if strings.HasSuffix(k, "_TABLE") {
			f.tables[k] = v
		}
	}
	f.ingestQueue = f.queue(b, "bench-ingest")
	f.feedQueue = f.queue(b, "bench-feed")
	f.clickFn = f.handler(b, "ClickFunction", clickfn.Function.New, nil)
	f.postbackFn = f.handler(b, "PostbackFunction", postbackfn.Function.New, map[string]string{"POSTBACK_QUEUE_URL": f.ingestQueue})
	f.feedFn = f.handler(b, "PostbackFunction", postbackfn.Function.New, map[string]string{"POSTBACK_QUEUE_URL": f.feedQueue})
	f.attributionFn = f.handler(b, "AttributionFunction", attributionfn.Function.New, nil)
	for range 100 {
		f.clickIDs = append(f.clickIDs, f.tap(ctx, b, f.clickFn))
	}
	f.prepareColdStarts(b)
	return f
}

// queue creates a queue on the local cloud's SQS that no function polls.
func (f *fixture) queue(b *testing.B, name string) string {
	b.Helper()
	out, err := f.sqs.CreateQueue(b.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		b.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// handler builds a function's handler as the local cloud does (its factory, the template's
// environment with override, the cloud's AWS config), counting its AWS calls.
func (f *fixture) handler(b *testing.B, id string, factory func(context.Context, aws.Config, func(string) string) (lambda.Handler, error), override map[string]string) *handler {
	b.Helper()
	env := f.sys.Cloud.FunctionEnv(id)
	maps.Copy(env, override)
	c := &calls{}
	cfg := f.sys.Cloud.AWSConfig()
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), c.count)
	h, err := factory(b.Context(), cfg, func(k string) string { return env[k] })
	if err != nil {
		b.Fatalf("init %s: %v", id, err)
	}
	return &handler{Handler: h, calls: c}
}

// calls counts the AWS calls of a handler by operation, and the items of its transactions.
type calls struct {
	mu    sync.Mutex
	ops   map[string]int
	items int
}

func (c *calls) count(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchCalls", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		c.mu.Lock()
		if c.ops == nil {
			c.ops = map[string]int{}
		}
		c.ops[awsmiddleware.GetOperationName(ctx)]++
		if t, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok {
			c.items += len(t.TransactItems)
		}
		c.mu.Unlock()
		return next.HandleInitialize(ctx, in)
	}), middleware.After)
}

// reset forgets the calls counted so far.
func (c *calls) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops, c.items = nil, 0
}

// per says which calls were made per operation, n operations in all, such as
// "1.00 SendMessage, 1.00 UpdateItem".
func (c *calls) per(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(c.ops)) {
		part := fmt.Sprintf("%.2f %s", float64(c.ops[op])/float64(n), op)
		if op == "TransactWriteItems" && c.ops[op] > 0 {
			part += fmt.Sprintf(" (%.1f items each)", float64(c.items)/float64(c.ops[op]))
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

// transactionItems is the mean number of items of the transactions counted, rounded.
func (c *calls) transactionItems() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops["TransactWriteItems"] == 0 {
		return 0
	}
	return int(float64(c.items)/float64(c.ops["TransactWriteItems"]) + 0.5)
}

func encode(b testing.TB, v any) []byte {
	b.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// tap invokes a ClickFunction handler with events/click-get.json (a phone's tap on the demo link)
// and returns the click id of its redirect.
func (f *fixture) tap(ctx context.Context, b testing.TB, h *handler) string {
	b.Helper()
	res, err := invokeHTTP(ctx, h, f.tapEvent(b))
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != http.StatusFound {
		b.Fatalf("tap: status %d, want 302: %s", res.StatusCode, res.Body)
	}
	loc, err := url.Parse(res.Headers["Location"])
	if err != nil {
		b.Fatal(err)
	}
	return loc.Query().Get("aff_sub")
}

func (f *fixture) tapEvent(b testing.TB) []byte {
	return encode(b, bench.Sample(b, "click-get.json"))
}

// postbackEvent is events/postback-get.json with a real click id, the demo's token and a conversion
// id never sent before: a postback TUNE sends, which the function accepts.
func (f *fixture) postbackEvent(b testing.TB) []byte {
	b.Helper()
	ev := bench.Sample(b, "postback-get.json")
	n := f.seq.Add(1)
	q, err := url.ParseQuery(ev["rawQueryString"].(string))
	if err != nil {
		b.Fatal(err)
	}
	q.Set("click_id", f.clickIDs[int(n)%len(f.clickIDs)])
	q.Set("token", f.token)
	q.Set("conversion_id", "bench-"+strconv.FormatInt(time.Now().UnixNano(), 36)+"-"+strconv.FormatInt(n, 36))
	ev["rawQueryString"] = q.Encode()
	qsp := map[string]any{}
	for k, v := range q {
		qsp[k] = v[0]
	}
	ev["queryStringParameters"] = qsp
	return encode(b, ev)
}

// invokeHTTP invokes an HTTP API function's handler with an API Gateway event.
func invokeHTTP(ctx context.Context, h lambda.Handler, event []byte) (events.APIGatewayV2HTTPResponse, error) {
	var res events.APIGatewayV2HTTPResponse
	out, err := h.Invoke(ctx, event)
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("answer %s: %w", out, err)
	}
	return res, nil
}

// run calls op n times from the given number of goroutines and returns the time it took; it stops
// at the first error.
func run(ctx context.Context, n, goroutines int, op func(ctx context.Context, i int) error) (time.Duration, error) {
	var next atomic.Int64
	errs := make(chan error, goroutines)
	start := time.Now()
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := op(ctx, i); err != nil {
					errs <- err
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	return elapsed, <-errs
}

// side is one side of a path's comparison: n operations, from goroutines at once, that do units
// of work in all (postbacks, conversions, taps).
type side struct {
	n, goroutines, units int
	op                   func(ctx context.Context, i int) error
	// prepare, if set, runs before the side's first operation.
	prepare func()
}

// sideBySide runs ours and raw in four rounds, each a quarter of each side's operations, the side
// that goes first alternating (ours, raw; raw, ours; ours, raw; raw, ours), so that a machine that
// grows busier or quieter during the run weighs on both alike. It returns each side's units of work
// per second.
func sideBySide(b *testing.B, ours, raw side) bench.Pair {
	b.Helper()
	ctx := b.Context()
	const rounds = 4
	times := map[string]time.Duration{}
	for r := range rounds {
		order := []string{"ours", "raw"}
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, name := range order {
			s := ours
			if name == "raw" {
				s = raw
			}
			if r == 0 && s.prepare != nil {
				s.prepare()
			}
			from, to := r*s.n/rounds, (r+1)*s.n/rounds
			d, err := run(ctx, to-from, s.goroutines, func(ctx context.Context, i int) error { return s.op(ctx, from+i) })
			if err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			times[name] += d
		}
	}
	return bench.Pair{Ours: float64(ours.units) / times["ours"].Seconds(), Raw: float64(raw.units) / times["raw"].Seconds()}
}

// report reports a path's figures as the benchmark's metrics and records them in the table.
func (f *fixture) report(b *testing.B, path, unit string, after bool, p bench.Pair, note string) {
	b.ReportMetric(0, "ns/op") // the rates say it; each side runs at least b.N operations
	b.ReportMetric(p.Ours, "ours-"+unit)
	b.ReportMetric(p.Raw, "raw-"+unit)
	b.ReportMetric(p.Ratio(), "ratio")
	f.table.Set(path+" ("+unit+")", false, "≥ 0.8", after, p, note)
}

// ingest: PostbackFunction's handler accepting postbacks (verify the click id, check the token
// through its caches, queue, log) against the calls it must make: SendMessage of the message it
// queues and the conditional PutItem of its postback log entry, at once as the handler makes them.
func (f *fixture) ingest(b *testing.B, after bool) {
	ctx := b.Context()
	n := max(b.N, minPostbacks)
	evs := make([][]byte, n)
	for i := range evs {
		evs[i] = f.postbackEvent(b)
	}
	// A message and a log entry as the handler writes them, which the raw calls write again.
	res, err := invokeHTTP(ctx, f.postbackFn, f.postbackEvent(b))
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("postback: %v %d %s", err, res.StatusCode, res.Body)
	}
	body := f.receiveOne(b, f.ingestQueue)
	logItem := f.anyItem(b, "POSTBACK_LOG_TABLE")
	logKey := f.keyOf(b, "POSTBACK_LOG_TABLE")
	newItem := notExists(b, logKey.sort)

	f.postbackFn.calls.reset()
	b.ResetTimer()
	p := sideBySide(b, side{n: n, goroutines: workers, units: n, op: func(ctx context.Context, i int) error {
		res, err := invokeHTTP(ctx, f.postbackFn, evs[i])
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("postback answered %d: %s", res.StatusCode, res.Body)
		}
		return err
	}}, side{n: n, goroutines: workers, units: n, op: func(ctx context.Context, i int) error {
		item := maps.Clone(logItem)
		item[logKey.sort] = &types.AttributeValueMemberS{Value: f.uniqueKey("raw-log")}
		put := make(chan error, 1)
		go func() {
			_, err := f.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.tables["POSTBACK_LOG_TABLE"]), Item: item,
				ConditionExpression: newItem.Condition(), ExpressionAttributeNames: newItem.Names()})
			put <- err
		}()
		_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(f.ingestQueue), MessageBody: aws.String(body)})
		return errors.Join(err, <-put)
	}})
	b.StopTimer()
	f.report(b, "postback ingest", "postbacks/s", after, p, "ours made "+f.postbackFn.calls.per(n)+" per postback; raw: 1 SendMessage and 1 conditional PutItem at once")
}

// attribution: AttributionFunction's handler attributing SQS batches of postbacks that
// PostbackFunction queued (25 a batch, 10 invocations at once, as the event source delivers them)
// against raw TransactWriteItems of as many new items as its transactions hold, all distinct.
func (f *fixture) attribution(b *testing.B, after bool) {
	n := max(b.N, minConversions)
	var batches [][]byte
	for _, ev := range f.queuedBatches(b, n) {
		batches = append(batches, encode(b, ev))
	}
	conversionKey := f.keyOf(b, "CONVERSIONS_TABLE")
	cond := notExists(b, conversionKey.partition)
	f.attributionFn.calls.reset()
	// What raw writes, known once ours has run: a conversion as ours recorded it, as many times as
	// ours' transactions hold items.
	var conversion map[string]types.AttributeValue
	items := 0

	b.ResetTimer()
	p := sideBySide(b, side{n: len(batches), goroutines: attributionWorkers, units: n, op: func(ctx context.Context, i int) error {
		out, err := f.attributionFn.Invoke(ctx, batches[i])
		if err != nil {
			return err
		}
		var res events.SQSEventResponse
		if err := json.Unmarshal(out, &res); err != nil {
			return fmt.Errorf("answer %s: %w", out, err)
		}
		if len(res.BatchItemFailures) > 0 {
			return fmt.Errorf("%d messages failed: %s", len(res.BatchItemFailures), out)
		}
		return nil
	}}, side{n: n, goroutines: attributionWorkers, units: n, prepare: func() {
		items = max(f.attributionFn.calls.transactionItems(), 1)
		conversion = f.anyItem(b, "CONVERSIONS_TABLE")
	}, op: func(ctx context.Context, i int) error {
		in := &dynamodb.TransactWriteItemsInput{}
		for range items {
			item := maps.Clone(conversion)
			item[conversionKey.partition] = &types.AttributeValueMemberS{Value: f.uniqueKey("raw-conversion")}
			in.TransactItems = append(in.TransactItems, types.TransactWriteItem{Put: &types.Put{
				TableName: aws.String(f.tables["CONVERSIONS_TABLE"]), Item: item,
				ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
			}})
		}
		_, err := f.ddb.TransactWriteItems(ctx, in)
		return err
	}})
	b.StopTimer()
	f.report(b, "attribution", "conversions/s", after, p,
		fmt.Sprintf("ours made %s per conversion; raw: 1 TransactWriteItems of %d new items", f.attributionFn.calls.per(n), items))
}

// queuedBatches has n postbacks accepted by PostbackFunction's handler, takes the messages it queued
// and returns them as the SQS events Lambda would deliver, batchSize messages each.
func (f *fixture) queuedBatches(b *testing.B, n int) []events.SQSEvent {
	b.Helper()
	ctx := b.Context()
	evs := make([][]byte, n)
	for i := range evs {
		evs[i] = f.postbackEvent(b)
	}
	_, err := run(ctx, n, workers, func(ctx context.Context, i int) error {
		res, err := invokeHTTP(ctx, f.feedFn, evs[i])
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("postback answered %d: %s", res.StatusCode, res.Body)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	var records []events.SQSMessage
	for len(records) < n {
		out, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(f.feedQueue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Messages) == 0 {
			b.Fatalf("%d of %d queued postbacks received", len(records), n)
		}
		for _, m := range out.Messages {
			records = append(records, events.SQSMessage{
				MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
				Attributes: map[string]string{"ApproximateReceiveCount": "1"}, EventSource: "aws:sqs", AWSRegion: f.sys.Cloud.Template().Region,
			})
			if _, err := f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(f.feedQueue), ReceiptHandle: m.ReceiptHandle}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var out []events.SQSEvent
	for batch := range slices.Chunk(records, batchSize) {
		out = append(out, events.SQSEvent{Records: batch})
	}
	return out
}

// taps: ClickFunction's handler serving a phone's tap on the demo link against the calls a tap
// must make: GetItem of the link and PutItem of the click.
func (f *fixture) taps(b *testing.B, after bool) {
	ctx := b.Context()
	n := max(b.N, minTaps)
	ev := f.tapEvent(b)
	f.tap(ctx, b, f.clickFn)
	click := f.anyItem(b, "CLICKS_TABLE")
	clickKey := f.keyOf(b, "CLICKS_TABLE")
	linkKey := map[string]types.AttributeValue{f.keyOf(b, "LINKS_TABLE").partition: &types.AttributeValueMemberS{Value: f.sys.Demo.LinkID}}
	cond := notExists(b, clickKey.partition)
	f.clickFn.calls.reset()
	b.ResetTimer()
	p := sideBySide(b, side{n: n, goroutines: workers, units: n, op: func(ctx context.Context, i int) error {
		res, err := invokeHTTP(ctx, f.clickFn, ev)
		if err == nil && res.StatusCode != http.StatusFound {
			err = fmt.Errorf("tap answered %d: %s", res.StatusCode, res.Body)
		}
		return err
	}}, side{n: n, goroutines: workers, units: n, op: func(ctx context.Context, i int) error {
		link, err := f.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.tables["LINKS_TABLE"]), Key: linkKey, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return err
		}
		if link.Item == nil {
			return fmt.Errorf("no link %s", f.sys.Demo.LinkID)
		}
		item := maps.Clone(click)
		item[clickKey.partition] = &types.AttributeValueMemberS{Value: f.uniqueKey("raw-click")}
		_, err = f.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.tables["CLICKS_TABLE"]), Item: item,
			ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names()})
		return err
	}})
	b.StopTimer()
	f.report(b, "taps", "taps/s", after, p, "ours made "+f.clickFn.calls.per(n)+" per tap; raw: 1 GetItem, 1 PutItem")
}

// notExists is the condition of a write that creates an item: that none with its key exists.
func notExists(b testing.TB, keyAttr string) expression.Expression {
	b.Helper()
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(keyAttr))).Build()
	if err != nil {
		b.Fatal(err)
	}
	return cond
}

// tableKey names a table's key attributes.
type tableKey struct{ partition, sort string }

// keyOf reads a table's key schema.
func (f *fixture) keyOf(b testing.TB, env string) tableKey {
	b.Helper()
	out, err := f.ddb.DescribeTable(b.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(f.tables[env])})
	if err != nil {
		b.Fatal(err)
	}
	var k tableKey
	for _, e := range out.Table.KeySchema {
		if e.KeyType == types.KeyTypeHash {
			k.partition = aws.ToString(e.AttributeName)
		} else {
			k.sort = aws.ToString(e.AttributeName)
		}
	}
	return k
}

// anyItem returns an item the functions wrote into a table, for the raw calls to write again under
// new keys: the same attributes, the same size.
func (f *fixture) anyItem(b testing.TB, env string) map[string]types.AttributeValue {
	b.Helper()
	out, err := f.ddb.Scan(b.Context(), &dynamodb.ScanInput{TableName: aws.String(f.tables[env]), Limit: aws.Int32(1)})
	if err != nil {
		b.Fatal(err)
	}
	if len(out.Items) == 0 {
		b.Fatalf("%s holds no item", env)
	}
	return out.Items[0]
}

// receiveOne receives a message from a queue and returns its body.
func (f *fixture) receiveOne(b testing.TB, queue string) string {
	b.Helper()
	out, err := f.sqs.ReceiveMessage(b.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: 1, WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) == 0 {
		b.Fatalf("receive from %s: %v (%d messages)", queue, err, len(out.Messages))
	}
	return aws.ToString(out.Messages[0].Body)
}

// uniqueKey returns a key value no item has.
func (f *fixture) uniqueKey(prefix string) string {
	return prefix + "-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(f.seq.Add(1), 36)
}

// prepareColdStarts builds the bootstraps and the hello world, and gives each function the
// environment it has in AWS, pointed at the local system: its tables and queue, and SSM Parameter
// Store (an emulator holding the local system's secrets) for its secrets.
func (f *fixture) prepareColdStarts(b *testing.B) {
	b.Helper()
	if runtime.GOOS != "linux" {
		return // the bootstraps are linux binaries, and the emulator runs on Linux
	}
	ctx := b.Context()
	tmpl := f.sys.Cloud.Template()
	f.functions = slices.Sorted(maps.Keys(tmpl.Functions))
	root, err := workspace.Root()
	if err != nil {
		b.Fatal(err)
	}
	if f.rie.Path, err = bench.EmulatorPath(ctx, root); err != nil {
		b.Fatal(err)
	}
	if f.bootstraps, err = bench.Build(ctx, root, b.TempDir(), f.functions); err != nil {
		b.Fatal(err)
	}
	prefix := tmpl.Functions["ClickFunction"].Environment["SECRETS_PARAMETER_PREFIX"]
	dir, err := secrets.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if err := bench.CopySecrets(context.Background(), filepath.Join(f.sys.DataDir, "secrets"), dir, prefix); err != nil {
		b.Fatal(err)
	}
	ssm := httptest.NewServer(samcheck.NewRecorder(tmpl.Partition, tmpl.Region, tmpl.AccountID).SSM(dir))
	b.Cleanup(ssm.Close)

	f.rieEnv = map[string]map[string]string{}
	for _, id := range f.functions {
		env := f.sys.Cloud.FunctionEnv(id)
		delete(env, "SECRETS_DIR") // secrets come from SSM, as in AWS
		env["AWS_ENDPOINT_URL_SSM"] = ssm.URL
		env["AWS_EC2_METADATA_DISABLED"] = "true"
		env["AWS_CONFIG_FILE"] = os.DevNull
		env["AWS_SHARED_CREDENTIALS_FILE"] = os.DevNull
		env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(int(tmpl.Functions[id].Timeout / time.Second))
		f.rieEnv[id] = env
	}
	f.rieEnv[bench.Hello] = map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "3"}
	f.rieEnv[bench.SDKHello] = f.rieEnv["PostbackFunction"]
}

// answered returns a check that an invocation's answer is an API Gateway response with the given
// status, or (status 0) no function error.
func answered(status int) func(answer []byte) error {
	if status == 0 {
		return func(answer []byte) error {
			var fe struct {
				Type string `json:"errorType"`
			}
			if json.Unmarshal(answer, &fe) == nil && fe.Type != "" {
				return fmt.Errorf("function error: %s", answer)
			}
			return nil
		}
	}
	return func(answer []byte) error {
		var res events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(answer, &res); err != nil || res.StatusCode != status {
			return fmt.Errorf("answer %s, want status %d", answer, status)
		}
		return nil
	}
}

// initOnly returns, for each function, an invocation it answers without any AWS call, and a check of
// the answer: its cold start is then the bootstrap's start and init, as the hello world's is.
func (f *fixture) initOnly(b testing.TB, id string) ([]byte, func(answer []byte) error) {
	b.Helper()
	switch id {
	case bench.Hello, bench.SDKHello:
		return []byte("{}"), answered(0)
	case "ClickFunction": // a link id no link can have: a 404 page before any read
		ev := bench.Sample(b, "click-get.json")
		ev["rawPath"] = "/c/not.a.link"
		ev["pathParameters"] = map[string]any{"link_id": "not.a.link"}
		ev["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = "/c/not.a.link"
		return encode(b, ev), answered(http.StatusNotFound)
	case "PostbackFunction": // a method the route does not serve: 405
		ev := bench.Sample(b, "postback-get.json")
		ev["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = "PUT"
		return encode(b, ev), answered(http.StatusMethodNotAllowed)
	case "AttributionFunction", "ReportsFunction": // an empty batch
		return []byte(`{"Records":[]}`), answered(0)
	case "OfferSyncFunction", "AdminFunction": // an action without the field it needs: InvalidInput
		return []byte(`{"action":"get_integration"}`), invalidInput
	case "ReconciliationFunction":
		return []byte(`{"action":"list_reconciliation_runs"}`), invalidInput
	}
	b.Fatalf("no invocation for %s", id)
	return nil, nil
}

// invalidInput checks that an admin action was refused for its input.
func invalidInput(answer []byte) error {
	if !strings.Contains(string(answer), "InvalidInput") {
		return fmt.Errorf("answer %s, want InvalidInput", answer)
	}
	return nil
}

// firstWork returns what a function's first invocation most often is (a tap, a postback TUNE sends,
// a batch of one queued postback) or, for the admin functions, an admin payload under events/; and a
// check of its answer.
func (f *fixture) firstWork(b testing.TB, id string) ([]byte, func(answer []byte) error) {
	b.Helper()
	switch id {
	case bench.Hello, bench.SDKHello:
		return []byte("{}"), answered(0)
	case "ClickFunction":
		return f.tapEvent(b), answered(http.StatusFound)
	case "PostbackFunction":
		return f.postbackEvent(b), answered(http.StatusOK)
	case "AttributionFunction":
		ev := bench.Sample(b, "attribution-sqs-batch.json")
		record := ev["Records"].([]any)[0].(map[string]any)
		var msg map[string]any
		if err := json.Unmarshal([]byte(record["body"].(string)), &msg); err != nil {
			b.Fatal(err)
		}
		msg["conversion_id"] = f.uniqueKey("bench-cold")
		msg["postback_id"] = "pb_" + strings.ReplaceAll(f.uniqueKey("cold"), "-", "")
		msg["received_at"] = time.Now().UTC().Format(time.RFC3339Nano)
		record["body"] = string(encode(b, msg))
		ev["Records"] = []any{record}
		return encode(b, ev), func(answer []byte) error {
			var res events.SQSEventResponse
			if err := json.Unmarshal(answer, &res); err != nil || len(res.BatchItemFailures) > 0 {
				return fmt.Errorf("answer %s, want no batch item failures", answer)
			}
			return nil
		}
	case "ReportsFunction": // events/reports-clicks-stream.json from the clicks' stream, its clicks new
		ev := bench.Sample(b, "reports-clicks-stream.json")
		for _, r := range ev["Records"].([]any) {
			r.(map[string]any)["eventSourceARN"] = f.sys.Cloud.StreamARN("ClicksTable")
			change := r.(map[string]any)["dynamodb"].(map[string]any)
			change["SequenceNumber"] = strconv.FormatInt(time.Now().UnixNano(), 10) + strconv.FormatInt(f.seq.Add(1), 10)
			id := map[string]any{"S": f.uniqueKey("cold")}
			change["Keys"].(map[string]any)["click_id"] = id
			change["NewImage"].(map[string]any)["click_id"] = id
		}
		return encode(b, ev), func(answer []byte) error {
			var res events.DynamoDBEventResponse
			if err := json.Unmarshal(answer, &res); err != nil || len(res.BatchItemFailures) > 0 {
				return fmt.Errorf("answer %s, want no batch item failures", answer)
			}
			return nil
		}
	case "OfferSyncFunction":
		return encode(b, bench.Sample(b, "offersync-list-offers.json")), answered(0)
	case "AdminFunction":
		return encode(b, bench.Sample(b, "admin-report.json")), answered(0)
	case "ReconciliationFunction":
		return encode(b, bench.Sample(b, "reconciliation-list-runs.json")), answered(0)
	}
	b.Fatalf("no first invocation for %s", id)
	return nil, nil
}

// coldStart cold-starts a function's bootstrap and the hello world in turn, at least coldStarts
// times each, and reports the medians: from the emulator's start to the first invocation's answer,
// with an invocation that needs no AWS call (the bootstrap's start and init, which the goal is
// about) and, for the note, with the function's usual first work.
func (f *fixture) coldStart(b *testing.B, id string, after bool) {
	if f.bootstraps == nil {
		b.Skipf("the bootstraps are linux binaries and the Runtime Interface Emulator runs on Linux, not %s", runtime.GOOS)
	}
	ctx := b.Context()
	type key struct {
		which string
		work  bool
	}
	samples := map[key][]bench.ColdStart{}
	for i := range max(b.N, coldStarts) {
		order := []string{id, bench.Hello}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, which := range order {
			kinds := []bool{false, true}
			if which == bench.Hello || which == bench.SDKHello {
				kinds = kinds[:1] // a hello world's first work is its init alone
			}
			for _, work := range kinds {
				invocation := f.initOnly
				if work {
					invocation = f.firstWork
				}
				payload, check := invocation(b, which)
				cs, err := f.rie.ColdStart(ctx, f.bootstraps[which], f.rieEnv[which], payload)
				if err == nil {
					err = check(cs.Answer)
				}
				if err != nil {
					b.Fatalf("cold start of %s: %v\n%s", which, err, cs.Output)
				}
				samples[key{which, work}] = append(samples[key{which, work}], cs)
			}
		}
	}
	median := func(which string, work bool, of func(bench.ColdStart) time.Duration) time.Duration {
		var ds []time.Duration
		for _, cs := range samples[key{which, work}] {
			ds = append(ds, of(cs))
		}
		return bench.Median(ds)
	}
	total := func(cs bench.ColdStart) time.Duration { return cs.Time }
	invocation := func(cs bench.ColdStart) time.Duration { return cs.Invocation }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	ours, hello := median(id, false, total), median(bench.Hello, false, total)
	p := bench.Pair{Ours: ours.Seconds(), Raw: hello.Seconds()}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(ours), "ms")
	b.ReportMetric(ms(hello), "hello-ms")
	b.ReportMetric(p.Ratio(), "ratio")
	note := fmt.Sprintf("median of %d; the invocation alone (bootstrap start, init, answer) %.1f ms, hello world's %.1f ms",
		len(samples[key{id, false}]), ms(median(id, false, invocation)), ms(median(bench.Hello, false, invocation)))
	goal := "≤ 1.3"
	if id == bench.SDKHello {
		goal = "yardstick"
	} else {
		b.ReportMetric(ms(median(id, true, total)), "first-work-ms")
		note += fmt.Sprintf("; with its usual first work %.1f ms (invocation alone %.1f ms)", ms(median(id, true, total)), ms(median(id, true, invocation)))
	}
	f.table.Set("cold start "+id+" (vs hello world)", true, goal, after, p, note)
}

// store stores n records, as many clicks, postback log entries and conversions: copies of the ones
// the functions wrote, under new keys, written with BatchWriteItem from concurrent writers. Then it
// waits until the report, which the tables' streams may feed, has settled.
func (f *fixture) store(b *testing.B, n int) {
	b.Helper()
	ctx := b.Context()
	start := time.Now()
	type batch struct {
		table  string
		writes []types.WriteRequest
	}
	var batches []batch
	kinds := []string{"CLICKS_TABLE", "POSTBACK_LOG_TABLE", "CONVERSIONS_TABLE"}
	for i, env := range kinds {
		item, key := f.anyItem(b, env), f.keyOf(b, env)
		attr := cmp.Or(key.sort, key.partition)
		writes := make([]types.WriteRequest, (n+i)/len(kinds))
		for j := range writes {
			copied := maps.Clone(item)
			copied[attr] = &types.AttributeValueMemberS{Value: f.uniqueKey("stored")}
			writes[j] = types.WriteRequest{PutRequest: &types.PutRequest{Item: copied}}
		}
		for chunk := range slices.Chunk(writes, 25) {
			batches = append(batches, batch{f.tables[env], chunk})
		}
	}
	_, err := run(ctx, len(batches), workers, func(ctx context.Context, i int) error {
		pending := map[string][]types.WriteRequest{batches[i].table: batches[i].writes}
		for len(pending) > 0 {
			out, err := f.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems
		}
		return nil
	})
	if err != nil {
		b.Fatalf("store %d records: %v", n, err)
	}
	stored := time.Since(start)
	f.settle(b)
	f.table.Note(fmt.Sprintf("- after 50k: %d records stored (a third each clicks, postback log entries, conversions) in %v; the report, fed by the streams, settled %v later",
		n, stored.Round(time.Second), (time.Since(start) - stored).Round(time.Second)))
}

// settle waits until the demo account's report has not changed for 3 s: whatever the tables'
// streams feed has caught up, so that it does not run beside the measurements.
func (f *fixture) settle(b *testing.B) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	last, since := "", time.Now()
	for time.Since(since) < 3*time.Second {
		r := f.sys.Report(b, "message", "")
		now := fmt.Sprint(r.Total)
		if now != last {
			last, since = now, time.Now()
		}
		if time.Now().After(deadline) {
			b.Fatal("the report did not settle in 10 minutes")
		}
		time.Sleep(500 * time.Millisecond)
	}
}
