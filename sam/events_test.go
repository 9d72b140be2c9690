package sam_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/trackly/tune-integration/dev/samtemplate"
	"github.com/trackly/tune-integration/internal/adminapi"
)

// samplePrefixes maps the prefix of events/<prefix>-<variant>.json to its function.
var samplePrefixes = map[string]string{
	"postback": "PostbackFunction", "click": "ClickFunction", "attribution": "AttributionFunction",
	"offersync": "OfferSyncFunction", "admin": "AdminFunction",
}

type sample struct {
	name     string // file name
	function string
	raw      []byte
	fields   map[string]json.RawMessage
}

func samples(t *testing.T) []sample {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^([a-z]+)-[a-z0-9-]+\.json$`)
	var out []sample
	for _, p := range paths {
		s := sample{name: filepath.Base(p)}
		m := name.FindStringSubmatch(s.name)
		if m == nil || samplePrefixes[m[1]] == "" {
			t.Errorf("events/%s: name it <function>-<variant>.json, function one of postback, click, attribution, offersync, admin", s.name)
			continue
		}
		s.function = samplePrefixes[m[1]]
		if s.raw, err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(s.raw, &s.fields); err != nil {
			t.Errorf("events/%s is not a JSON object: %v", s.name, err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// TestEverySampleHasItsEventsShape checks each sample has the shape Lambda delivers (as
// `sam local generate-event` writes it) for an event of its function, and each event of the
// template has a sample, so `sam local invoke -e events/<sample>` exercises every path.
func TestEverySampleHasItsEventsShape(t *testing.T) {
	tmpl := template(t)
	covered := map[string]bool{} // "<function> <route key>", "<function> SQS", "<function> Schedule"
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			f := tmpl.Functions[s.function]
			switch {
			case s.fields["routeKey"] != nil:
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(s.raw, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Version != "2.0" || ev.RequestContext.HTTP.Method == "" || ev.RequestContext.Stage != "$default" {
					t.Errorf("not an HTTP API payload 2.0 request: version %q, method %q, stage %q", ev.Version, ev.RequestContext.HTTP.Method, ev.RequestContext.Stage)
				}
				i := slices.IndexFunc(f.Routes, func(r samtemplate.HTTPAPIRoute) bool { return r.RouteKey() == ev.RouteKey })
				if i < 0 {
					t.Fatalf("routeKey %q is none of %s's routes", ev.RouteKey, s.function)
				}
				route := f.Routes[i]
				if ev.RequestContext.HTTP.Method != route.Method || ev.RequestContext.RouteKey != ev.RouteKey {
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
				covered[s.function+" "+ev.RouteKey] = true
			case s.fields["Records"] != nil:
				var ev events.SQSEvent
				if err := json.Unmarshal(s.raw, &ev); err != nil {
					t.Fatal(err)
				}
				if len(f.SQSSources) == 0 || len(ev.Records) == 0 {
					t.Fatalf("an SQS batch for %s, which has no SQS event, or no records", s.function)
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
				covered[s.function+" SQS"] = true
			case s.fields["action"] != nil:
				if s.function != "AdminFunction" && s.function != "OfferSyncFunction" {
					t.Errorf("an admin payload for %s, which admins do not invoke", s.function)
				}
				for _, sch := range f.Schedules {
					if strings.HasSuffix(s.name, "-schedule.json") && jsonEqual(t, s.raw, []byte(sch.Input)) {
						covered[s.function+" Schedule"] = true
					}
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

// TestAdminSamplesFollowTheContract checks each admin payload under events/
// against adminapi: it names an action of the function its file name gives,
// and decodes strictly (as the routers decode) into that action's request.
// Every action of the contract has a sample.
func TestAdminSamplesFollowTheContract(t *testing.T) {
	sampled := map[adminapi.Action]bool{}
	for _, s := range samples(t) {
		if s.fields["action"] == nil {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			var name string
			if err := json.Unmarshal(s.fields["action"], &name); err != nil {
				t.Fatalf("action %s is not a string", s.fields["action"])
			}
			a := adminapi.Action(name)
			if a.Function() == "" {
				t.Fatalf("action %q is none of adminapi's", name)
			}
			sampled[a] = true
			if string(a.Function()) != s.function {
				t.Errorf("%s is an action of %s, but the file names %s", a, a.Function(), s.function)
			}
			if err := adminapi.DecodeRequest(s.raw, a.NewRequest()); err != nil {
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
