// Package localruntest starts the whole local system of package localrun for tests, with the
// tests' defaults, and offers the clients and helpers tests talk to it with, as TUNE, a phone and
// an admin do.
//
// Start starts a system for one test and closes it when the test is done; New starts one where
// there is no testing.TB, such as in TestMain, for the caller to close. The helpers of a System
// take the testing.TB of the test or subtest that calls them, so one System serves many tests.
//
// Samples and AdminSamples read the samples under events/ that tests run through the functions,
// and Buffer keeps what a command running beside a test prints.
package localruntest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/workspace"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// IPhone is the User-Agent of a phone's browser, whose taps count as clicks.
const IPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

// System is a running local system and the clients a test talks to it with.
type System struct {
	*localrun.System
	// DataDir is the system's data directory: its secrets, and its tables if it keeps them.
	DataDir string
	// HTTP is a client of the HTTP API that does not follow redirects, so that a test reads them.
	HTTP *http.Client
	// Lambda is a Lambda client on the Invoke API.
	Lambda *lambda.Client

	// tempDir is the data directory New made, which Close removes.
	tempDir string
}

// Start starts a system for t and closes it when t and its subtests are done. The zero fields of
// opts take the tests' defaults:
//
//   - free loopback ports for the HTTP API, the Invoke API and the TUNE simulator;
//   - the module's template.yaml, found from the working directory up;
//   - a data directory of t.TempDir();
//   - 20 offers on the TUNE simulator;
//   - a queue visibility timeout of 1s, so that a failed message is soon delivered again;
//   - logs at Warn and above to t.Output().
//
// Schedules are disabled. A system that does not start fails the test.
func Start(t testing.TB, opts localrun.Options) *System {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = Logger(t)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("start the local system: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close the local system: %v", err)
		}
	})
	return s
}

// New starts a system with the tests' defaults, as Start does, where there is no testing.TB (in
// TestMain, or in a goroutine of a test). Unless opts says otherwise, its data directory is a new
// temporary directory, which Close removes, and its logs are discarded. The caller closes it.
func New(opts localrun.Options) (*System, error) {
	if opts.TemplatePath == "" {
		root, err := workspace.Root()
		if err != nil {
			return nil, err
		}
		opts.TemplatePath = filepath.Join(root, "template.yaml")
	}
	opts.HTTPAddr = cmp.Or(opts.HTTPAddr, "127.0.0.1:0")
	opts.InvokeAddr = cmp.Or(opts.InvokeAddr, "127.0.0.1:0")
	opts.TUNEAddr = cmp.Or(opts.TUNEAddr, "127.0.0.1:0")
	opts.TUNEOffers = cmp.Or(opts.TUNEOffers, 20)
	opts.VisibilityTimeout = cmp.Or(opts.VisibilityTimeout, time.Second)
	opts.DisableSchedules = true
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var tempDir string
	if opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "localruntest-")
		if err != nil {
			return nil, err
		}
		opts.DataDir, tempDir = dir, dir
	}
	sys, err := localrun.Start(context.Background(), opts)
	if err != nil {
		if tempDir != "" {
			err = errors.Join(err, os.RemoveAll(tempDir))
		}
		return nil, err
	}
	return &System{
		System:  sys,
		DataDir: opts.DataDir,
		HTTP: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Lambda: lambda.NewFromConfig(sys.Cloud.AWSConfig(), func(o *lambda.Options) {
			o.BaseEndpoint = aws.String(sys.Cloud.InvokeURL())
		}),
		tempDir: tempDir,
	}, nil
}

// Logger returns the logger Start gives a system by default: Warn and above, to t.Output().
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// Close stops the system and removes the data directory New made.
func (s *System) Close() error {
	err := s.System.Close()
	if s.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(s.tempDir))
	}
	return err
}

// Invoke runs an admin action of function through the Lambda Invoke API and decodes its answer
// into out, unless out is nil. If the function answers with a function error, Invoke returns it as
// its JSON text ({"errorType", "errorMessage"}); otherwise it returns "". Any other failure fails t.
func (s *System) Invoke(t testing.TB, function string, payload, out any) (functionError string) {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(function), Payload: body})
	if err != nil {
		t.Fatalf("invoke %s %s: %v", function, body, err)
	}
	if res.FunctionError != nil {
		return string(res.Payload)
	}
	if out != nil {
		if err := json.Unmarshal(res.Payload, out); err != nil {
			t.Fatalf("decode the answer of %s %s: %v", function, res.Payload, err)
		}
	}
	return ""
}

// MustInvoke runs an admin action as Invoke does, and fails t if the function answers with a
// function error.
func (s *System) MustInvoke(t testing.TB, function string, payload, out any) {
	t.Helper()
	if ferr := s.Invoke(t, function, payload, out); ferr != "" {
		t.Fatalf("%s %v: function error %s", function, payload, ferr)
	}
}

// Tap opens a tracked link as a phone (or a link previewer) with userAgent would, without following
// the redirect. The response's body is read and closed.
func (s *System) Tap(t testing.TB, linkURL, userAgent string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, linkURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", userAgent)
	res, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("tap %s: %v", linkURL, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// ClickID taps a link as an iPhone and returns the click id its redirect carries in aff_sub.
func (s *System) ClickID(t testing.TB, linkURL string) string {
	t.Helper()
	res := s.Tap(t, linkURL, IPhone)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("tap %s: status %d, want 302", linkURL, res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	id := loc.Query().Get("aff_sub")
	if id == "" {
		t.Fatalf("redirect %s carries no aff_sub", loc)
	}
	return id
}

// PostbackAnswer is the HTTP API's answer to a postback.
type PostbackAnswer struct {
	Status int
	// Body is the answer decoded as a JSON object, or nil if it is not one.
	Body map[string]any
	// Raw is the answer as sent.
	Raw string
}

// SendPostback sends a postback as TUNE does (GET with the query params), and returns the answer
// or the error that kept it from coming. Unlike Postback, it may be called from any goroutine.
func (s *System) SendPostback(params url.Values) (PostbackAnswer, error) {
	res, err := s.HTTP.Get(s.Cloud.HTTPURL() + "/api/postbacks/tune?" + params.Encode())
	if err != nil {
		return PostbackAnswer{}, fmt.Errorf("postback: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return PostbackAnswer{}, fmt.Errorf("read the postback's answer: %w", err)
	}
	a := PostbackAnswer{Status: res.StatusCode, Raw: string(raw)}
	json.Unmarshal(raw, &a.Body)
	return a, nil
}

// Postback sends a postback as SendPostback does, and fails t if no answer comes.
func (s *System) Postback(t testing.TB, params url.Values) PostbackAnswer {
	t.Helper()
	a, err := s.SendPostback(params)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// PostbackToken returns the demo integration's postback token, as its postback URL carries it.
func (s *System) PostbackToken(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(s.Demo.PostbackURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// Report returns the demo account's report in a dimension, for one id of it or, with id "", all.
func (s *System) Report(t testing.TB, dimension, id string) reports.Report {
	t.Helper()
	var r reports.Report
	payload := map[string]any{"action": "report", "account_id": s.Demo.AccountID, "dimension": dimension}
	if id != "" {
		payload["id"] = id
	}
	s.MustInvoke(t, "AdminFunction", payload, &r)
	return r
}

// PostbackLog returns today's postback log (the first 1000 entries, newest first).
func (s *System) PostbackLog(t testing.TB) []trackly.PostbackLogEntry {
	t.Helper()
	var out struct {
		Postbacks []trackly.PostbackLogEntry `json:"postbacks"`
	}
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "list_postbacks", "limit": 1000}, &out)
	return out.Postbacks
}

// OutcomeOf returns the postback log's entry of a postback, or the zero entry if it has none.
func (s *System) OutcomeOf(t testing.TB, postbackID string) trackly.PostbackLogEntry {
	t.Helper()
	for _, p := range s.PostbackLog(t) {
		if p.PostbackID == postbackID {
			return p
		}
	}
	return trackly.PostbackLogEntry{}
}

// ReadSecret returns the secret the system keeps under name in its data directory.
func (s *System) ReadSecret(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.DataDir, "secrets", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// Eventually polls cond every 100ms until it holds, and fails t if it does not within 30s.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
