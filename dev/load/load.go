// Package load is the project's own proof that the system stays exact under load. Run starts the
// whole local system in the process (package localrun: DynamoDB Local, goaws, every function of
// template.yaml, the TUNE simulator) with DynamoDB's rules for concurrent writers in front of
// DynamoDB Local (package dynamodbrules), creates an account through the admin actions, taps its
// tracked links and sends TUNE postbacks over the HTTP API from many senders at once, and keeps an
// exact ground truth of what the system must end with, in decimals (internal/money), never floats.
// It then waits until the pipeline is quiet and compares, expected against got: every report line
// (account, message, offer and campaign, by day and currency), the conversions listing, the postback
// log postback by postback, the answers, and the depth of the dead-letter queues.
//
// The postbacks hold duplicates (some sent in concurrent bursts), several goals per transaction,
// three currencies, pending and rejected statuses, orphans (click ids of HEAD requests, which store
// no click), malformed ones, forged click ids and wrong tokens. A run may inject DynamoDB failures
// (some after the write was applied, its answer lost) and make SQS unreachable for a while; a sender
// retries every 5xx answer, as a sender that must not lose a conversion does, and counts a
// postback once it is accepted.
//
// `make load` runs it at full size (cmd/load); its test runs it at CI's size.
package load

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/samtemplate"
	"github.com/trackly/tune-integration/dev/workspace"
	"github.com/trackly/tune-integration/internal/backoff"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Options configure one run. The zero value of a field takes its default.
type Options struct {
	// Name names the run in what it prints.
	Name string
	// Postbacks is how many postbacks are sent, refused ones and duplicates included. Default 10,000.
	Postbacks int
	// Taps is how many taps the links get, two fifths of them while the postbacks are sent.
	// Default two fifths of Postbacks.
	Taps int
	// Senders is how many postbacks (and first taps) are in flight at once; a quarter as many taps go
	// on beside the postbacks. Default 16.
	Senders int
	// FailureRate and LostAnswerRate are the shares of DynamoDB requests that fail before they are
	// applied, and of DynamoDB writes applied whose answer is lost (dynamodbrules.Options).
	FailureRate, LostAnswerRate float64
	// NoContention turns off DynamoDB's rules for concurrent writers (transaction conflicts and the
	// per-item throughput limit), which are on by default.
	NoContention bool
	// SQSDown, if positive, makes SQS unreachable for that long once a third of the postbacks are sent.
	SQSDown time.Duration
	// Seed makes the workload and the injected faults repeatable. Default 1.
	Seed uint64
	// VisibilityTimeout replaces the queues' visibility timeout, so that a message whose attribution
	// failed is delivered again sooner than the template's 180 s. Default: the longest timeout of the
	// functions that poll a queue (AttributionFunction's 30 s). AWS refuses an SQS event source whose
	// queue's visibility timeout is shorter than its function's timeout, as a batch still being
	// processed would be delivered again: a shorter one lowers those functions' timeouts to it.
	VisibilityTimeout time.Duration
	// SettleTimeout bounds the wait, after the last postback, for the pipeline to be quiet. Default 10m.
	SettleTimeout time.Duration
	// Quiet is how long the queues must be empty and everything read unchanged before the run
	// counts what it reads as final. Default 20s.
	Quiet time.Duration
	// TemplatePath is the SAM template. Default the module's template.yaml.
	TemplatePath string
	// Logger receives the local system's logs. Default none.
	Logger *slog.Logger
	// Progress, if set, receives a line now and then on how the run goes.
	Progress io.Writer

	// pollerTimeouts are the timeouts of the functions that poll a queue, lowered to VisibilityTimeout.
	pollerTimeouts map[string]time.Duration
}

func (o *Options) defaults() error {
	o.Name = cmp.Or(o.Name, "load")
	o.Postbacks = cmp.Or(o.Postbacks, 10_000)
	o.Taps = cmp.Or(o.Taps, o.Postbacks*2/5)
	o.Senders = cmp.Or(o.Senders, 16)
	o.Seed = cmp.Or(o.Seed, 1)
	o.SettleTimeout = cmp.Or(o.SettleTimeout, 10*time.Minute)
	o.Quiet = cmp.Or(o.Quiet, 20*time.Second)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	switch {
	case o.Postbacks < minPostbacks:
		return fmt.Errorf("postbacks: must be at least %d, not %d", minPostbacks, o.Postbacks)
	case o.Taps < minTaps:
		return fmt.Errorf("taps: must be at least %d, not %d", minTaps, o.Taps)
	case o.Senders < 1:
		return fmt.Errorf("senders: must be at least 1, not %d", o.Senders)
	case o.FailureRate < 0 || o.FailureRate >= 1:
		return fmt.Errorf("failure rate: must be from 0 to less than 1, not %v", o.FailureRate)
	case o.LostAnswerRate < 0 || o.LostAnswerRate >= 1:
		return fmt.Errorf("lost answer rate: must be from 0 to less than 1, not %v", o.LostAnswerRate)
	}
	if o.TemplatePath == "" {
		root, err := workspace.Root()
		if err != nil {
			return err
		}
		o.TemplatePath = filepath.Join(root, "template.yaml")
	}
	t, err := samtemplate.Parse(o.TemplatePath, samtemplate.Options{})
	if err != nil {
		return err
	}
	if o.VisibilityTimeout == 0 {
		for _, f := range t.Functions {
			if len(f.SQSSources) > 0 {
				o.VisibilityTimeout = max(o.VisibilityTimeout, f.Timeout)
			}
		}
	}
	o.pollerTimeouts = map[string]time.Duration{}
	for id, f := range t.Functions {
		if len(f.SQSSources) > 0 && f.Timeout > o.VisibilityTimeout {
			o.pollerTimeouts[id] = o.VisibilityTimeout
		}
	}
	return nil
}

// minPostbacks and minTaps are the smallest workload that holds every kind of postback and tap.
const (
	minPostbacks = 100
	minTaps      = 40
)

// run is one run: the system it started, the account it made, and what it sent.
type run struct {
	opts  Options
	sys   *localrun.System
	http  *http.Client
	rules *dynamoDBRules
	sqs   *outage
	rnd   *rand.Rand
	start time.Time

	account
	truth truth
	res   *Result
}

// The account the run creates: its id, its integrations and the offers it imports.
const (
	accountID          = "load"
	integrationID      = "in_load"
	otherIntegrationID = "in_load_other"
	defaultCurrency    = "GBP"
)

// importedOffers are the simulated network's offers the run imports: active ones, in EUR, USD and
// none (the integration's default currency then applies), with flat, percentage and CPM payouts.
var importedOffers = []string{"1", "2", "3", "5"}

// Run runs the system under load once and compares what it ends with to the ground truth. It
// returns an error only when the run could not take place (the system did not start, the account
// could not be made); a difference is in the Result.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	r := &run{
		opts:  opts,
		rules: &dynamoDBRules{},
		sqs:   &outage{},
		rnd:   rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed)),
		start: time.Now(),
		res:   &Result{Options: opts},
	}
	r.truth.init()
	dataDir, err := os.MkdirTemp("", "trackly-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dataDir)
	r.progress("starting the local system")
	r.sys, err = localrun.Start(ctx, localrun.Options{
		TemplatePath:       opts.TemplatePath,
		HTTPAddr:           "127.0.0.1:0",
		InvokeAddr:         "127.0.0.1:0",
		TUNEAddr:           "127.0.0.1:0",
		DataDir:            dataDir,
		TUNEOffers:         20,
		VisibilityTimeout:  opts.VisibilityTimeout,
		FunctionTimeouts:   opts.pollerTimeouts,
		DisableSchedules:   true,
		SkipDemo:           true,
		DynamoDBMiddleware: r.rules.middleware(opts),
		SQSMiddleware:      r.sqs.middleware,
		Logger:             opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("load: start the local system: %w", err)
	}
	defer r.sys.Close()
	r.http = &http.Client{
		Timeout:       time.Minute,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 2 * opts.Senders, MaxConnsPerHost: 4 * opts.Senders},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer r.http.CloseIdleConnections()

	if err := r.setup(ctx); err != nil {
		return nil, fmt.Errorf("load: set up the account: %w", err)
	}
	r.res.Setup = time.Since(r.start)
	// The faults begin once the account exists: the admin actions that make it are not retried.
	r.rules.faultsOn()
	if err := r.load(ctx); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := r.settle(ctx); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	r.res.DynamoDB = r.rules.stats()
	return r.res, nil
}

// progress writes a line on how the run goes.
func (r *run) progress(format string, args ...any) {
	fmt.Fprintf(r.opts.Progress, "%s [%s] %s\n", time.Now().Format(time.TimeOnly), r.opts.Name, fmt.Sprintf(format, args...))
}

// account is what the run made through the admin actions.
type account struct {
	links      []*link
	ownToken   string // in_load's postback token
	otherToken string // in_load_other's
}

// link is a tracked link of the account, with the offer it leads to.
type link struct {
	ID, URL, MessageID, CampaignID string
	Offer                          trackly.Offer
	// weight is the link's share of the taps: the first link, on the blast message, takes half.
	weight int
}

// linkSpecs are the account's links: one message blasted (the hot report rows), with two offers,
// and others on three offers and two campaigns, two messages without a campaign.
var linkSpecs = []struct {
	message, campaign, offer string
	weight                   int
}{
	{"msg-blast", "spring", "1", 50},
	{"msg-blast", "spring", "2", 10},
	{"msg-2", "spring", "3", 8},
	{"msg-3", "summer", "1", 8},
	{"msg-4", "summer", "5", 8},
	{"msg-5", "", "2", 8},
	{"msg-6", "", "3", 8},
}

// setup creates the account: two integrations on the TUNE simulator (the second's token is a
// wrong one for the first's links), the imported offers, and the links.
func (r *run) setup(ctx context.Context) error {
	r.progress("creating the account, its integrations, offers and links")
	for _, id := range []string{integrationID, otherIntegrationID} {
		if err := r.sys.Invoke(ctx, "AdminFunction", map[string]any{
			"action":           "create_integration",
			"integration_id":   id,
			"account_id":       accountID,
			"name":             "Load test " + id,
			"network_id":       localrun.DemoNetworkID,
			"api_base_url":     r.sys.TUNEURL,
			"key_kind":         "affiliate",
			"api_key":          localrun.DemoAffiliateKey,
			"default_currency": defaultCurrency,
		}, nil); err != nil {
			return err
		}
	}
	var imported struct {
		Offers []trackly.Offer `json:"offers"`
	}
	if err := r.sys.Invoke(ctx, "OfferSyncFunction", map[string]any{
		"action": "import_offers", "integration_id": integrationID, "offer_ids": importedOffers,
	}, &imported); err != nil {
		return err
	}
	offers := map[string]trackly.Offer{}
	for _, o := range imported.Offers {
		offers[o.OfferID] = o
	}
	for i, spec := range linkSpecs {
		offer, ok := offers[spec.offer]
		if !ok || offer.Status != "active" {
			return fmt.Errorf("offer %s of the TUNE simulator was not imported as an active offer", spec.offer)
		}
		req := map[string]any{
			"action": "create_link", "link_id": fmt.Sprintf("load-%d", i+1), "account_id": accountID,
			"integration_id": integrationID, "offer_id": spec.offer, "message_id": spec.message,
		}
		if spec.campaign != "" {
			req["campaign_id"] = spec.campaign
		}
		var made struct {
			LinkID string `json:"link_id"`
			URL    string `json:"url"`
		}
		if err := r.sys.Invoke(ctx, "AdminFunction", req, &made); err != nil {
			return err
		}
		r.links = append(r.links, &link{ID: made.LinkID, URL: made.URL, MessageID: spec.message, CampaignID: spec.campaign, Offer: offer, weight: spec.weight})
	}
	var err error
	if r.ownToken, err = r.postbackToken(ctx, integrationID); err != nil {
		return err
	}
	r.otherToken, err = r.postbackToken(ctx, otherIntegrationID)
	return err
}

// postbackToken reads an integration's postback token from its postback URL.
func (r *run) postbackToken(ctx context.Context, id string) (string, error) {
	var pb struct {
		URL string `json:"postback_url"`
	}
	if err := r.sys.Invoke(ctx, "AdminFunction", map[string]any{"action": "postback_url", "integration_id": id}, &pb); err != nil {
		return "", err
	}
	token := queryParam(pb.URL, "token")
	if token == "" {
		return "", fmt.Errorf("the postback URL of %s carries no token", id)
	}
	return token, nil
}

// invoke runs a read-only admin action, again after a failure (an injected DynamoDB fault may fail
// it), and decodes its answer into out.
func (r *run) invoke(ctx context.Context, payload map[string]any, out any) error {
	var err error
	for attempt := range invokeAttempts {
		if err = r.sys.Invoke(ctx, "AdminFunction", payload, out); err == nil || ctx.Err() != nil {
			return err
		}
		if backoff.Sleep(ctx, time.Duration(attempt+1)*200*time.Millisecond) != nil {
			break
		}
	}
	return fmt.Errorf("read %v (%d attempts): %w", payload["action"], invokeAttempts, err)
}

// invokeAttempts bounds the attempts of a read.
const invokeAttempts = 8

// errStopped is returned when the run is stopped before its end.
var errStopped = errors.New("stopped before the end of the run")

// waitGroup runs f in n goroutines and waits for them.
func waitGroup(n int, f func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(f)
	}
	wg.Wait()
}
