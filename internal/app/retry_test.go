package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/trackly/tune-integration/internal/app"
)

// Every function's AWS clients retry a failing request up to 8 times, however many other requests
// of the instance fail at once: no client-side retry quota refuses a retry after a burst.
func TestFunctionsRetryWithoutAQuota(t *testing.T) {
	retryer := functionRetryer(t)
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

// A DynamoDB write that meets another transaction on one of its items is retried, as DynamoDB
// advises; a transaction cancelled because a condition failed is not, whatever else it met.
func TestFunctionsRetryWritesThatMetATransaction(t *testing.T) {
	retryer := functionRetryer(t)
	cancelled := func(codes ...string) error {
		reasons := make([]types.CancellationReason, len(codes))
		for i, c := range codes {
			reasons[i] = types.CancellationReason{Code: aws.String(c)}
		}
		return fmt.Errorf("operation error DynamoDB: TransactWriteItems: %w", &types.TransactionCanceledException{CancellationReasons: reasons})
	}
	for _, tc := range []struct {
		name  string
		err   error
		retry bool
	}{
		{"a single write in another transaction", &smithy.GenericAPIError{Code: "TransactionConflictException"}, true},
		{"a transaction that met another", cancelled("TransactionConflict", "None"), true},
		{"a transaction over an item's throughput", cancelled("None", "ThrottlingError"), true},
		{"a transaction whose condition failed", cancelled("ConditionalCheckFailed", "None"), false},
		{"a transaction whose condition failed as it met another", cancelled("ConditionalCheckFailed", "TransactionConflict"), false},
		{"a transaction cancelled for no reason given", cancelled("None", "None"), false},
		{"a failed condition", &types.ConditionalCheckFailedException{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryer.IsErrorRetryable(tc.err); got != tc.retry {
				t.Errorf("retried: %v, want %v", got, tc.retry)
			}
		})
	}
}

// functionRetryer returns the retryer a function's AWS clients are built with.
func functionRetryer(t *testing.T) aws.Retryer {
	t.Helper()
	var retryer aws.Retryer
	f := app.Function{Name: "TestFunction", Build: func(_ context.Context, d app.Deps) (lambda.Handler, error) {
		retryer = d.AWS.Retryer()
		return nil, nil
	}}
	if _, err := f.New(context.Background(), aws.Config{Region: "us-east-1"}, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	return retryer
}
