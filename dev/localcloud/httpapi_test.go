package localcloud

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// recorded keeps the payloads a handler received.
type recorded struct {
	mu       sync.Mutex
	payloads [][]byte
}

func (r *recorded) add(p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, p)
}

func (r *recorded) all() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.payloads...)
}

// recording records the payloads h receives.
func (r *recorded) recording(h lambda.Handler) lambda.Handler {
	return handlerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		r.add(payload)
		return h.Invoke(ctx, payload)
	})
}

// webHandler answers the routes of WebFunction.
func webHandler(_ context.Context, e events.APIGatewayV2HTTPRequest) (any, error) {
	switch e.RouteKey {
	case "GET /c/{link_id}":
		return events.APIGatewayV2HTTPResponse{
			StatusCode: http.StatusFound,
			Headers:    map[string]string{"Location": "https://offers.example.com/?aff_sub=" + url.QueryEscape(e.PathParameters["link_id"])},
			Cookies:    []string{"seen=1; Path=/", "visit=2"},
		}, nil
	case "POST /upload":
		body := []byte(e.Body)
		if e.IsBase64Encoded {
			var err error
			if body, err = base64.StdEncoding.DecodeString(e.Body); err != nil {
				return nil, err
			}
		}
		return events.APIGatewayV2HTTPResponse{
			StatusCode:        http.StatusCreated,
			Headers:           map[string]string{"Content-Type": "application/octet-stream", "X-Was-Base64": "no"},
			MultiValueHeaders: map[string][]string{"X-Was-Base64": {boolString(e.IsBase64Encoded)}},
			Body:              base64.StdEncoding.EncodeToString(append([]byte("got:"), body...)),
			IsBase64Encoded:   true,
		}, nil
	case "GET /files/readme":
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: "readme", Headers: map[string]string{"Content-Type": "text/plain"}}, nil
	case "ANY /files/{path+}":
		return map[string]string{"path": e.PathParameters["path"], "method": e.RequestContext.HTTP.Method}, nil
	}
	return nil, errors.New("unexpected route " + e.RouteKey)
}

func boolString(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// slowHandler panics, fails, or outlives its timeout, as the query asks.
func slowHandler(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	switch {
	case e.QueryStringParameters["panic"] != "":
		panic("slow function panicked")
	case e.QueryStringParameters["error"] != "":
		return events.APIGatewayV2HTTPResponse{}, errors.New("slow function failed")
	}
	<-ctx.Done()
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK}, nil
}

// noRedirects is an HTTP client that returns redirects instead of following them.
var noRedirects = &http.Client{
	Timeout:       waitTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func startWebCloud(t *testing.T, rec *recorded) *Cloud {
	return startCloud(t, map[string]Factory{
		"WebFunction":  static(rec.recording(lambda.NewHandler(webHandler))),
		"SlowFunction": static(lambda.NewHandler(slowHandler)),
	}, nil)
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestHTTPAPIEvent(t *testing.T) {
	var rec recorded
	c := startWebCloud(t, &rec)
	req, err := http.NewRequest(http.MethodGet, c.HTTPURL()+"/c/ab%20c?x=1&x=2&y=a%2Bb&empty=", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "sms-client/1.0")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Cookie", "a=1; b=2")
	start := time.Now()
	resp, _ := do(t, req)

	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status = %d, want 302", resp.StatusCode)
	}
	if got := resp.Header.Get("Location"); got != "https://offers.example.com/?aff_sub=ab+c" {
		t.Errorf("Location = %q", got)
	}
	if got := resp.Header.Values("Set-Cookie"); !reflect.DeepEqual(got, []string{"seen=1; Path=/", "visit=2"}) {
		t.Errorf("Set-Cookie = %q", got)
	}
	if resp.Header.Get("Apigw-Requestid") == "" {
		t.Error("no Apigw-Requestid header")
	}

	payloads := rec.all()
	if len(payloads) != 1 {
		t.Fatalf("handler got %d events", len(payloads))
	}
	var raw map[string]any
	if err := json.Unmarshal(payloads[0], &raw); err != nil {
		t.Fatal(err)
	}
	if raw["isBase64Encoded"] != false || raw["body"] != nil || raw["stageVariables"] != nil {
		t.Errorf("raw event has isBase64Encoded=%v body=%v stageVariables=%v", raw["isBase64Encoded"], raw["body"], raw["stageVariables"])
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payloads[0], &e); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(c.HTTPURL(), "http://")
	port := host[strings.LastIndex(host, ":")+1:]
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", e.Version, "2.0"},
		{"routeKey", e.RouteKey, "GET /c/{link_id}"},
		{"rawPath", e.RawPath, "/c/ab%20c"},
		{"rawQueryString", e.RawQueryString, "x=1&x=2&y=a%2Bb&empty="},
		{"cookies", e.Cookies, []string{"a=1", "b=2"}},
		{"queryStringParameters", e.QueryStringParameters, map[string]string{"x": "1,2", "y": "a+b", "empty": ""}},
		{"pathParameters", e.PathParameters, map[string]string{"link_id": "ab c"}},
		{"headers[x-multi]", e.Headers["x-multi"], "one,two"},
		{"headers[user-agent]", e.Headers["user-agent"], "sms-client/1.0"},
		{"headers[host]", e.Headers["host"], host},
		{"headers[x-forwarded-for]", e.Headers["x-forwarded-for"], "127.0.0.1"},
		{"headers[x-forwarded-port]", e.Headers["x-forwarded-port"], port},
		{"headers[x-forwarded-proto]", e.Headers["x-forwarded-proto"], "http"},
		{"requestContext.accountId", e.RequestContext.AccountID, "000000000000"},
		{"requestContext.apiId", e.RequestContext.APIID, "local"},
		{"requestContext.domainName", e.RequestContext.DomainName, "127.0.0.1"},
		{"requestContext.domainPrefix", e.RequestContext.DomainPrefix, "127"},
		{"requestContext.routeKey", e.RequestContext.RouteKey, "GET /c/{link_id}"},
		{"requestContext.stage", e.RequestContext.Stage, "$default"},
		{"requestContext.requestId", e.RequestContext.RequestID, resp.Header.Get("Apigw-Requestid")},
		{"requestContext.http", e.RequestContext.HTTP, events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method: "GET", Path: "/c/ab%20c", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "sms-client/1.0",
		}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	for name := range e.Headers {
		if name != strings.ToLower(name) || name == "cookie" {
			t.Errorf("header %q in the event", name)
		}
	}
	reqTime, err := time.Parse(apiGatewayTimeFormat, e.RequestContext.Time)
	if err != nil || reqTime.Before(start.Add(-time.Second).Truncate(time.Second)) {
		t.Errorf("requestContext.time = %q (%v)", e.RequestContext.Time, err)
	}
	if epoch := time.UnixMilli(e.RequestContext.TimeEpoch); epoch.Before(start.Add(-time.Second)) || epoch.After(time.Now()) {
		t.Errorf("requestContext.timeEpoch = %d", e.RequestContext.TimeEpoch)
	}
}

func TestHTTPAPIBodies(t *testing.T) {
	var rec recorded
	c := startWebCloud(t, &rec)
	for _, tc := range []struct {
		contentType string
		base64      bool
	}{
		{"application/json", false},
		{"text/plain; charset=utf-8", false},
		{"application/x-www-form-urlencoded", true},
		{"application/octet-stream", true},
		{"", true},
	} {
		t.Run(tc.contentType, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, c.HTTPURL()+"/upload", strings.NewReader(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.contentType)
			resp, body := do(t, req)
			if resp.StatusCode != http.StatusCreated || string(body) != `got:{"a":1}` {
				t.Errorf("response = %d %q", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/octet-stream" {
				t.Errorf("Content-Type = %q", got)
			}
			if got, want := resp.Header.Get("X-Was-Base64"), boolString(tc.base64); got != want {
				t.Errorf("multi-value header X-Was-Base64 = %q, want %q", got, want)
			}
			payloads := rec.all()
			var e events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(payloads[len(payloads)-1], &e); err != nil {
				t.Fatal(err)
			}
			if e.IsBase64Encoded != tc.base64 {
				t.Errorf("isBase64Encoded = %v, want %v", e.IsBase64Encoded, tc.base64)
			}
			if e.Headers["content-length"] != "7" {
				t.Errorf("content-length = %q", e.Headers["content-length"])
			}
		})
	}
}

func TestHTTPAPIRoutes(t *testing.T) {
	c := startWebCloud(t, &recorded{})
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{http.MethodGet, "/files/readme", http.StatusOK, "readme"},
		{http.MethodDelete, "/files/a/b%2Fc", http.StatusOK, `{"method":"DELETE","path":"a/b/c"}`},
		{http.MethodGet, "/files/readme/more", http.StatusOK, `{"method":"GET","path":"readme/more"}`},
		{http.MethodGet, "/files", http.StatusNotFound, `{"message":"Not Found"}`},
		{http.MethodPost, "/c/abc", http.StatusNotFound, `{"message":"Not Found"}`},
		{http.MethodGet, "/c/abc/", http.StatusNotFound, `{"message":"Not Found"}`},
		{http.MethodGet, "/nowhere", http.StatusNotFound, `{"message":"Not Found"}`},
		{http.MethodGet, "/slow?error=1", http.StatusInternalServerError, `{"message":"Internal Server Error"}`},
		{http.MethodGet, "/slow?panic=1", http.StatusInternalServerError, `{"message":"Internal Server Error"}`},
		{http.MethodGet, "/slow", http.StatusInternalServerError, `{"message":"Internal Server Error"}`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, c.HTTPURL()+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := do(t, req)
			if resp.StatusCode != tc.status || strings.TrimSpace(string(body)) != tc.body {
				t.Errorf("response = %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.body)
			}
			if ct := resp.Header.Get("Content-Type"); tc.body[0] == '{' && ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}
