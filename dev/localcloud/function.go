package localcloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trackly/tune-integration/dev/samtemplate"
)

// Factory builds a function's handler from its environment, as the function's main.go does in AWS.
// The handler is invoked concurrently, as the concurrent instances of a function would be.
type Factory func(ctx context.Context, awsCfg aws.Config, getenv func(string) string) (lambda.Handler, error)

// ErrFunctionNotFound is returned for an invocation of a function the template does not have.
var ErrFunctionNotFound = errors.New("function not found")

// ErrClosed is returned for an invocation after Close.
var ErrClosed = errors.New("local cloud closed")

// FunctionError is what Lambda reports when an invocation fails: the error the handler returned, a
// panic, or a timeout.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *FunctionError) Error() string {
	return e.Type + ": " + e.Message
}

// function is a function of the template and its instances. As in Lambda, an instance serves one
// invocation at a time, and a new one starts, with a cold start, when every instance is busy: a Go
// handler need not be safe for concurrent use (lambda.NewHandler's answers live in a buffer that it
// reuses, aws/aws-lambda-go#639).
type function struct {
	*samtemplate.Function
	arn     string
	env     map[string]string
	factory Factory
	awsCfg  aws.Config

	mu   sync.Mutex
	idle []lambda.Handler // instances that serve no invocation now
}

// functionEnv returns the environment Lambda would give a function, plus the endpoints and
// credentials to reach this Cloud's AWS, plus Options.Env.
func (c *Cloud) functionEnv(f *samtemplate.Function) map[string]string {
	env := maps.Clone(f.Environment)
	env["AWS_LAMBDA_FUNCTION_NAME"] = f.Name
	env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(f.MemorySize)
	env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + f.Name
	env["AWS_LAMBDA_LOG_FORMAT"] = f.LogFormat
	if f.LogFormat == "JSON" && f.ApplicationLogLevel != "" {
		env["AWS_LAMBDA_LOG_LEVEL"] = f.ApplicationLogLevel
	}
	env["AWS_REGION"] = c.template.Region
	env["AWS_DEFAULT_REGION"] = c.template.Region
	env["_HANDLER"] = f.Handler
	env["AWS_ENDPOINT_URL_DYNAMODB"] = c.serviceEndpoint("DYNAMODB")
	env["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = c.streamsEndpoint()
	env["AWS_ENDPOINT_URL_SQS"] = c.serviceEndpoint("SQS")
	env["AWS_ACCESS_KEY_ID"] = c.credentials.AccessKeyID
	env["AWS_SECRET_ACCESS_KEY"] = c.credentials.SecretAccessKey
	if c.credentials.SessionToken != "" {
		env["AWS_SESSION_TOKEN"] = c.credentials.SessionToken
	}
	for k, v := range c.opts.Env {
		env[k] = os.Expand(v, c.apiURL)
	}
	return env
}

// newFunction prepares a function, with the timeout of Options.FunctionTimeouts if it names one, and
// starts its first instance, so that a failing init shows at Start.
func (c *Cloud) newFunction(ctx context.Context, f *samtemplate.Function, factory Factory) (*function, error) {
	if timeout, ok := c.opts.FunctionTimeouts[f.LogicalID]; ok {
		g := *f
		g.Timeout = timeout
		f = &g
	}
	fn := &function{Function: f, arn: c.functionARN(f.Name), env: c.functionEnv(f), factory: factory, awsCfg: c.awsCfg}
	h, err := fn.start(ctx)
	if err != nil {
		return nil, err
	}
	fn.release(h)
	return fn, nil
}

// functionARN returns the ARN of the function of the given name in the template's account.
func (c *Cloud) functionARN(name string) string {
	t := c.template
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", t.Partition, t.Region, t.AccountID, name)
}

// start starts an instance: it builds a handler with the factory, as a cold start does.
func (f *function) start(ctx context.Context) (lambda.Handler, error) {
	h, err := f.factory(ctx, f.awsCfg.Copy(), func(key string) string { return f.env[key] })
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", f.LogicalID, err)
	}
	return h, nil
}

// acquire takes an idle instance, or starts one.
func (f *function) acquire(ctx context.Context) (lambda.Handler, error) {
	f.mu.Lock()
	if n := len(f.idle); n > 0 {
		h := f.idle[n-1]
		f.idle = f.idle[:n-1]
		f.mu.Unlock()
		return h, nil
	}
	f.mu.Unlock()
	return f.start(ctx)
}

// release makes an instance idle again.
func (f *function) release(h lambda.Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idle = append(f.idle, h)
}

// invoke runs one invocation of f as Lambda does: with a request ID (lc's, or a new one), the invoked
// function ARN and a deadline of the function's timeout in the context. The handler's context does
// not end with ctx, as an invocation outlives its caller, but it does end when Close stops the
// running invocations. A handler that overruns its timeout is reported as timed out and left to
// finish in the background.
func (c *Cloud) invoke(ctx context.Context, f *function, payload []byte, lc lambdacontext.LambdaContext) ([]byte, error) {
	if lc.AwsRequestID == "" {
		lc.AwsRequestID = newUUID()
	}
	if lc.InvokedFunctionArn == "" {
		lc.InvokedFunctionArn = f.arn
	}
	start := time.Now()
	hctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), start.Add(f.Timeout))
	stopCancelling := context.AfterFunc(c.invocations, cancel)
	hctx = lambdacontext.NewContext(hctx, &lc)
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	if !c.tasks.Go(func() {
		defer stopCancelling()
		defer cancel()
		out, err := c.callHandler(hctx, f, payload)
		done <- result{out, err}
	}) {
		stopCancelling()
		cancel()
		return nil, ErrClosed
	}
	timer := time.NewTimer(f.Timeout)
	defer timer.Stop()
	var r result
	select {
	case r = <-done:
	case <-timer.C:
		r.err = &FunctionError{
			Type:    "Sandbox.Timedout",
			Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", lc.AwsRequestID, f.Timeout.Seconds()),
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	log := c.log.With("function", f.LogicalID, "requestId", lc.AwsRequestID, "duration", time.Since(start))
	if r.err != nil {
		log.Warn("invocation failed", "error", r.err)
		return nil, r.err
	}
	log.Debug("invocation succeeded")
	return r.out, nil
}

// callHandler calls an instance of f's handler and reports its error or panic as the Lambda runtime
// for Go does.
func (c *Cloud) callHandler(ctx context.Context, f *function, payload []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("handler panicked", "function", f.LogicalID, "panic", v, "stack", string(debug.Stack()))
			err = &FunctionError{Message: fmt.Sprint(v), Type: typeName(v)}
		}
	}()
	h, err := f.acquire(ctx)
	if err != nil {
		return nil, &FunctionError{Message: err.Error(), Type: "Runtime.InitError"}
	}
	defer f.release(h)
	out, err = h.Invoke(ctx, payload)
	if err != nil {
		if e, ok := errors.AsType[messages.InvokeResponse_Error](err); ok {
			return nil, &FunctionError{Message: e.Message, Type: e.Type}
		}
		return nil, &FunctionError{Message: err.Error(), Type: typeName(err)}
	}
	// aws-lambda-go's handler answers with the bytes of a buffer it has already put back in its pool
	// for the instance's next invocation: the Lambda runtime sends them before it takes that
	// invocation, and the caller here reads them after the instance is released, so they are copied.
	return bytes.Clone(out), nil
}

// typeName returns the name of v's type, or of the type it points to.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// newUUID returns a random (version 4) UUID, the form of Lambda request IDs.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// apiURL resolves the names Options.Env values may use.
func (c *Cloud) apiURL(name string) string {
	switch name {
	case "HTTP_API_URL":
		return c.httpURL
	case "INVOKE_API_URL":
		return c.invokeURL
	}
	return "${" + name + "}"
}
