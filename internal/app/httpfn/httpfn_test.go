package httpfn_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trackly/tune-integration/internal/app/appsecrets"
	"github.com/trackly/tune-integration/internal/app/httpfn"
)

// A request's context ends AnswerMargin before the invocation's deadline, so that a handler whose
// AWS calls are still retrying answers before Lambda ends the invocation.
func TestRequestsEndBeforeTheInvocationDoes(t *testing.T) {
	var seen time.Time
	var signer *appsecrets.ClickSigner
	f := httpfn.Function("TestFunction", nil, func(p httpfn.Parts) (httpfn.Routes, error) {
		signer = p.Signer
		return httpfn.Routes{"GET /deadline": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen, _ = r.Context().Deadline()
			w.WriteHeader(http.StatusNoContent)
		})}, nil
	})
	env := map[string]string{"SECRETS_DIR": t.TempDir()}
	h, err := f.New(context.Background(), aws.Config{Region: "us-east-1"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	// The signer creates its key in SECRETS_DIR in the background: the directory is removed only
	// once that is done.
	t.Cleanup(func() {
		if _, err := signer.New("link"); err != nil {
			t.Errorf("the click signer's key: %v", err)
		}
	})
	deadline := time.Now().Add(time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	req, err := json.Marshal(events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: "/deadline",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/deadline"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	answer, err := h.Invoke(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(answer, &res); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("answer %s (%v), want 204", answer, err)
	}
	if want := deadline.Add(-httpfn.AnswerMargin); !seen.Equal(want) {
		t.Errorf("the request's deadline %v, want %v: %v before the invocation's", seen, want, httpfn.AnswerMargin)
	}
}
