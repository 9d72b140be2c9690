package samtemplate

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// testTemplate is the template the localcloud tests run, which exercises parameters, conditions
// and most intrinsic functions.
const testTemplate = "../localcloud/testdata/template.yaml"

func TestParseProjectTemplate(t *testing.T) {
	tmpl, err := Parse("../../template.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"PostbackFunction", "ClickFunction", "AttributionFunction", "OfferSyncFunction", "AdminFunction"} {
		f := tmpl.Functions[id]
		if f == nil {
			t.Fatalf("function %s missing", id)
		}
		if f.LogFormat != "JSON" || f.MemorySize == 0 || f.Environment["CLICKS_TABLE"] != "ClicksTable" {
			t.Errorf("%s: Globals not applied: %+v", id, f)
		}
	}
	postback := tmpl.Functions["PostbackFunction"]
	if got, want := postback.Environment["POSTBACK_QUEUE_URL"], "https://sqs.us-east-1.amazonaws.com/000000000000/PostbackQueue"; got != want {
		t.Errorf("POSTBACK_QUEUE_URL = %q, want %q", got, want)
	}
	if len(postback.Routes) != 2 || postback.Routes[0].RouteKey() != "GET /api/postbacks/tune" || postback.Routes[1].RouteKey() != "POST /api/postbacks/tune" {
		t.Errorf("PostbackFunction routes = %+v", postback.Routes)
	}
	if got := tmpl.Functions["ClickFunction"].Routes; len(got) != 1 || got[0].RouteKey() != "ANY /c/{link_id}" || got[0].APIID != "local" {
		t.Errorf("ClickFunction routes = %+v", got)
	}
	wantSource := SQSEventSource{
		Event:                 "Postbacks",
		QueueARN:              "arn:aws:sqs:us-east-1:000000000000:PostbackQueue",
		Queue:                 "PostbackQueue",
		BatchSize:             25,
		MaximumBatchingWindow: time.Second,
		FunctionResponseTypes: []string{"ReportBatchItemFailures"},
		MaximumConcurrency:    10,
		Enabled:               true,
	}
	if got := tmpl.Functions["AttributionFunction"].SQSSources; len(got) != 1 || !reflect.DeepEqual(got[0], wantSource) {
		t.Errorf("AttributionFunction SQS sources = %+v, want %+v", got, wantSource)
	}
	wantSchedule := Schedule{Event: "SyncDue", Expression: "rate(5 minutes)", Input: `{"action":"sync_due"}`, Enabled: true}
	if got := tmpl.Functions["OfferSyncFunction"].Schedules; len(got) != 1 || got[0] != wantSchedule {
		t.Errorf("OfferSyncFunction schedules = %+v", got)
	}
	if got := tmpl.Functions["OfferSyncFunction"].Timeout; got != 300*time.Second {
		t.Errorf("OfferSyncFunction timeout = %v", got)
	}
	if got := tmpl.Functions["AdminFunction"].Environment["PUBLIC_BASE_URL"]; got != "https://local.execute-api.us-east-1.amazonaws.com" {
		t.Errorf("PUBLIC_BASE_URL = %q", got)
	}
	q := tmpl.Queues["PostbackQueue"]
	if q == nil || q.VisibilityTimeout != 180*time.Second || q.RedrivePolicy == nil ||
		q.RedrivePolicy.DeadLetterQueue != "PostbackDeadLetterQueue" || q.RedrivePolicy.MaxReceiveCount != 5 {
		t.Errorf("PostbackQueue = %+v", q)
	}
	if got := tmpl.Tables["ClicksTable"]; got == nil || got.TTLAttribute != "expires_at" {
		t.Errorf("ClicksTable = %+v", got)
	}
	conversions := tmpl.Tables["ConversionsTable"]
	if conversions == nil || !conversions.PointInTimeRecovery || len(conversions.GlobalSecondaryIndexes) != 2 ||
		conversions.GlobalSecondaryIndexes[0].IndexName != "by_account" || conversions.GlobalSecondaryIndexes[1].IndexName != "by_integration" {
		t.Errorf("ConversionsTable = %+v", conversions)
	}

	overridden, err := Parse("../../template.yaml", Options{Parameters: map[string]string{"PublicBaseURL": "https://t.example.com", "Stage": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	if !overridden.Conditions["HasPublicBaseURL"] || overridden.Functions["AdminFunction"].Environment["PUBLIC_BASE_URL"] != "https://t.example.com" {
		t.Errorf("override of PublicBaseURL not applied: %v", overridden.Functions["AdminFunction"].Environment)
	}
	if got := overridden.Functions["ClickFunction"].Environment["SECRETS_PARAMETER_PREFIX"]; got != "/trackly/prod/" {
		t.Errorf("SECRETS_PARAMETER_PREFIX = %q", got)
	}
}

func TestParseIntrinsics(t *testing.T) {
	tmpl, err := Parse(testTemplate, Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := tmpl.Functions["WebFunction"].Environment
	want := map[string]string{
		"STAGE":           "test",
		"ITEMS_TABLE":     "ItemsTable",
		"WORK_QUEUE_URL":  "https://sqs.us-east-1.amazonaws.com/000000000000/WorkQueue",
		"WORK_QUEUE_NAME": "WorkQueue",
		"PUBLIC_BASE_URL": "https://local.execute-api.us-east-1.amazonaws.com",
		"PROD_ONLY":       "no",
		"JOINED":          "test-b-x",
		"SUB_LIST":        "ItemsTable/aws/${Literal}",
		"LONG_FORM":       "000000000000:arn:aws:sqs:us-east-1:000000000000:WorkQueue",
		"DLQ_ARN":         "arn:aws:sqs:us-east-1:000000000000:WorkDeadLetterQueue",
		"FUNCTION_NAME":   "WorkerFunction",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("environment = %v\nwant %v", env, want)
	}
	if _, ok := tmpl.Queues["ProdOnlyQueue"]; ok {
		t.Error("ProdOnlyQueue exists although its condition is false")
	}
	if got := tmpl.Queues["WorkQueue"].RedrivePolicy; got == nil || got.MaxReceiveCount != 2 || got.DeadLetterQueue != "WorkDeadLetterQueue" {
		t.Errorf("WorkQueue redrive policy = %+v", got)
	}
	if got := tmpl.Functions["SlowFunction"].Routes; len(got) != 1 || got[0].APIID != "local" || got[0].RouteKey() != "GET /slow" {
		t.Errorf("implicit API route = %+v", got)
	}
	if got := tmpl.Functions["TickFunction"].Schedules; len(got) != 1 || got[0].Enabled {
		t.Errorf("disabled schedule = %+v", got)
	}
	items := tmpl.Tables["ItemsTable"]
	if items.TTLAttribute != "expires_at" || !items.PointInTimeRecovery || items.KeySchema[0] != (KeySchemaElement{"pk", "HASH"}) ||
		items.GlobalSecondaryIndexes[0].Projection.ProjectionType != "ALL" {
		t.Errorf("ItemsTable = %+v", items)
	}

	prod, err := Parse(testTemplate, Options{Parameters: map[string]string{"Stage": "prod", "Banner": "news"}})
	if err != nil {
		t.Fatal(err)
	}
	env = prod.Functions["WebFunction"].Environment
	if env["BANNER"] != "news" || env["PUBLIC_BASE_URL"] != "https://news.example.com" || env["PROD_ONLY"] != "yes" {
		t.Errorf("prod environment = %v", env)
	}
	if _, ok := prod.Queues["ProdOnlyQueue"]; !ok {
		t.Error("ProdOnlyQueue missing although its condition is true")
	}
}

func TestParseErrors(t *testing.T) {
	for name, params := range map[string]map[string]string{
		"value not allowed": {"Stage": "staging"},
		"below MinValue":    {"MaxReceiveCount": "0"},
		"not a number":      {"MaxReceiveCount": "two"},
		"undeclared":        {"Nope": "x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(testTemplate, Options{Parameters: params}); err == nil {
				t.Errorf("Parse(%v) succeeded", params)
			}
		})
	}
	if _, err := Parse("testdata/missing.yaml", Options{}); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing template: err = %v", err)
	}
}
