package rie_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/trackly/tune-integration/dev/bench"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/dev/samcheck"
	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/trackly"
)

// TestBootstrapsUnderTheRuntimeInterfaceEmulator invokes every built bootstrap with the samples
// under events/, as `sam local invoke -e events/<sample>` would in SAM's container, and then
// audits every AWS call the bootstraps made against their policies in template.yaml.
func TestBootstrapsUnderTheRuntimeInterfaceEmulator(t *testing.T) {
	w := startWorld(t)
	var clickID string
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"ClickFunction/click-get.json", func(t *testing.T) { clickID = w.clickRedirects(t) }},
		{"ClickFunction/click-preview-bot.json", w.previewerIsRedirectedNotCounted},
		{"ClickFunction/unknown-link", w.unknownLinkIsNotFound},
		{"ClickFunction/signing-key-off-init", w.clickSigningKeyOffInit},
		{"PostbackFunction/postback-get.json", func(t *testing.T) { w.postbackGet(t, clickID) }},
		{"PostbackFunction/postback-post.json", w.postbackPost},
		{"PostbackFunction/postback-invalid.json", w.invalidPostback},
		{"PostbackFunction/signing-key-off-init", func(t *testing.T) { w.postbackSigningKeyOffInit(t, clickID) }},
		{"AttributionFunction/attribution-sqs-batch.json", w.attributionBatch},
		{"ReportsFunction/reports-clicks-stream.json+reports-conversions-stream.json", w.streamBatches},
		{"OfferSyncFunction/offersync-schedule.json", w.scheduledSync},
		{"ReconciliationFunction/reconciliation-schedule.json", func(t *testing.T) { w.scheduledReconciliation(t, clickID) }},
		{"AdminFunction/function-error", w.functionErrors},
		{"admin-payloads", w.adminPayloads},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.Logf("later steps depend on %s; stopping", s.name)
			break
		}
	}
	t.Run("every AWS call allowed, every grant used", w.audit)
}

// sample reads events/<name> as generic JSON.
func sample(t *testing.T, name string) map[string]any {
	t.Helper()
	return bench.Sample(t, name)
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setQuery replaces query parameters of an HTTP API request, in rawQueryString (which the
// function reads) and queryStringParameters alike.
func setQuery(t *testing.T, ev map[string]any, params map[string]string) {
	t.Helper()
	q, err := url.ParseQuery(ev["rawQueryString"].(string))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range params {
		q.Set(k, v)
	}
	ev["rawQueryString"] = q.Encode()
	qsp := map[string]any{}
	for k, v := range q {
		qsp[k] = strings.Join(v, ",")
	}
	ev["queryStringParameters"] = qsp
}

// setForm replaces fields of an HTTP API request's form body, base64 as API Gateway sends it.
func setForm(t *testing.T, ev map[string]any, params map[string]string) {
	t.Helper()
	body := ev["body"].(string)
	if ev["isBase64Encoded"] == true {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range params {
		form.Set(k, v)
	}
	body = form.Encode()
	ev["headers"].(map[string]any)["content-length"] = strconv.Itoa(len(body))
	ev["body"], ev["isBase64Encoded"] = base64.StdEncoding.EncodeToString([]byte(body)), true
}

// httpAnswer invokes an HTTP API function and decodes its API Gateway response.
func (w *world) httpAnswer(t *testing.T, id string, ev map[string]any) events.APIGatewayV2HTTPResponse {
	t.Helper()
	var res events.APIGatewayV2HTTPResponse
	w.functions[id].mustInvoke(t, encode(t, ev), &res)
	if res.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		res.Body = string(b)
	}
	return res
}

func header(res events.APIGatewayV2HTTPResponse, name string) string {
	for k, v := range res.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range res.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// messageClicks reads the demo message's clicks in the local system's report.
func (w *world) messageClicks(t *testing.T) int64 {
	t.Helper()
	return w.sys.Report(t, "message", "sms-demo-1").Total.Clicks
}

// trackingURL is the demo offer's TUNE tracking link, with its {click_id} placeholder.
func (w *world) trackingURL(t *testing.T) string {
	t.Helper()
	type offer struct {
		OfferID     string `json:"offer_id"`
		TrackingURL string `json:"tracking_url"`
	}
	o, ok := listed(t, w.sys, "OfferSyncFunction", map[string]any{"action": "list_offers", "integration_id": w.sys.Demo.IntegrationID, "limit": 100}, "offers",
		func(o offer) bool { return o.OfferID == w.sys.Demo.OfferID })
	if !ok {
		t.Fatalf("demo offer %s not imported", w.sys.Demo.OfferID)
	}
	return o.TrackingURL
}

// listed runs a listing action of the local system's function and returns the first item of the
// list its answer holds under key for which match holds, and whether there is one.
func listed[T any](t *testing.T, s *localruntest.System, function string, payload map[string]any, key string, match func(T) bool) (T, bool) {
	t.Helper()
	var answer map[string]json.RawMessage
	s.MustInvoke(t, function, payload, &answer)
	var items []T
	if err := json.Unmarshal(answer[key], &items); err != nil {
		t.Fatalf("%s %v: no list of %s in the answer: %v", function, payload["action"], key, err)
	}
	i := slices.IndexFunc(items, match)
	if i < 0 {
		var none T
		return none, false
	}
	return items[i], true
}

// tap invokes ClickFunction with click-get.json and returns the click id of its redirect.
func (w *world) tap(t *testing.T) string {
	t.Helper()
	res := w.httpAnswer(t, "ClickFunction", sample(t, "click-get.json"))
	if res.StatusCode != http.StatusFound {
		t.Fatalf("click-get.json: status %d, want 302: %s", res.StatusCode, res.Body)
	}
	loc, err := url.Parse(header(res, "Location"))
	if err != nil {
		t.Fatal(err)
	}
	id := loc.Query().Get("aff_sub")
	if !strings.HasPrefix(id, w.sys.Demo.LinkID+".") {
		t.Fatalf("redirect %s carries click id %q, want one of link %s", loc, id, w.sys.Demo.LinkID)
	}
	return id
}

func (w *world) clickRedirects(t *testing.T) string {
	before := w.messageClicks(t)
	res := w.httpAnswer(t, "ClickFunction", sample(t, "click-get.json"))
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302: %s", res.StatusCode, res.Body)
	}
	loc := header(res, "Location")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	clickID := u.Query().Get("aff_sub")
	if want := strings.Replace(w.trackingURL(t), "{click_id}", url.QueryEscape(clickID), 1); loc != want {
		t.Errorf("Location %s, want the offer's tracking link %s", loc, want)
	}
	if !strings.HasPrefix(clickID, w.sys.Demo.LinkID+".") || len(clickID) > 64 {
		t.Errorf("click id %q", clickID)
	}
	if cc := header(res, "Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	// The local system's ReportsFunction counts the click from the clicks' stream.
	localruntest.Eventually(t, "the click in the report", func() bool { return w.messageClicks(t) >= before+1 })
	if after := w.messageClicks(t); after != before+1 {
		t.Errorf("message clicks %d -> %d, want one more", before, after)
	}
	return clickID
}

func (w *world) previewerIsRedirectedNotCounted(t *testing.T) {
	before := w.messageClicks(t)
	res := w.httpAnswer(t, "ClickFunction", sample(t, "click-preview-bot.json"))
	if res.StatusCode != http.StatusFound || !strings.Contains(header(res, "Location"), "aff_sub=") {
		t.Errorf("status %d, Location %q; a previewer is redirected like anyone", res.StatusCode, header(res, "Location"))
	}
	// A phone's tap after it: once that counts (the clicks' stream is counted in order), so would
	// have the previewer's.
	w.tap(t)
	localruntest.Eventually(t, "the phone's tap in the report", func() bool { return w.messageClicks(t) >= before+1 })
	if after := w.messageClicks(t) - 1; after != before {
		t.Errorf("message clicks %d -> %d; a previewer's tap is not counted", before, after)
	}
}

func (w *world) unknownLinkIsNotFound(t *testing.T) {
	ev := sample(t, "click-get.json")
	ev["rawPath"] = "/c/no-such-link"
	ev["pathParameters"] = map[string]any{"link_id": "no-such-link"}
	ev["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = "/c/no-such-link"
	res := w.httpAnswer(t, "ClickFunction", ev)
	if res.StatusCode != http.StatusNotFound || !strings.Contains(header(res, "Content-Type"), "text/html") {
		t.Errorf("status %d, Content-Type %q; want a 404 page", res.StatusCode, header(res, "Content-Type"))
	}
}

type postbackBody struct {
	Status     string `json:"status"`
	PostbackID string `json:"postback_id"`
	Errors     []struct {
		Field string `json:"field"`
	} `json:"errors"`
}

func decodePostback(t *testing.T, res events.APIGatewayV2HTTPResponse) postbackBody {
	t.Helper()
	var b postbackBody
	if err := json.Unmarshal([]byte(res.Body), &b); err != nil {
		t.Fatalf("postback answer %q: %v", res.Body, err)
	}
	return b
}

// awaitOutcome waits for attribution (the local system's, fed by the queue) to settle a postback.
func (w *world) awaitOutcome(t *testing.T, postbackID string, want trackly.PostbackOutcome) {
	t.Helper()
	localruntest.Eventually(t, fmt.Sprintf("postback %s to be %s", postbackID, want), func() bool {
		return w.sys.OutcomeOf(t, postbackID).Outcome == want
	})
}

func (w *world) postbackGet(t *testing.T, clickID string) {
	// As is, the sample's click id is forged (no sample can hold a click id issued in advance).
	ev := sample(t, "postback-get.json")
	res := w.httpAnswer(t, "PostbackFunction", ev)
	if b := decodePostback(t, res); res.StatusCode != http.StatusForbidden || b.Status != "rejected" ||
		!slices.ContainsFunc(b.Errors, func(e struct {
			Field string `json:"field"`
		}) bool {
			return e.Field == "click_id"
		}) {
		t.Errorf("forged click id: status %d %+v, want 403 rejected on click_id", res.StatusCode, b)
	}
	// With the click id of a real tap and the integration's token, TUNE's postback is queued and
	// the local system's AttributionFunction attributes it.
	setQuery(t, ev, map[string]string{"click_id": clickID, "token": w.sys.PostbackToken(t), "conversion_id": "rie-get-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	res = w.httpAnswer(t, "PostbackFunction", ev)
	b := decodePostback(t, res)
	if res.StatusCode != http.StatusOK || b.Status != "accepted" || b.PostbackID == "" {
		t.Fatalf("status %d %s, want 200 accepted", res.StatusCode, res.Body)
	}
	w.awaitOutcome(t, b.PostbackID, trackly.PostbackAttributed)
}

func (w *world) postbackPost(t *testing.T) {
	ev := sample(t, "postback-post.json")
	setForm(t, ev, map[string]string{"click_id": w.tap(t), "token": w.sys.PostbackToken(t), "conversion_id": "rie-post-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	res := w.httpAnswer(t, "PostbackFunction", ev)
	b := decodePostback(t, res)
	if res.StatusCode != http.StatusOK || b.Status != "accepted" {
		t.Fatalf("status %d %s, want 200 accepted", res.StatusCode, res.Body)
	}
	w.awaitOutcome(t, b.PostbackID, trackly.PostbackAttributed)
}

func (w *world) invalidPostback(t *testing.T) {
	res := w.httpAnswer(t, "PostbackFunction", sample(t, "postback-invalid.json"))
	b := decodePostback(t, res)
	var fields []string
	for _, e := range b.Errors {
		fields = append(fields, e.Field)
	}
	if res.StatusCode != http.StatusBadRequest || b.Status != "invalid" {
		t.Errorf("status %d %s, want 400 invalid", res.StatusCode, res.Body)
	}
	for _, f := range []string{"payout", "currency", "status"} {
		if !slices.Contains(fields, f) {
			t.Errorf("errors name %v, not %s", fields, f)
		}
	}
}

// batchFailures invokes AttributionFunction with an SQS batch and returns batchItemFailures.
func (w *world) batchFailures(t *testing.T, ev map[string]any) []string {
	t.Helper()
	var res events.SQSEventResponse
	w.functions["AttributionFunction"].mustInvoke(t, encode(t, ev), &res)
	var ids []string
	for _, f := range res.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func (w *world) attributionBatch(t *testing.T) {
	ev := sample(t, "attribution-sqs-batch.json")
	records := ev["Records"].([]any)
	valid, poison := records[0].(map[string]any), records[1].(map[string]any)
	want := []string{poison["messageId"].(string)}

	// As is: the readable postback (whose click cannot be found) is kept as an orphan; the
	// unreadable one is reported for redelivery, and so, after 5 receives, the dead-letter queue.
	if got := w.batchFailures(t, ev); !slices.Equal(got, want) {
		t.Errorf("batchItemFailures %v, want %v (the unreadable record only)", got, want)
	}
	var msg map[string]any
	if err := json.Unmarshal([]byte(valid["body"].(string)), &msg); err != nil {
		t.Fatal(err)
	}
	w.conversionIs(t, msg["conversion_id"].(string), "orphan")

	// With a real click: attributed.
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	msg["click_id"] = w.tap(t)
	msg["conversion_id"] = "rie-sqs-" + suffix
	msg["postback_id"] = "pb_rie" + suffix
	msg["received_at"] = time.Now().UTC().Format(time.RFC3339Nano)
	valid["body"] = string(encode(t, msg))
	if got := w.batchFailures(t, ev); !slices.Equal(got, want) {
		t.Errorf("batchItemFailures %v, want %v", got, want)
	}
	w.conversionIs(t, msg["conversion_id"].(string), "attributed")
}

func (w *world) conversionIs(t *testing.T, conversionID, attribution string) {
	t.Helper()
	type conversion struct {
		ConversionID string `json:"conversion_id"`
		Attribution  string `json:"attribution"`
	}
	c, ok := listed(t, w.sys, "AdminFunction", map[string]any{"action": "list_conversions", "account_id": w.sys.Demo.AccountID, "limit": 1000}, "conversions",
		func(c conversion) bool { return c.ConversionID == conversionID })
	if !ok {
		t.Errorf("no conversion %s", conversionID)
	} else if c.Attribution != attribution {
		t.Errorf("conversion %s is %s, want %s", conversionID, c.Attribution, attribution)
	}
}

// streamBatches invokes ReportsFunction with the samples' stream batches, as Lambda delivers
// records of the local system's clicks and conversions streams, twice (a batch delivered again)
// and with an unreadable record, and reads what the sample account's report counted.
func (w *world) streamBatches(t *testing.T) {
	batch := func(name, table string) map[string]any {
		ev := sample(t, name)
		for _, r := range ev["Records"].([]any) {
			r.(map[string]any)["eventSourceARN"] = w.sys.Cloud.StreamARN(table)
		}
		return ev
	}
	clicks, conversions := batch("reports-clicks-stream.json", "ClicksTable"), batch("reports-conversions-stream.json", "ConversionsTable")
	for i := range 2 {
		for _, ev := range []map[string]any{clicks, conversions} {
			var res events.DynamoDBEventResponse
			w.functions["ReportsFunction"].mustInvoke(t, encode(t, ev), &res)
			if len(res.BatchItemFailures) > 0 {
				t.Errorf("delivery %d: batchItemFailures %v, want none", i+1, res.BatchItemFailures)
			}
		}
	}
	var report struct {
		Total struct {
			Clicks             int64             `json:"clicks"`
			Conversions        int64             `json:"conversions"`
			PendingConversions int64             `json:"pending_conversions"`
			Revenue            map[string]string `json:"revenue"`
		} `json:"total"`
	}
	w.sys.MustInvoke(t, "AdminFunction", map[string]any{"action": "report", "account_id": "sample", "from": "2026-11-24", "to": "2026-11-24"}, &report)
	if tot := report.Total; tot.Clicks != 1 || tot.Conversions != 1 || tot.PendingConversions != 0 || tot.Revenue["USD"] != "12.5" {
		t.Errorf("sample account's report %+v; want the phone's click (not the bot's) and the conversion approved since, 12.5 USD, counted once", tot)
	}

	// An unreadable record is left for Lambda to deliver again, from it on; the records after it
	// are counted meanwhile.
	records := conversions["Records"].([]any)
	unreadable := records[0].(map[string]any)
	unreadable["eventSourceARN"] = "arn:aws:dynamodb:us-east-1:000000000000:table/LinksTable/stream/2026-11-24T00:00:00.000"
	var res events.DynamoDBEventResponse
	w.functions["ReportsFunction"].mustInvoke(t, encode(t, conversions), &res)
	seq := unreadable["dynamodb"].(map[string]any)["SequenceNumber"]
	if len(res.BatchItemFailures) != 1 || res.BatchItemFailures[0].ItemIdentifier != seq {
		t.Errorf("batchItemFailures %v, want the unreadable record's %v", res.BatchItemFailures, seq)
	}
}

type syncRun struct {
	IntegrationID string `json:"integration_id"`
	RunID         string `json:"run_id"`
	Trigger       string `json:"trigger"`
	Status        string `json:"status"`
}

func (w *world) scheduledSync(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "events", "offersync-schedule.json"))
	if err != nil {
		t.Fatal(err)
	}
	var due struct {
		Due  int       `json:"due"`
		Runs []syncRun `json:"runs"`
	}
	offerSync := w.functions["OfferSyncFunction"]
	offerSync.mustInvoke(t, raw, &due)
	i := slices.IndexFunc(due.Runs, func(r syncRun) bool { return r.IntegrationID == w.sys.Demo.IntegrationID })
	if i < 0 {
		t.Fatalf("the scheduled sync did not sync %s: %+v", w.sys.Demo.IntegrationID, due)
	}
	run := due.Runs[i]
	if run.Trigger != "schedule" || run.Status != "succeeded" || run.RunID == "" {
		t.Errorf("scheduled run %+v, want a succeeded run triggered by the schedule", run)
	}
	var runs struct {
		Runs []syncRun `json:"runs"`
	}
	offerSync.mustInvoke(t, encode(t, map[string]any{"action": "list_sync_runs", "integration_id": w.sys.Demo.IntegrationID}), &runs)
	if !slices.ContainsFunc(runs.Runs, func(r syncRun) bool { return r.RunID == run.RunID && r.Trigger == "schedule" }) {
		t.Errorf("list_sync_runs %+v does not show run %s", runs.Runs, run.RunID)
	}
}

// scheduledReconciliation has the schedule reconcile the demo integration (due since it was
// created) with conversions the simulated network lists and no postback reported: one of the
// click the first step stored, one of a click id signed for the demo link but never stored (an
// orphan of the link), and one of someone else's sub value. The network also lists the demo's own
// conversion (tx-demo), whose click id the local system signed with its key, which the emulated
// functions, reading Parameter Store, do not share: to them it is someone else's too.
func (w *world) scheduledReconciliation(t *testing.T, clickID string) {
	key, err := w.ssmDir.Get(context.Background(), w.ssmPrefix+"click-signing-key")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := clickid.NewSigner([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	unstored, err := signer.New(w.sys.Demo.LinkID)
	if err != nil {
		t.Fatal(err)
	}
	for tx, sub := range map[string]string{"rie-stored": clickID, "rie-unstored": unstored, "rie-foreign": "someone-elses-sub"} {
		w.sys.TUNE.AddConversion(tunesim.Conversion{TransactionID: tx, OfferID: w.sys.Demo.OfferID, GoalID: "0", Payout: "2.5", Subs: [5]string{sub}})
	}
	raw, err := os.ReadFile(filepath.Join(root, "events", "reconciliation-schedule.json"))
	if err != nil {
		t.Fatal(err)
	}
	var due struct {
		Runs []trackly.ReconcileRun `json:"runs"`
	}
	w.functions["ReconciliationFunction"].mustInvoke(t, raw, &due)
	i := slices.IndexFunc(due.Runs, func(r trackly.ReconcileRun) bool { return r.IntegrationID == w.sys.Demo.IntegrationID })
	if i < 0 {
		t.Fatalf("the scheduled reconciliation did not reconcile %s: %+v", w.sys.Demo.IntegrationID, due)
	}
	if run := due.Runs[i]; run.Trigger != trackly.SyncTriggerSchedule || run.Status != trackly.SyncSucceeded || run.New != 2 || run.NotOurs != 2 {
		t.Errorf("scheduled run %+v, want a succeeded scheduled run that recorded 2 conversions and left 2 not ours", run)
	}
}

func (w *world) functionErrors(t *testing.T) {
	_, fe := w.functions["AdminFunction"].invoke(t, []byte(`{"action":"get_integration"}`))
	if fe == nil || fe.Type != "InvalidInput" || !strings.Contains(fe.Message, "integration_id") {
		t.Errorf("function error %+v, want InvalidInput naming integration_id", fe)
	}
}

// adminPayloads runs every admin payload under events/ through the bootstrap it is for.
func (w *world) adminPayloads(t *testing.T) {
	samples := localruntest.AdminSamples(t)
	for _, s := range samples {
		answer, fe := w.functions[s.Function].invoke(t, s.Raw)
		if fe != nil {
			t.Errorf("%s: %s answered %s: %s", s.Name, s.Function, fe.Type, fe.Message)
			continue
		}
		if !json.Valid(answer) || string(answer) == "null" {
			t.Errorf("%s: %s answered %q", s.Name, s.Function, answer)
		}
		if s.Action == "postback_url" {
			var pb struct {
				URL string `json:"postback_url"`
			}
			_ = json.Unmarshal(answer, &pb)
			base := w.sys.Cloud.FunctionEnv("AdminFunction")["PUBLIC_BASE_URL"]
			if !strings.HasPrefix(pb.URL, base+"/api/postbacks/tune?click_id={aff_sub}&payout={payout}&conversion_id={transaction_id}") {
				t.Errorf("postback_url %q, want the contract on %s", pb.URL, base)
			}
		}
	}
	if len(samples) < 12 {
		t.Errorf("only %d admin payloads ran", len(samples))
	}
}

// audit checks every AWS call the bootstraps made (and the event source's polling) against their
// roles as SAM creates them: each allowed, and each data grant of the template used.
func (w *world) audit(t *testing.T) {
	tmpl := w.sys.Cloud.Template()
	policies := map[string][]samcheck.Statement{}
	requests := w.recorder.Requests()
	for _, id := range functionIDs {
		stmts, err := samcheck.FunctionPolicies(tmpl, id)
		if err != nil {
			t.Fatal(err)
		}
		policies[id] = stmts
		esm, err := samcheck.EventSourceRequests(tmpl, id)
		if err != nil {
			t.Fatal(err)
		}
		requests = append(requests, esm...)
	}
	called := map[string]map[string]bool{}
	for _, r := range requests {
		if called[r.Principal] == nil {
			called[r.Principal] = map[string]bool{}
		}
		called[r.Principal][r.Action] = true
	}
	for _, id := range functionIDs {
		t.Logf("%s called %v", id, slices.Sorted(maps.Keys(called[id])))
		if len(called[id]) == 0 {
			t.Errorf("%s made no AWS call to audit", id)
		}
	}
	for _, p := range w.recorder.Problems() {
		t.Errorf("unaudited call: %s", p)
	}
	for _, d := range samcheck.Denied(policies, requests) {
		t.Errorf("not allowed: %s", d)
	}
	for _, u := range samcheck.Unused(policies, requests) {
		t.Errorf("unused grant: %s", u)
	}
	if t.Failed() {
		t.Logf("%d requests recorded", len(requests))
	}
}
