// Package app wires the Lambda functions from their environment. Each function
// has its package under internal/app (postbackfn, clickfn, …) that declares a
// Function: the environment it requires and how it builds its handler from the
// parts every function shares, which this package builds. A bootstrap imports
// only its own function's package, so that it links, and initializes at its
// cold start, only what that function uses. The functions' main.go and the
// local cloud both start functions through a Function, so the same wiring runs
// in AWS and on a developer's machine.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trackly/tune-integration/internal/store"
)

// Function is one Lambda function's wiring.
type Function struct {
	// Name is the function's logical ID in template.yaml, such as "PostbackFunction".
	Name string
	// Required are the environment variables the function cannot start without.
	Required []string
	// Build builds the function's handler from the shared parts.
	Build func(ctx context.Context, d Deps) (lambda.Handler, error)
}

// Deps are the parts every function shares.
type Deps struct {
	// AWS is the AWS configuration the function's clients are made from.
	AWS aws.Config
	// Getenv reads the function's environment.
	Getenv func(string) string
	// Store reads and writes the tables the environment names.
	Store *store.Store
	// Logger logs with each invocation's request id.
	Logger *slog.Logger
	// Now is the clock.
	Now func() time.Time
}

// New builds the function's handler from the AWS configuration and the
// environment that getenv reads.
func (f Function) New(ctx context.Context, awsCfg aws.Config, getenv func(string) string) (lambda.Handler, error) {
	if err := require(getenv, f.Required...); err != nil {
		return nil, err
	}
	awsCfg.Retryer = newRetryer
	d := Deps{
		AWS:    awsCfg,
		Getenv: getenv,
		Store:  store.New(dynamodb.NewFromConfig(awsCfg), store.TablesFromEnv(getenv)),
		Logger: lambdacontext.NewLogger(),
		Now:    time.Now,
	}
	return f.Build(ctx, d)
}

// Retries of the AWS clients: every function's DynamoDB, SQS and SSM calls.
const (
	retryMaxAttempts = 8
	retryMaxBackoff  = time.Second
)

// newRetryer is the SDK's standard retryer (throttling, server errors and
// lost connections retried with jittered exponential backoff) with more
// attempts and shorter waits than its defaults (3 attempts, up to 20 s), and
// without its client-side retry quota. The quota, shared by every request of
// a function instance, turns a burst of failures into requests refused their
// retry: with 20% of DynamoDB requests failing, `make load`'s 10,000
// postbacks and 4,000 taps lost 3 clicks and sent 2 messages to the
// dead-letter queue with the default retryer. Each invocation is bounded by
// its own deadline instead, and 8 attempts keep a request within a
// postback's or a tap's time-out: the waits between them are jittered, up to
// 50 ms doubling for errors (about 3.6 s in all at the most) and up to 1 s
// for throttling (7 s). It also retries a write
// that met another transaction on one of its items (store.ConflictRetryables).
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = retryMaxAttempts
		o.MaxBackoff = retryMaxBackoff
		o.RateLimiter = ratelimit.None
		o.Retryables = append(slices.Clone(o.Retryables), store.ConflictRetryables...)
	})
}

// Start is a bootstrap's main: it loads the AWS configuration, builds the
// function's handler from the process's environment and serves Lambda's
// invocations with it. It exits the process if the function cannot start.
func (f Function) Start() {
	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		slog.Error("load AWS configuration", "error", err)
		os.Exit(1)
	}
	handler, err := f.New(ctx, awsCfg, os.Getenv)
	if err != nil {
		slog.Error("start "+f.Name, "error", err)
		os.Exit(1)
	}
	lambda.Start(handler)
}

func require(getenv func(string) string, names ...string) error {
	var missing []string
	for _, n := range names {
		if getenv(n) == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}
	return nil
}

// AttributionWindow reads DEFAULT_ATTRIBUTION_WINDOW_DAYS, the attribution
// window in days of integrations that set none: 30 unless set. Only the
// functions that use it read it, so only they need it set.
func (d Deps) AttributionWindow() (int, error) {
	return d.IntEnv("DEFAULT_ATTRIBUTION_WINDOW_DAYS", 30)
}

// IntEnv reads the environment variable name, a positive whole number, or
// returns fallback when it is not set.
func (d Deps) IntEnv(name string, fallback int) (int, error) {
	v := d.Getenv(name)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive whole number, not %q", name, v)
	}
	return n, nil
}
