package sam_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFunctionsRunAsLambdaWillRunThem(t *testing.T) {
	globals, _ := raw(t, "Globals", "Function").(map[string]any)
	for _, key := range []string{"Runtime", "Architectures", "Handler", "Tracing", "LoggingConfig", "Environment"} {
		if globals[key] == nil {
			t.Errorf("Globals.Function sets no %s", key)
		}
	}
	for _, id := range functionIDs {
		t.Run(id, func(t *testing.T) {
			p := resource(t, id).Properties
			if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" {
				t.Errorf("Runtime %v, Handler %v; want provided.al2023 and bootstrap", p["Runtime"], p["Handler"])
			}
			if arch := fmt.Sprint(p["Architectures"]); arch != "[arm64]" {
				t.Errorf("Architectures %s, want [arm64]", arch)
			}
			if p["Tracing"] != "Active" {
				t.Errorf("Tracing %v, want Active", p["Tracing"])
			}
			if get(p, "LoggingConfig", "LogFormat") != "JSON" || get(p, "LoggingConfig", "ApplicationLogLevel") == nil {
				t.Errorf("LoggingConfig %v, want JSON with an application log level", p["LoggingConfig"])
			}
			// Each function states its own timeout and memory, not only the Globals'.
			own, _ := raw(t, "Resources", id, "Properties").(map[string]any)
			for _, key := range []string{"Timeout", "MemorySize"} {
				if own[key] == nil {
					t.Errorf("sets no %s of its own", key)
				}
			}
			if timeout := number(t, p["Timeout"]); timeout < 1 || timeout > 900 {
				t.Errorf("Timeout %v out of Lambda's range", timeout)
			}
			if get(resource(t, id).Metadata, "BuildMethod") != "makefile" || p["CodeUri"] != "." {
				t.Errorf("Metadata.BuildMethod %v, CodeUri %v; want makefile and . (the root go.mod and Makefile)",
					get(resource(t, id).Metadata, "BuildMethod"), p["CodeUri"])
			}
			if _, ok := p["Role"]; ok {
				t.Error("has a Role: its policies would not be SAM's least-privilege ones")
			}
		})
	}
	// API Gateway's HTTP API gives up on an integration after 30 seconds.
	for _, id := range []string{"PostbackFunction", "ClickFunction"} {
		if timeout := template(t).Functions[id].Timeout; timeout > 30*time.Second {
			t.Errorf("%s: Timeout %v exceeds the HTTP API's 30 s", id, timeout)
		}
	}
}

func TestEveryEventIsWired(t *testing.T) {
	tmpl := template(t)
	routes := map[string][]string{}
	for id, f := range tmpl.Functions {
		for _, r := range f.Routes {
			routes[id] = append(routes[id], r.RouteKey())
			if r.APIID != "local" { // Ref HttpApi resolves to "local"
				t.Errorf("%s route %s is not on the template's HttpApi (ApiId %s)", id, r.RouteKey(), r.APIID)
			}
		}
		for name, typ := range f.OtherEvents {
			t.Errorf("%s: event %s of type %s is not one this system uses", id, name, typ)
		}
		slices.Sort(routes[id])
	}
	want := map[string][]string{
		"PostbackFunction": {"GET /api/postbacks/tune", "POST /api/postbacks/tune"},
		"ClickFunction":    {"ANY /c/{link_id}"},
	}
	for id := range tmpl.Functions {
		if !slices.Equal(routes[id], want[id]) {
			t.Errorf("%s routes %v, want %v", id, routes[id], want[id])
		}
	}

	attribution := tmpl.Functions["AttributionFunction"]
	if len(attribution.SQSSources) != 1 {
		t.Fatalf("AttributionFunction SQS events: %+v", attribution.SQSSources)
	}
	src := attribution.SQSSources[0]
	if src.Queue != "PostbackQueue" || !src.Enabled {
		t.Errorf("AttributionFunction polls %s (enabled %v), want PostbackQueue", src.QueueARN, src.Enabled)
	}
	if !src.ReportsBatchItemFailures() {
		t.Error("AttributionFunction's SQS event lacks FunctionResponseTypes: [ReportBatchItemFailures]")
	}
	if src.BatchSize < 1 || src.BatchSize > 10000 || (src.BatchSize > 10 && src.MaximumBatchingWindow < time.Second) {
		t.Errorf("BatchSize %d with batching window %v: more than 10 needs a window of at least 1 s", src.BatchSize, src.MaximumBatchingWindow)
	}
	if src.MaximumConcurrency < 2 || src.MaximumConcurrency > 1000 {
		t.Errorf("ScalingConfig.MaximumConcurrency %d, want 2 to 1000", src.MaximumConcurrency)
	}
	if reserved, ok := resource(t, "AttributionFunction").Properties["ReservedConcurrentExecutions"]; ok &&
		number(t, reserved) < float64(src.MaximumConcurrency) {
		t.Errorf("ReservedConcurrentExecutions %v below the event's MaximumConcurrency %d: Lambda would throttle its own poller", reserved, src.MaximumConcurrency)
	}

	for _, sched := range []struct{ function, parameter, input string }{
		{"OfferSyncFunction", "SyncSchedule", `{"action":"sync_due"}`},
		{"ReconciliationFunction", "ReconcileSchedule", `{"action":"reconcile_due"}`},
	} {
		got := tmpl.Functions[sched.function].Schedules
		if len(got) != 1 || !got[0].Enabled || got[0].Input != sched.input || got[0].Expression != tmpl.Parameters[sched.parameter] {
			t.Errorf("%s schedules %+v, want one enabled rule at %s with Input %s", sched.function, got, sched.parameter, sched.input)
		}
	}
	if got := tmpl.Parameters["ReconcileSchedule"]; got != "rate(15 minutes)" {
		t.Errorf("ReconcileSchedule %q, want rate(15 minutes): integrations' reconciliations come due every 15 minutes at the most", got)
	}
	for _, id := range []string{"PostbackFunction", "ClickFunction", "AttributionFunction", "AdminFunction", "ReportsFunction"} {
		if n := len(tmpl.Functions[id].Schedules); n != 0 {
			t.Errorf("%s has %d schedules", id, n)
		}
	}
	admin := tmpl.Functions["AdminFunction"]
	if len(admin.Routes)+len(admin.SQSSources)+len(admin.Schedules)+len(admin.DynamoDBSources) != 0 {
		t.Error("AdminFunction must be invoke-only")
	}
	for id, f := range tmpl.Functions {
		if id != "ReportsFunction" && len(f.DynamoDBSources) > 0 {
			t.Errorf("%s reads DynamoDB streams; only ReportsFunction counts them", id)
		}
	}
}

// TestReportsAreCountedFromTheStreams checks how ReportsFunction reads the clicks' and the
// conversions' streams: every record from the start (TRIM_HORIZON), in batches of 100 within a
// second, with partial batch responses, a bounded number of retries and a dead-letter queue that is
// alarmed; click inserts only, and conversion inserts and modifications.
func TestReportsAreCountedFromTheStreams(t *testing.T) {
	tmpl := template(t)
	want := map[string]string{"ClicksTable": `{"eventName": ["INSERT"]}`, "ConversionsTable": `{"eventName": ["INSERT", "MODIFY"]}`}
	got := map[string]bool{}
	for _, src := range tmpl.Functions["ReportsFunction"].DynamoDBSources {
		got[src.Table] = true
		t.Run(src.Event, func(t *testing.T) {
			if table := tmpl.Tables[src.Table]; table == nil || table.StreamViewType != "NEW_AND_OLD_IMAGES" {
				t.Fatalf("reads the stream of %q, want a template table's stream of NEW_AND_OLD_IMAGES", src.Table)
			}
			pattern, ok := want[src.Table]
			if !ok {
				t.Fatalf("reads %s's stream, which counts nothing", src.Table)
			}
			if len(src.FilterPatterns) != 1 || !jsonEqual(t, []byte(src.FilterPatterns[0]), []byte(pattern)) {
				t.Errorf("filters %v, want %s", src.FilterPatterns, pattern)
			}
			if !src.Enabled || src.StartingPosition != "TRIM_HORIZON" || src.BatchSize != 100 || src.MaximumBatchingWindow != time.Second {
				t.Errorf("enabled %v, from %s, batches of %d within %v; want enabled, TRIM_HORIZON, 100 within 1s",
					src.Enabled, src.StartingPosition, src.BatchSize, src.MaximumBatchingWindow)
			}
			if !src.ReportsBatchItemFailures() || !src.BisectBatchOnFunctionError {
				t.Error("want FunctionResponseTypes [ReportBatchItemFailures] and BisectBatchOnFunctionError")
			}
			if src.MaximumRetryAttempts < 1 {
				t.Errorf("MaximumRetryAttempts %d: a batch must end in the dead-letter queue after a bounded number of retries", src.MaximumRetryAttempts)
			}
			q := tmpl.Queues[src.OnFailureQueue]
			if q == nil || !alarmed(t, q.Name) {
				t.Errorf("OnFailure %q is not a template queue whose depth is alarmed", src.OnFailureARN)
			}
		})
	}
	for table := range want {
		if !got[table] {
			t.Errorf("ReportsFunction does not read %s's stream", table)
		}
	}
	if tmpl.Tables["CountedChangesTable"].TTLAttribute != "expires_at" {
		t.Error("CountedChangesTable has no TTL on expires_at")
	}
}

func TestHTTPAPIIsThrottledAndLogged(t *testing.T) {
	p := resource(t, "HttpApi").Properties
	for _, key := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
		if v := get(p, "DefaultRouteSettings", key); v == nil || number(t, v) <= 0 {
			t.Errorf("HttpApi DefaultRouteSettings.%s = %v, want a positive limit", key, v)
		}
	}
	if get(p, "AccessLogSettings", "DestinationArn") == nil {
		t.Error("HttpApi keeps no access logs")
	}
}

func TestQueueTimeoutsRedriveAndAlarm(t *testing.T) {
	tmpl := template(t)
	for id, f := range tmpl.Functions {
		for _, src := range f.SQSSources {
			q := tmpl.Queues[src.Queue]
			if q == nil {
				t.Fatalf("%s polls %s, which is not a template queue", id, src.QueueARN)
			}
			// Lambda asks for at least six times the function's timeout.
			if q.VisibilityTimeout < 6*f.Timeout {
				t.Errorf("%s VisibilityTimeout %v < 6 × %s's Timeout %v", q.LogicalID, q.VisibilityTimeout, id, f.Timeout)
			}
			rp := q.RedrivePolicy
			if rp == nil || rp.MaxReceiveCount != 5 || rp.DeadLetterQueue == "" {
				t.Fatalf("%s RedrivePolicy %+v, want maxReceiveCount 5 to a template dead-letter queue", q.LogicalID, rp)
			}
			dlq := tmpl.Queues[rp.DeadLetterQueue]
			// A message keeps its first enqueue time in the dead-letter queue.
			if dlq.MessageRetentionPeriod < q.MessageRetentionPeriod {
				t.Errorf("%s keeps messages %v, less than %s's %v", dlq.LogicalID, dlq.MessageRetentionPeriod, q.LogicalID, q.MessageRetentionPeriod)
			}
			if !alarmed(t, dlq.Name) {
				t.Errorf("no CloudWatch alarm on the depth of %s", dlq.LogicalID)
			}
		}
	}
}

// alarmed tells whether an alarm fires as soon as one message waits in the named queue.
func alarmed(t *testing.T, queueName string) bool {
	for _, id := range template(t).ResourceIDs() {
		r := resource(t, id)
		if r.Type != "AWS::CloudWatch::Alarm" {
			continue
		}
		p := r.Properties
		dims, _ := p["Dimensions"].([]any)
		onQueue := slices.ContainsFunc(dims, func(d any) bool {
			return get(d, "Name") == "QueueName" && get(d, "Value") == queueName
		})
		if onQueue && p["Namespace"] == "AWS/SQS" && p["MetricName"] == "ApproximateNumberOfMessagesVisible" &&
			p["ComparisonOperator"] == "GreaterThanThreshold" && number(t, p["Threshold"]) == 0 && number(t, p["Period"]) <= 300 {
			return true
		}
	}
	return false
}

func TestTables(t *testing.T) {
	tmpl := template(t)
	for id, table := range tmpl.Tables {
		if table.BillingMode != "PAY_PER_REQUEST" {
			t.Errorf("%s BillingMode %q, want PAY_PER_REQUEST (on demand)", id, table.BillingMode)
		}
	}
	if tmpl.Tables["ClicksTable"].TTLAttribute != "expires_at" {
		t.Error("ClicksTable has no TTL on expires_at")
	}
	for _, id := range []string{"ConversionsTable", "IntegrationsTable", "OffersTable"} {
		if !tmpl.Tables[id].PointInTimeRecovery {
			t.Errorf("%s has no point-in-time recovery", id)
		}
	}
	// Records that cannot be rebuilt survive a stack deletion or a replacement.
	for _, id := range []string{"ConversionsTable", "IntegrationsTable", "OffersTable", "LinksTable", "ReportsTable"} {
		if r := resource(t, id); r.DeletionPolicy != "Retain" || r.UpdateReplacePolicy != "Retain" {
			t.Errorf("%s DeletionPolicy %q, UpdateReplacePolicy %q; want Retain", id, r.DeletionPolicy, r.UpdateReplacePolicy)
		}
	}
}

func TestParametersAndOutputs(t *testing.T) {
	tmpl := template(t)
	for _, p := range []string{"Stage", "AttributionWindowDays", "SyncSchedule", "PublicBaseURL", "LogLevel", "AlarmTopicArn"} {
		if _, ok := tmpl.Parameters[p]; !ok {
			t.Errorf("no parameter %s", p)
		}
	}
	outputs, err := tmpl.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ApiURL": "", "PostbackURL": "", "PostbackQueueURL": tmpl.Queues["PostbackQueue"].URL,
		"PostbackDeadLetterQueueURL": tmpl.Queues["PostbackDeadLetterQueue"].URL, "ReportsDeadLetterQueueURL": tmpl.Queues["ReportsDeadLetterQueue"].URL}
	for _, id := range functionIDs {
		want[id+"Name"] = tmpl.Functions[id].Name // `trackly --stack` reads AdminFunctionName and OfferSyncFunctionName
	}
	for id, table := range tmpl.Tables {
		want[id+"Name"] = table.Name
	}
	for name, value := range want {
		o, ok := outputs[name]
		switch {
		case !ok:
			t.Errorf("no output %s", name)
		case value != "" && o["Value"] != value:
			t.Errorf("output %s = %v, want %s", name, o["Value"], value)
		}
	}
	api, _ := outputs["ApiURL"]["Value"].(string)
	if !strings.HasPrefix(api, "https://") {
		t.Errorf("ApiURL = %q", api)
	}
	if pb, _ := outputs["PostbackURL"]["Value"].(string); !strings.HasPrefix(pb, api+"/api/postbacks/tune?click_id={aff_sub}&payout={payout}&conversion_id={transaction_id}") {
		t.Errorf("PostbackURL = %q, want the design's contract on %s", pb, api)
	}
}
