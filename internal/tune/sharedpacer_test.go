package tune_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/tune"
)

// countingPacer is a Pacer that grants every slot at once and counts the
// slots taken and given back, or fails every Acquire with err.
type countingPacer struct {
	err error

	mu       sync.Mutex
	acquired int
	released int
}

func (p *countingPacer) Acquire(context.Context) (func(), error) {
	if p.err != nil {
		return nil, p.err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acquired++
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.released++
	}, nil
}

func (p *countingPacer) counts() (acquired, released int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acquired, p.released
}

// TestClientsOfOneNetworkShareItsPace gives two clients of one network, with
// keys of both kinds, the pacer Config.Pacers returns: both name the same
// network (TUNE's limit is the network's, whatever the key), pass their own
// limit, window and time-out, and take and give back one slot per call.
func TestClientsOfOneNetworkShareItsPace(t *testing.T) {
	_, base := simulator(t, tunesim.Options{Offers: 3, RateLimit: -1})
	shared := &countingPacer{}
	var pacings []tune.Pacing
	pacers := func(p tune.Pacing) tune.Pacer {
		pacings = append(pacings, p)
		return shared
	}
	network, _ := client(t, base, tune.KeyKindNetwork, func(c *tune.Config) {
		c.Pacers, c.RateLimit, c.RateWindow, c.Timeout = pacers, 20, time.Minute, 3*time.Second
	})
	affiliate, _ := client(t, base, tune.KeyKindAffiliate, func(c *tune.Config) { c.Pacers = pacers })
	for _, c := range []*tune.Client{network, affiliate} {
		if _, err := c.TestConnection(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if acquired, released := shared.counts(); acquired != 2 || released != 2 {
		t.Errorf("%d slots taken and %d given back, want 2 and 2", acquired, released)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/Apiv3/json")
	want := []tune.Pacing{
		{Network: "demo@" + host, Limit: 20, Window: time.Minute, CallTimeout: 3 * time.Second},
		{Network: "demo@" + host, Limit: tune.DefaultRateLimit, Window: tune.DefaultRateWindow, CallTimeout: tune.DefaultTimeout},
	}
	if fmt.Sprint(pacings) != fmt.Sprint(want) {
		t.Errorf("pacings\n got %v\nwant %v", pacings, want)
	}
}

// TestPacingNamesTheNetworkAtItsHost checks the network a pace is kept for:
// the network id at its API host, in any case, whichever way the host is given.
func TestPacingNamesTheNetworkAtItsHost(t *testing.T) {
	tests := []struct {
		name string
		cfg  tune.Config
		want string
	}{
		{"default domain", tune.Config{NetworkID: "Demo"}, "demo@demo.api.hasoffers.com"},
		{"another domain", tune.Config{NetworkID: "acme", APIDomain: "API.Example.net"}, "acme@acme.api.example.net"},
		{"base URL on the network's host", tune.Config{NetworkID: "demo", BaseURL: "https://DEMO.api.hasoffers.com/Apiv3/json"}, "demo@demo.api.hasoffers.com"},
		{"base URL of a sandbox", tune.Config{NetworkID: "demo", BaseURL: "http://127.0.0.1:4567/Apiv3/json"}, "demo@127.0.0.1:4567"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			tt.cfg.KeyKind, tt.cfg.APIKey = tune.KeyKindNetwork, networkToken
			tt.cfg.Pacers = func(p tune.Pacing) tune.Pacer {
				got = p.Network
				return &countingPacer{}
			}
			if _, err := tune.NewClient(tt.cfg); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("network %q, want %q", got, tt.want)
			}
		})
	}
}

// TestASharedPacersFailures checks what a call answers when its pacer fails:
// no slot before the deadline is a rate-limit error that says so (an import
// stops there and resumes later); a failure of the pacer itself is no answer
// of TUNE's, so it is not a *tune.Error. Neither reaches TUNE.
func TestASharedPacersFailures(t *testing.T) {
	unreachable := errors.New("pacing table unreachable")
	tests := []struct {
		name    string
		err     error
		kind    tune.ErrorKind // "" for an error that is not a *tune.Error
		mention string
	}{
		{"no slot before the deadline", fmt.Errorf("slots busy: %w", context.DeadlineExceeded), tune.RateLimited, "deadline"},
		{"the pacer's own failure", unreachable, "", unreachable.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, base := simulator(t, tunesim.Options{Offers: 3, RateLimit: -1})
			c, _ := client(t, base, tune.KeyKindNetwork, func(c *tune.Config) {
				c.Pacers = func(tune.Pacing) tune.Pacer { return &countingPacer{err: tt.err} }
			})
			_, err := c.TestConnection(t.Context())
			if err == nil {
				t.Fatal("the call succeeded without a slot")
			}
			var te *tune.Error
			switch isTUNE := errors.As(err, &te); {
			case tt.kind == "" && isTUNE:
				t.Errorf("error %v is a *tune.Error of kind %s; a pacer's failure is not TUNE's", err, te.Kind)
			case tt.kind == "" && !errors.Is(err, unreachable):
				t.Errorf("error %v does not wrap the pacer's", err)
			case tt.kind != "" && (!isTUNE || te.Kind != tt.kind):
				t.Errorf("error %v, want a *tune.Error of kind %s", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			if n := len(sim.Calls()); n != 0 {
				t.Errorf("TUNE received %d calls without a slot", n)
			}
		})
	}
}
