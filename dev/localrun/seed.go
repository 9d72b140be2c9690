package localrun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
)

// Demo is the seeded demo account.
type Demo struct {
	AccountID     string
	IntegrationID string
	OfferID       string
	OfferName     string
	LinkID        string
	LinkURL       string
	PostbackURL   string
	// ConversionID is the demo's conversion whose postback never came:
	// TUNE's report has it, and reconciliation recorded it. ConversionEventID
	// is its event id in the TUNE simulator.
	ConversionID      string
	ConversionEventID string
}

// demoConversionID is the transaction id of the demo's conversion that only TUNE's report had.
const demoConversionID = "tx-demo"

// demoOffers are the simulated network's offers the demo imports.
var demoOffers = []string{"1", "2", "3", "4", "5"}

// demoLinkID is the demo's tracked link.
const demoLinkID = "demo"

// seed creates the demo account through the admin actions, exactly as an admin would, unless a
// previous run left it in the data directory: then it reads it back, so that its link and postback
// token stay the same.
func seed(ctx context.Context, s *System) (Demo, error) {
	d := Demo{AccountID: "demo", IntegrationID: "in_demo"}
	var existing struct {
		Integrations []struct{} `json:"integrations"`
	}
	if err := s.Invoke(ctx, "AdminFunction", map[string]any{"action": "list_integrations", "account_id": d.AccountID}, &existing); err != nil {
		return d, err
	}
	if len(existing.Integrations) == 0 {
		return create(ctx, s, d)
	}
	var link linkAnswer
	if err := s.Invoke(ctx, "AdminFunction", map[string]any{"action": "get_link", "link_id": demoLinkID}, &link); err != nil {
		return d, err
	}
	d.OfferID, d.OfferName, d.LinkID, d.LinkURL = link.OfferID, link.OfferName, link.LinkID, link.URL
	if err := s.restoreDemoConversion(ctx, &d); err != nil {
		return d, err
	}
	return d, s.readPostbackURL(ctx, &d)
}

// recordedConversion holds what the demo needs of get_conversion's answer.
type recordedConversion struct {
	ClickID    string    `json:"click_id"`
	OfferID    string    `json:"offer_id"`
	Status     string    `json:"status"`
	Payout     string    `json:"payout"`
	Currency   string    `json:"currency"`
	ReceivedAt time.Time `json:"received_at"`
}

// restoreDemoConversion gives the TUNE simulator, which keeps nothing across runs, the demo's
// conversion as the previous run left it recorded, so that TUNE's report still lists it and a
// reconciliation finds nothing to change or flag.
func (s *System) restoreDemoConversion(ctx context.Context, d *Demo) error {
	var c recordedConversion
	err := s.Invoke(ctx, "AdminFunction", map[string]any{"action": "get_conversion", "integration_id": d.IntegrationID, "conversion_id": demoConversionID}, &c)
	if err != nil {
		return nil // a data directory from before the demo had a conversion
	}
	d.ConversionID = demoConversionID
	d.ConversionEventID = s.TUNE.AddConversion(tunesim.Conversion{
		TransactionID: demoConversionID, OfferID: c.OfferID, GoalID: "0", Status: c.Status,
		Payout: c.Payout, Currency: c.Currency, Subs: [5]string{c.ClickID}, At: c.ReceivedAt,
	})
	return nil
}

// seedDemoConversion tells the demo's first story of reconciliation: a phone taps the demo link,
// TUNE records a pending conversion for its click whose postback never comes, and a
// reconciliation with TUNE's conversions report records it.
func (s *System) seedDemoConversion(ctx context.Context, d *Demo) error {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.LinkURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("tap the demo link: %w", err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound || loc.Query().Get("aff_sub") == "" {
		return fmt.Errorf("tap the demo link: status %d, Location %q: no click id", res.StatusCode, res.Header.Get("Location"))
	}
	d.ConversionID = demoConversionID
	d.ConversionEventID = s.TUNE.AddConversion(tunesim.Conversion{
		TransactionID: demoConversionID, OfferID: d.OfferID, GoalID: "0", Status: "pending",
		Payout: "12.50", Currency: "USD", Subs: [5]string{loc.Query().Get("aff_sub")}, At: time.Now(),
	})
	if err := s.Invoke(ctx, "ReconciliationFunction", map[string]any{"action": "reconcile_conversions", "integration_id": d.IntegrationID}, nil); err != nil {
		return err
	}
	return s.awaitDemoInReport(ctx, d)
}

// awaitDemoInReport waits for the report to count the demo's tap and its pending conversion (the
// streams are counted about a second behind), so that a system starts with its demo settled.
func (s *System) awaitDemoInReport(ctx context.Context, d *Demo) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		var r struct {
			Total struct {
				Clicks             int64 `json:"clicks"`
				PendingConversions int64 `json:"pending_conversions"`
			} `json:"total"`
		}
		if err := s.Invoke(ctx, "AdminFunction", map[string]any{"action": "report", "account_id": d.AccountID}, &r); err != nil {
			return err
		}
		if r.Total.Clicks >= 1 && r.Total.PendingConversions >= 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the demo's tap and conversion are not in the report: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// linkAnswer holds what the demo needs of a link action's answer.
type linkAnswer struct {
	LinkID    string `json:"link_id"`
	URL       string `json:"url"`
	OfferID   string `json:"offer_id"`
	OfferName string `json:"offer_name"`
}

// create creates the demo account.
func create(ctx context.Context, s *System, d Demo) (Demo, error) {
	err := s.Invoke(ctx, "AdminFunction", map[string]any{
		"action":         "create_integration",
		"integration_id": d.IntegrationID,
		"account_id":     d.AccountID,
		"name":           "Demo network (TUNE simulator)",
		"network_id":     DemoNetworkID,
		"api_base_url":   s.TUNEURL,
		"key_kind":       "affiliate",
		"api_key":        DemoAffiliateKey,
		"auto_sync":      true,
		"sync_frequency": "15m",
	}, nil)
	if err != nil {
		return d, err
	}
	var imported struct {
		Offers []struct {
			OfferID string `json:"offer_id"`
			Name    string `json:"name"`
			Status  string `json:"status"`
		} `json:"offers"`
	}
	if err := s.Invoke(ctx, "OfferSyncFunction", map[string]any{
		"action": "import_offers", "integration_id": d.IntegrationID, "offer_ids": demoOffers,
	}, &imported); err != nil {
		return d, err
	}
	for _, o := range imported.Offers {
		if o.Status == "active" {
			d.OfferID, d.OfferName = o.OfferID, o.Name
			break
		}
	}
	if d.OfferID == "" {
		return d, fmt.Errorf("none of the simulator's offers %v is active", demoOffers)
	}
	var link linkAnswer
	if err := s.Invoke(ctx, "AdminFunction", map[string]any{
		"action": "create_link", "link_id": demoLinkID, "account_id": d.AccountID, "integration_id": d.IntegrationID,
		"offer_id": d.OfferID, "message_id": "sms-demo-1", "campaign_id": "spring-sale",
	}, &link); err != nil {
		return d, err
	}
	d.LinkID, d.LinkURL = link.LinkID, link.URL
	if err := s.seedDemoConversion(ctx, &d); err != nil {
		return d, err
	}
	return d, s.readPostbackURL(ctx, &d)
}

// readPostbackURL reads the demo integration's postback URL, with its token.
func (s *System) readPostbackURL(ctx context.Context, d *Demo) error {
	var pb struct {
		URL string `json:"postback_url"`
	}
	if err := s.Invoke(ctx, "AdminFunction", map[string]any{"action": "postback_url", "integration_id": d.IntegrationID}, &pb); err != nil {
		return err
	}
	d.PostbackURL = pb.URL
	return nil
}

// defaultInvokeURL is the Lambda Invoke API that `trackly --local` calls.
const defaultInvokeURL = "http://127.0.0.1:3001"

// PrintWelcome tells a newcomer what is running and how to try it, with commands to paste that
// work as printed: the AWS CLI line with v1 and v2 alike, without an AWS configuration, and
// leaving no file behind.
func (s *System) PrintWelcome(w io.Writer) {
	d := s.Demo
	testPostback := strings.NewReplacer(
		"{aff_sub}", "$CLICK", "{payout}", "12.50", "{transaction_id}", "demo-$RANDOM", "{goal_id}", "0",
		"{currency}", "USD", "{sale_amount}", "", "{offer_id}", d.OfferID, "{source}", "demo",
	).Replace(d.PostbackURL)
	invoke := s.Cloud.InvokeURL()
	target := "--local"
	if invoke != defaultInvokeURL {
		target = "--endpoint-url " + invoke
	}
	report, _ := json.Marshal(struct {
		Action    string `json:"action"`
		AccountID string `json:"account_id"`
	}{"report", d.AccountID})
	dynamoDB, sqs := s.services()
	without := "no Docker"
	if !dynamoDB.external && !sqs.external {
		without = "no Docker, no AWS account"
	}
	fmt.Fprintf(w, `
Trackly's TUNE integration is running on this machine (%s).

  HTTP API            %s      (API Gateway: GET|HEAD /c/{link_id}, GET|POST /api/postbacks/tune)
  Lambda Invoke API   %s      (aws lambda invoke --endpoint-url %s ...)
  DynamoDB            %s      (%s)
  SQS                 %s      (%s)
  TUNE simulator      %s

Demo account %q, integration %q, offer %s (%s), tracked link:
  %s

Tap the link as a phone would and keep its click id:
  CLICK=$(curl -s -o /dev/null -w '%%{redirect_url}' -A 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)' %s | sed -E 's/.*[?&]aff_sub=([^&]*).*/\1/'); echo "$CLICK"

Send the postback TUNE would send for it:
  curl -s "%s"

Read the report (revenue, EPC, conversion rate) with trackly, or with the AWS CLI (v1 or v2; no
AWS configuration needed: the local Invoke API checks no signature):
  go run ./cmd/trackly report %s --account %s
  echo '%s' | aws lambda invoke --endpoint-url %s --region %s --no-sign-request \
      --function-name AdminFunction --payload fileb:///dev/stdin /dev/stdout
%s
%s
`, without, s.Cloud.HTTPURL(), invoke, invoke, dynamoDB.url, dynamoDB.about, sqs.url, sqs.about, s.TUNEURL,
		d.AccountID, d.IntegrationID, d.OfferID, d.OfferName, d.LinkURL, d.LinkURL, testPostback,
		target, d.AccountID, report, invoke, s.Cloud.AWSConfig().Region, s.reconciliationTour(target), wrap(s.persistence(dynamoDB, sqs), 100))
}

// reconciliationTour tells the demo's conversion whose postback never came, and how TUNE's later
// change of it reaches the report; "" when the demo has no such conversion.
func (s *System) reconciliationTour(target string) string {
	d := s.Demo
	if d.ConversionEventID == "" {
		return ""
	}
	return fmt.Sprintf(`
TUNE's report holds a pending conversion whose postback never came (%[1]s); reconciliation
recorded it. Approve it in the TUNE simulator, reconcile, and see it move in the report:
  go run ./cmd/trackly conversions show %[2]s -i %[3]s %[1]s
  curl -s -X PATCH -d '{"status":"approved"}' %[4]s/conversions/%[5]s
  go run ./cmd/trackly conversions reconcile %[2]s -i %[3]s
`, d.ConversionID, target, d.IntegrationID, s.TUNEControlURL, d.ConversionEventID)
}

// service is what serves DynamoDB or SQS to the functions.
type service struct {
	url string
	// external is set when AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL_SQS names the service,
	// rather than the local cloud serving its own.
	external bool
	// about says what it is, in the welcome.
	about string
}

// services says what serves DynamoDB and SQS: the local cloud's DynamoDB Local and goaws on its
// AWS endpoint, or the endpoints AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SQS name.
func (s *System) services() (dynamoDB, sqs service) {
	env := s.Cloud.FunctionEnv("AdminFunction")
	dynamoDB = service{url: env["AWS_ENDPOINT_URL_DYNAMODB"]}
	sqs = service{url: env["AWS_ENDPOINT_URL_SQS"]}
	dynamoDB.external = dynamoDB.url != s.Cloud.AWSEndpoint()
	sqs.external = sqs.url != s.Cloud.AWSEndpoint()
	switch {
	case dynamoDB.external:
		dynamoDB.about = "AWS_ENDPOINT_URL_DYNAMODB"
	case s.opts.KeepData:
		dynamoDB.about = "DynamoDB Local; tables kept in " + s.opts.dynamoDBDataDir()
	default:
		dynamoDB.about = "DynamoDB Local; tables in memory"
	}
	sqs.about = "goaws, embedded; messages in memory"
	if sqs.external {
		sqs.about = "AWS_ENDPOINT_URL_SQS"
	}
	return dynamoDB, sqs
}

// persistence tells what outlives a restart.
func (s *System) persistence(dynamoDB, sqs service) string {
	if !s.opts.KeepData && !dynamoDB.external {
		return "Ctrl-C stops everything. Tables live in memory and go with it."
	}
	tables := "Integrations, offers, links, clicks, conversions, reports, sync runs and the postback log are kept in " +
		s.opts.dynamoDBDataDir()
	reset := `"trackly local --reset" starts clean.`
	if dynamoDB.external {
		tables = "The tables are kept by the DynamoDB at " + dynamoDB.url
		reset = `"trackly local --reset" deletes the secrets only: delete that DynamoDB's tables to start clean.`
	}
	queued := "Messages still queued in SQS (kept in memory) are lost."
	if sqs.external {
		queued = "Messages still queued stay in the SQS at " + sqs.url + "."
	}
	return fmt.Sprintf(`Ctrl-C stops everything: the HTTP API stops taking requests, attribution empties the queue `+
		`(for %s at most), and the rest stops; a second Ctrl-C stops at once. %s, and the secrets (API keys, postback `+
		`tokens, the click signing key) in %s: the next start finds them, with the same demo link and postback token. %s %s`,
		s.opts.DrainTimeout, tables, filepath.Join(s.opts.DataDir, "secrets"), queued, reset)
}

// wrap breaks text into lines of at most width characters, between words.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		switch {
		case n == 0:
		case n+1+len(word) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
