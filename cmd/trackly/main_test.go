package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

// The local system every end-to-end test of the CLI talks to, started once: the
// localrun.System of a localruntest.System, whose Invoke takes a context.
var (
	sys     *localrun.System
	dataDir string
)

// apiKeys are values that must never appear in trackly's output.
var apiKeys = []string{localrun.DemoAffiliateKey, "cli-test-key-0123456789", "wrong-key-0123456789", "REPLACE_WITH_YOUR_TUNE_API_KEY"}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	isolateEnvironment()
	s, err := localruntest.New(localrun.Options{TUNEOffers: 50})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the local system:", err)
		return 1
	}
	defer s.Close()
	sys, dataDir = s.System, s.DataDir
	return m.Run()
}

// isolateEnvironment keeps the developer's AWS and trackly settings out of the tests.
func isolateEnvironment() {
	for _, v := range []string{
		"TRACKLY_LOCAL", "TRACKLY_STACK", apiKeyEnv, "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_CLOUDFORMATION",
	} {
		os.Unsetenv(v)
	}
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(os.TempDir(), "trackly-test-no-aws-config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(os.TempDir(), "trackly-test-no-aws-credentials"))
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// result is one run of trackly.
type result struct {
	stdout, stderr string
	code           int
}

// trackly runs the CLI against the local system (unless args choose a target) with stdin.
func trackly(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return tracklyAt(t, sys.Cloud.InvokeURL(), stdin, args...)
}

// tracklyAt runs the CLI with --endpoint-url endpoint ("" for none).
func tracklyAt(t *testing.T, endpoint, stdin string, args ...string) result {
	t.Helper()
	if endpoint != "" {
		args = append([]string{"--endpoint-url", endpoint}, args...)
	}
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	r := result{stdout: out.String(), stderr: errb.String(), code: code}
	for _, s := range apiKeys {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Errorf("trackly %s printed the API key %q:\n%s%s", strings.Join(args, " "), s, r.stdout, r.stderr)
		}
	}
	return r
}

// ok runs trackly and requires success.
func ok(t *testing.T, args ...string) string {
	t.Helper()
	r := trackly(t, "", args...)
	if r.code != 0 {
		t.Fatalf("trackly %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// contains requires every want in got.
func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: want %q in:\n%s", what, w, got)
		}
	}
}

// oneLine requires stderr to be exactly one line starting with "trackly: ".
func oneLine(t *testing.T, r result) string {
	t.Helper()
	if !strings.HasPrefix(r.stderr, "trackly: ") || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("want one line \"trackly: ...\" on stderr, got %q", r.stderr)
	}
	return strings.TrimSpace(r.stderr)
}
