package localcloud

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// testTemplate is the template of the tests' Cloud; the samtemplate tests resolve it too.
const testTemplate = "testdata/template.yaml"

// waitTimeout bounds the waits of the tests, generously for a busy machine.
const waitTimeout = 30 * time.Second

// startTimeout bounds a Cloud's start, which on a new machine includes fetching DynamoDB Local.
const startTimeout = 5 * time.Minute

// handlerFunc is a lambda.Handler made of a function.
type handlerFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f handlerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// echo answers with its payload.
var echo = handlerFunc(func(_ context.Context, payload []byte) ([]byte, error) { return payload, nil })

// static returns a factory of a ready handler.
func static(h lambda.Handler) Factory {
	return func(context.Context, aws.Config, func(string) string) (lambda.Handler, error) { return h, nil }
}

// startCloud starts a Cloud of the test template, with echo for the functions factories does not
// give, and closes it at the end of the test.
func startCloud(t *testing.T, factories map[string]Factory, configure func(*Options)) *Cloud {
	t.Helper()
	functions := []string{"WebFunction", "SlowFunction", "WorkerFunction", "CronFunction", "TickFunction"}
	return startTemplateCloud(t, testTemplate, functions, factories, configure)
}

// startTemplateCloud starts a Cloud of a template whose functions are given, with echo for those
// factories does not give, and closes it at the end of the test.
func startTemplateCloud(t *testing.T, template string, functions []string, factories map[string]Factory, configure func(*Options)) *Cloud {
	t.Helper()
	t.Setenv("AWS_REGION", "us-east-1")
	for _, v := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "AWS_ENDPOINT_URL_SQS", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"} {
		t.Setenv(v, "")
	}
	all := map[string]Factory{}
	for _, id := range functions {
		all[id] = static(echo)
	}
	maps.Copy(all, factories)
	opts := Options{
		TemplatePath:      template,
		Functions:         all,
		VisibilityTimeout: time.Second,
		PollWait:          time.Second,
		Logger:            slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if configure != nil {
		configure(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// eventually fails the test unless cond becomes true before waitTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFunctionEnv(t *testing.T) {
	var got map[string]string
	factory := func(_ context.Context, cfg aws.Config, getenv func(string) string) (lambda.Handler, error) {
		got = map[string]string{}
		for _, k := range []string{"WORK_QUEUE_URL", "STAGE", "PUBLIC_BASE_URL", "AWS_LAMBDA_FUNCTION_NAME", "HOME"} {
			got[k] = getenv(k)
		}
		if cfg.Region != "us-east-1" {
			t.Errorf("factory AWS config region = %q", cfg.Region)
		}
		return echo, nil
	}
	c := startCloud(t, map[string]Factory{"WebFunction": factory}, func(o *Options) {
		o.Env = map[string]string{"PUBLIC_BASE_URL": "http://127.0.0.1:3000", "EXTRA": "1", "API": "${HTTP_API_URL}/x", "INVOKE": "${INVOKE_API_URL}", "OTHER": "${OTHER}"}
	})
	env := c.FunctionEnv("WebFunction")
	want := map[string]string{
		"WORK_QUEUE_URL":                    c.QueueURL("WorkQueue"),
		"ITEMS_TABLE":                       c.TableName("ItemsTable"),
		"STAGE":                             "test",
		"PUBLIC_BASE_URL":                   "http://127.0.0.1:3000",
		"EXTRA":                             "1",
		"API":                               c.HTTPURL() + "/x",
		"INVOKE":                            c.InvokeURL(),
		"OTHER":                             "${OTHER}",
		"AWS_LAMBDA_FUNCTION_NAME":          "WebFunction",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE":   "256",
		"AWS_LAMBDA_LOG_FORMAT":             "JSON",
		"AWS_LAMBDA_LOG_LEVEL":              "DEBUG",
		"AWS_REGION":                        "us-east-1",
		"AWS_ENDPOINT_URL_DYNAMODB":         c.AWSEndpoint(),
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS": c.AWSEndpoint(),
		"AWS_ENDPOINT_URL_SQS":              c.AWSEndpoint(),
		"AWS_ACCESS_KEY_ID":                 "local",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("FunctionEnv[%s] = %q, want %q", k, env[k], v)
		}
	}
	if !strings.HasPrefix(env["ITEMS_TABLE"], "ItemsTable-") {
		t.Errorf("ITEMS_TABLE = %q, not a table of this Cloud's own", env["ITEMS_TABLE"])
	}
	if !strings.HasPrefix(env["WORK_QUEUE_URL"], c.AWSEndpoint()+"/000000000000/WorkQueue-") {
		t.Errorf("WORK_QUEUE_URL = %q, not a queue of %s", env["WORK_QUEUE_URL"], c.AWSEndpoint())
	}
	wantGot := map[string]string{"WORK_QUEUE_URL": env["WORK_QUEUE_URL"], "STAGE": "test", "PUBLIC_BASE_URL": "http://127.0.0.1:3000",
		"AWS_LAMBDA_FUNCTION_NAME": "WebFunction", "HOME": ""}
	if !maps.Equal(got, wantGot) {
		t.Errorf("factory getenv = %v, want %v", got, wantGot)
	}
	if c.FunctionEnv("Nope") != nil {
		t.Error("FunctionEnv of an unknown function is not nil")
	}
}

func TestStartChecksFactories(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	for name, functions := range map[string]map[string]Factory{
		"missing": {"WebFunction": static(echo)},
		"extra": {"WebFunction": static(echo), "SlowFunction": static(echo), "WorkerFunction": static(echo),
			"CronFunction": static(echo), "TickFunction": static(echo), "GhostFunction": static(echo)},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Start(context.Background(), Options{TemplatePath: testTemplate, Functions: functions})
			if err == nil {
				c.Close()
				t.Fatal("Start succeeded")
			}
		})
	}
	failing := func(context.Context, aws.Config, func(string) string) (lambda.Handler, error) {
		return nil, errors.New("no secrets")
	}
	c, err := Start(context.Background(), Options{TemplatePath: testTemplate, Functions: map[string]Factory{
		"WebFunction": failing, "SlowFunction": static(echo), "WorkerFunction": static(echo), "CronFunction": static(echo), "TickFunction": static(echo),
	}})
	if err == nil || !strings.Contains(err.Error(), "no secrets") {
		if c != nil {
			c.Close()
		}
		t.Fatalf("Start with a failing factory: err = %v", err)
	}
}

func TestTables(t *testing.T) {
	c := startCloud(t, nil, nil)
	ctx := context.Background()
	ddb := dynamodb.NewFromConfig(c.AWSConfig())
	out, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(c.TableName("ItemsTable"))})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Table.GlobalSecondaryIndexes; len(got) != 1 || aws.ToString(got[0].IndexName) != "by_owner" {
		t.Errorf("GSIs = %+v", got)
	}
	item, err := attributevalue.MarshalMap(map[string]string{"pk": "1", "owner": "ann", "created": "2024"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.TableName("ItemsTable")), Item: item}); err != nil {
		t.Fatal(err)
	}
	q, err := ddb.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(c.TableName("ItemsTable")),
		IndexName:                 aws.String("by_owner"),
		KeyConditionExpression:    aws.String("#o = :o"),
		ExpressionAttributeNames:  map[string]string{"#o": "owner"},
		ExpressionAttributeValues: map[string]dynamodbtypes.AttributeValue{":o": &dynamodbtypes.AttributeValueMemberS{Value: "ann"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if q.Count != 1 {
		t.Errorf("query by_owner found %d items", q.Count)
	}
}

func TestTwoCloudsAreIsolated(t *testing.T) {
	a := startCloud(t, nil, nil)
	b := startCloud(t, nil, nil)
	ctx := context.Background()
	if a.QueueURL("WorkQueue") == b.QueueURL("WorkQueue") {
		t.Fatalf("both clouds use queue %s", a.QueueURL("WorkQueue"))
	}
	sqsB := sqs.NewFromConfig(b.AWSConfig())
	_, err := sqsB.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(a.QueueURL("WorkQueue")), MessageBody: aws.String("x")})
	if _, ok := errors.AsType[*sqstypes.QueueDoesNotExist](err); !ok {
		t.Errorf("sending to the other cloud's queue: err = %v, want QueueDoesNotExist", err)
	}
	list, err := sqsB.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{b.QueueURL("WorkDeadLetterQueue"), b.QueueURL("WorkQueue")}
	if len(list.QueueUrls) != 2 || !sameElements(list.QueueUrls, want) {
		t.Errorf("ListQueues = %v, want %v", list.QueueUrls, want)
	}

	item, err := attributevalue.MarshalMap(map[string]string{"pk": "only-in-a"})
	if err != nil {
		t.Fatal(err)
	}
	if a.TableName("ItemsTable") == b.TableName("ItemsTable") {
		t.Fatalf("both clouds use table %s", a.TableName("ItemsTable"))
	}
	if _, err := dynamodb.NewFromConfig(a.AWSConfig()).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(a.TableName("ItemsTable")), Item: item}); err != nil {
		t.Fatal(err)
	}
	got, err := dynamodb.NewFromConfig(b.AWSConfig()).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(b.TableName("ItemsTable")), Key: item})
	if err != nil {
		t.Fatal(err)
	}
	if got.Item != nil {
		t.Errorf("cloud b sees cloud a's item %v", got.Item)
	}
}

func sameElements(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// Clouds share the process's DynamoDB Local: one that closes deletes its tables there, so that the
// next Clouds do not run on a DynamoDB Local holding every earlier Cloud's items; the others' stay.
func TestCloseDeletesItsTablesFromTheSharedDynamoDBLocal(t *testing.T) {
	closed := startCloud(t, nil, nil)
	open := startCloud(t, nil, nil)
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(open.AWSConfig())
	ctx := context.Background()
	_, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(closed.TableName("ItemsTable"))})
	if _, ok := errors.AsType[*dynamodbtypes.ResourceNotFoundException](err); !ok {
		t.Errorf("the closed Cloud's table: err = %v, want ResourceNotFoundException", err)
	}
	if _, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(open.TableName("ItemsTable"))}); err != nil {
		t.Errorf("the open Cloud's table: %v", err)
	}
}

func TestCloseIsClean(t *testing.T) {
	// The first Cloud of the process starts goaws' sweeper, which runs for the life of the process.
	startCloud(t, nil, nil).Close()
	before := runtime.NumGoroutine()

	c := startCloud(t, nil, nil)
	sqsClient := sqs.NewFromConfig(c.AWSConfig())
	if _, err := sqsClient.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(c.QueueURL("WorkQueue")), MessageBody: aws.String("x"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.Invoke(context.Background(), "CronFunction", []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: err = %v, want ErrClosed", err)
	}
	// Client connections end shortly after the servers close them.
	eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before+2 })
}

func TestExternalSQSEndpoint(t *testing.T) {
	external := startCloud(t, nil, nil)
	w := &worker{}
	c := startCloud(t, map[string]Factory{"WorkerFunction": static(w.handler())}, func(*Options) {
		// startCloud clears the endpoint variables before calling configure; Start reads this one.
		t.Setenv("AWS_ENDPOINT_URL_SQS", external.AWSEndpoint())
	})
	if got := c.QueueURL("WorkQueue"); got != external.AWSEndpoint()+"/000000000000/WorkQueue" {
		t.Errorf("queue URL = %q, want a queue named by its logical ID on the external endpoint", got)
	}
	env := c.FunctionEnv("WorkerFunction")
	if env["AWS_ENDPOINT_URL_SQS"] != external.AWSEndpoint() || env["AWS_ENDPOINT_URL_DYNAMODB"] != c.AWSEndpoint() {
		t.Errorf("function endpoints = %s, %s", env["AWS_ENDPOINT_URL_SQS"], env["AWS_ENDPOINT_URL_DYNAMODB"])
	}
	// The Cloud's configuration reaches the external SQS endpoint, as the SDK resolves AWS_ENDPOINT_URL_SQS.
	client := sqs.NewFromConfig(c.AWSConfig())
	body := "external-" + randomHex(4)
	send(t, client, c.QueueURL("WorkQueue"), body)
	eventually(t, "the message on the external endpoint to be processed", func() bool { return len(w.received(body)) == 1 })
}
