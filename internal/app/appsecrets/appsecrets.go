// Package appsecrets gives the functions that keep secrets (API keys, postback
// tokens, the click signing key) their secrets store, and the click signer
// that loads the click signing key from it. It is apart from package
// app so that the functions that keep none do not link the SSM client, whose
// packages take time at every cold start.
package appsecrets

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/trackly/tune-integration/internal/app"
	"github.com/trackly/tune-integration/internal/secrets"
)

// Store returns the function's secrets: in files under SECRETS_DIR when it is
// set (local runs), else in SSM Parameter Store under SECRETS_PARAMETER_PREFIX.
func Store(d app.Deps) (*secrets.Store, error) {
	if dir := d.Getenv("SECRETS_DIR"); dir != "" {
		backend, err := secrets.NewDir(dir)
		if err != nil {
			return nil, err
		}
		return secrets.NewStore(backend), nil
	}
	prefix := d.Getenv("SECRETS_PARAMETER_PREFIX")
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("SECRETS_PARAMETER_PREFIX must be an SSM path like /trackly/prod/, not %q", prefix)
	}
	return secrets.NewStore(secrets.NewSSM(ssm.NewFromConfig(d.AWS), prefix)), nil
}

// Function returns the wiring of a function that keeps secrets: build gets the
// function's secrets store (see Store) with the shared parts.
func Function(name string, required []string, build func(context.Context, app.Deps, *secrets.Store) (lambda.Handler, error)) app.Function {
	return app.Function{Name: name, Required: required, Build: func(ctx context.Context, d app.Deps) (lambda.Handler, error) {
		s, err := Store(d)
		if err != nil {
			return nil, err
		}
		return build(ctx, d, s)
	}}
}
