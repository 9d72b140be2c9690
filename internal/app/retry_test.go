package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trackly/tune-integration/internal/app"
)

// Every function's AWS clients retry a failing request up to 8 times, however many other requests
// of the instance fail at once: no client-side retry quota refuses a retry after a burst.
func TestFunctionsRetryWithoutAQuota(t *testing.T) {
	var retryer aws.Retryer
	f := app.Function{Name: "TestFunction", Build: func(_ context.Context, d app.Deps) (lambda.Handler, error) {
		retryer = d.AWS.Retryer()
		return nil, nil
	}}
	if _, err := f.New(context.Background(), aws.Config{Region: "us-east-1"}, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if retryer == nil || retryer.MaxAttempts() != 8 {
		t.Fatalf("retryer %v, want one of 8 attempts", retryer)
	}
	failure := errors.New("server error")
	for i := range 1000 { // the SDK's default quota refuses the 101st retry
		if _, err := retryer.GetRetryToken(context.Background(), failure); err != nil {
			t.Fatalf("retry %d refused: %v", i+1, err)
		}
	}
}
