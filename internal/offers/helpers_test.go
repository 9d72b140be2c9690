package offers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithymiddleware "github.com/aws/smithy-go/middleware"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/ids"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/offers"
	"github.com/trackly/tune-integration/internal/secrets"
	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Credentials of the simulated networks.
const (
	networkID    = "demo"
	networkToken = "net-token-5f1c9e-SECRET"
	affiliateKey = "aff-key-77a0b3-SECRET"
	affiliateID  = "7"
)

// ddbCounter counts DynamoDB calls by operation, and the offer writes.
type ddbCounter struct {
	mu    sync.Mutex
	ops   map[string]int
	table string // the offers table
}

func (c *ddbCounter) count(op string) {
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()
}

// setTable names the offers table, whose writes count as "OfferWrite".
func (c *ddbCounter) setTable(table string) {
	c.mu.Lock()
	c.table = table
	c.mu.Unlock()
}

// offersTable returns the offers table.
func (c *ddbCounter) offersTable() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.table
}

// snapshot returns the counts so far.
func (c *ddbCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.ops {
		out[k] = v
	}
	return out
}

// middleware counts every operation, and PutItem / BatchWriteItem calls that write offers as "OfferWrite".
func (c *ddbCounter) middleware(stack *smithymiddleware.Stack) error {
	return stack.Initialize.Add(smithymiddleware.InitializeMiddlewareFunc("countCalls", func(ctx context.Context, in smithymiddleware.InitializeInput, next smithymiddleware.InitializeHandler) (smithymiddleware.InitializeOutput, smithymiddleware.Metadata, error) {
		c.count(strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", in.Parameters), "*dynamodb."), "Input"))
		table := c.offersTable()
		switch p := in.Parameters.(type) {
		case *dynamodb.BatchWriteItemInput:
			if _, ok := p.RequestItems[table]; ok {
				c.count("OfferWrite")
			}
		case *dynamodb.PutItemInput:
			if aws.ToString(p.TableName) == table {
				c.count("OfferWrite")
			}
		case *dynamodb.UpdateItemInput:
			if aws.ToString(p.TableName) == table {
				c.count("OfferWrite")
			}
		}
		return next.HandleInitialize(ctx, in)
	}), smithymiddleware.After)
}

// world is the shared local system of this package's tests and benchmarks.
type world struct {
	sys     *localruntest.System
	store   *store.Store
	tables  store.Tables
	secrets *secrets.Store
	ddb     *ddbCounter
	// invokeDDB counts the DynamoDB calls of OfferSyncFunction when invoked.
	invokeDDB *ddbCounter
}

var (
	worldOnce sync.Once
	shared    *world
	worldErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.sys.Close()
	}
	os.Exit(code)
}

// getWorld starts the local system (DynamoDB Local, the template's tables)
// once for the package.
func getWorld(tb testing.TB) *world {
	tb.Helper()
	worldOnce.Do(func() { shared, worldErr = startWorld() })
	if worldErr != nil {
		tb.Fatal(worldErr)
	}
	return shared
}

// startWorld starts a local system without the demo account, OfferSyncFunction's DynamoDB calls
// counted.
func startWorld() (*world, error) {
	w := &world{ddb: &ddbCounter{ops: map[string]int{}}, invokeDDB: &ddbCounter{ops: map[string]int{}}}
	sys, err := localruntest.New(localrun.Options{
		SkipDemo:   true,
		APIOptions: map[string][]func(*smithymiddleware.Stack) error{"OfferSyncFunction": {w.invokeDDB.middleware}},
	})
	if err != nil {
		return nil, err
	}
	w.sys = sys
	env := sys.Cloud.FunctionEnv("OfferSyncFunction")
	w.tables = store.TablesFromEnv(func(k string) string { return env[k] })
	w.ddb.setTable(w.tables.Offers)
	w.invokeDDB.setTable(w.tables.Offers)
	cfg := sys.Cloud.AWSConfig()
	cfg.APIOptions = append(cfg.APIOptions, w.ddb.middleware)
	w.store = store.New(dynamodb.NewFromConfig(cfg), w.tables)
	dir, err := secrets.NewDir(filepath.Join(sys.DataDir, "secrets"))
	if err != nil {
		sys.Close()
		return nil, err
	}
	w.secrets = secrets.NewStore(dir)
	return w, nil
}

// network is a simulated TUNE network on an httptest server, with a hook
// that sees every request before the simulator does.
type network struct {
	sim  *tunesim.Simulator
	url  string
	hook atomic.Pointer[func(*http.Request)]
}

func newNetwork(tb testing.TB, opts tunesim.Options) *network {
	tb.Helper()
	if opts.NetworkID == "" {
		opts.NetworkID = networkID
	}
	opts.NetworkToken, opts.AffiliateKey, opts.AffiliateID = networkToken, affiliateKey, affiliateID
	n := &network{sim: tunesim.New(opts)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := n.hook.Load(); h != nil {
			(*h)(r)
		}
		n.sim.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	n.url = srv.URL + "/Apiv3/json"
	return n
}

// onRequest sets the hook.
func (n *network) onRequest(f func(*http.Request)) { n.hook.Store(&f) }

// activateAll makes every offer active, so that an affiliate key sees them all.
func (n *network) activateAll(count int) {
	for id := 1; id <= count; id++ {
		n.sim.UpdateOffer(id, func(o *tunesim.Offer) { o.Status = "active" })
	}
}

// calls counts the simulator's calls of a method, whatever the target.
func (n *network) calls(method string) int {
	return n.sim.CallCount("Offer", method) + n.sim.CallCount("Affiliate_Offer", method)
}

// integration creates an integration on the network through the integrations service.
func (w *world) integration(tb testing.TB, n *network, kind string, settings func(*integrations.Settings)) string {
	tb.Helper()
	id := ids.New("in_t", 10)
	key, account := affiliateKey, "acct"
	if kind == "network" {
		key = networkToken
	}
	s := integrations.Settings{
		IntegrationID: &id, AccountID: &account, Name: ptr("test " + kind), NetworkID: ptr(networkID),
		APIBaseURL: &n.url, KeyKind: &kind, APIKey: &key, DefaultCurrency: ptr("GBP"), RateLimit: ptr(1000),
	}
	if kind == "network" {
		s.AffiliateID = ptr(affiliateID)
	}
	if settings != nil {
		settings(&s)
	}
	svc := integrations.NewService(w.store, w.secrets, "http://127.0.0.1:3000", 30, time.Now)
	if _, err := svc.Create(context.Background(), s); err != nil {
		tb.Fatal(err)
	}
	return id
}

// connect creates an integration of kind on a new simulated network of
// count offers that sets no rate limit.
func (w *world) connect(tb testing.TB, count int, kind string) (*network, string) {
	tb.Helper()
	n := newNetwork(tb, tunesim.Options{Offers: count, RateLimit: -1})
	return n, w.integration(tb, n, kind, nil)
}

// imported creates an integration with a network key, which sees every
// offer, on a new simulated network of count offers, and imports them all
// with a service of opts, which it returns.
func (w *world) imported(t *testing.T, count int, opts offers.Options) (*network, string, *offers.Service) {
	t.Helper()
	n, id := w.connect(t, count, "network")
	svc := w.service(opts)
	importAll(t, svc, id)
	return n, id, svc
}

// service returns an offer service on the shared store with fast retries.
func (w *world) service(opts offers.Options) *offers.Service {
	if opts.BackoffBase == 0 {
		opts.BackoffBase, opts.BackoffMax = 5*time.Millisecond, 20*time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return offers.NewService(w.store, w.secrets, opts)
}

func ptr[T any](v T) *T { return &v }

// stored reads an integration's offers by id.
func (w *world) stored(tb testing.TB, integrationID string) map[string]trackly.Offer {
	tb.Helper()
	list, err := w.store.IntegrationOffers(context.Background(), integrationID)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]trackly.Offer{}
	for _, o := range list {
		out[o.OfferID] = o
	}
	return out
}
