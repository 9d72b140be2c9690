package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"offers", "list", "--bogus"}, "trackly: unknown flag: --bogus (see 'trackly offers list --help')"},
		{[]string{"offers", "list"}, `trackly: required flag(s) "integration" not set (see 'trackly offers list --help')`},
		{[]string{"report", "--account"}, "flag needs an argument: --account"},
		{[]string{"report", "--account", "demo", "--by-day=maybe"}, `invalid argument "maybe" for "--by-day"`},
		{[]string{"offers", "list", "-i", "in_demo", "--limit", "ten"}, `invalid argument "ten" for "--limit"`},
		{[]string{"integrations", "lst"}, `unknown command "lst" for "trackly integrations" (did you mean "list"?)`},
		{[]string{"integratons", "list"}, `unknown command "integratons" for "trackly" (did you mean "integrations"?)`},
		{[]string{"integrations", "show", "in_demo", "in_other"}, "accepts at most 1 arg(s), received 2"},
		{[]string{"integrations", "show", "in_demo", "-i", "in_other"}, `the integration is "in_demo" or "in_other"? pass it once`},
		{[]string{"integrations", "show"}, "which integration? pass --integration ID"},
		{[]string{"integrations", "auto-sync", "maybe", "-i", "in_demo"}, "say on or off"},
		{[]string{"integrations", "update", "in_demo"}, "nothing to update"},
		{[]string{"links", "show"}, "which link?"},
		{[]string{"offers", "import", "-i", "in_demo"}, "at least one of the flags in the group [offer all status search] is required"},
		{[]string{"offers", "import", "-i", "in_demo", "--offer", "1", "--all"}, "if any flags in the group [offer all] are set none of the others can be"},
		{[]string{"-o", "yaml", "integrations", "list"}, `--output must be table or json, not "yaml"`},
		{[]string{"--local", "--stack", "prod", "integrations", "list"}, "--local and --stack are alternatives"},
		{[]string{"--endpoint-url", "127.0.0.1:3001", "integrations", "list"}, "--endpoint-url must be a URL like http://127.0.0.1:3001"},
	} {
		r := tracklyAt(t, "", "", tc.args...)
		line := oneLine(t, r)
		if r.code != exitUsage || !strings.Contains(line, tc.want) {
			t.Errorf("trackly %s: exit %d, %q; want exit 2 and %q", strings.Join(tc.args, " "), r.code, line, tc.want)
		}
		if r.stdout != "" {
			t.Errorf("trackly %s printed on stdout: %q", strings.Join(tc.args, " "), r.stdout)
		}
	}
}

func TestNoTarget(t *testing.T) {
	r := tracklyAt(t, "", "", "integrations", "list")
	line := oneLine(t, r)
	if r.code != exitUsage {
		t.Errorf("without a target: exit %d", r.code)
	}
	contains(t, "no target", line, "trackly: no target: ", "--local", "--stack NAME", "--admin-function", "TRACKLY_LOCAL=1", "TRACKLY_STACK")

	// With only one function named, the other is asked for.
	r = tracklyAt(t, "", "", "--admin-function", "AdminFunction", "--region", "eu-west-1", "offers", "list", "-i", "in_demo")
	if line := oneLine(t, r); r.code != exitUsage || !strings.Contains(line, "no OfferSyncFunction to invoke: pass --offersync-function NAME or --stack NAME") {
		t.Errorf("without OfferSyncFunction's name: exit %d, %q", r.code, line)
	}
}

func TestResolveTarget(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name  string
		flags targetFlags
		env   func(string) string
		want  resolved
	}{
		{"--local", targetFlags{local: true}, env(), resolved{endpoint: defaultLocalEndpoint, local: true,
			names: map[string]string{adminFunction: adminFunction, offerSyncFunction: offerSyncFunction, reconciliationFunction: reconciliationFunction}}},
		{"TRACKLY_LOCAL=1", targetFlags{}, env("TRACKLY_LOCAL", "1"), resolved{endpoint: defaultLocalEndpoint, local: true,
			names: map[string]string{adminFunction: adminFunction, offerSyncFunction: offerSyncFunction, reconciliationFunction: reconciliationFunction}}},
		{"TRACKLY_STACK", targetFlags{}, env("TRACKLY_STACK", "trackly-prod"), resolved{stack: "trackly-prod", names: map[string]string{}}},
		{"--stack wins over TRACKLY_LOCAL", targetFlags{stack: "s"}, env("TRACKLY_LOCAL", "1"), resolved{stack: "s", names: map[string]string{}}},
		{"--local wins over TRACKLY_STACK", targetFlags{local: true}, env("TRACKLY_STACK", "s"), resolved{endpoint: defaultLocalEndpoint, local: true,
			names: map[string]string{adminFunction: adminFunction, offerSyncFunction: offerSyncFunction, reconciliationFunction: reconciliationFunction}}},
		{"--local on another port", targetFlags{local: true, endpoint: "http://localhost:4001"}, env(), resolved{endpoint: "http://localhost:4001", local: true,
			names: map[string]string{adminFunction: adminFunction, offerSyncFunction: offerSyncFunction, reconciliationFunction: reconciliationFunction}}},
		{"explicit names", targetFlags{adminFn: "prod-Admin", offerFn: "prod-Sync"}, env("TRACKLY_LOCAL", "1"), resolved{
			names: map[string]string{adminFunction: "prod-Admin", offerSyncFunction: "prod-Sync"}}},
		{"stack with one override", targetFlags{stack: "s", adminFn: "arn:aws:lambda:eu-west-1:1:function:a"}, env(), resolved{stack: "s",
			names: map[string]string{adminFunction: "arn:aws:lambda:eu-west-1:1:function:a"}}},
		{"stack through another endpoint", targetFlags{stack: "s", endpoint: "https://lambda.example.com"}, env(), resolved{stack: "s", endpoint: "https://lambda.example.com",
			names: map[string]string{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.flags
			f.functions = map[string]*string{adminFunction: &f.adminFn, offerSyncFunction: &f.offerFn, reconciliationFunction: &f.reconFn}
			got, err := f.resolve(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFunctionErrorsExitOne(t *testing.T) {
	r := trackly(t, "", "integrations", "show", "nope")
	if line := oneLine(t, r); r.code != exitFailed || line != `trackly: invalid input: integration_id: no integration "nope"` {
		t.Errorf("unknown integration: exit %d, %q", r.code, line)
	}
	r = trackly(t, "", "integrations", "show", "nope", "-o", "json")
	if r.code != exitFailed || r.stdout != "" {
		t.Errorf("unknown integration, JSON: exit %d, stdout %q", r.code, r.stdout)
	}
	r = trackly(t, "", "offers", "list", "-i", "nope")
	if line := oneLine(t, r); r.code != exitFailed || line != `trackly: invalid input: integration_id: no integration "nope"` {
		t.Errorf("OfferSyncFunction's error: exit %d, %q", r.code, line)
	}
	r = trackly(t, "", "--admin-function", "NoSuchFunction", "integrations", "list")
	if line := oneLine(t, r); r.code != exitFailed || !strings.Contains(line, "ResourceNotFoundException") {
		t.Errorf("unknown function: exit %d, %q", r.code, line)
	}
	r = tracklyAt(t, "http://127.0.0.1:1", "", "integrations", "list")
	if line := oneLine(t, r); r.code != exitFailed || line != "trackly: cannot reach the Lambda Invoke API at http://127.0.0.1:1: is 'trackly local' (make run) running?" {
		t.Errorf("nothing listening: exit %d, %q", r.code, line)
	}
}

func TestFunctionErrorLine(t *testing.T) {
	for _, tc := range []struct {
		fe   functionError
		want string
	}{
		{functionError{Function: "AdminFunction", Type: "InvalidInput", Message: "payout: must be a decimal"}, "invalid input: payout: must be a decimal"},
		{functionError{Function: "OfferSyncFunction", Type: "TUNEError", Message: "tune: Offer::findAll: key_rejected: the key was refused"}, "TUNE: Offer::findAll: key_rejected: the key was refused"},
		{functionError{Function: "AdminFunction", Type: "InternalError", Message: "read integration: boom\nstack"}, "AdminFunction failed: read integration: boom"},
		{functionError{Function: "OfferSyncFunction", Type: "Sandbox.Timedout", Message: "Task timed out after 900.00 seconds"}, "OfferSyncFunction failed (Sandbox.Timedout): Task timed out after 900.00 seconds"},
	} {
		if got := tc.fe.line(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.fe, got, tc.want)
		}
	}
}

// TestStackOutputs reads the function names from a stack's outputs, as on AWS,
// with CloudFormation stood in for by a test server.
func TestStackOutputs(t *testing.T) {
	var stackNames []string
	var mu sync.Mutex
	cfn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		stackNames = append(stackNames, r.Form.Get("StackName"))
		mu.Unlock()
		if r.Form.Get("Action") != "DescribeStacks" {
			http.Error(w, "unexpected "+r.Form.Get("Action"), http.StatusBadRequest)
			return
		}
		if r.Form.Get("StackName") == "missing" {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id missing does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
			return
		}
		outputs := `<member><OutputKey>AdminFunctionName</OutputKey><OutputValue>AdminFunction</OutputValue></member>`
		if r.Form.Get("StackName") == "trackly-test" {
			outputs += `<member><OutputKey>OfferSyncFunctionName</OutputKey><OutputValue>OfferSyncFunction</OutputValue></member>`
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>%s</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/x/1</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime>
<StackStatus>CREATE_COMPLETE</StackStatus><Outputs>%s</Outputs></member></Stacks></DescribeStacksResult>
<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`, r.Form.Get("StackName"), outputs)
	}))
	defer cfn.Close()
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", cfn.URL)

	contains(t, "--stack", ok(t, "--stack", "trackly-test", "integrations", "list"), "in_demo")
	contains(t, "--stack", ok(t, "--stack", "trackly-test", "offers", "list", "-i", "in_demo"), "ID", "NAME")
	t.Setenv("TRACKLY_STACK", "trackly-test")
	contains(t, "TRACKLY_STACK", ok(t, "integrations", "show", "in_demo"), "in_demo")
	os.Unsetenv("TRACKLY_STACK")

	r := trackly(t, "", "--stack", "admin-only", "offers", "list", "-i", "in_demo")
	if line := oneLine(t, r); r.code != exitFailed || !strings.Contains(line, `stack "admin-only" has no output OfferSyncFunctionName`) {
		t.Errorf("stack without the output: exit %d, %q", r.code, line)
	}
	r = trackly(t, "", "--stack", "missing", "integrations", "list")
	if line := oneLine(t, r); r.code != exitFailed || !strings.Contains(line, `read the outputs of stack "missing": ValidationError: Stack with id missing does not exist`) {
		t.Errorf("missing stack: exit %d, %q", r.code, line)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stackNames) == 0 || stackNames[0] != "trackly-test" {
		t.Errorf("DescribeStacks calls: %v", stackNames)
	}
}

// TestHelpEverywhere runs --help on every command: each has an example.
func TestHelpEverywhere(t *testing.T) {
	c := &cli{getenv: func(string) string { return "" }}
	var paths [][]string
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range cmd.Commands() {
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(c.rootCommand(), nil)
	if len(paths) < 25 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		r := tracklyAt(t, "", "", append(path, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("trackly %s --help: exit %d, no example:\n%s%s", strings.Join(path, " "), r.code, r.stdout, r.stderr)
		}
	}
	r := tracklyAt(t, "", "")
	contains(t, "trackly without arguments", r.stdout, "Administration:", "integrations", "offers", "sync-runs", "report", "conversions", "postbacks", "local", "completion")
}

func TestShellCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := tracklyAt(t, "", "", "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, "trackly") {
			t.Errorf("completion %s: exit %d, %q", shell, r.code, r.stderr)
		}
	}
	// Integration ids complete from the target's list_integrations.
	out := ok(t, "__complete", "integrations", "show", "")
	contains(t, "completing an integration", out, "in_demo\tDemo network (TUNE simulator)")
	out = ok(t, "__complete", "offers", "sync", "--integration", "")
	contains(t, "completing --integration", out, "in_demo")
	out = ok(t, "__complete", "integrations", "auto-sync", "")
	contains(t, "completing auto-sync", out, "on", "off")
	out = ok(t, "__complete", "report", "--dimension", "")
	contains(t, "completing --dimension", out, "message", "offer", "campaign", "account")
}

// TestPayloadsMatchEvents checks that trackly sends exactly the sample
// payloads of events/ (what `aws lambda invoke --payload fileb://events/…`
// sends): one contract, no second path.
func TestPayloadsMatchEvents(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	var functions []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("payload is not JSON: %s", body)
		}
		mu.Lock()
		got = append(got, m)
		functions = append(functions, strings.Split(r.URL.Path, "/")[3])
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer fake.Close()

	cases := map[string]struct {
		stdin string
		args  []string
	}{
		"admin-create-integration.json": {"REPLACE_WITH_YOUR_TUNE_API_KEY\n", []string{"integrations", "add", "--account", "demo", "--name", "My TUNE network",
			"--network-id", "mynetwork", "--api-domain", "api.hasoffers.com", "--key-kind", "affiliate", "--api-key-stdin", "--click-param", "aff_sub",
			"--currency", "USD", "--attribution-window", "30", "--rate-limit", "50", "--auto-sync", "--sync-frequency", "hourly"}},
		"admin-create-link.json": {"", []string{"links", "create", "--account", "demo", "--integration", "in_demo", "--offer", "1",
			"--message", "sms-2026-11-24-001", "--campaign", "black-friday"}},
		"admin-get-integration.json": {"", []string{"integrations", "show", "in_demo"}},
		"admin-get-conversion.json":  {"", []string{"conversions", "show", "-i", "in_demo", "--goal", "0", "tx-demo"}},
		"admin-change-conversion.json": {"", []string{"conversions", "change", "-i", "in_demo", "tx-demo", "--status", "approved",
			"--note", "approved by the advertiser, ticket 4411"}},
		"admin-get-link.json":                             {"", []string{"links", "show", "demo"}},
		"admin-list-conversions.json":                     {"", []string{"conversions", "list", "--account", "demo", "--limit", "50"}},
		"admin-list-integrations.json":                    {"", []string{"integrations", "list", "--account", "demo"}},
		"admin-list-orphans.json":                         {"", []string{"conversions", "orphans", "--account", "demo"}},
		"admin-list-postbacks.json":                       {"", []string{"postbacks", "list", "--day", "2026-11-24", "--outcome", "rejected", "--limit", "50"}},
		"admin-postback-url.json":                         {"", []string{"integrations", "postback-url", "in_demo"}},
		"admin-report.json":                               {"", []string{"report", "--account", "demo", "--dimension", "message", "--from", "2026-11-01", "--to", "2026-11-30", "--by-day=false"}},
		"admin-rotate-postback-token.json":                {"", []string{"integrations", "rotate-token", "in_demo"}},
		"admin-update-integration.json":                   {"", []string{"integrations", "update", "in_demo", "--auto-sync", "--sync-frequency", "15m", "--attribution-window", "14"}},
		"offersync-import-offers-filter.json":             {"", []string{"offers", "import", "-i", "in_demo", "--status", "active", "--search", "vpn"}},
		"offersync-import-offers.json":                    {"", []string{"offers", "import", "-i", "in_demo", "--offer", "1,2,3", "--offer", "4", "--offer", "5"}},
		"offersync-list-offers.json":                      {"", []string{"offers", "list", "-i", "in_demo", "--include-removed=false", "--limit", "50"}},
		"offersync-list-remote-offers.json":               {"", []string{"offers", "remote", "-i", "in_demo", "--status", "active", "--search", "vpn", "--page", "1", "--limit", "50"}},
		"offersync-list-sync-runs.json":                   {"", []string{"sync-runs", "list", "-i", "in_demo", "--limit", "20"}},
		"offersync-sync-due.json":                         {"", []string{"sync", "due"}},
		"offersync-schedule.json":                         {"", []string{"sync", "due"}}, // the schedule's Input: the same payload
		"offersync-sync-offers.json":                      {"", []string{"offers", "sync", "-i", "in_demo"}},
		"offersync-test-connection.json":                  {"", []string{"integrations", "test", "in_demo"}},
		"reconciliation-reconcile-conversions.json":       {"", []string{"conversions", "reconcile", "-i", "in_demo"}},
		"reconciliation-reconcile-conversions-range.json": {"", []string{"conversions", "reconcile", "-i", "in_demo", "--from", "2026-11-18", "--to", "2026-11-24"}},
		"reconciliation-list-runs.json":                   {"", []string{"conversions", "runs", "-i", "in_demo", "--limit", "20"}},
		"reconciliation-reconcile-due.json":               {"", []string{"sync", "reconcile-due"}},
		"reconciliation-schedule.json":                    {"", []string{"sync", "reconcile-due"}}, // the schedule's Input: the same payload
	}
	alsoSent := map[string][]string{ // actions without a sample: the CLI command that sends them
		"update_integration": {"integrations", "auto-sync", "on", "-i", "in_demo", "--frequency", "6h"},
	}
	seen := map[string]bool{}
	for _, sample := range localruntest.AdminSamples(t) {
		name := sample.Name
		var want map[string]any
		if err := json.Unmarshal(sample.Raw, &want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tc, ok := cases[name]
		if !ok {
			t.Errorf("%s (action %s) has no trackly command in this test: add one", name, sample.Action)
			continue
		}
		seen[name] = true
		mu.Lock()
		got, functions = nil, nil
		mu.Unlock()
		r := tracklyAt(t, fake.URL, tc.stdin, append(tc.args, "-o", "json")...)
		mu.Lock()
		if len(got) != 1 {
			t.Errorf("%s: trackly %s sent %d payloads (exit %d, %s)", name, strings.Join(tc.args, " "), len(got), r.code, r.stderr)
		} else if !reflect.DeepEqual(got[0], want) {
			t.Errorf("%s: trackly %s sent\n%v\nwant\n%v", name, strings.Join(tc.args, " "), got[0], want)
		} else if functions[0] != sample.Function {
			t.Errorf("%s: invoked %s, want %s", name, functions[0], sample.Function)
		}
		mu.Unlock()
	}
	for name := range cases {
		if !seen[name] {
			t.Errorf("case %s has no file under events/", name)
		}
	}
	for action, args := range alsoSent {
		mu.Lock()
		got = nil
		mu.Unlock()
		tracklyAt(t, fake.URL, "", append(args, "-o", "json")...)
		mu.Lock()
		if len(got) != 1 || got[0]["action"] != action {
			t.Errorf("trackly %s sent %v", strings.Join(args, " "), got)
		}
		mu.Unlock()
	}
}

// TestLocalCommand runs `trackly local` (what `make run` runs) until interrupted.
func TestLocalCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb localruntest.Buffer
	code := make(chan int, 1)
	go func() {
		code <- runContext(ctx, []string{"local", "--template", "../../template.yaml", "--http", "127.0.0.1:0", "--invoke", "127.0.0.1:0",
			"--tune", "127.0.0.1:0", "--data", t.TempDir(), "--tune-offers", "10"}, strings.NewReader(""), &out, &errb)
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops everything") {
		select {
		case c := <-code:
			t.Fatalf("trackly local exited %d:\n%s\n%s", c, out.String(), errb.String())
		case <-deadline:
			t.Fatalf("trackly local did not start:\n%s\n%s", out.String(), errb.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	contains(t, "trackly local", out.String(), "Lambda Invoke API", "Demo account \"demo\", integration \"in_demo\"")
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("trackly local exited %d after the interrupt: %s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("trackly local did not stop")
	}
}
