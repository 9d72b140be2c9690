package localrun

import (
	"context"
	"fmt"
	"io"
	"strings"
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
}

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
	return d, s.readPostbackURL(ctx, &d)
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

// PrintWelcome tells a newcomer what is running and how to try it.
func (s *System) PrintWelcome(w io.Writer) {
	d := s.Demo
	testPostback := strings.NewReplacer(
		"{aff_sub}", "$CLICK", "{payout}", "12.50", "{transaction_id}", "demo-$RANDOM", "{goal_id}", "0",
		"{currency}", "USD", "{sale_amount}", "", "{offer_id}", d.OfferID, "{source}", "demo",
	).Replace(d.PostbackURL)
	fmt.Fprintf(w, `
Trackly's TUNE integration is running locally (no AWS, no Docker).

  HTTP API            %s      (API Gateway: GET /c/{link_id}, GET|POST /api/postbacks/tune)
  Lambda Invoke API   %s      (aws lambda invoke --endpoint-url %s ...)
  AWS endpoint        %s      (%s)
  TUNE simulator      %s

Demo account %q, integration %q, offer %s (%s), tracked link:
  %s

Tap the link as a phone would and keep its click id:
  CLICK=$(curl -s -o /dev/null -w '%%{redirect_url}' -A 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)' %s | sed -E 's/.*[?&]aff_sub=([^&]*).*/\1/'); echo "$CLICK"

Send the postback TUNE would send for it:
  curl -s "%s"

Read the report (revenue, EPC, conversion rate):
  go run ./cmd/trackly report --local --account %s
  aws lambda invoke --endpoint-url %s --function-name AdminFunction --cli-binary-format raw-in-base64-out \
      --payload '{"action":"report","account_id":"%s"}' /dev/stdout

%s
`, s.Cloud.HTTPURL(), s.Cloud.InvokeURL(), s.Cloud.InvokeURL(), s.Cloud.AWSEndpoint(), s.Cloud.Engines(), s.TUNEURL,
		d.AccountID, d.IntegrationID, d.OfferID, d.OfferName, d.LinkURL, d.LinkURL, testPostback,
		d.AccountID, s.Cloud.InvokeURL(), d.AccountID, s.persistence())
}

// persistence tells what outlives a restart.
func (s *System) persistence() string {
	if !s.opts.KeepData {
		return "Ctrl-C stops everything. Tables live in memory and go with it."
	}
	return fmt.Sprintf(`Ctrl-C stops everything: the HTTP API stops taking requests, attribution empties the queue
(for %s at most), and the rest stops; a second Ctrl-C stops at once. Integrations, offers,
links, clicks, conversions, reports, the postback log and the secrets are kept under %s
and are there again at the next start, with the same demo link and postback token; messages
still queued in SQS (kept in memory) are not. "trackly local --reset" starts clean.`, s.opts.DrainTimeout, s.opts.DataDir)
}
