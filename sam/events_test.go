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
	covered := map[string]bool{} // "<function> <route key>", "<function> SQS", "<function> DynamoDB <event>", "<function> Schedule"
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
			case isStreamBatch(s):
				checkStreamBatch(t, s, tmpl)
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
				if !localruntest.AdminInvoked(s.Function) {
					t.Errorf("an admin payload for %s, which admins do not invoke", s.Function)
				}
			default:
				t.Errorf("neither an HTTP API request, an SQS batch, a DynamoDB stream batch nor an admin payload")
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
		for _, src := range f.DynamoDBSources {
			if !covered[id+" DynamoDB "+src.Event] {
				t.Errorf("no events/ sample DynamoDB stream batch for %s's event %s", id, src.Event)
			}
		}
		if len(f.Schedules) > 0 && !covered[id+" Schedule"] {
			t.Errorf("no events/<function>-schedule.json holding %s's schedule Input", id)
		}
	}
}

// covers names the event of the template that sample s, for function f, stands for: "<function>
// <route key>", "<function> SQS", "<function> DynamoDB <event>" (the event whose stream the first
// record comes from) or "<function> Schedule" (its schedule's Input, in a file
// <function>-schedule.json); "" for none. Each sample's subtest checks that it has that event's shape.
func covers(t *testing.T, s localruntest.Sample, f *samtemplate.Function) string {
	t.Helper()
	var routeKey string
	switch {
	case s.Fields["routeKey"] != nil && json.Unmarshal(s.Fields["routeKey"], &routeKey) == nil:
		return s.Function + " " + routeKey
	case isStreamBatch(s):
		var ev events.DynamoDBEvent
		if json.Unmarshal(s.Raw, &ev) == nil && len(ev.Records) > 0 && f != nil {
			if src := streamSource(f, ev.Records[0].EventSourceArn); src != nil {
				return s.Function + " DynamoDB " + src.Event
			}
		}
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

// isStreamBatch tells whether a sample is a batch of DynamoDB stream records (an SQS batch's records
// come from aws:sqs).
func isStreamBatch(s localruntest.Sample) bool {
	var ev struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		}
	}
	return json.Unmarshal(s.Raw, &ev) == nil && len(ev.Records) > 0 && ev.Records[0].EventSource == "aws:dynamodb"
}

// streamSource returns f's DynamoDB event that reads the stream of the table a stream ARN names, or nil.
func streamSource(f *samtemplate.Function, streamARN string) *samtemplate.DynamoDBEventSource {
	_, resource, _ := strings.Cut(streamARN, ":table/")
	table, _, _ := strings.Cut(resource, "/stream/")
	for i, src := range f.DynamoDBSources {
		if src.Table != "" && strings.Contains(src.StreamARN, ":table/"+table+"/stream/") {
			return &f.DynamoDBSources[i]
		}
	}
	return nil
}

// checkStreamBatch checks a batch of DynamoDB stream records as Lambda delivers it to an event of
// the sample's function: records of one stream, at most BatchSize, each with a unique eventID and
// sequence number and the images its eventName has, that the event's filters let through.
func checkStreamBatch(t *testing.T, s localruntest.Sample, tmpl *samtemplate.Template) {
	t.Helper()
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(s.Raw, &ev); err != nil {
		t.Fatal(err)
	}
	src := streamSource(tmpl.Functions[s.Function], ev.Records[0].EventSourceArn)
	if src == nil {
		t.Fatalf("records of stream %s, which no DynamoDB event of %s reads", ev.Records[0].EventSourceArn, s.Function)
	}
	if len(ev.Records) > src.BatchSize {
		t.Errorf("%d records, more than the BatchSize %d", len(ev.Records), src.BatchSize)
	}
	seen := map[string]bool{}
	for _, r := range ev.Records {
		c := r.Change
		if r.EventSource != "aws:dynamodb" || r.EventSourceArn != ev.Records[0].EventSourceArn || r.EventID == "" || c.SequenceNumber == "" ||
			seen[r.EventID] || seen[c.SequenceNumber] || len(c.Keys) == 0 {
			t.Errorf("record %s (%s) is not a record of the batch's stream with a unique eventID, sequence number and keys", r.EventID, c.SequenceNumber)
		}
		seen[r.EventID], seen[c.SequenceNumber] = true, true
		images := map[string][2]bool{"INSERT": {false, true}, "MODIFY": {true, true}, "REMOVE": {true, false}}[r.EventName]
		if (c.OldImage != nil) != images[0] || (c.NewImage != nil) != images[1] || c.StreamViewType != "NEW_AND_OLD_IMAGES" {
			t.Errorf("record %s: %s with old image %v and new image %v (%s)", r.EventID, r.EventName, c.OldImage != nil, c.NewImage != nil, c.StreamViewType)
		}
		passes := len(src.FilterPatterns) == 0
		for _, p := range src.FilterPatterns {
			var filter struct{ EventName []string }
			if err := json.Unmarshal([]byte(p), &filter); err != nil {
				t.Fatalf("filter %s: %v", p, err)
			}
			passes = passes || slices.Contains(filter.EventName, r.EventName)
		}
		if !passes {
			t.Errorf("record %s: the filters of %s let no %s through", r.EventID, src.Event, r.EventName)
		}
	}
}
