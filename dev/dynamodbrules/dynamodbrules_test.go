package dynamodbrules_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/dev/dynamodblocal"
	"github.com/trackly/tune-integration/dev/dynamodbrules"
)

// gate holds the requests of a test's choosing inside DynamoDB until released,
// so that two requests are certainly in flight at once.
type gate struct {
	next    http.Handler
	mu      sync.Mutex
	hold    bool
	entered chan struct{}
	release chan struct{}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	hold := g.hold && r.Header.Get("X-Amz-Target") == "DynamoDB_20120810.TransactWriteItems"
	if hold {
		g.hold = false
	}
	g.mu.Unlock()
	if hold {
		close(g.entered)
		<-g.release
	}
	g.next.ServeHTTP(w, r)
}

// fixture is a table on DynamoDB Local behind the rules.
type fixture struct {
	client *dynamodb.Client // through the rules
	direct *dynamodb.Client // to DynamoDB Local itself
	rules  *dynamodbrules.Handler
	gate   *gate
	table  string
}

func newFixture(t *testing.T, opts dynamodbrules.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	server, err := dynamodblocal.Shared(ctx)
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(server.URL())
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{next: httputil.NewSingleHostReverseProxy(target), entered: make(chan struct{}), release: make(chan struct{})}
	rules := dynamodbrules.New(g, opts)
	front := httptest.NewServer(rules)
	t.Cleanup(front.Close)

	clientOf := func(endpoint string) *dynamodb.Client {
		return dynamodb.New(dynamodb.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(endpoint),
			Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
			Retryer:      aws.NopRetryer{},
		})
	}
	client := clientOf(front.URL)
	f := &fixture{client: client, direct: clientOf(server.URL()), rules: rules, gate: g, table: "rules_" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	_, err = f.direct.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(f.table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: id}}
}

// addTo is a transaction that adds 1 to the counter of each item.
func (f *fixture) addTo(ctx context.Context, ids ...string) error {
	var items []types.TransactWriteItem
	for _, id := range ids {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(f.table),
			Key:                       key(id),
			UpdateExpression:          aws.String("ADD n :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		}})
	}
	_, err := f.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}

func (f *fixture) counter(t *testing.T, id string) string {
	t.Helper()
	out, err := f.direct.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := out.Item["n"].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return "absent"
}

func cancellationCodes(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	codes := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

func TestOverlappingTransactionsConflictAsInDynamoDB(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, dynamodbrules.Options{})
	f.gate.hold = true

	first := make(chan error, 1)
	go func() { first <- f.addTo(ctx, "shared", "mine") }()
	<-f.gate.entered

	err := f.addTo(ctx, "other", "shared")
	if got := cancellationCodes(err); len(got) != 2 || got[0] != "None" || got[1] != "TransactionConflict" {
		t.Errorf("second transaction on a held item: cancellation reasons %v (error %v), want [None TransactionConflict]", got, err)
	}
	_, err = f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: key("shared")})
	var conflict *types.TransactionConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("single write to an item a transaction holds: %v, want TransactionConflictException", err)
	}
	if err := f.addTo(ctx, "other"); err != nil {
		t.Errorf("transaction on items no one holds: %v", err)
	}

	close(f.gate.release)
	if err := <-first; err != nil {
		t.Fatalf("the transaction that held the item: %v", err)
	}
	if got := f.counter(t, "shared"); got != "1" {
		t.Errorf("shared counter = %s, want 1 (only the first transaction applied)", got)
	}
	if err := f.addTo(ctx, "shared"); err != nil {
		t.Errorf("transaction once the item is free again: %v", err)
	}
	if s := f.rules.Stats(); s.Conflicts != 2 {
		t.Errorf("Stats().Conflicts = %d, want 2", s.Conflicts)
	}
}

func TestAnItemTakesAThousandWriteUnitsASecond(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f := newFixture(t, dynamodbrules.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})

	// A transactional write costs two units: 500 fit in one second.
	for i := range dynamodbrules.ItemWriteUnitsPerSecond / 2 {
		if err := f.addTo(ctx, "hot"); err != nil {
			t.Fatalf("transaction %d within the item's throughput: %v", i+1, err)
		}
	}
	err := f.addTo(ctx, "hot")
	if got := cancellationCodes(err); len(got) != 1 || got[0] != "ThrottlingError" {
		t.Errorf("transaction past the item's throughput: reasons %v (error %v), want [ThrottlingError]", got, err)
	}
	_, err = f.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(f.table), Key: key("hot"), UpdateExpression: aws.String("SET x = :x"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":x": &types.AttributeValueMemberS{Value: "y"}}})
	var throttled *types.ProvisionedThroughputExceededException
	if !errors.As(err, &throttled) {
		t.Errorf("single write past the item's throughput: %v, want ProvisionedThroughputExceededException", err)
	}
	if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
		t.Errorf("the SDK does not see %v as a throttle, so it would not back off", err)
	}
	if err := f.addTo(ctx, "cool"); err != nil {
		t.Errorf("another item in the same second: %v", err)
	}

	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if err := f.addTo(ctx, "hot"); err != nil {
		t.Errorf("the hot item in the next second: %v", err)
	}
	if got := f.counter(t, "hot"); got != "501" {
		t.Errorf("hot counter = %s, want 501", got)
	}
}

func TestInjectedFaults(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		opts dynamodbrules.Options
		// counter is the counter after the write: "absent" when nothing was applied.
		counter string
		// stat names the Stats field that counts the fault, which count reads.
		stat  string
		count func(dynamodbrules.Stats) int64
	}{
		{"a failure applies nothing", dynamodbrules.Options{FailureRate: 1}, "absent", "Failures",
			func(s dynamodbrules.Stats) int64 { return s.Failures }},
		{"a lost answer applies the write", dynamodbrules.Options{LostAnswerRate: 1}, "1", "LostAnswers",
			func(s dynamodbrules.Stats) int64 { return s.LostAnswers }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			if err := f.addTo(ctx, "a"); err == nil {
				t.Fatalf("write answered success through %+v", tt.opts)
			}
			if got := f.counter(t, "a"); got != tt.counter {
				t.Errorf("counter after the fault = %s, want %s", got, tt.counter)
			}
			if got := tt.count(f.rules.Stats()); got != 1 {
				t.Errorf("Stats().%s = %d, want 1", tt.stat, got)
			}
		})
	}
}
