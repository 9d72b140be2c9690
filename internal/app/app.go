// Package app wires each Lambda function from its environment: it builds the
// AWS clients and the rules packages and returns the handler Lambda starts.
// The functions' main.go and the local cloud both start functions through it,
// so the same wiring runs in AWS and on a developer's machine.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/secrets"
	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// ClickSigningKeySecret names the secret that signs click ids.
const ClickSigningKeySecret = "click-signing-key"

// deps are the parts every function shares.
type deps struct {
	store   *store.Store
	secrets *secrets.Store
	logger  *slog.Logger
	now     func() time.Time
}

func newDeps(awsCfg aws.Config, getenv func(string) string, tables ...string) (deps, error) {
	if err := require(getenv, tables...); err != nil {
		return deps{}, err
	}
	backend, err := secretsBackend(awsCfg, getenv)
	if err != nil {
		return deps{}, err
	}
	return deps{
		store:   store.New(dynamodb.NewFromConfig(awsCfg), store.TablesFromEnv(getenv)),
		secrets: secrets.NewStore(backend),
		logger:  lambdacontext.NewLogger(),
		now:     time.Now,
	}, nil
}

// secretsBackend keeps secrets in files under SECRETS_DIR when it is set (local
// runs), else in SSM Parameter Store under SECRETS_PARAMETER_PREFIX.
func secretsBackend(awsCfg aws.Config, getenv func(string) string) (secrets.Backend, error) {
	if dir := getenv("SECRETS_DIR"); dir != "" {
		return secrets.NewDir(dir)
	}
	prefix := getenv("SECRETS_PARAMETER_PREFIX")
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("SECRETS_PARAMETER_PREFIX must be an SSM path like /trackly/prod/, not %q", prefix)
	}
	return secrets.NewSSM(ssm.NewFromConfig(awsCfg), prefix), nil
}

// clickSigner loads (creating on first use) the key that signs click ids.
func (d deps) clickSigner(ctx context.Context) (*clickid.Signer, error) {
	key, err := d.secrets.GetOrCreate(ctx, ClickSigningKeySecret, 32)
	if err != nil {
		return nil, fmt.Errorf("click signing key: %w", err)
	}
	return clickid.NewSigner([]byte(key))
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

func intEnv(getenv func(string) string, name string, fallback int) (int, error) {
	v := getenv(name)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive whole number, not %q", name, v)
	}
	return n, nil
}

// attributionWindow reads DEFAULT_ATTRIBUTION_WINDOW_DAYS, the attribution
// window of integrations that set none: 30 days unless set.
func attributionWindow(getenv func(string) string) (int, error) {
	return intEnv(getenv, "DEFAULT_ATTRIBUTION_WINDOW_DAYS", 30)
}

// invokeError turns an action's error into the function error Lambda reports
// (errorType and errorMessage, the error types of adminapi), so callers can
// tell bad input from TUNE's answers and from our own failures.
func invokeError(err error) error {
	if err == nil {
		return nil
	}
	if fe, ok := validate.AsFieldError(err); ok {
		return messages.InvokeResponse_Error{Type: adminapi.ErrorInvalidInput, Message: fe.Error()}
	}
	var te *tune.Error
	if errors.As(err, &te) {
		return messages.InvokeResponse_Error{Type: adminapi.ErrorTUNE, Message: te.Error()}
	}
	return messages.InvokeResponse_Error{Type: adminapi.ErrorInternal, Message: err.Error()}
}
