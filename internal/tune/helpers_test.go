package tune_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/tune"
)

// Keys with characters that URLs escape, to check that scrubbing catches
// the escaped forms too.
const (
	networkToken = "NETsecret+Token/42=="
	affiliateKey = "aff5ecret0123456789abcdef"
	networkID    = "demo"
	affiliateID  = "7"
)

// simulator starts a TUNE simulator and returns it with its endpoint.
func simulator(t *testing.T, opts tunesim.Options) (*tunesim.Simulator, string) {
	t.Helper()
	if opts.NetworkID == "" {
		opts.NetworkID = networkID
	}
	if opts.NetworkToken == "" {
		opts.NetworkToken = networkToken
	}
	if opts.AffiliateKey == "" {
		opts.AffiliateKey = affiliateKey
	}
	if opts.AffiliateID == "" {
		opts.AffiliateID = "3"
	}
	sim := tunesim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL + "/Apiv3/json"
}

// canned starts a server that always gives the same answer.
func canned(t *testing.T, status int, contentType, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/Apiv3/json"
}

// fakeClock is a clock that only moves when something sleeps on it, so
// that back-off and pacing take no real time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// client makes a client for base with a fake clock; edit adjusts its config.
func client(t *testing.T, base, kind string, edit func(*tune.Config)) (*tune.Client, *fakeClock) {
	t.Helper()
	clock := newFakeClock(time.Now())
	cfg := tune.Config{
		NetworkID:   networkID,
		BaseURL:     base,
		KeyKind:     kind,
		APIKey:      networkToken,
		AffiliateID: affiliateID,
		Clock:       clock.Now,
		Sleep:       clock.Sleep,
	}
	if kind == tune.KeyKindAffiliate {
		cfg.APIKey = affiliateKey
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := tune.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, clock
}

// assertNoSecret fails if s holds a key in any form.
func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, key := range []string{networkToken, affiliateKey} {
		for _, form := range []string{key, url.QueryEscape(key), url.PathEscape(key)} {
			if strings.Contains(s, form) {
				t.Errorf("%q contains a key", s)
			}
		}
	}
}
