// Package localrun starts the whole system on a developer's machine: the local
// cloud (DynamoDB Local, the embedded goaws SQS, the HTTP API, the Lambda Invoke
// API) running every function of template.yaml, a TUNE simulator, and a seeded
// demo account.
// `trackly local` (and so `make run`) starts it, and tests start it through package localruntest.
package localrun

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"github.com/trackly/tune-integration/dev/localcloud"
	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/app/adminfn"
	"github.com/trackly/tune-integration/internal/app/attributionfn"
	"github.com/trackly/tune-integration/internal/app/clickfn"
	"github.com/trackly/tune-integration/internal/app/postbackfn"
	"github.com/trackly/tune-integration/internal/app/reconciliationfn"
	"github.com/trackly/tune-integration/internal/app/reportsfn"
)

// Demo credentials of the simulated TUNE network.
const (
	DemoNetworkID    = "demo"
	DemoNetworkToken = "demo-network-token"
	DemoAffiliateKey = "demo-affiliate-key"
	DemoAffiliateID  = "1"
)

// Options configures a local system. Zero addresses take the documented defaults.
type Options struct {
	TemplatePath string // default "template.yaml"
	HTTPAddr     string // default 127.0.0.1:3000
	InvokeAddr   string // default 127.0.0.1:3001
	TUNEAddr     string // default 127.0.0.1:3002
	DataDir      string // default .local; secrets live under it
	// KeepData keeps the tables in DynamoDB Local's files under DataDir, so that they outlive the
	// system (trackly local); otherwise they live in memory and go with it (tests).
	KeepData bool
	// DrainTimeout bounds how long Close lets attribution empty the queues; see localcloud.Options.
	DrainTimeout time.Duration
	// TUNEOffers is how many offers the simulated network has. Default 200.
	TUNEOffers int
	// VisibilityTimeout overrides the queues' visibility timeout (tests make redelivery quick).
	VisibilityTimeout time.Duration
	// FunctionTimeouts, by logical ID, overrides the Timeout of the functions it names (tests reach
	// a deadline sooner); see localcloud.Options.
	FunctionTimeouts map[string]time.Duration
	DisableSchedules bool
	// SkipDemo starts the system without seeding the demo account.
	SkipDemo bool
	// DynamoDBMiddleware, if set, wraps the local cloud's handler of the functions' DynamoDB requests;
	// dev/dynamodbrules applies DynamoDB's rules for concurrent writers with it (see
	// localcloud.Options).
	DynamoDBMiddleware func(http.Handler) http.Handler
	// SQSMiddleware, if set, wraps the local cloud's SQS (see localcloud.Options): the load test
	// (dev/load) makes SQS unreachable with it for a while.
	SQSMiddleware func(http.Handler) http.Handler
	// APIOptions adds AWS SDK middleware to the AWS config of the functions it names by logical ID
	// in template.yaml (tests count a function's DynamoDB calls with it).
	APIOptions map[string][]func(*middleware.Stack) error
	Logger     *slog.Logger
}

// System is a running local system.
type System struct {
	Cloud   *localcloud.Cloud
	TUNE    *tunesim.Simulator
	TUNEURL string
	// TUNEControlURL is where the demo and tests add conversions to the simulated network and
	// change them (POST /conversions, PATCH /conversions/{event_id}; see tunesim.ControlHandler).
	TUNEControlURL string
	Demo           Demo

	opts       Options
	tuneServer *http.Server
}

// Functions returns every function's factory, by logical id in template.yaml.
func Functions() map[string]localcloud.Factory {
	return map[string]localcloud.Factory{
		"PostbackFunction":       postbackfn.Function.New,
		"ClickFunction":          clickfn.Function.New,
		"AttributionFunction":    attributionfn.Function.New,
		"OfferSyncFunction":      adminfn.OfferSync.New,
		"ReconciliationFunction": reconciliationfn.Function.New,
		"AdminFunction":          adminfn.Admin.New,
		"ReportsFunction":        reportsfn.Function.New,
	}
}

// Start starts the system and, unless opts.SkipDemo, seeds the demo account.
func Start(ctx context.Context, opts Options) (*System, error) {
	opts.defaults()
	functions, err := opts.functions()
	if err != nil {
		return nil, err
	}
	sys := &System{opts: opts, TUNE: tunesim.New(tunesim.Options{
		NetworkID:    DemoNetworkID,
		NetworkToken: DemoNetworkToken,
		AffiliateKey: DemoAffiliateKey,
		AffiliateID:  DemoAffiliateID,
		Offers:       opts.TUNEOffers,
	})}
	ln, err := net.Listen("tcp", opts.TUNEAddr)
	if err != nil {
		return nil, fmt.Errorf("TUNE simulator: %w", err)
	}
	sys.TUNEURL = "http://" + ln.Addr().String() + "/Apiv3/json"
	tune := http.NewServeMux()
	tune.Handle("/control/", http.StripPrefix("/control", sys.TUNE.ControlHandler()))
	tune.Handle("/", sys.TUNE)
	sys.TUNEControlURL = "http://" + ln.Addr().String() + "/control"
	sys.tuneServer = &http.Server{Handler: tune, ReadHeaderTimeout: 10 * time.Second}
	go sys.tuneServer.Serve(ln)

	sys.Cloud, err = localcloud.Start(ctx, localcloud.Options{
		TemplatePath: opts.TemplatePath,
		Functions:    functions,
		HTTPAddr:     opts.HTTPAddr,
		InvokeAddr:   opts.InvokeAddr,
		Env: map[string]string{
			"PUBLIC_BASE_URL": "${HTTP_API_URL}",
			"SECRETS_DIR":     filepath.Join(opts.DataDir, "secrets"),
		},
		DynamoDBDataDir:    opts.dynamoDBDataDir(),
		DynamoDBMiddleware: opts.DynamoDBMiddleware,
		SQSMiddleware:      opts.SQSMiddleware,
		DrainTimeout:       opts.DrainTimeout,
		VisibilityTimeout:  opts.VisibilityTimeout,
		FunctionTimeouts:   opts.FunctionTimeouts,
		DisableSchedules:   opts.DisableSchedules,
		Logger:             opts.Logger,
	})
	if err != nil {
		sys.Close()
		return nil, err
	}
	if opts.SkipDemo {
		return sys, nil
	}
	if sys.Demo, err = seed(ctx, sys); err != nil {
		sys.Close()
		return nil, fmt.Errorf("seed demo account (if a previous run stopped while seeding, --reset starts clean): %w", err)
	}
	return sys, nil
}

func (o *Options) defaults() {
	o.TemplatePath = cmp.Or(o.TemplatePath, "template.yaml")
	o.HTTPAddr = cmp.Or(o.HTTPAddr, "127.0.0.1:3000")
	o.InvokeAddr = cmp.Or(o.InvokeAddr, "127.0.0.1:3001")
	o.TUNEAddr = cmp.Or(o.TUNEAddr, "127.0.0.1:3002")
	o.DataDir = cmp.Or(o.DataDir, ".local")
	o.TUNEOffers = cmp.Or(o.TUNEOffers, 200)
	o.Logger = cmp.Or(o.Logger, slog.Default())
}

// functions returns every function's factory, the middleware of o.APIOptions added to the AWS
// config of those it names.
func (o *Options) functions() (map[string]localcloud.Factory, error) {
	functions := Functions()
	for id, apiOptions := range o.APIOptions {
		factory, ok := functions[id]
		if !ok {
			return nil, fmt.Errorf("APIOptions names %q, which is not a function", id)
		}
		functions[id] = func(ctx context.Context, cfg aws.Config, getenv func(string) string) (lambda.Handler, error) {
			cfg.APIOptions = append(slices.Clip(cfg.APIOptions), apiOptions...)
			return factory(ctx, cfg, getenv)
		}
	}
	return functions, nil
}

// dynamoDBDataDir is where DynamoDB Local keeps the tables, or "" for memory.
func (o *Options) dynamoDBDataDir() string {
	if !o.KeepData {
		return ""
	}
	return filepath.Join(o.DataDir, "dynamodb")
}

// ResetData deletes what a system kept under dataDir (tables and secrets), so that the next start
// begins clean, with a new demo account.
func ResetData(dataDir string) error {
	for _, dir := range []string{"dynamodb", "secrets"} {
		if err := os.RemoveAll(filepath.Join(dataDir, dir)); err != nil {
			return fmt.Errorf("reset local data: %w", err)
		}
	}
	return nil
}

// Invoke runs an admin action on a function and decodes its answer into out.
func (s *System) Invoke(ctx context.Context, function string, payload any, out any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	res, err := s.Cloud.Invoke(ctx, function, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", function, body, err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res, out)
}

// Close stops everything.
func (s *System) Close() error {
	var errs []error
	if s.Cloud != nil {
		errs = append(errs, s.Cloud.Close())
	}
	if s.tuneServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, s.tuneServer.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
