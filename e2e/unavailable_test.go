package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/app/postbackfn"
)

// A postback that cannot be queued must be answered with a status the sender
// retries (503), never with a 200 that drops it.
func TestPostbackAnswers503WhenItCannotBeQueued(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	ctx := context.Background()
	click := s.ClickID(t, s.Demo.LinkURL)
	query := url.Values{"click_id": {click}, "payout": {"1"}, "conversion_id": {"tx-503"}, "token": {s.PostbackToken(t)}}.Encode()

	for name, broken := range map[string]map[string]string{
		"queue missing":              {"POSTBACK_QUEUE_URL": s.Cloud.QueueURL("PostbackQueue") + "-gone"},
		"integrations table missing": {"INTEGRATIONS_TABLE": "NoSuchTable"},
	} {
		t.Run(name, func(t *testing.T) {
			env := s.Cloud.FunctionEnv("PostbackFunction")
			for k, v := range broken {
				env[k] = v
			}
			h, err := postbackfn.Function.New(ctx, s.Cloud.AWSConfig(), func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			event, err := json.Marshal(events.APIGatewayV2HTTPRequest{
				Version: "2.0", RouteKey: "GET /api/postbacks/tune", RawPath: "/api/postbacks/tune", RawQueryString: query,
				RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/api/postbacks/tune", SourceIP: "203.0.113.9"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			out, err := h.Invoke(ctx, event)
			if err != nil {
				t.Fatal(err)
			}
			var res events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("status %d (%s), want 503", res.StatusCode, res.Body)
			}
			if res.Headers["Retry-After"] == "" {
				t.Errorf("no Retry-After header: %v", res.Headers)
			}
		})
	}
}
