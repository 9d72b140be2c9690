package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/links"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Each subtest of TestPipeline taps and converts on a link of its own, with a message and a
// campaign of its own, so that it reads reports of its own and runs alone as well as with the others.
func TestPipeline(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	token := s.PostbackToken(t)

	t.Run("a tap redirects to the offer's tracking link with a click id", func(t *testing.T) {
		link := newLink(t, s, "redirect")
		res := s.Tap(t, link.URL, localruntest.IPhone)
		if res.StatusCode != http.StatusFound {
			t.Fatalf("status %d, want 302", res.StatusCode)
		}
		loc, err := url.Parse(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(loc.Host, ".go2cloud.org") || loc.Query().Get("offer_id") != s.Demo.OfferID {
			t.Errorf("redirect %s is not the offer's TUNE tracking link", loc)
		}
		if id := loc.Query().Get("aff_sub"); len(id) == 0 || len(id) > 64 {
			t.Errorf("click id %q", id)
		}
	})

	t.Run("previewers are redirected but not counted", func(t *testing.T) {
		link := newLink(t, s, "previewers")
		before := s.Report(t, "message", link.MessageID).Total.Clicks
		for _, ua := range []string{"facebookexternalhit/1.1 Facebot Twitterbot/1.0", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "curl/8.4.0"} {
			if res := s.Tap(t, link.URL, ua); res.StatusCode != http.StatusFound {
				t.Errorf("%s: status %d, want 302", ua, res.StatusCode)
			}
		}
		// A phone's tap after them: once it counts (the clicks' stream is counted in order), so
		// would have the previewers'.
		s.ClickID(t, link.URL)
		localruntest.Eventually(t, "the phone's tap in the report", func() bool { return s.Report(t, "message", link.MessageID).Total.Clicks >= before+1 })
		if after := s.Report(t, "message", link.MessageID).Total.Clicks - 1; after != before {
			t.Errorf("bot taps counted: clicks %d -> %d", before, after)
		}
	})

	t.Run("unknown and malformed links answer 404 with a page", func(t *testing.T) {
		for _, path := range []string{"/c/doesnotexist", "/c/bad%20id!", "/c/" + strings.Repeat("x", 40)} {
			res := s.Tap(t, s.Cloud.HTTPURL()+path, localruntest.IPhone)
			if res.StatusCode != http.StatusNotFound || res.Header.Get("Location") != "" {
				t.Errorf("%s: status %d location %q, want 404 without redirect", path, res.StatusCode, res.Header.Get("Location"))
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: content type %q, want a page", path, res.Header.Get("Content-Type"))
			}
		}
	})

	t.Run("a postback is attributed to its message with exact revenue", func(t *testing.T) {
		link := newLink(t, s, "revenue")
		s.ClickID(t, link.URL) // a click that does not convert
		click := s.ClickID(t, link.URL)
		a := s.Postback(t, url.Values{"click_id": {click}, "payout": {"12.345"}, "conversion_id": {"tx-1"}, "currency": {"usd"}, "token": {token}})
		if a.Status != http.StatusOK || a.Body["status"] != "accepted" {
			t.Fatalf("postback: %d %s", a.Status, a.Raw)
		}
		localruntest.Eventually(t, "attribution and both taps in the report", func() bool {
			tot := s.Report(t, "message", link.MessageID).Total
			return tot.Conversions == 1 && tot.Clicks == 2
		})
		for _, dim := range []struct{ name, id string }{{"message", link.MessageID}, {"campaign", link.CampaignID}} {
			r := s.Report(t, dim.name, dim.id)
			tot := r.Total
			if tot.Clicks != 2 || tot.Conversions != 1 || tot.Revenue["USD"].String() != "12.345" || tot.EPC["USD"] != "6.1725" || tot.ConversionRate != "50.00" {
				t.Errorf("%s report = %+v, want 2 clicks, 1 conversion, USD 12.345, EPC 6.1725, CR 50.00", dim.name, tot)
			}
		}
		if got := s.OutcomeOf(t, a.Body["postback_id"].(string)); got.Outcome != trackly.PostbackAttributed {
			t.Errorf("postback log outcome %+v", got)
		}
	})

	t.Run("the same postback sent 5 times at once counts once", func(t *testing.T) {
		link := newLink(t, s, "dup")
		// A conversion before the five, so that the report's revenue is a sum of payouts.
		first := s.Postback(t, url.Values{"click_id": {s.ClickID(t, link.URL)}, "payout": {"12.345"}, "currency": {"USD"}, "conversion_id": {"tx-dup-first"}, "token": {token}})
		if first.Status != http.StatusOK {
			t.Fatalf("first postback: %d %s", first.Status, first.Raw)
		}
		localruntest.Eventually(t, "the first conversion", func() bool { return s.Report(t, "message", link.MessageID).Total.Conversions == 1 })

		click := s.ClickID(t, link.URL)
		params := url.Values{"click_id": {click}, "payout": {"0.10000001"}, "currency": {"USD"}, "conversion_id": {"tx-dup"}, "goal_id": {"7"}, "token": {token}}
		outcomes := sendAtOnce(t, s, params, 5)
		if outcomes[trackly.PostbackAttributed] != 1 || outcomes[trackly.PostbackDuplicate] != 4 {
			t.Errorf("outcomes %v, want 1 attributed and 4 duplicates", outcomes)
		}
		localruntest.Eventually(t, "the second conversion in the report", func() bool { return s.Report(t, "message", link.MessageID).Total.Conversions >= 2 })
		tot := s.Report(t, "message", link.MessageID).Total
		if tot.Conversions != 2 || tot.Revenue["USD"].String() != "12.44500001" {
			t.Errorf("report %+v, want 2 conversions and USD 12.44500001", tot)
		}
	})

	t.Run("another goal of the same transaction is another conversion", func(t *testing.T) {
		link := newLink(t, s, "goals")
		click := s.ClickID(t, link.URL)
		for _, goal := range []string{"1", "2"} {
			if a := s.Postback(t, url.Values{"click_id": {click}, "payout": {"1"}, "conversion_id": {"tx-goals"}, "goal_id": {goal}, "token": {token}}); a.Status != http.StatusOK {
				t.Fatalf("goal %s: %d %s", goal, a.Status, a.Raw)
			}
		}
		localruntest.Eventually(t, "both goals attributed", func() bool { return s.Report(t, "message", link.MessageID).Total.Conversions == 2 })
	})

	t.Run("a genuine click id without a stored click becomes an orphan", func(t *testing.T) {
		link := newLink(t, s, "orphan")
		signer, err := clickid.NewSigner([]byte(s.ReadSecret(t, "click-signing-key")))
		if err != nil {
			t.Fatal(err)
		}
		click, err := signer.New(link.LinkID)
		if err != nil {
			t.Fatal(err)
		}
		a := s.Postback(t, url.Values{"click_id": {click}, "payout": {"3"}, "conversion_id": {"tx-orphan"}, "token": {token}})
		if a.Status != http.StatusOK {
			t.Fatalf("postback: %d %s", a.Status, a.Raw)
		}
		var orphans struct {
			Conversions []struct {
				ConversionID string `json:"conversion_id"`
				Attribution  string `json:"attribution"`
				Payout       string `json:"payout"`
				MessageID    string `json:"message_id"`
			} `json:"conversions"`
		}
		localruntest.Eventually(t, "orphan listed", func() bool {
			s.MustInvoke(t, "AdminFunction", map[string]any{"action": "list_conversions", "account_id": s.Demo.AccountID, "orphans": true}, &orphans)
			return len(orphans.Conversions) > 0
		})
		o := orphans.Conversions[0]
		if o.ConversionID != "tx-orphan" || o.Attribution != "orphan" || o.Payout != "3" || o.MessageID != link.MessageID {
			t.Errorf("orphan %+v", o)
		}
		if tot := s.Report(t, "message", link.MessageID).Total; tot.Conversions != 0 {
			t.Errorf("orphan counted in the report: %+v", tot)
		}
	})

	t.Run("forged click ids and wrong tokens are rejected with 403", func(t *testing.T) {
		link := newLink(t, s, "forged")
		click := s.ClickID(t, link.URL)
		forged := link.LinkID + ".AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBB"
		for name, params := range map[string]url.Values{
			"forged click id": {"click_id": {forged}, "payout": {"1"}, "conversion_id": {"tx-forged"}, "token": {token}},
			"wrong token":     {"click_id": {click}, "payout": {"1"}, "conversion_id": {"tx-badtoken"}, "token": {s.Demo.IntegrationID + ".wrong"}},
			"unknown token":   {"click_id": {click}, "payout": {"1"}, "conversion_id": {"tx-badtoken2"}, "token": {"nope"}},
		} {
			a := s.Postback(t, params)
			if a.Status != http.StatusForbidden || a.Body["status"] != "rejected" {
				t.Errorf("%s: %d %s, want 403 rejected", name, a.Status, a.Raw)
				continue
			}
			if strings.Contains(a.Raw, token) {
				t.Errorf("%s: answer echoes the token", name)
			}
			if got := s.OutcomeOf(t, a.Body["postback_id"].(string)); got.Outcome != trackly.PostbackRejected || strings.Contains(got.Query, token) {
				t.Errorf("%s: logged as %+v", name, got)
			}
		}
	})

	t.Run("a postback without the required token never becomes a conversion", func(t *testing.T) {
		link := newLink(t, s, "notoken")
		click := s.ClickID(t, link.URL)
		a := s.Postback(t, url.Values{"click_id": {click}, "payout": {"99"}, "conversion_id": {"tx-notoken"}})
		if a.Status != http.StatusForbidden {
			t.Fatalf("postback: %d %s, want 403", a.Status, a.Raw)
		}
		id := a.Body["postback_id"].(string)
		if got := s.OutcomeOf(t, id); got.Outcome != trackly.PostbackRejected || !strings.Contains(got.Reason, "token") {
			t.Errorf("logged %q (%q), want rejected naming the token", got.Outcome, got.Reason)
		}
		if tot := s.Report(t, "message", link.MessageID).Total; tot.Conversions != 0 {
			t.Errorf("rejected postback counted: %+v", tot)
		}
	})
}

// newLink creates a tracked link of the demo offer for message "sms-<name>" of campaign
// "camp-<name>", and checks that its URL is on the HTTP API.
// sendAtOnce sends the same postback n times at once and returns what became of them, once
// attribution has processed every one.
func sendAtOnce(t *testing.T, s *localruntest.System, params url.Values, n int) map[trackly.PostbackOutcome]int {
	t.Helper()
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range ids {
		wg.Go(func() {
			a, err := s.SendPostback(params)
			if err != nil || a.Status != http.StatusOK {
				t.Errorf("postback %d: %v %d %s", i, err, a.Status, a.Raw)
				return
			}
			ids[i], _ = a.Body["postback_id"].(string)
		})
	}
	wg.Wait()
	outcomes := map[trackly.PostbackOutcome]int{}
	localruntest.Eventually(t, fmt.Sprintf("all %d postbacks processed", n), func() bool {
		clear(outcomes)
		for _, id := range ids {
			outcomes[s.OutcomeOf(t, id).Outcome]++
		}
		return outcomes[trackly.PostbackAccepted] == 0
	})
	return outcomes
}

func newLink(t *testing.T, s *localruntest.System, name string) links.View {
	t.Helper()
	var link links.View
	s.MustInvoke(t, "AdminFunction", map[string]any{
		"action": "create_link", "account_id": s.Demo.AccountID, "integration_id": s.Demo.IntegrationID,
		"offer_id": s.Demo.OfferID, "message_id": "sms-" + name, "campaign_id": "camp-" + name,
	}, &link)
	if !strings.HasPrefix(link.URL, s.Cloud.HTTPURL()+"/c/") {
		t.Fatalf("link URL %q is not on the HTTP API", link.URL)
	}
	return link
}

func TestBadPostbacksAreRefusedWithTheFieldNamed(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	token := s.PostbackToken(t)
	var link struct {
		URL string `json:"url"`
	}
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "get_link", "link_id": s.Demo.LinkID}, &link)
	click := s.ClickID(t, link.URL)
	good := func(changes map[string]string) string {
		q := url.Values{"click_id": {click}, "payout": {"1.5"}, "conversion_id": {"tx"}, "token": {token}}
		for k, v := range changes {
			if v == "" {
				q.Del(k)
			} else {
				q.Set(k, v)
			}
		}
		return q.Encode()
	}
	tests := []struct {
		name, query, field, mention string
	}{
		{"missing click id", good(map[string]string{"click_id": ""}), "click_id", "required"},
		{"missing conversion id", good(map[string]string{"conversion_id": ""}), "conversion_id", "required"},
		{"unreplaced macro", good(map[string]string{"click_id": "{aff_sub}"}), "click_id", "{aff_sub}"},
		{"unreplaced encoded macro", "click_id=%7Baff_sub%7D&conversion_id=tx&payout=1", "click_id", "fix the postback URL"},
		{"macro in conversion id", good(map[string]string{"conversion_id": "{transaction_id}"}), "conversion_id", "{transaction_id}"},
		{"negative payout", good(map[string]string{"payout": "-1"}), "payout", "non-negative"},
		{"exponent payout", good(map[string]string{"payout": "1e3"}), "payout", "non-negative decimal"},
		{"NaN payout", good(map[string]string{"payout": "NaN"}), "payout", "non-negative decimal"},
		{"too large payout", good(map[string]string{"payout": "1000000.5"}), "payout", "more than 1000000"},
		{"bad sale amount", good(map[string]string{"sale_amount": "abc"}), "sale_amount", "non-negative decimal"},
		{"malformed currency", good(map[string]string{"currency": "US$"}), "currency", "ISO 4217"},
		{"unknown status", good(map[string]string{"status": "maybe"}), "status", "approved, pending or rejected"},
		{"field over 500 characters", good(map[string]string{"source": strings.Repeat("s", 501)}), "source", "limit is 500"},
		{"same parameter twice, different values", good(nil) + "&payout=2", "payout", "different values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.HTTP.Get(s.Cloud.HTTPURL() + "/api/postbacks/tune?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body struct {
				Status string `json:"status"`
				Errors []struct {
					Field   string `json:"field"`
					Message string `json:"message"`
				} `json:"errors"`
			}
			if err := jsonDecode(res, &body); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusBadRequest || body.Status != "invalid" {
				t.Fatalf("status %d %q, want 400 invalid", res.StatusCode, body.Status)
			}
			found := false
			for _, e := range body.Errors {
				found = found || (e.Field == tt.field && strings.Contains(e.Message, tt.mention))
			}
			if !found {
				t.Errorf("errors %+v do not name %s with %q", body.Errors, tt.field, tt.mention)
			}
		})
	}
	t.Run("nothing invalid was queued", func(t *testing.T) {
		for _, p := range s.PostbackLog(t) {
			if p.Outcome != "invalid" && p.Outcome != "" {
				t.Errorf("postback %s: outcome %q", p.PostbackID, p.Outcome)
			}
		}
	})
	t.Run("same parameter twice with the same value is fine, and POST forms work", func(t *testing.T) {
		res, err := s.HTTP.Post(s.Cloud.HTTPURL()+"/api/postbacks/tune?"+good(nil)+"&payout=1.5", "application/x-www-form-urlencoded", strings.NewReader("goal_id=3&extra_param=x"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("status %d, want 200", res.StatusCode)
		}
	})
}

func TestAMessageThatKeepsFailingLandsInTheDeadLetterQueue(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	ctx := context.Background()
	client := sqs.NewFromConfig(s.Cloud.AWSConfig())
	queueURL := s.Cloud.QueueURL("PostbackQueue")
	dlqURL := s.Cloud.QueueURL("PostbackDeadLetterQueue")
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("this is not a postback")}); err != nil {
		t.Fatal(err)
	}
	var body string
	localruntest.Eventually(t, "the message in the dead-letter queue", func() bool {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if err != nil || len(out.Messages) == 0 {
			return false
		}
		body = aws.ToString(out.Messages[0].Body)
		return true
	})
	if body != "this is not a postback" {
		t.Errorf("dead letter %q", body)
	}
	// After its fifth failed receive, the main queue no longer holds it.
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	if n := out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)]; n != "0" {
		t.Errorf("main queue still holds %s messages", n)
	}
}

func jsonDecode(res *http.Response, v any) error {
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		return fmt.Errorf("decode %s answer: %w", res.Request.URL.Path, err)
	}
	return nil
}
