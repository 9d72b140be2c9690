package localcloud

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestCloseDrainsQueues(t *testing.T) {
	const messages = 60
	processed := make(chan string, messages)
	slow := lambda.NewHandler(func(_ context.Context, e events.SQSEvent) error {
		time.Sleep(50 * time.Millisecond) // a real function's work: the queue outlasts Close's start
		for _, r := range e.Records {
			processed <- r.Body
		}
		return nil
	})
	c := startCloud(t, map[string]Factory{"WorkerFunction": static(slow)}, func(o *Options) {
		o.DrainTimeout = waitTimeout
	})
	bodies := make([]string, messages)
	for i := range bodies {
		bodies[i] = strconv.Itoa(i)
	}
	send(t, sqs.NewFromConfig(c.AWSConfig()), c.QueueURL("WorkQueue"), bodies...)
	closeDrains(t, c, processed, messages, "queued messages")
}

// closeDrains closes c and fails t unless processed, which the functions fed, then holds n distinct
// values: Close waited until all that was queued, what, was processed.
func closeDrains(t *testing.T, c *Cloud, processed chan string, n int, what string) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	close(processed)
	seen := map[string]bool{}
	for v := range processed {
		seen[v] = true
	}
	if len(seen) != n {
		t.Errorf("Close returned after %d of %d %s were processed", len(seen), n, what)
	}
}

func TestCloseCancelsRunningInvocations(t *testing.T) {
	started := make(chan struct{})
	ended := make(chan error, 1)
	long := handlerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		close(started)
		<-ctx.Done() // a long import: it works until its context ends
		ended <- ctx.Err()
		return nil, ctx.Err()
	})
	c := startCloud(t, map[string]Factory{"CronFunction": static(long)}, nil)
	invoked := make(chan error, 1)
	go func() {
		_, err := c.Invoke(context.Background(), "CronFunction", []byte(`{}`))
		invoked <- err
	}()
	<-started
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the running invocation's context ended with %v, want context.Canceled", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Close did not end the running invocation's context")
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, ok := errors.AsType[*FunctionError](<-invoked); !ok {
		t.Error("the interrupted invocation did not report the function's error")
	}
}
