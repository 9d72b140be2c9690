package main

import (
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/adminapi"
	domain "github.com/trackly/tune-integration/internal/trackly"
)

func TestAutoSyncTakesTheIntegrationAsArgument(t *testing.T) {
	in := uid("in_cli_autosync")
	ensureIntegration(t, in, localrun.DemoAffiliateKey)

	out := ok(t, "integrations", "auto-sync", "on", in, "--frequency", "6h")
	contains(t, "auto-sync on INTEGRATION", out, in, "every 6h")
	contains(t, "auto-sync off INTEGRATION", ok(t, "integrations", "auto-sync", "off", in), "Auto-sync    off")
	contains(t, "auto-sync on -i INTEGRATION", ok(t, "integrations", "auto-sync", "on", "-i", in), in)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"integrations", "auto-sync", "on"}, "which integration? pass --integration ID"},
		{[]string{"integrations", "auto-sync", "on", in, "-i", "in_other"}, `the integration is "` + in + `" or "in_other"? pass it once`},
		{[]string{"integrations", "auto-sync", "on", in, "extra"}, "say on or off"},
	} {
		r := trackly(t, "", tc.args...)
		if line := oneLine(t, r); r.code != exitUsage || !strings.Contains(line, tc.want) {
			t.Errorf("trackly %s: exit %d, %q; want exit 2 and %q", strings.Join(tc.args, " "), r.code, line, tc.want)
		}
	}
}

// TestFailurePrintedOnce checks that a failure's message is printed once: on stderr, as the
// error trackly exits 1 with, and not also in the table on stdout.
func TestFailurePrintedOnce(t *testing.T) {
	t.Run("a failed connection test", func(t *testing.T) {
		in := uid("in_cli_once_key")
		ensureIntegration(t, in, "wrong-key-0123456789")
		r := trackly(t, "", "integrations", "test", in)
		if line := oneLine(t, r); r.code != exitFailed || !strings.Contains(line, "is not authenticated") {
			t.Fatalf("exit %d, %q", r.code, line)
		}
		if n := strings.Count(r.stdout+r.stderr, "is not authenticated"); n != 1 {
			t.Errorf("the failure is printed %d times:\n%s%s", n, r.stdout, r.stderr)
		}
		contains(t, "the failed test's table", r.stdout, "FAILED", "key_rejected", "Hint")
	})

	t.Run("a failed sync", func(t *testing.T) {
		in := uid("in_cli_once_sync")
		ensureIntegration(t, in, localrun.DemoAffiliateKey)
		ok(t, "offers", "import", "-i", in, "--offer", "1")
		sys.TUNE.FailNext(tunesim.FailIPRefused, 1)
		r := trackly(t, "", "offers", "sync", "-i", in)
		if line := oneLine(t, r); r.code != exitFailed || !strings.Contains(line, "not white-listed") {
			t.Fatalf("exit %d, %q", r.code, line)
		}
		if n := strings.Count(r.stdout+r.stderr, "not white-listed"); n != 1 {
			t.Errorf("the failure is printed %d times:\n%s%s", n, r.stdout, r.stderr)
		}
		contains(t, "the failed run's table", r.stdout, "failed", "ip_refused")
	})

	t.Run("failed scheduled syncs", func(t *testing.T) {
		const msg = "tune: Offer::findAll: ip_refused: API call refused"
		endpoint := fakeFunctions(t, func(adminapi.Action) any {
			return adminapi.DueResult{Due: 2, Runs: []adminapi.SyncRun{
				{Run: domain.Run{IntegrationID: "in_a", RunID: "sr_a", Status: domain.SyncFailed, Error: msg, ErrorKind: "ip_refused"}},
				{Run: domain.Run{IntegrationID: "in_b", RunID: "sr_b", Status: domain.SyncSucceeded}},
			}}
		})
		r := tracklyAt(t, endpoint, "", "sync", "due")
		if line := oneLine(t, r); r.code != exitFailed || !strings.Contains(line, "1 of 2 syncs failed: in_a") {
			t.Fatalf("exit %d, %q", r.code, line)
		}
		if n := strings.Count(r.stdout+r.stderr, "API call refused"); n != 1 {
			t.Errorf("the failure is printed %d times:\n%s%s", n, r.stdout, r.stderr)
		}
		r = tracklyAt(t, endpoint, "", "sync", "due", "-o", "json")
		if line := oneLine(t, r); r.code != exitFailed || line != "trackly: 1 of 2 syncs failed: in_a" {
			t.Errorf("with -o json: exit %d, %q", r.code, line)
		}
	})
}

func TestEmptyPostbackListNamesTheOutcome(t *testing.T) {
	out := ok(t, "postbacks", "list", "--day", "2020-01-31", "--outcome", "rejected")
	if strings.TrimSpace(out) != "No rejected postbacks on 2020-01-31." {
		t.Errorf("postbacks list --outcome rejected on a day without any: %q", out)
	}
	out = ok(t, "postbacks", "list", "--day", "2020-01-31")
	if strings.TrimSpace(out) != "No postbacks on 2020-01-31." {
		t.Errorf("postbacks list on a day without any: %q", out)
	}
}

func TestSyncJSONShowsZeroCounters(t *testing.T) {
	in := uid("in_cli_zero")
	ensureIntegration(t, in, localrun.DemoAffiliateKey)
	ok(t, "offers", "import", "-i", in, "--offer", "1")
	run := decode[map[string]any](t, ok(t, "offers", "sync", "-i", in, "-o", "json"))
	for _, k := range []string{"pages", "offers_seen", "offers_new", "offers_changed", "offers_unchanged", "offers_removed",
		"offers_restored", "offers_failed", "tune_calls"} {
		if _, ok := run[k].(float64); !ok {
			t.Errorf("sync_offers JSON: counter %q is %v, want a number even when zero", k, run[k])
		}
	}
	for _, k := range []string{"run_key", "expires_at", "resume_after_id", "removal_candidates"} {
		if _, ok := run[k]; ok {
			t.Errorf("sync_offers JSON shows the stored field %q", k)
		}
	}
}

func TestConnectionTestRateLimitHint(t *testing.T) {
	in := uid("in_cli_ratelimit")
	ensureIntegration(t, in, localrun.DemoAffiliateKey)
	sys.TUNE.FailNext(tunesim.FailRateLimit, 1)
	r := trackly(t, "", "integrations", "test", in, "-o", "json")
	res := decode[adminapi.ConnectionResult](t, r.stdout)
	if r.code != exitFailed || res.Cause != "rate_limited" {
		t.Fatalf("exit %d, cause %q", r.code, res.Cause)
	}
	if strings.Contains(res.Hint, "back-off") || !strings.Contains(res.Hint, "one call") {
		t.Errorf("the hint of a test that made one call, without retrying: %q", res.Hint)
	}
}
