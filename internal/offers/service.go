// Package offers brings TUNE offers into Trackly and keeps them in sync: it
// tests an integration's connection, lists the network's offers, imports
// the chosen ones and re-syncs imported offers, by hand or on a schedule.
//
// Every TUNE call goes through the tune client, which paces calls under the
// network's rate limit (shared by every integration of the network when
// Options.Pacers is set) and retries transient failures with back-off. A sync
// runs under a lease on the integration, so that overlapping runs never
// sync the same integration at once; it pages through the offer list,
// writes only the offers whose mapped fields changed, watches the Lambda
// deadline, and marks removed (never deletes) the imported offers a
// complete listing no longer returns. The API key is read from the secret
// store and never logged, returned or shown in an error.
package offers

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// Store is the storage the offer service needs.
type Store interface {
	integrations.Reader
	DueIntegrations(ctx context.Context, now time.Time) ([]trackly.Integration, error)
	AcquireSyncLease(ctx context.Context, integrationID, owner string, now, until time.Time) (trackly.Integration, error)
	ReleaseSyncLease(ctx context.Context, integrationID, owner string, r trackly.SyncRelease) error
	IntegrationOffers(ctx context.Context, integrationID string) ([]trackly.Offer, error)
	GetOffers(ctx context.Context, refs []trackly.OfferRef) (map[trackly.OfferRef]trackly.Offer, error)
	PutOffers(ctx context.Context, offers []trackly.Offer) (int, error)
	ListOffers(ctx context.Context, f trackly.OfferFilter) ([]trackly.Offer, string, error)
	PutSyncRun(ctx context.Context, r trackly.SyncRun) error
	ListSyncRuns(ctx context.Context, f trackly.SyncRunFilter) ([]trackly.SyncRun, string, error)
}

// Secrets reads secret values by name.
type Secrets interface {
	Get(ctx context.Context, name string) (string, error)
}

// Defaults of Options.
const (
	// DefaultPageSize is the number of offers asked per offer list call.
	DefaultPageSize = 500
	// MaxPageSize is the largest page size Options.PageSize may set.
	MaxPageSize = 2000
	// DefaultTestTimeout bounds Test Connection's single call.
	DefaultTestTimeout = 5 * time.Second
	// DefaultDeadlineMargin is the time a run keeps before the Lambda
	// deadline to write its progress and give its lease back.
	DefaultDeadlineMargin = 20 * time.Second
	// DefaultLease is how long a run's lease lasts when its context has no deadline.
	DefaultLease = 15 * time.Minute
	// DefaultSyncEvery is the sync interval of an integration that sets none.
	DefaultSyncEvery = 60 * time.Minute
	// DefaultDueConcurrency is how many due integrations sync at once.
	DefaultDueConcurrency = 4
	// failedRetryAfter is the longest wait before a failed sync is retried.
	failedRetryAfter = 15 * time.Minute
	// resumeMaxAge is the oldest partial run a sync resumes; older ones start over.
	resumeMaxAge = 2 * time.Hour
	// idsPerCall is the number of offer ids asked per findAll call when
	// importing or syncing chosen offers.
	idsPerCall = 100
	// maxOffersInAnswer bounds the offers an import answers with, so that
	// the answer stays well under Lambda's 6 MB response limit.
	maxOffersInAnswer = 1000
)

// Options tunes a Service. Zero fields take the defaults above.
type Options struct {
	// PageSize is the limit of each offer list call.
	PageSize int
	// HTTPClient makes TUNE calls. Default: a new http.Client.
	HTTPClient *http.Client
	// RateWindow is the window of the networks' rate limits (an
	// integration's RateLimit calls per RateWindow). Default 10s, TUNE's.
	RateWindow time.Duration
	// Pacers returns the pacer shared by every integration of a network,
	// wherever it runs: TUNE counts calls per network, whatever the key.
	// Default: each integration's client paces its own calls in process.
	Pacers func(tune.Pacing) tune.Pacer
	// TestTimeout bounds Test Connection's call.
	TestTimeout time.Duration
	// CallTimeout bounds each TUNE call of listings and syncs. Default: the tune client's.
	CallTimeout time.Duration
	// BackoffBase and BackoffMax shape the retries' back-off. Default: the tune client's.
	BackoffBase, BackoffMax time.Duration
	// MaxRetries of a transient TUNE failure. Default: the tune client's.
	MaxRetries int
	// DeadlineMargin is kept free before the context's deadline.
	DeadlineMargin time.Duration
	// DueConcurrency is how many due integrations sync at once.
	DueConcurrency int
	Logger         *slog.Logger
	Now            func() time.Time
}

// Service tests connections, lists, imports and syncs offers.
type Service struct {
	store   Store
	secrets Secrets
	opts    Options
	http    *http.Client
	logger  *slog.Logger
	now     func() time.Time

	mu      sync.Mutex
	clients map[string]cachedClient
}

type cachedClient struct {
	fingerprint [32]byte
	client      *tune.Client
}

// NewService returns a Service.
func NewService(st Store, sec Secrets, opts Options) *Service {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	opts.PageSize = min(opts.PageSize, MaxPageSize)
	if opts.TestTimeout <= 0 {
		opts.TestTimeout = DefaultTestTimeout
	}
	if opts.DeadlineMargin <= 0 {
		opts.DeadlineMargin = DefaultDeadlineMargin
	}
	if opts.DueConcurrency <= 0 {
		opts.DueConcurrency = DefaultDueConcurrency
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	hc := *base
	hc.Transport = countingTransport{base: base.Transport}
	return &Service{
		store: st, secrets: sec, opts: opts, http: &hc, logger: opts.Logger, now: opts.Now,
		clients: map[string]cachedClient{},
	}
}

// settingsError is an integration whose settings cannot make a TUNE client:
// no API key stored, or a setting the client refuses.
type settingsError struct {
	cause   string
	message string
}

func (e *settingsError) Error() string { return e.message }

// config builds the TUNE client configuration of an integration, its API
// key read from the secret store.
func (s *Service) config(ctx context.Context, in trackly.Integration) (tune.Config, error) {
	if in.APIKeySecret == "" {
		return tune.Config{}, &settingsError{cause: "no_api_key", message: fmt.Sprintf("integration %s has no API key; set one with update_integration", in.IntegrationID)}
	}
	key, err := s.secrets.Get(ctx, in.APIKeySecret)
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
		HTTPClient:  s.http,
		RateLimit:   in.RateLimit,
		RateWindow:  s.opts.RateWindow,
		Pacers:      s.opts.Pacers,
		MaxRetries:  s.opts.MaxRetries,
		Timeout:     s.opts.CallTimeout,
		BackoffBase: s.opts.BackoffBase,
		BackoffMax:  s.opts.BackoffMax,
	}, nil
}

// client returns the TUNE client of an integration, cached for the life of
// the execution environment so that its pacing spans invocations (without
// Options.Pacers, its in-process pacing); a change of settings or key makes
// a new one.
func (s *Service) client(ctx context.Context, in trackly.Integration) (*tune.Client, error) {
	cfg, err := s.config(ctx, in)
	if err != nil {
		return nil, err
	}
	fp := sha256.Sum256(fmt.Appendf(nil, "%q|%q|%q|%q|%q|%q|%d", cfg.NetworkID, cfg.APIDomain, cfg.BaseURL, cfg.KeyKind, cfg.APIKey, cfg.AffiliateID, cfg.RateLimit))
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[in.IntegrationID]; ok && c.fingerprint == fp {
		return c.client, nil
	}
	c, err := tune.NewClient(cfg)
	if err != nil {
		// tune's configuration errors name the field, never the key.
		return nil, &settingsError{cause: "invalid_settings", message: fmt.Sprintf("integration %s: %v", in.IntegrationID, err)}
	}
	s.clients[in.IntegrationID] = cachedClient{fingerprint: fp, client: c}
	return c, nil
}

// integrationClient reads an integration for an action, answering a field
// error when it does not exist, and returns it with its TUNE client. Settings
// that cannot make a client are a field error too: the admin's to fix.
func (s *Service) integrationClient(ctx context.Context, integrationID string) (trackly.Integration, *tune.Client, error) {
	in, err := integrations.Read(ctx, s.store, integrationID)
	if err != nil {
		return in, nil, err
	}
	c, err := s.client(ctx, in)
	var se *settingsError
	if errors.As(err, &se) {
		return in, nil, validate.Field("integration_id", "%s", se.message)
	}
	return in, c, err
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

// withCallCounter returns a context whose TUNE calls are counted in n.
func withCallCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, counterKey{}, n)
}
