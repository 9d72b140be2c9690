// Package tuneclients makes the TUNE client of each integration and keeps
// it for the life of the execution environment: its API key read from the
// secret store (never logged, returned or shown in an error), its calls
// paced with every other client of the network, retried as configured and
// counted for the run that makes them.
package tuneclients

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
)

// Secrets reads secret values by name.
type Secrets interface {
	Get(ctx context.Context, name string) (string, error)
}

// Options shape every client. Zero fields take the tune client's defaults.
type Options struct {
	// HTTPClient makes TUNE calls. Default: a new http.Client.
	HTTPClient *http.Client
	// RateWindow is the window of the networks' rate limits (an
	// integration's RateLimit calls per RateWindow).
	RateWindow time.Duration
	// Pacers returns the pacer shared by every integration of a network,
	// wherever it runs: TUNE counts calls per network, whatever the key.
	// Default: each integration's client paces its own calls in process.
	Pacers func(tune.Pacing) tune.Pacer
	// CallTimeout bounds each call.
	CallTimeout time.Duration
	// BackoffBase and BackoffMax shape the retries' back-off.
	BackoffBase, BackoffMax time.Duration
	// MaxRetries of a transient failure.
	MaxRetries int
}

// Clients makes and keeps integrations' TUNE clients. It is safe for concurrent use.
type Clients struct {
	secrets Secrets
	opts    Options
	http    *http.Client

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	fingerprint [32]byte
	client      *tune.Client
}

// New returns Clients reading API keys from sec.
func New(sec Secrets, opts Options) *Clients {
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	hc := *base
	hc.Transport = countingTransport{base: base.Transport}
	return &Clients{secrets: sec, opts: opts, http: &hc, cache: map[string]cached{}}
}

// SettingsError is an integration whose settings cannot make a TUNE client:
// no API key stored, or a setting the client refuses. It is the admin's to fix.
type SettingsError struct {
	// Cause is no_api_key or invalid_settings.
	Cause   string
	Message string
}

func (e *SettingsError) Error() string { return e.Message }

// Config returns the TUNE client configuration of an integration, its API
// key read from the secret store. An integration without a key is a
// *SettingsError.
func (c *Clients) Config(ctx context.Context, in trackly.Integration) (tune.Config, error) {
	if in.APIKeySecret == "" {
		return tune.Config{}, &SettingsError{Cause: "no_api_key", Message: fmt.Sprintf("integration %s has no API key; set one with update_integration", in.IntegrationID)}
	}
	key, err := c.secrets.Get(ctx, in.APIKeySecret)
	if err != nil {
		// The secret store's errors name the secret, never its value.
		return tune.Config{}, fmt.Errorf("read API key of %s: %w", in.IntegrationID, err)
	}
	return tune.Config{
		NetworkID:   in.NetworkID,
		APIDomain:   in.APIDomain,
		BaseURL:     in.APIBaseURL,
		KeyKind:     in.KeyKind,
		APIKey:      key,
		AffiliateID: in.AffiliateID,
		HTTPClient:  c.http,
		RateLimit:   in.RateLimit,
		RateWindow:  c.opts.RateWindow,
		Pacers:      c.opts.Pacers,
		MaxRetries:  c.opts.MaxRetries,
		Timeout:     c.opts.CallTimeout,
		BackoffBase: c.opts.BackoffBase,
		BackoffMax:  c.opts.BackoffMax,
	}, nil
}

// Client returns the TUNE client of an integration, kept for the life of
// the execution environment so that its pacing spans invocations (without
// Options.Pacers, its in-process pacing); a change of settings or key makes
// a new one. Settings the client refuses are a *SettingsError.
func (c *Clients) Client(ctx context.Context, in trackly.Integration) (*tune.Client, error) {
	cfg, err := c.Config(ctx, in)
	if err != nil {
		return nil, err
	}
	fp := sha256.Sum256(fmt.Appendf(nil, "%q|%q|%q|%q|%q|%q|%d", cfg.NetworkID, cfg.APIDomain, cfg.BaseURL, cfg.KeyKind, cfg.APIKey, cfg.AffiliateID, cfg.RateLimit))
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.cache[in.IntegrationID]; ok && k.fingerprint == fp {
		return k.client, nil
	}
	client, err := tune.NewClient(cfg)
	if err != nil {
		// tune's configuration errors name the field, never the key.
		return nil, &SettingsError{Cause: "invalid_settings", Message: fmt.Sprintf("integration %s: %v", in.IntegrationID, err)}
	}
	c.cache[in.IntegrationID] = cached{fingerprint: fp, client: client}
	return client, nil
}

// countingTransport counts the HTTP requests made under a context that
// carries a call counter, so that a run can record its TUNE calls.
type countingTransport struct{ base http.RoundTripper }

type counterKey struct{}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if n, ok := r.Context().Value(counterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// WithCallCounter returns a context whose TUNE calls (each HTTP request,
// retries included) are counted in n.
func WithCallCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, counterKey{}, n)
}
