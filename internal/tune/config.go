package tune

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Key kinds accepted in Config.KeyKind.
const (
	// KeyKindNetwork is a network API key, sent as the NetworkToken parameter.
	KeyKindNetwork = "network"
	// KeyKindAffiliate is an affiliate API key, sent as the api_key parameter.
	KeyKindAffiliate = "affiliate"
)

// Defaults applied by NewClient to zero Config fields.
const (
	DefaultAPIDomain   = "api.hasoffers.com"
	DefaultRateLimit   = 50
	DefaultRateWindow  = 10 * time.Second
	DefaultMaxRetries  = 5
	DefaultTimeout     = 5 * time.Second
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 30 * time.Second
)

// Config describes how to reach one TUNE network with one API key.
type Config struct {
	// NetworkID is the network's id, the first label of its API host
	// ("demo" in demo.api.hasoffers.com). Required.
	NetworkID string
	// APIDomain is the API host after the network id. Default "api.hasoffers.com".
	APIDomain string
	// BaseURL, when set, replaces the whole endpoint, for example
	// "http://127.0.0.1:4567/Apiv3/json" for a simulator; http is allowed.
	BaseURL string
	// KeyKind is KeyKindNetwork or KeyKindAffiliate. Required.
	KeyKind string
	// APIKey is the network token or affiliate API key. Required.
	APIKey string
	// AffiliateID is the affiliate tracking links are generated for. Needed
	// for TrackingLink with a network key; an affiliate key implies it.
	AffiliateID string
	// HTTPClient makes the calls. Default: a client without redirects.
	HTTPClient *http.Client
	// RateLimit is the most calls within any RateWindow. Default 50. A call
	// counts from its start until one window after its answer, so that the
	// server, whatever the latency, never sees more either.
	RateLimit int
	// RateWindow is the sliding window of RateLimit. Default 10s.
	RateWindow time.Duration
	// Pacers, when set, returns the Pacer the client's calls wait on, given
	// the client's Pacing: a pacer shared by every client of the same
	// network, in this process or any other, keeps their calls together
	// within the network's limit. Unset, the client paces its own calls in
	// process, as if it were the network's only client.
	Pacers func(Pacing) Pacer
	// MaxRetries is how often a failed call is retried when the failure is
	// transient (rate limit, 5xx, time-out). Default 5; negative disables retries.
	MaxRetries int
	// Timeout bounds each HTTP attempt. Default 5s.
	Timeout time.Duration
	// BackoffBase and BackoffMax shape the exponential back-off with full
	// jitter between retries: attempt n sleeps a random duration below
	// min(BackoffMax, BackoffBase<<n). Defaults 1s and 30s.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Clock and Sleep replace time.Now and a context-aware sleep, for tests.
	// Provide both or neither: the in-process pacer measures its windows
	// with Clock and waits with Sleep, and retries wait with Sleep.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// String describes the configuration without its key, so that logging a
// Config never reveals the key.
func (cfg Config) String() string {
	return fmt.Sprintf("tune.Config{NetworkID:%q KeyKind:%q APIKey:%q APIDomain:%q BaseURL:%q}",
		cfg.NetworkID, cfg.KeyKind, redacted, cfg.APIDomain, cfg.BaseURL)
}

// GoString is String, so that %#v hides the key too.
func (cfg Config) GoString() string { return cfg.String() }

var (
	hostLabel = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`) })
	hostName  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	})
	digits = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+$`) })
)

// settings is a validated Config with its defaults applied.
type settings struct {
	endpoint    string
	pacing      Pacing
	pacers      func(Pacing) Pacer
	networkID   string
	keyKind     string
	apiKey      string
	affiliateID string
	http        *http.Client
	rateLimit   int
	rateWindow  time.Duration
	maxRetries  int
	timeout     time.Duration
	backoffBase time.Duration
	backoffMax  time.Duration
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
}

// validate checks cfg and applies defaults. Its errors name the field and
// never include the key.
func (cfg Config) validate() (settings, error) {
	s := settings{
		networkID:   strings.TrimSpace(cfg.NetworkID),
		keyKind:     strings.ToLower(strings.TrimSpace(cfg.KeyKind)),
		apiKey:      strings.TrimSpace(cfg.APIKey),
		affiliateID: strings.TrimSpace(cfg.AffiliateID),
		rateLimit:   cmp.Or(cfg.RateLimit, DefaultRateLimit),
		rateWindow:  cmp.Or(cfg.RateWindow, DefaultRateWindow),
		maxRetries:  cmp.Or(cfg.MaxRetries, DefaultMaxRetries),
		timeout:     cmp.Or(cfg.Timeout, DefaultTimeout),
		backoffBase: cmp.Or(cfg.BackoffBase, DefaultBackoffBase),
		backoffMax:  cmp.Or(cfg.BackoffMax, DefaultBackoffMax),
		now:         cfg.Clock,
		sleep:       cfg.Sleep,
		pacers:      cfg.Pacers,
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("tune: config %s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch {
	case s.networkID == "":
		bad("NetworkID", "is required (the network id shown on TUNE's API page)")
	case !hostLabel().MatchString(s.networkID):
		bad("NetworkID", "%q is not a valid network id (letters, digits and hyphens)", s.networkID)
	}
	switch s.keyKind {
	case KeyKindNetwork, KeyKindAffiliate:
	case "":
		bad("KeyKind", "is required: %q or %q", KeyKindNetwork, KeyKindAffiliate)
	default:
		bad("KeyKind", "%q is neither %q nor %q", cfg.KeyKind, KeyKindNetwork, KeyKindAffiliate)
	}
	switch {
	case s.apiKey == "":
		bad("APIKey", "is required")
	case strings.ContainsAny(s.apiKey, " \t\r\n"):
		bad("APIKey", "contains white space")
	}
	if s.affiliateID != "" && !digits().MatchString(s.affiliateID) {
		bad("AffiliateID", "%q is not a numeric affiliate id", s.affiliateID)
	}
	var host string
	if base := strings.TrimSpace(cfg.BaseURL); base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			bad("BaseURL", "%q is not an absolute http(s) URL without a query", base)
		} else {
			host = u.Host
		}
		s.endpoint = base
	} else {
		domain := strings.ToLower(strings.TrimSpace(cfg.APIDomain))
		if domain == "" {
			domain = DefaultAPIDomain
		}
		if !hostName().MatchString(domain) {
			bad("APIDomain", "%q is not a host name like %q (no scheme, no path)", cfg.APIDomain, DefaultAPIDomain)
		}
		host = s.networkID + "." + domain
		s.endpoint = "https://" + host + "/Apiv3/json"
	}
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"RateLimit", cfg.RateLimit < 0},
		{"RateWindow", cfg.RateWindow < 0},
		{"Timeout", cfg.Timeout < 0},
		{"BackoffBase", cfg.BackoffBase < 0},
		{"BackoffMax", cfg.BackoffMax < 0},
	} {
		if f.neg {
			bad(f.name, "must not be negative")
		}
	}
	if (cfg.Clock == nil) != (cfg.Sleep == nil) {
		bad("Clock", "Clock and Sleep must be set together")
	}
	if err := errors.Join(errs...); err != nil {
		return settings{}, err
	}
	if s.maxRetries < 0 {
		s.maxRetries = 0
	}
	if s.now == nil {
		s.now, s.sleep = time.Now, sleepContext
	}
	s.pacing = Pacing{
		Network:     strings.ToLower(s.networkID + "@" + host),
		Limit:       s.rateLimit,
		Window:      s.rateWindow,
		CallTimeout: s.timeout,
	}
	s.http = noRedirects(cfg.HTTPClient)
	return s, nil
}

// noRedirects returns a copy of hc (or a new client) that does not follow
// redirects: TUNE's API never redirects, so a redirect means something else
// answered, and following it could carry the key elsewhere.
func noRedirects(hc *http.Client) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// sleepContext sleeps for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
