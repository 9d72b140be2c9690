package offers

import (
	"context"
	"errors"
	"strings"

	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/tuneclients"
)

// ConnectionQuery is test_connection's payload.
type ConnectionQuery struct {
	IntegrationID string `json:"integration_id"`
}

// ConnectionResult is what Test Connection found: success with what the key
// is and sees, or the cause of the failure with a hint for the admin. It
// never holds the API key.
type ConnectionResult struct {
	OK            bool   `json:"ok"`
	IntegrationID string `json:"integration_id"`
	KeyKind       string `json:"key_kind,omitempty"`
	NetworkID     string `json:"network_id,omitempty"`
	OfferCount    *int   `json:"offer_count,omitempty"`
	// Cause is one of the tune error kinds (unknown_network, key_rejected,
	// permission_denied, ip_refused, rate_limited, unreachable, timeout,
	// not_tune, server_error, other), or no_api_key / invalid_settings.
	Cause   string `json:"cause,omitempty"`
	Message string `json:"message,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

// TestConnection makes one real, read-only call with an integration's
// settings and key, bounded by Options.TestTimeout and without retries, and
// reports success or the cause of the failure. A failure of the call is an
// answer, not an error: the error is for bad input and our own failures.
func (s *Service) TestConnection(ctx context.Context, q ConnectionQuery) (ConnectionResult, error) {
	in, err := integrations.Read(ctx, s.store, q.IntegrationID)
	if err != nil {
		return ConnectionResult{}, err
	}
	res := ConnectionResult{IntegrationID: in.IntegrationID}
	cfg, err := s.tune.Config(ctx, in)
	var se *tuneclients.SettingsError
	if errors.As(err, &se) {
		res.Cause, res.Message, res.Hint = se.Cause, se.Message, "set the integration's API key with update_integration"
		return res, nil
	}
	if err != nil {
		return res, err
	}
	key := cfg.APIKey
	cfg.MaxRetries = -1 // one call: a diagnosis, not a job
	cfg.Timeout = s.opts.TestTimeout
	c, err := tune.NewClient(cfg)
	if err != nil {
		res.Cause = "invalid_settings"
		res.Message = scrub(err.Error(), key)
		res.Hint = "fix the integration's settings with update_integration"
		return res, nil
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.TestTimeout+s.opts.TestTimeout/2)
	defer cancel()
	info, err := c.TestConnection(cctx)
	var te *tune.Error
	switch {
	case errors.As(err, &te):
		res.Cause = string(te.Kind)
		res.Message = scrub(te.Error(), key)
		res.Hint = te.Hint()
		if te.Kind == tune.RateLimited {
			res.Hint = testRateLimitedHint
		}
		return res, nil
	case err != nil:
		return res, errors.New(scrub(err.Error(), key))
	}
	n := info.OfferCount
	res.OK, res.KeyKind, res.NetworkID, res.OfferCount = true, info.KeyKind, info.NetworkID, &n
	return res, nil
}

// testRateLimitedHint is the hint of a test refused for the rate limit. The
// tune client's hint speaks of the back-off of imports and syncs; a test makes
// one call and does not retry it.
const testRateLimitedHint = "the network's API rate limit (about 50 calls per 10 seconds) was reached, and the test makes one call, " +
	"not retried: an import, a sync or another system may be spending the network's calls; test again in a few seconds"

// scrub removes a key from a text, whatever produced it: defence in depth
// on top of the tune client's own scrubbing.
func scrub(text, key string) string {
	if len(key) < 4 {
		return text
	}
	return strings.ReplaceAll(text, key, "****")
}
