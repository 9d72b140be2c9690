package localcloud

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trackly/tune-integration/dev/dynamodblocal"
	"github.com/trackly/tune-integration/dev/samtemplate"
	"github.com/trackly/tune-integration/internal/backoff"
)

// defaultPollWait is the long-poll wait of SQS pollers, as Lambda's; maxPollWait is SQS's limit.
const (
	defaultPollWait = 20 * time.Second
	maxPollWait     = 20 * time.Second
)

// Options configure a Cloud.
type Options struct {
	// TemplatePath is the SAM template, such as "template.yaml".
	TemplatePath string
	// Functions holds the factory of every function of the template, by logical ID.
	Functions map[string]Factory
	// HTTPAddr, InvokeAddr and AWSAddr are the addresses of the HTTP API, of the Lambda Invoke API and
	// of the AWS endpoint that serves DynamoDB and SQS. Each defaults to "127.0.0.1:0".
	HTTPAddr   string
	InvokeAddr string
	AWSAddr    string
	// Env adds to or overrides every function's environment. Its values may
	// name the APIs' addresses as ${HTTP_API_URL} and ${INVOKE_API_URL}, which
	// are known only once they listen (with port 0, say).
	Env map[string]string
	// DynamoDBDataDir, if set, is where DynamoDB Local keeps this Cloud's tables, so that they outlive
	// it; the Cloud starts a DynamoDB Local of its own and stops it on Close. Otherwise the tables live
	// in memory, in the one DynamoDB Local of the process, under names of this Cloud's own. Neither
	// applies when AWS_ENDPOINT_URL_DYNAMODB names another DynamoDB.
	DynamoDBDataDir string
	// DynamoDBMiddleware, if set, wraps the handler that passes the functions' DynamoDB requests on to
	// DynamoDB Local: dev/dynamodbrules adds DynamoDB's rules for concurrent writers and injected faults.
	DynamoDBMiddleware func(http.Handler) http.Handler
	// SQSMiddleware, if set, wraps the embedded SQS (goaws) that the endpoint serves: a load test makes
	// SQS unreachable with it for a while. It does not apply when AWS_ENDPOINT_URL_SQS names another SQS.
	SQSMiddleware func(http.Handler) http.Handler
	// DrainTimeout bounds how long Close lets the SQS pollers empty their queues and the DynamoDB
	// stream pollers deliver the records of their streams before it stops them. Zero stops them at
	// once, after the batches in flight.
	DrainTimeout time.Duration
	// Parameters overrides template parameters.
	Parameters map[string]string
	// FunctionTimeouts, by logical ID, replaces the Timeout of the functions it names, so that a test
	// reaches a function's deadline sooner.
	FunctionTimeouts map[string]time.Duration
	// VisibilityTimeout, if positive, replaces the visibility timeout of every queue (rounded up to
	// whole seconds), so that failed messages return sooner.
	VisibilityTimeout time.Duration
	// PollWait is the long-poll wait of SQS pollers: whole seconds from 1 to 20; default 20.
	PollWait time.Duration
	// DisableSchedules keeps rate schedules from running; TriggerSchedule still delivers them.
	DisableSchedules bool
	// Logger receives the Cloud's logs; default slog.Default().
	Logger *slog.Logger
}

// Cloud runs a SAM application in the process: its functions, the events that invoke them, and the
// DynamoDB tables and SQS queues of its template.
type Cloud struct {
	opts Options
	log  *slog.Logger
	// template is the resolved template: its first pass until the tables and queues exist, then the
	// one with their identities. Its region and account are the Cloud's.
	template    *samtemplate.Template
	awsCfg      aws.Config
	credentials aws.Credentials
	awsURL      string
	// tableNames, streamARNs and queues are the identities of the tables, their streams and the queues
	// created, by logical ID.
	tableNames map[string]string
	streamARNs map[string]string
	queues     map[string]samtemplate.QueueIdentity
	functions  map[string]*function
	routes     []*route

	httpURL   string
	httpPort  string // for the x-forwarded-port header
	invokeURL string

	stopWorkers     context.CancelFunc // ends pollers and schedules
	stopInvocations context.CancelFunc // ends the contexts of running invocations
	stopAWS         context.CancelFunc // ends requests to the AWS endpoint, such as long polls
	awsServer       *server
	// dynamoDB is the DynamoDB Local this Cloud started and stops, or nil.
	dynamoDB *dynamodblocal.Server
	// tableSuffix keeps the tables of Clouds that share a DynamoDB Local apart; sharedDynamoDB is
	// that DynamoDB Local's URL, where Close deletes the Cloud's tables.
	tableSuffix    string
	sharedDynamoDB *url.URL
	// invocations is the context every invocation's context ends with.
	invocations context.Context
	apiServers  []*server // the HTTP API and the Lambda Invoke API
	serving     sync.WaitGroup
	pollers     sync.WaitGroup // SQS and DynamoDB stream pollers and the batches they deliver
	workers     sync.WaitGroup // schedules and asynchronous invocations
	// polledQueues are the URLs of the queues the pollers empty.
	polledQueues []string
	// streams are the enabled DynamoDB event source mappings.
	streams []*streamMapping
	tasks   taskGroup // handlers running invocations

	closeOnce sync.Once
	closeErr  error
}

// Start starts a Cloud: the AWS endpoint with the template's tables and queues, every function
// (calling its factory once, like a cold start), the HTTP API, the Lambda Invoke API, the SQS
// pollers and the schedules. ctx bounds the start only; Close stops the Cloud.
func Start(ctx context.Context, opts Options) (*Cloud, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.PollWait <= 0 {
		opts.PollWait = defaultPollWait
	}
	opts.PollWait = min(max(opts.PollWait.Round(time.Second), time.Second), maxPollWait)
	c := &Cloud{
		opts:      opts,
		log:       log.With("component", "localcloud"),
		functions: map[string]*function{},
	}
	workersCtx, stopWorkers := context.WithCancel(context.Background())
	awsCtx, stopAWS := context.WithCancel(context.Background())
	c.stopWorkers, c.stopAWS = stopWorkers, stopAWS
	c.invocations, c.stopInvocations = context.WithCancel(context.Background())
	if err := c.start(ctx, workersCtx, awsCtx); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}

func (c *Cloud) start(ctx, workersCtx, awsCtx context.Context) error {
	// A first pass gives the resources to create; the second resolves references to their identities.
	var err error
	if c.template, err = samtemplate.Parse(c.opts.TemplatePath, samtemplate.Options{Parameters: c.opts.Parameters}); err != nil {
		return err
	}
	if err := checkFactories(c.template, c.opts.Functions); err != nil {
		return err
	}
	if err := c.startAWSEndpoint(ctx, awsCtx); err != nil {
		return err
	}
	if err := c.createResources(ctx, c.template); err != nil {
		return err
	}
	c.template, err = samtemplate.Parse(c.opts.TemplatePath, samtemplate.Options{
		Parameters:      c.opts.Parameters,
		TableNames:      c.tableNames,
		QueueIdentities: c.queues,
		StreamARNs:      c.streamARNs,
	})
	if err != nil {
		return err
	}
	// The APIs listen before the cold starts, so that Env can name their URLs.
	httpLn, err := listen(c.opts.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP API: %w", err)
	}
	c.httpURL = "http://" + httpLn.Addr().String()
	_, c.httpPort, _ = net.SplitHostPort(httpLn.Addr().String())
	invokeLn, err := listen(c.opts.InvokeAddr)
	if err != nil {
		httpLn.Close()
		return fmt.Errorf("invoke API: %w", err)
	}
	c.invokeURL = "http://" + invokeLn.Addr().String()
	for id, f := range c.template.Functions {
		if c.functions[id], err = c.newFunction(ctx, f, c.opts.Functions[id]); err != nil {
			httpLn.Close()
			invokeLn.Close()
			return err
		}
		for name, typ := range f.OtherEvents {
			c.log.Warn("event type not delivered locally", "function", id, "event", name, "type", typ)
		}
		for _, r := range f.Routes {
			c.routes = append(c.routes, newRoute(r, c.functions[id]))
		}
	}
	// The stream mappings find their starting positions before anything can write to the tables.
	if err := c.newStreamMappings(ctx); err != nil {
		httpLn.Close()
		invokeLn.Close()
		return err
	}
	sortRoutes(c.routes)
	c.apiServers = append(c.apiServers,
		c.serve(httpLn, newServer(http.HandlerFunc(c.serveHTTPAPI), nil)),
		c.serve(invokeLn, newServer(c.invokeAPIHandler(), nil)))
	if err := c.startPollers(workersCtx); err != nil {
		return err
	}
	c.startSchedules(workersCtx)
	c.log.Info("local cloud started", "httpAPI", c.httpURL, "invokeAPI", c.invokeURL, "aws", c.awsURL)
	return nil
}

// checkFactories checks that the template's functions and the factories match.
func checkFactories(t *samtemplate.Template, factories map[string]Factory) error {
	var errs []error
	for id := range t.Functions {
		if factories[id] == nil {
			errs = append(errs, fmt.Errorf("function %s has no factory", id))
		}
	}
	for id := range factories {
		if t.Functions[id] == nil {
			errs = append(errs, fmt.Errorf("factory for %s, which the template does not have", id))
		}
	}
	return errors.Join(errs...)
}

// startAWSEndpoint serves DynamoDB (from DynamoDB Local) and SQS (from goaws), except those replaced
// by AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL_SQS, and loads the AWS configuration.
func (c *Cloud) startAWSEndpoint(ctx, awsCtx context.Context) error {
	endpoint := &awsEndpoint{}
	if externalEndpoint("DYNAMODB") == "" {
		dynamoDBURL, err := c.startDynamoDB(ctx)
		if err != nil {
			return err
		}
		proxy := newDynamoDBProxy(dynamoDBURL)
		endpoint.dynamoDB = proxy
		if c.opts.DynamoDBMiddleware != nil {
			endpoint.dynamoDB = c.opts.DynamoDBMiddleware(proxy)
		}
		// The middleware's rules are those of tables; reading a stream is none of their business.
		endpoint.dynamoDBStreams = proxy
	}
	ln, err := listen(c.opts.AWSAddr)
	if err != nil {
		return fmt.Errorf("AWS endpoint: %w", err)
	}
	c.awsURL = "http://" + ln.Addr().String()
	if externalEndpoint("SQS") == "" {
		endpoint.sqs = newSQSEmulator(c.template.Region, c.template.AccountID, c.awsURL)
		if c.opts.SQSMiddleware != nil {
			endpoint.sqs = c.opts.SQSMiddleware(endpoint.sqs)
		}
	}
	c.awsServer = c.serve(ln, newServer(endpoint, func(net.Listener) context.Context { return awsCtx }))
	if c.awsCfg, err = loadAWSConfig(ctx, c.template.Region, c.awsURL); err != nil {
		return err
	}
	if c.credentials, err = c.awsCfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("AWS credentials: %w", err)
	}
	return nil
}

// startDynamoDB starts the DynamoDB Local of Options.DynamoDBDataDir, or else joins the process's
// in-memory one with table names of this Cloud's own, and returns its URL.
func (c *Cloud) startDynamoDB(ctx context.Context) (*url.URL, error) {
	var server *dynamodblocal.Server
	var err error
	if c.opts.DynamoDBDataDir != "" {
		server, err = dynamodblocal.Start(ctx, dynamodblocal.Options{DBPath: c.opts.DynamoDBDataDir, Logger: c.log})
		c.dynamoDB = server
	} else {
		server, err = dynamodblocal.Shared(ctx)
		c.tableSuffix = "-" + randomHex(4)
	}
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(server.URL())
	if err != nil {
		return nil, err
	}
	if c.dynamoDB == nil {
		c.sharedDynamoDB = u
	}
	return u, nil
}

// deleteTablesTimeout bounds how long Close spends deleting a Cloud's tables from the shared DynamoDB Local.
const deleteTablesTimeout = 30 * time.Second

// deleteSharedTables deletes the Cloud's tables from the process's shared DynamoDB Local, directly
// (not through Options.DynamoDBMiddleware and its faults), so that the Clouds a process starts one
// after another, such as `make load`'s three runs, do not leave one another's items and streams in
// the memory of the one DynamoDB Local. A table that cannot be deleted is logged; it only costs memory.
func (c *Cloud) deleteSharedTables() {
	if c.sharedDynamoDB == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), deleteTablesTimeout)
	defer cancel()
	ddb := dynamodb.NewFromConfig(c.awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(c.sharedDynamoDB.String()) })
	for _, name := range c.tableNames {
		if _, err := ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			c.log.Warn("delete the table from the shared DynamoDB Local", "table", name, "error", err)
		}
	}
}

// createResources creates the template's tables and queues, unless they exist. Tables in a shared
// DynamoDB Local and queues on the embedded goaws, which every Cloud of the process shares, get a name
// suffix of their own.
func (c *Cloud) createResources(ctx context.Context, t *samtemplate.Template) error {
	ddb := dynamodb.NewFromConfig(c.awsCfg)
	c.tableNames = map[string]string{}
	c.streamARNs = map[string]string{}
	for id, table := range t.Tables {
		table.Name += c.tableSuffix
		created, err := createTable(ctx, ddb, table)
		if err != nil {
			return err
		}
		if created {
			if err := activateTable(ctx, ddb, table); err != nil {
				return err
			}
		} else if err := tableIndexes(ctx, ddb, table); err != nil {
			return err
		}
		c.tableNames[id] = table.Name
		if table.StreamViewType != "" {
			if c.streamARNs[id], err = tableStream(ctx, ddb, table); err != nil {
				return err
			}
		}
	}
	qc := &queueCreator{
		client:  sqs.NewFromConfig(c.awsCfg),
		queues:  t.Queues,
		timeout: c.opts.VisibilityTimeout,
		created: map[string]samtemplate.QueueIdentity{},
		pending: map[string]bool{},
	}
	if externalEndpoint("SQS") == "" {
		qc.suffix = "-" + randomHex(4)
	}
	for _, id := range slices.Sorted(maps.Keys(t.Queues)) {
		if _, err := qc.create(ctx, t.Queues[id]); err != nil {
			return err
		}
	}
	c.queues = qc.created
	return nil
}

// startPollers starts the pollers of the enabled SQS and DynamoDB event source mappings.
func (c *Cloud) startPollers(ctx context.Context) error {
	for _, m := range c.streams {
		c.pollers.Go(func() { m.run(ctx) })
	}
	client := sqs.NewFromConfig(c.awsCfg)
	for _, f := range c.functions {
		for _, src := range f.SQSSources {
			if !src.Enabled {
				continue
			}
			q := c.template.Queues[src.Queue]
			if q == nil {
				return fmt.Errorf("function %s, event %s: queue %s is not in the template", f.LogicalID, src.Event, src.QueueARN)
			}
			m := &sqsMapping{
				cloud:    c,
				fn:       f,
				src:      src,
				client:   client,
				queueURL: q.URL,
				pollWait: c.opts.PollWait,
				receives: map[string]int{},
			}
			if q.RedrivePolicy != nil {
				m.maxReceiveCount = q.RedrivePolicy.MaxReceiveCount
			}
			pollers := src.MaximumConcurrency
			if pollers <= 0 {
				pollers = defaultPollers
			}
			for range pollers {
				c.pollers.Go(func() { m.run(ctx) })
			}
			c.polledQueues = append(c.polledQueues, q.URL)
		}
	}
	return nil
}

// listen listens on addr, by default on a free port of the loopback interface.
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return net.Listen("tcp", addr)
}

// serve serves srv on ln until it shuts down.
func (c *Cloud) serve(ln net.Listener, srv *server) *server {
	c.serving.Go(func() {
		srv.serve(ln, func(err error) { c.log.Error("server stopped", "addr", ln.Addr().String(), "error", err) })
	})
	return srv
}

// Close stops the Cloud as Ctrl-C should: the HTTP API and the Lambda Invoke API stop taking requests;
// the SQS pollers go on until their queues are empty and the DynamoDB stream pollers until they have
// delivered every record of their streams, for Options.DrainTimeout at most, and stop after the
// batches in flight; the schedules stop; the invocations still running (a long import, say) see
// their context cancelled and return; the AWS endpoint and the DynamoDB Local the Cloud started stop
// last, or, on the process's shared DynamoDB Local, the Cloud's tables are deleted. Close is idempotent.
func (c *Cloud) Close() error {
	c.closeOnce.Do(func() {
		apiErrs := make(chan error, len(c.apiServers))
		for _, srv := range c.apiServers {
			go func() { apiErrs <- srv.shutdown() }()
		}
		c.drain(c.opts.DrainTimeout)
		c.stopWorkers()
		c.pollers.Wait()
		c.stopInvocations()
		var errs []error
		for range c.apiServers {
			errs = append(errs, <-apiErrs)
		}
		c.workers.Wait()
		c.tasks.closeAndWait()
		// Functions use the AWS endpoint until they return.
		c.stopAWS()
		if c.awsServer != nil {
			errs = append(errs, c.awsServer.shutdown())
		}
		c.serving.Wait()
		c.deleteSharedTables()
		if c.dynamoDB != nil {
			errs = append(errs, c.dynamoDB.Close())
		}
		c.closeErr = errors.Join(errs...)
		c.log.Info("local cloud stopped")
	})
	return c.closeErr
}

// drainPollInterval is how often drain looks at the polled queues.
const drainPollInterval = 100 * time.Millisecond

// drain waits until the polled queues hold no message, visible or in flight, and the stream pollers
// have nothing left to deliver, or until timeout. Functions may write to tables and send to queues,
// so the streams count as caught up only by sweeps that begin once the queues are seen empty.
func (c *Cloud) drain(timeout time.Duration) {
	if timeout <= 0 || (len(c.polledQueues) == 0 && len(c.streams) == 0) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := sqs.NewFromConfig(c.awsCfg)
	for {
		since := time.Now()
		left, err := c.queuedMessages(ctx, client)
		if err == nil && left == 0 && c.streamsCaughtUp(ctx, since) {
			return
		}
		if backoff.Sleep(ctx, drainPollInterval) != nil {
			c.log.Warn("stopped before the queues were empty and the streams delivered", "messages", left, "error", err)
			return
		}
	}
}

// queuedMessages counts the messages of the polled queues, visible or in flight.
func (c *Cloud) queuedMessages(ctx context.Context, client *sqs.Client) (int, error) {
	total := 0
	for _, u := range c.polledQueues {
		n, err := CountMessages(ctx, client, u,
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// HTTPURL returns the base URL of the HTTP API, such as "http://127.0.0.1:3000".
func (c *Cloud) HTTPURL() string { return c.httpURL }

// InvokeURL returns the endpoint of the Lambda Invoke API, for `aws lambda invoke --endpoint-url`.
func (c *Cloud) InvokeURL() string { return c.invokeURL }

// AWSEndpoint returns the URL of the local AWS endpoint, which serves DynamoDB and DynamoDB Streams
// (passing requests on to DynamoDB Local) and SQS.
func (c *Cloud) AWSEndpoint() string { return c.awsURL }

// AWSConfig returns an AWS configuration for this Cloud: its region, its endpoint (which
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_DYNAMODB_STREAMS and AWS_ENDPOINT_URL_SQS still
// override), and static dummy credentials
// unless credentials are configured in the environment.
func (c *Cloud) AWSConfig() aws.Config { return c.awsCfg.Copy() }

// Template returns the template as resolved for this Cloud, with the identities of its tables and
// queues. It is shared and must not be modified.
func (c *Cloud) Template() *samtemplate.Template { return c.template }

// FunctionEnv returns a function's environment: the template's variables and Lambda's, the endpoints
// and credentials of this Cloud's AWS, and Options.Env. It is nil for an unknown function.
func (c *Cloud) FunctionEnv(logicalID string) map[string]string {
	if f, ok := c.functions[logicalID]; ok {
		return maps.Clone(f.env)
	}
	return nil
}

// QueueURL returns the URL of a template queue, or "".
func (c *Cloud) QueueURL(logicalID string) string { return c.queues[logicalID].URL }

// TableName returns the name of a template table, or "".
func (c *Cloud) TableName(logicalID string) string { return c.tableNames[logicalID] }

// StreamARN returns the ARN of the latest stream of a template table, or "".
func (c *Cloud) StreamARN(logicalID string) string { return c.streamARNs[logicalID] }

// Invoke invokes a function synchronously, as the Lambda Invoke API does; the function may be named
// by logical ID, name or ARN, with an optional ":qualifier". A function's failure is returned as a
// *FunctionError.
func (c *Cloud) Invoke(ctx context.Context, logicalID string, payload []byte) ([]byte, error) {
	f, qualifier := c.lookupFunction(logicalID)
	if f == nil {
		return nil, fmt.Errorf("invoke %s: %w", logicalID, ErrFunctionNotFound)
	}
	return c.invoke(ctx, f, payload, lambdacontext.LambdaContext{InvokedFunctionArn: f.invokedARN(qualifier)})
}

// serviceEndpoint returns the endpoint functions use for a service: AWS_ENDPOINT_URL_<service>, or this Cloud's.
func (c *Cloud) serviceEndpoint(service string) string {
	if u := externalEndpoint(service); u != "" {
		return u
	}
	return c.awsURL
}

// streamsEndpoint returns the endpoint of DynamoDB Streams: AWS_ENDPOINT_URL_DYNAMODB_STREAMS; else,
// when DynamoDB is elsewhere, its endpoint, which serves both as DynamoDB Local and LocalStack do;
// else this Cloud's.
func (c *Cloud) streamsEndpoint() string {
	if u := externalEndpoint("DYNAMODB_STREAMS"); u != "" {
		return u
	}
	return c.serviceEndpoint("DYNAMODB")
}

// externalEndpoint returns AWS_ENDPOINT_URL_<service> if the SDK uses it.
func externalEndpoint(service string) string {
	if strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return ""
	}
	return os.Getenv("AWS_ENDPOINT_URL_" + service)
}

// loadAWSConfig loads the default AWS configuration with the region, the endpoint, and static dummy
// credentials unless the environment configures credentials.
func loadAWSConfig(ctx context.Context, region, endpoint string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if !credentialsConfigured() {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	// Not config.WithBaseEndpoint, which would also override AWS_ENDPOINT_URL_<SERVICE>.
	cfg.BaseEndpoint = aws.String(endpoint)
	return cfg, nil
}

// credentialsConfigured tells whether the environment points the SDK at credentials.
func credentialsConfigured() bool {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// taskGroup tracks goroutines until it is closed; it then refuses new ones.
type taskGroup struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// Go runs f in a goroutine unless the group is closed, and tells whether it does.
func (g *taskGroup) Go(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Go(f)
	return true
}

// closeAndWait refuses new goroutines and waits for the running ones.
func (g *taskGroup) closeAndWait() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}
