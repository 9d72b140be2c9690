package sam_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/dev/samtemplate"
	"github.com/trackly/tune-integration/internal/adminapi"
)

// TestEverySampleHasItsEventsShape checks each sample has the shape Lambda delivers (as
// `sam local generate-event` writes it) for an event of its function, and each event of the
// template has a sample, so `sam local invoke -e events/<sample>` exercises every path.
func TestEverySampleHasItsEventsShape(t *testing.T) {
	tmpl := template(t)
	covered := map[string]bool{} // "<function> <route key>", "<function> SQS", "<function> Schedule"
	for _, s := range localruntest.Samples(t) {
		f := tmpl.Functions[s.Function]
		covered[covers(t, s, f)] = true
		t.Run(s.Name, func(t *testing.T) {
			switch {
			case s.Fields["routeKey"] != nil:
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(s.Raw, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Version != "2.0" || ev.RequestContext.HTTP.Method == "" || ev.RequestContext.Stage != "$default" {
					t.Errorf("not an HTTP API payload 2.0 request: version %q, method %q, stage %q", ev.Version, ev.RequestContext.HTTP.Method, ev.RequestContext.Stage)
				}
				i := slices.IndexFunc(f.Routes, func(r samtemplate.HTTPAPIRoute) bool { return r.RouteKey() == ev.RouteKey })
				if i < 0 {
					t.Fatalf("routeKey %q is none of %s's routes", ev.RouteKey, s.Function)
				}
				route := f.Routes[i]
				if (route.Method != "ANY" && ev.RequestContext.HTTP.Method != route.Method) || ev.RequestContext.RouteKey != ev.RouteKey {
					t.Errorf("requestContext %s %q does not match route %s", ev.RequestContext.HTTP.Method, ev.RequestContext.RouteKey, route.RouteKey())
				}
				path := route.Path
				for k, v := range ev.PathParameters {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
				}
				if ev.RawPath != path || ev.RequestContext.HTTP.Path != path {
					t.Errorf("rawPath %q (requestContext %q), want %q from the route and pathParameters", ev.RawPath, ev.RequestContext.HTTP.Path, path)
				}
				if ev.Headers["user-agent"] == "" || ev.RequestContext.HTTP.UserAgent != ev.Headers["user-agent"] {
					t.Error("user-agent header and requestContext.http.userAgent must agree")
				}
			case s.Fields["Records"] != nil:
				var ev events.SQSEvent
				if err := json.Unmarshal(s.Raw, &ev); err != nil {
					t.Fatal(err)
				}
				if len(f.SQSSources) == 0 || len(ev.Records) == 0 {
					t.Fatalf("an SQS batch for %s, which has no SQS event, or no records", s.Function)
				}
				if len(ev.Records) > f.SQSSources[0].BatchSize {
					t.Errorf("%d records, more than the BatchSize %d", len(ev.Records), f.SQSSources[0].BatchSize)
				}
				ids := map[string]bool{}
				for _, r := range ev.Records {
					if r.EventSource != "aws:sqs" || r.MessageId == "" || ids[r.MessageId] || !strings.HasPrefix(r.EventSourceARN, "arn:aws:sqs:") {
						t.Errorf("record %+v is not an SQS record with a unique messageId", r)
					}
					ids[r.MessageId] = true
				}
			case s.Fields["action"] != nil:
				if s.Function != "AdminFunction" && s.Function != "OfferSyncFunction" {
					t.Errorf("an admin payload for %s, which admins do not invoke", s.Function)
				}
			default:
				t.Errorf("neither an HTTP API request, an SQS batch nor an admin payload")
			}
		})
	}
	for id, f := range tmpl.Functions {
		for _, r := range f.Routes {
			if !covered[id+" "+r.RouteKey()] {
				t.Errorf("no events/ sample for %s %s", id, r.RouteKey())
			}
		}
		if len(f.SQSSources) > 0 && !covered[id+" SQS"] {
			t.Errorf("no events/ sample SQS batch for %s", id)
		}
		if len(f.Schedules) > 0 && !covered[id+" Schedule"] {
			t.Errorf("no events/<function>-schedule.json holding %s's schedule Input", id)
		}
	}
}

// covers names the event of the template that sample s, for function f, stands for: "<function>
// <route key>", "<function> SQS" or "<function> Schedule" (its schedule's Input, in a file
// <function>-schedule.json); "" for none. Each sample's subtest checks that it has that event's shape.
func covers(t *testing.T, s localruntest.Sample, f *samtemplate.Function) string {
	t.Helper()
	var routeKey string
	switch {
	case s.Fields["routeKey"] != nil && json.Unmarshal(s.Fields["routeKey"], &routeKey) == nil:
		return s.Function + " " + routeKey
	case s.Fields["Records"] != nil:
		return s.Function + " SQS"
	case f != nil && strings.HasSuffix(s.Name, "-schedule.json"):
		for _, sch := range f.Schedules {
			if jsonEqual(t, s.Raw, []byte(sch.Input)) {
				return s.Function + " Schedule"
			}
		}
	}
	return ""
}

// TestAdminSamplesFollowTheContract checks each admin payload under events/
// against adminapi: it names an action of the function its file name gives,
// and decodes strictly (as the routers decode) into that action's request.
// Every action of the contract has a sample.
func TestAdminSamplesFollowTheContract(t *testing.T) {
	sampled := map[adminapi.Action]bool{}
	for _, s := range localruntest.AdminSamples(t) {
		a := adminapi.Action(s.Action)
		sampled[a] = true
		t.Run(s.Name, func(t *testing.T) {
			if a.Function() == "" {
				t.Fatalf("action %q is none of adminapi's", s.Action)
			}
			if string(a.Function()) != s.Function {
				t.Errorf("%s is an action of %s, but the file names %s", a, a.Function(), s.Function)
			}
			if err := adminapi.DecodeRequest(s.Raw, a.NewRequest()); err != nil {
				t.Errorf("does not decode into %s's request %T: %v", a, a.NewRequest(), err)
			}
		})
	}
	for _, a := range adminapi.Actions() {
		if !sampled[a] {
			t.Errorf("action %s (%s) has no sample payload under events/", a, a.Function())
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
