// Package httpfn is the wiring the HTTP API's functions share: each serves its
// routes through API Gateway's proxy integration, and signs or verifies click
// ids with the click signing key (appsecrets.ClickSigner), which loads off init.
package httpfn

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/trackly/tune-integration/internal/app"
	"github.com/trackly/tune-integration/internal/app/appsecrets"
	"github.com/trackly/tune-integration/internal/secrets"
)

// Parts are what an HTTP API function's routes are made from: the parts
// every function shares, and the click signer.
type Parts struct {
	app.Deps
	// Signer starts loading the click signing key during init but does not
	// hold init up: the first request waits for the key only when it needs it.
	Signer *appsecrets.ClickSigner
}

// Routes are an HTTP API function's handlers by pattern (see http.ServeMux).
type Routes map[string]http.Handler

// Function returns the wiring of an HTTP API function whose handlers routes
// makes; an error from routes (a setting it reads is bad) stops the function
// from starting.
func Function(name string, required []string, routes func(Parts) (Routes, error)) app.Function {
	return appsecrets.Function(name, required, func(ctx context.Context, d app.Deps, s *secrets.Store) (lambda.Handler, error) {
		rs, err := routes(Parts{Deps: d, Signer: appsecrets.NewClickSigner(ctx, s)})
		if err != nil {
			return nil, err
		}
		mux := http.NewServeMux()
		for pattern, h := range rs {
			mux.Handle(pattern, h)
		}
		return lambda.NewHandler(httpadapter.NewV2(answerInTime(mux)).ProxyWithContext), nil
	})
}

// AnswerMargin is the time an HTTP API function keeps, before its
// invocation's deadline, to answer: its requests' context ends that much
// earlier, so that AWS calls still retrying give up and the handler answers
// (a 503 for TUNE to send again, an error page, a tap's redirect) rather than
// the invocation timing out into API Gateway's bare 500.
const AnswerMargin = time.Second

// answerInTime gives each request a context that ends AnswerMargin before
// the invocation's deadline.
func answerInTime(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if deadline, ok := r.Context().Deadline(); ok {
			ctx, cancel := context.WithDeadline(r.Context(), deadline.Add(-AnswerMargin))
			defer cancel()
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}
