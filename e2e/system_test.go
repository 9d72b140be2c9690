// Package e2e tests the whole system over HTTP, as TUNE, a phone and an admin
// reach it: the local cloud runs every function of template.yaml on DynamoDB
// Local and an embedded SQS, with a TUNE simulator behind the offers.
package e2e

import (
	"context"
	"encoding/json"
	"io"
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
)

const iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

// system is a running local system and the clients a test talks to it with.
type system struct {
	*localrun.System
	t       testing.TB
	dataDir string
	http    *http.Client
	lambda  *lambda.Client
}

func startSystem(t testing.TB) *system {
	t.Helper()
	return startSystemWith(t, localrun.Options{DataDir: t.TempDir()})
}

// startSystemWith starts a system with the data directory and persistence of opts, and the tests'
// addresses and timings.
func startSystemWith(t testing.TB, opts localrun.Options) *system {
	t.Helper()
	ctx := context.Background()
	dataDir := opts.DataDir
	sys, err := localrun.Start(ctx, localrun.Options{
		TemplatePath:      filepath.Join("..", "template.yaml"),
		HTTPAddr:          "127.0.0.1:0",
		InvokeAddr:        "127.0.0.1:0",
		TUNEAddr:          "127.0.0.1:0",
		DataDir:           dataDir,
		KeepData:          opts.KeepData,
		DrainTimeout:      opts.DrainTimeout,
		TUNEOffers:        20,
		VisibilityTimeout: time.Second,
		DisableSchedules:  true,
	})
	if err != nil {
		t.Fatalf("start local system: %v", err)
	}
	t.Cleanup(func() {
		if err := sys.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	cfg := sys.Cloud.AWSConfig()
	return &system{
		System:  sys,
		t:       t,
		dataDir: dataDir,
		http: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		lambda: lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(sys.Cloud.InvokeURL()) }),
	}
}

// invoke runs an admin action through the Lambda Invoke API and decodes its answer.
// A function error fails the test unless wantErr is set, in which case its message is returned.
func (s *system) invoke(function string, payload map[string]any, out any) (functionError string) {
	s.t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		s.t.Fatal(err)
	}
	res, err := s.lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(function), Payload: body})
	if err != nil {
		s.t.Fatalf("invoke %s %s: %v", function, body, err)
	}
	if res.FunctionError != nil {
		return string(res.Payload)
	}
	if out != nil {
		if err := json.Unmarshal(res.Payload, out); err != nil {
			s.t.Fatalf("decode %s answer %s: %v", function, res.Payload, err)
		}
	}
	return ""
}

func (s *system) mustInvoke(function string, payload map[string]any, out any) {
	s.t.Helper()
	if ferr := s.invoke(function, payload, out); ferr != "" {
		s.t.Fatalf("%s %v: function error %s", function, payload, ferr)
	}
}

// tap opens a tracked link as a phone (or a previewer) would, without following the redirect.
func (s *system) tap(linkURL, userAgent string) *http.Response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, linkURL, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("User-Agent", userAgent)
	res, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("tap %s: %v", linkURL, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// clickIDOf taps a link and returns the click id its redirect carries in the click parameter.
func (s *system) clickIDOf(linkURL string) string {
	s.t.Helper()
	res := s.tap(linkURL, iPhone)
	if res.StatusCode != http.StatusFound {
		s.t.Fatalf("tap %s: status %d, want 302", linkURL, res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		s.t.Fatal(err)
	}
	id := loc.Query().Get("aff_sub")
	if id == "" {
		s.t.Fatalf("redirect %s carries no aff_sub", loc)
	}
	return id
}

type postbackAnswer struct {
	Status     int
	Body       map[string]any
	RawMessage string
}

// postback sends a postback as TUNE does (GET with the query).
func (s *system) postback(params url.Values) postbackAnswer {
	s.t.Helper()
	res, err := s.http.Get(s.Cloud.HTTPURL() + "/api/postbacks/tune?" + params.Encode())
	if err != nil {
		s.t.Fatalf("postback: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := postbackAnswer{Status: res.StatusCode, RawMessage: string(raw)}
	json.Unmarshal(raw, &a.Body)
	return a
}

// postbackToken is the demo integration's token, as its postback URL carries it.
func (s *system) postbackToken() string {
	s.t.Helper()
	u, err := url.Parse(s.Demo.PostbackURL)
	if err != nil {
		s.t.Fatal(err)
	}
	return u.Query().Get("token")
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type reportLine struct {
	ID                 string            `json:"id"`
	Clicks             int64             `json:"clicks"`
	Conversions        int64             `json:"conversions"`
	PendingConversions int64             `json:"pending_conversions"`
	Revenue            map[string]string `json:"revenue"`
	EPC                map[string]string `json:"epc"`
	ConversionRate     string            `json:"conversion_rate"`
}

type report struct {
	Lines []reportLine `json:"lines"`
	Total reportLine   `json:"total"`
}

func (s *system) report(dimension, id string) report {
	s.t.Helper()
	var r report
	s.mustInvoke("AdminFunction", map[string]any{"action": "report", "account_id": s.Demo.AccountID, "dimension": dimension, "id": id}, &r)
	return r
}

type loggedPostback struct {
	PostbackID string `json:"postback_id"`
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason"`
	Query      string `json:"query"`
	Conversion struct {
		IntegrationID string `json:"integration_id"`
		ConversionID  string `json:"conversion_id"`
		GoalID        string `json:"goal_id"`
	} `json:"conversion"`
}

func (s *system) postbackLog() []loggedPostback {
	s.t.Helper()
	var out struct {
		Postbacks []loggedPostback `json:"postbacks"`
	}
	s.mustInvoke("AdminFunction", map[string]any{"action": "list_postbacks", "limit": 1000}, &out)
	return out.Postbacks
}

func (s *system) outcomeOf(postbackID string) loggedPostback {
	for _, p := range s.postbackLog() {
		if p.PostbackID == postbackID {
			return p
		}
	}
	return loggedPostback{}
}

func readSecret(t testing.TB, dataDir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "secrets", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
