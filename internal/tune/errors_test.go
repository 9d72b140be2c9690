package tune_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/tune"
)

// closedPort returns an endpoint on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/Apiv3/json"
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name  string
		kind  string                  // key kind; network when empty
		fail  tunesim.Failure         // injected into the next calls, if any
		base  func(*testing.T) string // endpoint other than the simulator
		edit  func(*tune.Config)
		want  tune.ErrorKind
		calls int // calls the simulator should have received
	}{
		{name: "wrong network token", edit: func(c *tune.Config) { c.APIKey = "NETwrong" + networkToken }, want: tune.KeyRejected, calls: 1},
		{name: "wrong affiliate key", kind: tune.KeyKindAffiliate, edit: func(c *tune.Config) { c.APIKey = "wrong" + affiliateKey }, want: tune.KeyRejected, calls: 1},
		{name: "network token sent as affiliate key", kind: tune.KeyKindAffiliate, edit: func(c *tune.Config) { c.APIKey = networkToken }, want: tune.KeyRejected, calls: 1},
		{name: "unknown network id", edit: func(c *tune.Config) { c.NetworkID = "nosuchnetwork" }, want: tune.UnknownNetwork, calls: 1},
		{name: "IP not whitelisted", fail: tunesim.FailIPRefused, want: tune.IPRefused, calls: 1},
		{name: "method not permitted", fail: tunesim.FailPermissionDenied, want: tune.PermissionDenied, calls: 1},
		{name: "network API not enabled", fail: tunesim.FailAPIDisabled, want: tune.PermissionDenied, calls: 1},
		{name: "affiliate API disabled", kind: tune.KeyKindAffiliate, fail: tunesim.FailAPIDisabled, want: tune.PermissionDenied, calls: 1},
		{name: "rate limited after retries", fail: tunesim.FailRateLimit, want: tune.RateLimited, calls: 3},
		{name: "HTTP 500 after retries", fail: tunesim.FailServerError, want: tune.ServerError, calls: 3},
		{name: "gateway time-out after retries", fail: tunesim.FailGatewayTimeout, want: tune.ServerError, calls: 3},
		{name: "HTML page", fail: tunesim.FailHTML, want: tune.NotTUNE, calls: 1},
		{name: "slow answer", fail: tunesim.FailSlow, want: tune.Timeout, calls: 3,
			edit: func(c *tune.Config) { c.Timeout = 50 * time.Millisecond }},
		{name: "closed port", base: closedPort, want: tune.Unreachable},
		{name: "JSON that is not TUNE's", base: func(t *testing.T) string {
			return canned(t, 200, "application/json", `{"ok":true,"NetworkToken":"`+networkToken+`"}`)
		}, want: tune.NotTUNE},
		{name: "proxy page", base: func(t *testing.T) string {
			return canned(t, 403, "text/html", "<html><title>Access denied</title>"+networkToken+"</html>")
		}, want: tune.NotTUNE},
		{name: "envelope without status", base: func(t *testing.T) string {
			return canned(t, 200, "application/json", `{"response":{"data":{"1":{}}}}`)
		}, want: tune.Other},
		{name: "status -1 with errors as an object of objects", base: func(t *testing.T) string {
			return canned(t, 200, "application/json", `{"request":{"NetworkToken":"`+networkToken+`"},"response":{"status":"-1","data":"",`+
				`"errors":{"0":{"err_msg":"NetworkToken `+networkToken+` is not authenticated"}},"errorMessage":null}}`)
		}, want: tune.KeyRejected},
		{name: "rate limit in TUNE's documented words", base: func(t *testing.T) string {
			return canned(t, 200, "application/json", `{"response":{"status":-1,"errors":[{"publicMessage":"User has exceeded API rate limit"}]}}`)
		}, want: tune.RateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, base := simulator(t, tunesim.Options{Offers: 5})
			if tt.fail != 0 {
				sim.FailNext(tt.fail, 10)
			}
			if tt.base != nil {
				base = tt.base(t)
			}
			kind := tt.kind
			if kind == "" {
				kind = tune.KeyKindNetwork
			}
			c, _ := client(t, base, kind, func(c *tune.Config) {
				c.MaxRetries = 2
				if tt.edit != nil {
					tt.edit(c)
				}
			})
			_, err := c.TestConnection(t.Context())
			var e *tune.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a *tune.Error", err)
			}
			if e.Kind != tt.want {
				t.Errorf("kind %s (%v), want %s", e.Kind, err, tt.want)
			}
			if e.Hint() == "" || e.Hint() == tune.Other.Hint() && tt.want != tune.Other {
				t.Errorf("no specific hint for %s", e.Kind)
			}
			assertNoSecret(t, err.Error())
			assertNoSecret(t, e.Message)
			if got := len(sim.Calls()); got != tt.calls {
				t.Errorf("%d calls, want %d", got, tt.calls)
			}
		})
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	for _, fail := range []tunesim.Failure{tunesim.FailRateLimit, tunesim.FailServerError, tunesim.FailGatewayTimeout, tunesim.FailSlow} {
		t.Run(fail.String(), func(t *testing.T) {
			sim, base := simulator(t, tunesim.Options{Offers: 5})
			sim.FailNext(fail, 2)
			c, clock := client(t, base, tune.KeyKindNetwork, func(c *tune.Config) {
				if fail == tunesim.FailSlow {
					// Long enough for the normal third answer on a busy machine.
					c.Timeout = 500 * time.Millisecond
				}
				c.BackoffBase = time.Second
				c.BackoffMax = 10 * time.Second
			})
			info, err := c.TestConnection(t.Context())
			if err != nil || info.OfferCount != 5 {
				t.Fatalf("got %+v, %v; want success after retries", info, err)
			}
			if n := sim.CallCount("Offer", "findAll"); n != 3 {
				t.Errorf("%d calls, want 3", n)
			}
			sleeps := clock.Sleeps()
			if len(sleeps) != 2 {
				t.Fatalf("slept %v, want two back-offs", sleeps)
			}
			for i, d := range sleeps {
				if ceiling := time.Second << i; d < 0 || d >= ceiling {
					t.Errorf("back-off %d is %v, want full jitter below %v", i, d, ceiling)
				}
			}
		})
	}
}

func TestRetriesStopWithTheContext(t *testing.T) {
	tests := []struct {
		name string
		fail tunesim.Failure // the simulator's answer to every call
		// context returns the context of the call, and may adjust the client's config to it.
		context func(t *testing.T, c *tune.Config) context.Context
		want    tune.ErrorKind
		unwraps error  // the context's error the client's wraps, if any
		says    string // words of the error's message
	}{
		{
			name: "cancelled during back-off",
			fail: tunesim.FailRateLimit,
			context: func(t *testing.T, c *tune.Config) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				t.Cleanup(cancel)
				c.Sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
				return ctx
			},
			want: tune.RateLimited, unwraps: context.Canceled,
		},
		{
			name: "next back-off past the deadline",
			fail: tunesim.FailServerError,
			context: func(t *testing.T, c *tune.Config) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				t.Cleanup(cancel)
				// The clock is already past the deadline, so any back-off would pass it.
				c.Clock = func() time.Time { return time.Now().Add(time.Hour) }
				c.Sleep = func(context.Context, time.Duration) error {
					t.Error("slept, want no back-off past the deadline")
					return nil
				}
				return ctx
			},
			want: tune.ServerError, says: "deadline",
		},
		{
			name: "deadline while answering",
			fail: tunesim.FailSlow,
			context: func(t *testing.T, _ *tune.Config) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			want: tune.Timeout, unwraps: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, base := simulator(t, tunesim.Options{Offers: 5})
			sim.FailNext(tt.fail, 10)
			var ctx context.Context
			c, _ := client(t, base, tune.KeyKindNetwork, func(c *tune.Config) { ctx = tt.context(t, c) })
			_, err := c.TestConnection(ctx)
			var e *tune.Error
			if !errors.As(err, &e) || e.Kind != tt.want || tt.unwraps != nil && !errors.Is(err, tt.unwraps) || !strings.Contains(e.Message, tt.says) {
				t.Errorf("got %v, want a %s error that unwraps to %v and says %q", err, tt.want, tt.unwraps, tt.says)
			}
			if n := len(sim.Calls()); n != 1 {
				t.Errorf("%d calls, want 1", n)
			}
		})
	}
}

func TestErrorKindHints(t *testing.T) {
	kinds := []tune.ErrorKind{tune.UnknownNetwork, tune.KeyRejected, tune.PermissionDenied, tune.IPRefused,
		tune.RateLimited, tune.Unreachable, tune.Timeout, tune.NotTUNE, tune.ServerError, tune.Other}
	seen := map[string]bool{}
	for _, k := range kinds {
		h := k.Hint()
		if h == "" || seen[h] {
			t.Errorf("kind %s has no hint of its own", k)
		}
		seen[h] = true
	}
	if !strings.Contains(tune.IPRefused.Hint(), "whitelist") {
		t.Errorf("IPRefused hint %q does not mention whitelisting", tune.IPRefused.Hint())
	}
}

func TestClassifiesTUNEErrorTexts(t *testing.T) {
	tests := map[string]tune.ErrorKind{
		"NetworkToken NETabc is not authenticated":               tune.KeyRejected,
		"Invalid API Key":                                        tune.KeyRejected,
		"API USAGE EXCEEDED RATE LIMIT, try again later":         tune.RateLimited,
		"User has exceeded API rate limit":                       tune.RateLimited,
		"User is not permitted to perform this action":           tune.PermissionDenied,
		"Affiliate API feature is disabled":                      tune.PermissionDenied,
		"API access is not enabled for this network":             tune.PermissionDenied,
		"Network id is not valid":                                tune.UnknownNetwork,
		"Invalid NetworkId":                                      tune.UnknownNetwork,
		"IP address 10.0.0.1 is not whitelisted":                 tune.IPRefused,
		"API call refused from this IP":                          tune.IPRefused,
		"Access from 203.0.113.9 is denied":                      tune.IPRefused,
		"Offer ID 5 does not exist":                              tune.Other,
		"Something unexpected happened. Please contact support.": tune.Other,
	}
	for text, want := range tests {
		t.Run(text, func(t *testing.T) {
			body := `{"response":{"status":-1,"data":"","errors":[{"publicMessage":"` + text + `"}],"errorMessage":"` + text + `"}}`
			c, _ := client(t, canned(t, 200, "application/json", body), tune.KeyKindNetwork, func(c *tune.Config) { c.MaxRetries = -1 })
			_, err := c.TestConnection(t.Context())
			var e *tune.Error
			if !errors.As(err, &e) || e.Kind != want {
				t.Errorf("got %v, want kind %s", err, want)
			}
			if e != nil && e.Message != text {
				t.Errorf("message %q, want TUNE's text once", e.Message)
			}
		})
	}
}
