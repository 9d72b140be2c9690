// Package tune is a client for TUNE's (formerly HasOffers) API v3: it tests
// a connection, lists offers with their tracking links and generates
// tracking links, for network and affiliate API keys alike.
//
// Every call is paced to stay within the network's rate limit (by the
// client alone, or by a Pacer shared with every client of the network),
// retried with exponential back-off and full jitter when the failure is
// transient, and decoded without trusting the shape of TUNE's answers.
// Errors are *Error values of a few kinds, each with a hint for admins, and
// never contain the API key; only a shared Pacer's own failure (its storage
// unreachable) is returned as that error, wrapped.
package tune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// maxBody bounds the size of an answer; ten thousand offers take about 10 MB.
const maxBody = 128 << 20

// Client calls one TUNE network with one key. It is safe for concurrent
// use; all calls share its pacing.
type Client struct {
	s     settings
	pacer Pacer
	sc    scrubber
}

// NewClient validates cfg, applies its defaults and returns a client.
func NewClient(cfg Config) (*Client, error) {
	s, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	c := &Client{s: s, sc: newScrubber(s.apiKey)}
	if s.pacers != nil {
		c.pacer = s.pacers(s.pacing)
	} else {
		c.pacer = newPacer(s.rateLimit, s.rateWindow, s.now, s.sleep)
	}
	return c, nil
}

// String describes the client without its key.
func (c *Client) String() string {
	return fmt.Sprintf("tune.Client{NetworkID:%q KeyKind:%q Endpoint:%q}",
		c.s.networkID, c.s.keyKind, c.sc.scrub(c.s.endpoint))
}

// fail builds an *Error, scrubbing the key from its message.
func (c *Client) fail(kind ErrorKind, op, format string, args ...any) *Error {
	return &Error{Kind: kind, Op: op, Message: c.sc.scrub(fmt.Sprintf(format, args...))}
}

// failTransient is fail for a failure worth retrying.
func (c *Client) failTransient(kind ErrorKind, op, format string, args ...any) *Error {
	e := c.fail(kind, op, format, args...)
	e.transient = true
	return e
}

// call runs target::method with params, pacing and retrying as configured,
// and returns the data of the successful answer.
func (c *Client) call(ctx context.Context, target, method string, params url.Values) (json.RawMessage, error) {
	op := target + "::" + method
	q := url.Values{}
	for k, v := range params {
		q[k] = v
	}
	q.Set("NetworkId", c.s.networkID)
	q.Set("Target", target)
	q.Set("Method", method)
	if c.s.keyKind == KeyKindNetwork {
		q.Set("NetworkToken", c.s.apiKey)
	} else {
		q.Set("api_key", c.s.apiKey)
	}
	u := c.s.endpoint + "?" + q.Encode()

	for attempt := 0; ; attempt++ {
		data, aerr := c.attempt(ctx, op, u)
		if aerr == nil {
			return data, nil
		}
		var err *Error
		if !errors.As(aerr, &err) {
			return nil, aerr
		}
		if !err.transient || attempt >= c.s.maxRetries {
			if attempt > 0 {
				err.Message += fmt.Sprintf(" (after %d attempts)", attempt+1)
			}
			return nil, err
		}
		d := c.backoff(attempt)
		if deadline, ok := ctx.Deadline(); ok && c.s.now().Add(d).After(deadline) {
			err.Message += fmt.Sprintf(" (gave up after %d attempts: the next retry would pass the deadline)", attempt+1)
			return nil, err
		}
		if serr := c.s.sleep(ctx, d); serr != nil {
			err.Message += fmt.Sprintf(" (gave up after %d attempts: %v)", attempt+1, serr)
			err.cause = ctx.Err()
			return nil, err
		}
	}
}

// backoff returns the full-jitter delay before retry number attempt+1.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.s.backoffMax
	if attempt < 32 {
		if d := c.s.backoffBase << attempt; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling)
}

// attempt makes one HTTP request in a slot of the pacer. Its errors are
// *Error values, except a failure of a shared pacer itself, which is no
// answer of TUNE's: that one is returned wrapped. A slot that cannot be had
// before ctx's deadline is a rate-limit error whose message says "deadline".
func (c *Client) attempt(ctx context.Context, op, u string) (json.RawMessage, error) {
	release, err := c.pacer.Acquire(ctx)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, c.contextError(ctx, op)
	case errors.Is(err, context.DeadlineExceeded):
		return nil, c.fail(RateLimited, op, "client-side pacing: %v", err)
	default:
		return nil, fmt.Errorf("tune: %s: pace the call: %w", op, err)
	}
	defer release()

	actx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
	if err != nil {
		return nil, c.fail(Other, op, "build request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.s.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	if len(body) > maxBody {
		return nil, c.fail(Other, op, "answer larger than %d MB; use a smaller limit", maxBody>>20)
	}
	data, ierr := c.interpret(op, resp, body)
	if ierr != nil {
		return nil, ierr
	}
	return data, nil
}

// interpret turns an HTTP answer into data or an error.
func (c *Client) interpret(op string, resp *http.Response, body []byte) (json.RawMessage, *Error) {
	switch code := resp.StatusCode; {
	case code == http.StatusGatewayTimeout:
		return nil, c.failTransient(ServerError, op, "HTTP 504 gateway time-out")
	case code >= 500:
		return nil, c.failTransient(ServerError, op, "HTTP %d %s", code, http.StatusText(code))
	case code == http.StatusTooManyRequests:
		return nil, c.failTransient(RateLimited, op, "HTTP 429 too many requests")
	}
	data, err := decodeEnvelope(body)
	var failure *apiFailure
	switch {
	case err == nil && resp.StatusCode == http.StatusOK:
		return data, nil
	case errors.As(err, &failure):
		text := c.sc.scrub(failure.text)
		if kind := classify(text); kind != RateLimited {
			return nil, c.fail(kind, op, "%s", text)
		}
		return nil, c.failTransient(RateLimited, op, "%s", text)
	case err == nil:
		return nil, c.fail(NotTUNE, op, "HTTP %d with a success envelope", resp.StatusCode)
	default:
		return nil, c.fail(NotTUNE, op, "HTTP %d answer is not TUNE's JSON envelope (%s)",
			resp.StatusCode, describeBody(resp.Header.Get("Content-Type"), body))
	}
}
