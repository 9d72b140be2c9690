package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/spf13/pflag"

	"github.com/trackly/tune-integration/internal/adminapi"
)

// Function logical ids in template.yaml, and the stack outputs that name them.
const (
	adminFunction          = string(adminapi.AdminFunction)
	offerSyncFunction      = string(adminapi.OfferSyncFunction)
	reconciliationFunction = string(adminapi.ReconciliationFunction)

	// defaultLocalEndpoint is the Lambda Invoke API of `trackly local`, as `sam local start-lambda` serves it.
	defaultLocalEndpoint = "http://127.0.0.1:3001"
	defaultLocalRegion   = "us-east-1"
)

var stackOutputs = map[string]string{
	adminFunction:          "AdminFunctionName",
	offerSyncFunction:      "OfferSyncFunctionName",
	reconciliationFunction: "ReconciliationFunctionName",
}

// functionFlags are the flags that name each function.
var functionFlags = map[string]string{
	adminFunction:          "--admin-function",
	offerSyncFunction:      "--offersync-function",
	reconciliationFunction: "--reconciliation-function",
}

// targetFlags say where the functions run.
type targetFlags struct {
	local     bool
	endpoint  string
	stack     string
	adminFn   string
	offerFn   string
	reconFn   string
	region    string
	profile   string
	flags     *pflag.FlagSet
	functions map[string]*string
}

func (t *targetFlags) register(fs *pflag.FlagSet) {
	t.flags = fs
	fs.BoolVar(&t.local, "local", false, "invoke the local cloud of 'trackly local' at "+defaultLocalEndpoint+" (env TRACKLY_LOCAL=1)")
	fs.StringVar(&t.endpoint, "endpoint-url", "", "Lambda Invoke API endpoint (default: AWS, or "+defaultLocalEndpoint+" with --local)")
	fs.StringVar(&t.stack, "stack", "", "CloudFormation stack whose outputs name the functions (env TRACKLY_STACK)")
	fs.StringVar(&t.adminFn, "admin-function", "", "name or ARN of AdminFunction (overrides the stack's output)")
	fs.StringVar(&t.offerFn, "offersync-function", "", "name or ARN of OfferSyncFunction (overrides the stack's output)")
	fs.StringVar(&t.reconFn, "reconciliation-function", "", "name or ARN of ReconciliationFunction (overrides the stack's output)")
	fs.StringVar(&t.region, "region", "", "AWS region (default: from the AWS configuration)")
	fs.StringVar(&t.profile, "profile", "", "AWS shared configuration profile")
	t.functions = map[string]*string{adminFunction: &t.adminFn, offerSyncFunction: &t.offerFn, reconciliationFunction: &t.reconFn}
}

// resolved is a target after flags and environment are combined.
type resolved struct {
	endpoint string // "" is AWS's own endpoint
	stack    string
	names    map[string]string // logical id -> function name, where known up front
	local    bool              // an endpoint on this machine
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// resolve combines flags and the TRACKLY_* environment into a target.
func (t *targetFlags) resolve(getenv func(string) string) (resolved, error) {
	local, stack := t.local, t.stack
	if t.local && t.stack != "" {
		return resolved{}, usagef("--local and --stack are alternatives; pass one")
	}
	explicit := t.local || t.stack != "" || t.endpoint != "" || t.adminFn != "" || t.offerFn != "" || t.reconFn != ""
	if !explicit {
		switch {
		case truthy(getenv("TRACKLY_LOCAL")):
			local = true
		case getenv("TRACKLY_STACK") != "":
			stack = getenv("TRACKLY_STACK")
		default:
			return resolved{}, usagef("no target: pass --local (the local cloud of 'trackly local'), " +
				"--stack NAME (a deployed stack), or --admin-function/--offersync-function/--reconciliation-function NAME; " +
				"TRACKLY_LOCAL=1 or TRACKLY_STACK=NAME set a default")
		}
	}
	r := resolved{endpoint: t.endpoint, stack: stack, names: map[string]string{}}
	if local && r.endpoint == "" {
		r.endpoint = defaultLocalEndpoint
	}
	if r.endpoint != "" {
		u, err := url.Parse(r.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return resolved{}, usagef("--endpoint-url must be a URL like %s, not %q", defaultLocalEndpoint, r.endpoint)
		}
		r.local = isLoopback(u.Hostname())
		if stack == "" {
			// The local cloud (like sam local start-lambda) knows functions by logical id.
			for logical := range stackOutputs {
				r.names[logical] = logical
			}
		}
	}
	for logical, name := range t.functions {
		if *name != "" {
			r.names[logical] = *name
		}
	}
	return r, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// invoker invokes the functions of a target.
type invoker struct {
	target resolved
	lambda *lambda.Client
	cfg    aws.Config

	mu    sync.Mutex
	names map[string]string
}

// invoker builds the client of the target on first use.
func (c *cli) invoker(ctx context.Context) (*invoker, error) {
	if c.inv != nil {
		return c.inv, nil
	}
	r, err := c.target.resolve(c.getenv)
	if err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if c.target.region != "" {
		opts = append(opts, config.WithRegion(c.target.region))
	}
	if c.target.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.target.profile))
	}
	// An endpoint on this machine (the local cloud, sam local) checks no signature: sign with dummy
	// credentials rather than whatever (perhaps expired SSO) profile the shell has, unless asked.
	if r.local && c.target.profile == "" && c.getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("trackly-local", "trackly-local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if r.endpoint == "" {
			return nil, usagef("no AWS region: pass --region, set AWS_REGION, or set one in your AWS profile")
		}
		cfg.Region = defaultLocalRegion
	}
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if r.endpoint != "" {
			o.BaseEndpoint = aws.String(r.endpoint)
		}
		// An invocation is retried only when Lambda throttled it (it did not run):
		// retrying an action after a broken connection could run it twice.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Retryables = []retry.IsErrorRetryable{
				retry.NoRetryCanceledError{},
				retry.RetryableErrorCode{Codes: retry.DefaultThrottleErrorCodes},
			}
		})
	})
	c.inv = &invoker{target: r, lambda: client, cfg: cfg, names: r.names}
	return c.inv, nil
}

// functionName returns the name to invoke for a logical id, reading the stack's outputs when needed.
func (iv *invoker) functionName(ctx context.Context, logical string) (string, error) {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	if name := iv.names[logical]; name != "" {
		return name, nil
	}
	flag := functionFlags[logical]
	if iv.target.stack == "" {
		return "", usagef("no %s to invoke: pass %s NAME or --stack NAME", logical, flag)
	}
	out, err := cloudformation.NewFromConfig(iv.cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(iv.target.stack)})
	if err != nil {
		return "", fmt.Errorf("read the outputs of stack %q: %s", iv.target.stack, apiErrorText(err))
	}
	if len(out.Stacks) == 0 {
		return "", fmt.Errorf("stack %q not found", iv.target.stack)
	}
	for _, o := range out.Stacks[0].Outputs {
		for l, key := range stackOutputs {
			if aws.ToString(o.OutputKey) == key && iv.names[l] == "" {
				iv.names[l] = aws.ToString(o.OutputValue)
			}
		}
	}
	if name := iv.names[logical]; name != "" {
		return name, nil
	}
	return "", fmt.Errorf("stack %q has no output %s (is it this project's stack?); pass %s NAME", iv.target.stack, stackOutputs[logical], flag)
}

// where names the target in messages.
func (iv *invoker) where() string {
	switch {
	case iv.target.endpoint != "":
		return iv.target.endpoint
	case iv.target.stack != "":
		return "stack " + iv.target.stack + " in " + iv.cfg.Region
	}
	return "AWS " + iv.cfg.Region
}
