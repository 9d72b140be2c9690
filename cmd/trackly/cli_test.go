package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/secrets"
	domain "github.com/trackly/tune-integration/internal/trackly"
)

// decode parses a JSON answer printed with -o json.
func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output is not the JSON expected: %v\n%s", err, out)
	}
	return v
}

// uid returns base with a suffix unique in this test binary, so that tests
// that create records pass again with -count.
func uid(base string) string {
	return fmt.Sprintf("%s_%d", base, uidSeq.Add(1))
}

var uidSeq atomic.Int64

var (
	integrationsMu sync.Mutex
	integrations   = map[string]bool{}
)

// ensureIntegration creates (once) an integration of account acct_cli on the TUNE simulator with key.
func ensureIntegration(t *testing.T, id, key string) {
	t.Helper()
	integrationsMu.Lock()
	defer integrationsMu.Unlock()
	if integrations[id] {
		return
	}
	err := sys.Invoke(context.Background(), "AdminFunction", map[string]any{
		"action": "create_integration", "integration_id": id, "account_id": "acct_cli", "name": "CLI " + id,
		"network_id": localrun.DemoNetworkID, "api_base_url": sys.TUNEURL, "key_kind": "affiliate", "api_key": key,
	}, nil)
	if err != nil {
		t.Fatalf("create integration %s: %v", id, err)
	}
	integrations[id] = true
}

func TestIntegrationsListAndShow(t *testing.T) {
	out := ok(t, "integrations", "list")
	contains(t, "integrations list", out, "ID", "ACCOUNT", "AUTO-SYNC", "in_demo", "Demo network (TUNE simulator)", "affiliate")

	out = ok(t, "integrations", "list", "--account", "nobody")
	contains(t, "integrations list of an account without any", out, "No integrations.")

	list := decode[struct {
		Integrations []map[string]any `json:"integrations"`
	}](t, ok(t, "integrations", "list", "--account", "demo", "-o", "json"))
	if len(list.Integrations) != 1 || list.Integrations[0]["integration_id"] != "in_demo" {
		t.Errorf("list_integrations of demo: %v", list.Integrations)
	}

	for _, args := range [][]string{{"integrations", "show", "in_demo"}, {"integrations", "show", "--integration", "in_demo"}, {"integrations", "show", "-i", "in_demo"}} {
		out := ok(t, args...)
		contains(t, strings.Join(args, " "), out, "Integration", "in_demo", "Account", "demo", "affiliate key, set (kept secret)", "aff_sub", "USD", "30 days")
	}
	show := decode[map[string]any](t, ok(t, "integrations", "show", "in_demo", "-o", "json"))
	for _, k := range []string{"integration_id", "account_id", "network_id", "key_kind", "api_key_set", "sync_frequency", "created_at"} {
		if _, ok := show[k]; !ok {
			t.Errorf("get_integration JSON lacks %q: %v", k, show)
		}
	}
	if _, ok := show["api_key"]; ok || show["api_key_set"] != true {
		t.Errorf("get_integration JSON: api_key must be absent and api_key_set true: %v", show)
	}
}

func TestIntegrationLifecycle(t *testing.T) {
	key := localrun.DemoAffiliateKey
	in := uid("in_cli")
	add := []string{"integrations", "add", "--id", in, "--account", "acct_cli", "--name", "CLI test network",
		"--network-id", localrun.DemoNetworkID, "--api-base-url", sys.TUNEURL, "--key-kind", "affiliate", "--sync-frequency", "hourly"}

	r := trackly(t, key+"\n", append(add, "--api-key-stdin")...)
	if r.code != 0 {
		t.Fatalf("integrations add: exit %d: %s", r.code, r.stderr)
	}
	contains(t, "integrations add", r.stdout, in, "acct_cli", "CLI test network", "affiliate key, set (kept secret)", "Auto-sync           off",
		"trackly integrations test "+in)

	r = trackly(t, key, append(add, "--api-key-stdin")...)
	if r.code != 1 || oneLine(t, r) != `trackly: invalid input: integration_id: "`+in+`" is taken` {
		t.Errorf("adding a taken id: exit %d, %q", r.code, r.stderr)
	}

	// The key from $TRACKLY_TUNE_API_KEY, from a file, and (with a warning) from a flag.
	t.Setenv(apiKeyEnv, key)
	if r := trackly(t, "", "integrations", "add", "--id", in+"_env", "--account", "acct_cli", "--name", "env", "--network-id", "demo", "--api-base-url", sys.TUNEURL, "--key-kind", "affiliate"); r.code != 0 {
		t.Errorf("add with $%s: exit %d: %s", apiKeyEnv, r.code, r.stderr)
	}
	os.Unsetenv(apiKeyEnv)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := trackly(t, "", "integrations", "add", "--id", in+"_file", "--account", "acct_cli", "--name", "file", "--network-id", "demo", "--api-base-url", sys.TUNEURL, "--key-kind", "affiliate", "--api-key-file", keyFile); r.code != 0 {
		t.Errorf("add with --api-key-file: exit %d: %s", r.code, r.stderr)
	}
	r = trackly(t, "", "integrations", "add", "--id", in+"_flag", "--account", "acct_cli", "--name", "flag", "--network-id", "demo", "--api-base-url", sys.TUNEURL, "--key-kind", "affiliate", "--api-key", key)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: --api-key leaves the key in your shell history") {
		t.Errorf("add with --api-key: exit %d, want a warning on stderr: %q", r.code, r.stderr)
	}
	r = trackly(t, "", "integrations", "add", "--id", in+"_none", "--account", "acct_cli", "--name", "none", "--network-id", "demo", "--key-kind", "affiliate")
	if r.code != 2 || !strings.Contains(oneLine(t, r), "the TUNE API key is required") {
		t.Errorf("add without a key: exit %d, %q", r.code, r.stderr)
	}
	r = trackly(t, key, "integrations", "add", "--account", "acct_cli", "--name", "two", "--network-id", "demo", "--key-kind", "affiliate", "--api-key-stdin", "--api-key-file", keyFile)
	if r.code != 2 {
		t.Errorf("add with two key sources: exit %d, %q", r.code, r.stderr)
	}

	out := ok(t, "integrations", "update", in, "--rate-limit", "20", "--attribution-window", "7")
	contains(t, "integrations update", out, "20 calls / 10 s", "7 days", "CLI test network")

	out = ok(t, "integrations", "test", in)
	contains(t, "integrations test", out, "Connection OK: affiliate key on network demo, ")
	conn := decode[map[string]any](t, ok(t, "integrations", "test", "-i", in, "-o", "json"))
	if conn["ok"] != true || conn["integration_id"] != in {
		t.Errorf("test_connection JSON: %v", conn)
	}

	// Replacing the key with a wrong one (from standard input): the test fails with TUNE's
	// diagnosis; the right one (from $TRACKLY_TUNE_API_KEY, on request) fixes it.
	contains(t, "update the key", trackly(t, "wrong-key-0123456789", "integrations", "update", in, "--api-key-stdin").stdout, "affiliate key, set (kept secret)")
	r = trackly(t, "", "integrations", "test", in)
	if line := oneLine(t, r); r.code != 1 || !strings.HasPrefix(line, "trackly: TUNE: ") {
		t.Errorf("test with a wrong key: exit %d, %q", r.code, line)
	}
	contains(t, "failed test", r.stdout, "FAILED", "Cause", "key_rejected", "Hint")
	t.Setenv(apiKeyEnv, key)
	ok(t, "integrations", "update", in, "--api-key-env")
	os.Unsetenv(apiKeyEnv)
	ok(t, "integrations", "test", in)

	out = ok(t, "integrations", "auto-sync", "on", "-i", in, "--frequency", "6h")
	contains(t, "auto-sync on", out, "every 6h")
	show := decode[map[string]any](t, ok(t, "integrations", "show", in, "-o", "json"))
	if show["auto_sync"] != true || show["sync_frequency"] != "6h" {
		t.Errorf("after auto-sync on --frequency 6h: %v", show)
	}
	contains(t, "auto-sync off", ok(t, "integrations", "auto-sync", "off", "--integration", in), "Auto-sync    off")
	r = trackly(t, "", "integrations", "auto-sync", "on", "-i", in, "--frequency", "often")
	if line := oneLine(t, r); r.code != 1 || !strings.HasPrefix(line, "trackly: invalid input: sync_frequency: ") {
		t.Errorf("auto-sync with a bad frequency: exit %d, %q", r.code, line)
	}

	out = ok(t, "integrations", "postback-url", in)
	contains(t, "postback-url", out, "Postback URL of "+in, "/api/postbacks/tune?click_id={aff_sub}&payout={payout}&conversion_id={transaction_id}", "token="+in+".")
	before := decode[map[string]string](t, ok(t, "integrations", "postback-url", in, "-o", "json"))
	out = ok(t, "integrations", "rotate-token", in)
	contains(t, "rotate-token", out, "previous URL is refused")
	after := decode[map[string]string](t, ok(t, "integrations", "rotate-token", in, "-o", "json"))
	if before["postback_url"] == "" || before["postback_url"] == after["postback_url"] {
		t.Errorf("rotate-token kept the URL: %q", after["postback_url"])
	}
}

func TestOffers(t *testing.T) {
	in := uid("in_cli_offers")
	ensureIntegration(t, in, localrun.DemoAffiliateKey)

	r := trackly(t, "", "offers", "remote", "-i", in, "--limit", "5")
	if r.code != 0 {
		t.Fatalf("offers remote: exit %d: %s", r.code, r.stderr)
	}
	contains(t, "offers remote", r.stdout, "ID", "NAME", "PAYOUT", "IMPORTED")
	contains(t, "offers remote footer", r.stderr, "Page 1 of ", "Next: --page 2")
	remote := decode[struct {
		Offers []struct {
			OfferID       string  `json:"offer_id"`
			DefaultPayout string  `json:"default_payout"`
			PercentPayout *string `json:"percent_payout"`
			Currency      string  `json:"currency"`
			Imported      bool    `json:"imported"`
		} `json:"offers"`
		Page      int `json:"page"`
		PageCount int `json:"page_count"`
		Count     int `json:"count"`
	}](t, ok(t, "offers", "remote", "-i", in, "--limit", "5", "--status", "active", "-o", "json"))
	if len(remote.Offers) != 5 || remote.Page != 1 || remote.PageCount < 2 || remote.Count < 6 {
		t.Errorf("list_remote_offers JSON: %+v", remote)
	}

	contains(t, "offers list before any import", ok(t, "offers", "list", "-i", in), "No offers imported into "+in)

	ids := []string{remote.Offers[0].OfferID, remote.Offers[1].OfferID, remote.Offers[2].OfferID}
	out := ok(t, "offers", "import", "-i", in, "--offer", strings.Join(ids, ","))
	contains(t, "offers import", out, "Imported 3 offers into "+in+": 3 new", ids[0], ids[1], ids[2])
	imp := decode[map[string]any](t, ok(t, "offers", "import", "-i", in, "--offer", ids[0], "--offer", "999999", "-o", "json"))
	for _, k := range []string{"integration_id", "run_id", "imported", "new", "updated", "unchanged", "complete", "offers"} {
		if _, ok := imp[k]; !ok {
			t.Errorf("import_offers JSON lacks %q: %v", k, imp)
		}
	}
	if nf, _ := imp["not_found"].([]any); len(nf) != 1 || nf[0] != "999999" {
		t.Errorf("import_offers not_found: %v", imp["not_found"])
	}

	// Money is printed exactly as the function returns it.
	list := decode[struct {
		IntegrationID string `json:"integration_id"`
		Offers        []struct {
			OfferID       string  `json:"offer_id"`
			DefaultPayout string  `json:"default_payout"`
			PercentPayout *string `json:"percent_payout"`
			Currency      string  `json:"currency"`
		} `json:"offers"`
		NextCursor *string `json:"next_cursor"`
	}](t, ok(t, "offers", "list", "-i", in, "-o", "json"))
	if len(list.Offers) != 3 || list.NextCursor == nil {
		t.Fatalf("list_offers JSON: %+v", list)
	}
	table := ok(t, "offers", "list", "-i", in)
	for _, o := range list.Offers {
		want := o.DefaultPayout + " " + o.Currency
		if o.PercentPayout != nil {
			want = *o.PercentPayout + "%"
		}
		contains(t, "offers list payouts", table, want)
	}

	r = trackly(t, "", "offers", "list", "-i", in, "--limit", "2")
	if r.code != 0 || strings.Count(strings.TrimSpace(r.stdout), "\n") != 2 || !strings.Contains(r.stderr, "More: repeat with --cursor ") {
		t.Fatalf("offers list --limit 2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cursor := strings.TrimSpace(strings.TrimPrefix(r.stderr, "More: repeat with --cursor "))
	contains(t, "offers list --cursor", ok(t, "offers", "list", "-i", in, "--limit", "2", "--cursor", cursor), list.Offers[2].OfferID)

	out = ok(t, "offers", "import", "-i", in, "--status", "active", "--search", "VPN")
	contains(t, "offers import with a filter", out, "Imported ")

	out = ok(t, "offers", "sync", "-i", in)
	contains(t, "offers sync", out, "Status       succeeded", "Trigger      manual", "seen")
	run := decode[map[string]any](t, ok(t, "offers", "sync", "-i", in, "-o", "json"))
	if run["status"] != "succeeded" || run["trigger"] != "manual" || run["integration_id"] != in {
		t.Errorf("sync_offers JSON: %v", run)
	}

	out = ok(t, "sync-runs", "list", "-i", in)
	contains(t, "sync-runs list", out, "STARTED", "TRIGGER", "STATUS", "import", "manual", "succeeded")
	runs := decode[struct {
		Runs []map[string]any `json:"runs"`
	}](t, ok(t, "sync-runs", "list", "-i", in, "--limit", "2", "-o", "json"))
	if len(runs.Runs) != 2 || runs.Runs[0]["trigger"] != "manual" {
		t.Errorf("list_sync_runs JSON: %v", runs.Runs)
	}
}

func TestTUNEErrorsExitOne(t *testing.T) {
	in := uid("in_cli_badkey")
	ensureIntegration(t, in, "wrong-key-0123456789")
	for _, args := range [][]string{
		{"integrations", "test", in},
		{"offers", "import", "-i", in, "--offer", "1"},
		{"offers", "remote", "-i", in},
	} {
		r := trackly(t, "", args...)
		if line := oneLine(t, r); r.code != 1 || !strings.HasPrefix(line, "trackly: TUNE: ") || !strings.Contains(line, "key") {
			t.Errorf("trackly %s: exit %d, %q", strings.Join(args, " "), r.code, line)
		}
	}
	r := trackly(t, "", "integrations", "test", in)
	contains(t, "failed connection test", r.stdout, "FAILED", "Cause", "key_rejected", "Hint")

	// A sync that TUNE refuses: the run is printed (in JSON for scripts) and trackly exits 1.
	synced := uid("in_cli_refused")
	ensureIntegration(t, synced, localrun.DemoAffiliateKey)
	ok(t, "offers", "import", "-i", synced, "--offer", "1")
	sys.TUNE.FailNext(tunesim.FailIPRefused, 1)
	r = trackly(t, "", "offers", "sync", "-i", synced)
	if line := oneLine(t, r); r.code != 1 || !strings.HasPrefix(line, "trackly: TUNE: ") || !strings.Contains(line, "ip_refused") {
		t.Errorf("refused sync: exit %d, %q", r.code, line)
	}
	contains(t, "refused sync", r.stdout, "Status       failed", "ip_refused")
	sys.TUNE.FailNext(tunesim.FailIPRefused, 1)
	r = trackly(t, "", "offers", "sync", "-i", synced, "-o", "json")
	if run := decode[map[string]any](t, r.stdout); r.code != 1 || run["status"] != "failed" || run["error_kind"] != "ip_refused" {
		t.Errorf("refused sync in JSON: exit %d, %v", r.code, run)
	}
}

// tap follows a tracked link as a phone would and returns the click id TUNE would receive.
func tap(t *testing.T, linkURL string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, linkURL, nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("tap %s: %d %q", linkURL, res.StatusCode, res.Header.Get("Location"))
	}
	return loc.Query().Get("aff_sub")
}

// postback sends what TUNE would send through the integration's postback URL template.
func postback(t *testing.T, template, clickID, payout, conversionID string) {
	t.Helper()
	u := strings.NewReplacer("{aff_sub}", url.QueryEscape(clickID), "{payout}", payout, "{transaction_id}", conversionID,
		"{goal_id}", "0", "{currency}", "USD", "{sale_amount}", "", "{offer_id}", "1", "{source}", "cli").Replace(template)
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("postback %s: %d", u, res.StatusCode)
	}
}

// eventually retries check until it returns "" or time runs out.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestLinksReportConversionsPostbacks(t *testing.T) {
	linkID, message, conv, orphan := uid("cli-report"), uid("sms-cli-report"), uid("cli-conv"), uid("cli-orphan")
	out := ok(t, "links", "create", "--account", "demo", "-i", "in_demo", "--offer", "1", "--message", message, "--campaign", "cli-camp", "--id", linkID)
	contains(t, "links create", out, linkID, sys.Cloud.HTTPURL()+"/c/"+linkID, message, "cli-camp", "Offer        1 (")
	r := trackly(t, "", "links", "create", "--account", "demo", "-i", "in_demo", "--offer", "1", "--message", message, "--id", linkID)
	if line := oneLine(t, r); r.code != 1 || line != `trackly: invalid input: link_id: "`+linkID+`" is taken` {
		t.Errorf("taken link id: exit %d, %q", r.code, line)
	}
	link := decode[map[string]any](t, ok(t, "links", "show", linkID, "-o", "json"))
	if link["url"] != sys.Cloud.HTTPURL()+"/c/"+linkID || link["message_id"] != message {
		t.Errorf("get_link JSON: %v", link)
	}
	contains(t, "links show", ok(t, "links", "show", linkID), message, "cli-camp")
	r = trackly(t, "", "links", "show", "nope")
	if line := oneLine(t, r); r.code != 1 || line != `trackly: invalid input: link_id: no link "nope"` {
		t.Errorf("unknown link: exit %d, %q", r.code, line)
	}

	// A tap and its conversion, and a conversion whose click never happened (an orphan).
	pb := decode[map[string]string](t, ok(t, "integrations", "postback-url", "in_demo", "-o", "json"))
	postback(t, pb["postback_url"], tap(t, link["url"].(string)), "7.25", conv)
	key, err := secrets.NewStore(must(secrets.NewDir(filepath.Join(dataDir, "secrets")))).Get(context.Background(), "click-signing-key")
	if err != nil {
		t.Fatal(err)
	}
	orphanClick, err := must(clickid.NewSigner([]byte(key))).New(linkID)
	if err != nil {
		t.Fatal(err)
	}
	postback(t, pb["postback_url"], orphanClick, "3.10", orphan)

	report := []string{"report", "--account", "demo", "--dimension", "message", "--id", message}
	eventually(t, "the tap and the conversion are in the report", func() string {
		rep := decode[struct {
			Total struct {
				Clicks      int `json:"clicks"`
				Conversions int `json:"conversions"`
			} `json:"total"`
		}](t, ok(t, append(report, "-o", "json")...))
		if rep.Total.Conversions != 1 || rep.Total.Clicks != 1 {
			return fmt.Sprintf("%d clicks, %d conversions", rep.Total.Clicks, rep.Total.Conversions)
		}
		return ""
	})
	out = ok(t, report...)
	contains(t, "report", out, "Account demo by message "+message, "CLICKS", "EPC", "CONV. RATE", message+"  1       1", "7.25 USD", "7.2500 USD", "100.00%", "TOTAL")
	rep := decode[struct {
		AccountID string `json:"account_id"`
		Lines     []struct {
			ID             string            `json:"id"`
			Clicks         json.Number       `json:"clicks"`
			Revenue        map[string]string `json:"revenue"`
			EPC            map[string]string `json:"epc"`
			ConversionRate string            `json:"conversion_rate"`
		} `json:"lines"`
		Total map[string]any `json:"total"`
	}](t, ok(t, append(report, "-o", "json")...))
	if len(rep.Lines) != 1 || rep.Lines[0].Revenue["USD"] != "7.25" || rep.Lines[0].EPC["USD"] != "7.2500" || rep.Lines[0].ConversionRate != "100.00" || rep.Total == nil {
		t.Errorf("report JSON: %+v", rep)
	}
	out = ok(t, append(report, "--by-day")...)
	contains(t, "report --by-day", out, "DAY", time.Now().UTC().Format(time.DateOnly))

	out = ok(t, "conversions", "list", "--account", "demo")
	contains(t, "conversions list", out, "RECEIVED", conv, "7.25 USD", "attributed", message, "cli-camp")
	convs := decode[struct {
		Conversions []map[string]any `json:"conversions"`
		NextCursor  *string          `json:"next_cursor"`
	}](t, ok(t, "conversions", "list", "--account", "demo", "--attribution", "attributed", "-o", "json"))
	if len(convs.Conversions) == 0 || convs.NextCursor == nil {
		t.Errorf("list_conversions JSON: %+v", convs)
	}
	for _, c := range convs.Conversions {
		if c["conversion_id"] == conv && c["payout"] != "7.25" {
			t.Errorf("payout %v, want the string 7.25", c["payout"])
		}
	}

	eventually(t, "the orphan is listed", func() string {
		if out := ok(t, "conversions", "orphans", "--account", "demo"); !strings.Contains(out, orphan) {
			return "not yet:\n" + out
		}
		return ""
	})
	orphans := decode[struct {
		Conversions []map[string]any `json:"conversions"`
	}](t, ok(t, "conversions", "orphans", "--account", "demo", "-o", "json"))
	payout := ""
	for _, c := range orphans.Conversions {
		if c["attribution"] != "orphan" {
			t.Errorf("conversions orphans listed %v", c)
		}
		if c["conversion_id"] == orphan {
			payout, _ = c["payout"].(string)
		}
	}
	if payout == "" {
		t.Errorf("the orphan's payout is not a JSON string: %v", orphans.Conversions)
	}
	contains(t, "conversions orphans", ok(t, "conversions", "orphans", "--account", "demo"), payout+" USD", "in_demo", orphanClick)

	out = ok(t, "postbacks", "list")
	contains(t, "postbacks list", out, "OUTCOME", conv, "7.25 USD", "attributed", orphan)
	out = ok(t, "postbacks", "list", "--outcome", "orphaned")
	if !strings.Contains(out, orphan) || strings.Contains(out, conv) {
		t.Errorf("postbacks list --outcome orphaned:\n%s", out)
	}
	pbs := decode[struct {
		Day       string           `json:"day"`
		Postbacks []map[string]any `json:"postbacks"`
	}](t, ok(t, "postbacks", "list", "--day", time.Now().UTC().Format(time.DateOnly), "-o", "json"))
	if pbs.Day != time.Now().UTC().Format(time.DateOnly) || len(pbs.Postbacks) < 2 {
		t.Errorf("list_postbacks JSON: %+v", pbs)
	}

	for _, args := range [][]string{
		{"report", "--account", "demo", "--dimension", "planet"},
		{"report", "--account", "demo", "--from", "yesterday"},
		{"postbacks", "list", "--day", "2026-13-45"},
		{"conversions", "list", "--account", "demo", "--attribution", "maybe"},
	} {
		r := trackly(t, "", args...)
		if line := oneLine(t, r); r.code != 1 || !strings.HasPrefix(line, "trackly: invalid input: ") {
			t.Errorf("trackly %s: exit %d, %q", strings.Join(args, " "), r.code, line)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestSyncDue(t *testing.T) {
	r := trackly(t, "", "sync", "due")
	if r.code != 0 {
		t.Fatalf("sync due: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	contains(t, "sync due", r.stdout, " due.")
	due := decode[map[string]any](t, ok(t, "sync", "due", "-o", "json"))
	if _, ok := due["due"]; !ok {
		t.Errorf("sync_due JSON: %v", due)
	}
	if _, ok := due["runs"].([]any); !ok {
		t.Errorf("sync_due JSON runs: %v", due)
	}
}

func TestProgressOnATerminalOnly(t *testing.T) {
	in := uid("in_cli_progress")
	ensureIntegration(t, in, localrun.DemoAffiliateKey)
	ok(t, "offers", "import", "-i", in, "--offer", "1,2")

	r := trackly(t, "", "offers", "sync", "-i", in)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("piped sync printed progress: exit %d, stderr %q", r.code, r.stderr)
	}

	defer func(was func(any) bool, every time.Duration) { isTerminal, progressEvery = was, every }(isTerminal, progressEvery)
	isTerminal = func(any) bool { return true }
	progressEvery = 5 * time.Millisecond
	r = trackly(t, "", "offers", "sync", "-i", in)
	if r.code != 0 {
		t.Fatalf("sync on a terminal: exit %d: %s", r.code, r.stderr)
	}
	contains(t, "progress", r.stderr, "\r\x1b[K", "syncing "+in)
	if !strings.HasSuffix(r.stderr, "\r\x1b[K") {
		t.Errorf("the status line is not cleared at the end: %q", r.stderr)
	}
	contains(t, "sync on a terminal", r.stdout, "succeeded")
	r = trackly(t, "", "offers", "import", "-i", in, "--offer", "3", "--no-progress")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("--no-progress: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestProgressLine(t *testing.T) {
	line := progressLine("syncing in_x", &adminapi.SyncRun{LastPage: 3, PageCount: 12, OffersSeen: 300, OffersNew: 4, OffersChanged: 2, OffersRemoved: 1}, 0, 7*time.Second)
	want := "syncing in_x  [#####---------------] page 3/12  300 seen, 4 new, 2 changed, 1 removed  7s"
	if line != want {
		t.Errorf("progress line\n got %q\nwant %q", line, want)
	}
	if line := progressLine("importing into in_x", nil, 1, 2*time.Second); line != "importing into in_x  /  2s" {
		t.Errorf("progress line without a run: %q", line)
	}
	// An import of chosen offers reads them a call at a time, with no page count.
	run := &adminapi.SyncRun{Run: domain.Run{Trigger: domain.SyncTriggerImport}, Pages: 2, OffersSeen: 200, OffersNew: 180, OffersChanged: 20}
	want = "importing 250 offers into in_x  - 2 pages  200 seen, 180 new, 20 changed  3s"
	if line := progressLine("importing 250 offers into in_x", run, 2, 3*time.Second); line != want {
		t.Errorf("progress line of an import of chosen offers\n got %q\nwant %q", line, want)
	}
}
