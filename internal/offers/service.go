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
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/tuneclients"
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
	store  Store
	tune   *tuneclients.Clients
	opts   Options
	logger *slog.Logger
	now    func() time.Time
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
	clients := tuneclients.New(sec, tuneclients.Options{
		HTTPClient: opts.HTTPClient, RateWindow: opts.RateWindow, Pacers: opts.Pacers, CallTimeout: opts.CallTimeout,
		BackoffBase: opts.BackoffBase, BackoffMax: opts.BackoffMax, MaxRetries: opts.MaxRetries,
	})
	return &Service{store: st, tune: clients, opts: opts, logger: opts.Logger, now: opts.Now}
}

// integrationClient reads an integration for an action, answering a field
// error when it does not exist, and returns it with its TUNE client. Settings
// that cannot make a client are a field error too: the admin's to fix.
func (s *Service) integrationClient(ctx context.Context, integrationID string) (trackly.Integration, *tune.Client, error) {
	in, err := integrations.Read(ctx, s.store, integrationID)
	if err != nil {
		return in, nil, err
	}
	c, err := s.tune.Client(ctx, in)
	var se *tuneclients.SettingsError
	if errors.As(err, &se) {
		return in, nil, validate.Field("integration_id", "%s", se.Message)
	}
	return in, c, err
}
