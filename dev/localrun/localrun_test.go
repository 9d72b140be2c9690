package localrun_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/dynamodblocal"
	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

// welcome returns what a system prints when it starts.
func welcome(s *localruntest.System) string {
	var b bytes.Buffer
	s.PrintWelcome(&b)
	return b.String()
}

// command returns the command of the welcome's line that holds marker, with the lines it continues
// on (a line ending in a backslash) joined.
func command(t *testing.T, text, marker string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if !strings.Contains(line, marker) {
			continue
		}
		cmd := strings.TrimSpace(line)
		for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(lines[i])
		}
		return cmd
	}
	t.Fatalf("no command with %q in the welcome:\n%s", marker, text)
	return ""
}

// TestWelcomeCommandsWork pastes the welcome's commands into a shell, as a newcomer does: without
// an AWS configuration (no region, no credentials), with the AWS CLI found on PATH, v1 or v2.
func TestWelcomeCommandsWork(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "aws"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	s := localruntest.Start(t, localrun.Options{})
	text := welcome(s)
	script := strings.Join([]string{
		"set -eu",
		command(t, text, "CLICK=$(curl"),
		`test -n "$CLICK"`,
		command(t, text, "/api/postbacks/tune?"),
		"echo",
		command(t, text, "| aws lambda invoke"),
		"echo",
		command(t, text, "curl -s -X PATCH"),
	}, "\n")
	home := t.TempDir()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = home
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-credentials")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the welcome's commands failed: %v\n%s\n\nscript:\n%s", err, out, script)
	}
	// The demo's seeded tap (its conversion only TUNE's report had) is counted; the welcome's tap
	// may not be yet, the report following the clicks' stream about a second behind.
	for _, want := range []string{`"status":"accepted"`, `"account_id":"demo"`, `"pending_conversions":1,`, `"StatusCode": 200`, `{"event_id":`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("want %s in what the commands printed:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`"total":\{"clicks":[12],`).Match(out) {
		t.Errorf("want the demo's click (and maybe the welcome's) in the report the commands printed:\n%s", out)
	}
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("the commands left %s in the working directory", e.Name())
	}
	if trackly := command(t, text, "cmd/trackly report"); !strings.Contains(trackly, "--endpoint-url "+s.Cloud.InvokeURL()) {
		t.Errorf("on another port than 3001, the report command must name it: %s", trackly)
	}

	// The tour's reconciliation, as `trackly conversions reconcile` sends it, finds the conversion
	// the simulator now has approved.
	s.MustInvoke(t, "ReconciliationFunction", map[string]any{"action": "reconcile_conversions", "integration_id": s.Demo.IntegrationID}, nil)
	var c struct {
		Status  string `json:"status"`
		Version int    `json:"version"`
	}
	s.MustInvoke(t, "AdminFunction", map[string]any{"action": "get_conversion", "integration_id": s.Demo.IntegrationID, "conversion_id": s.Demo.ConversionID}, &c)
	if c.Status != "approved" || c.Version != 2 {
		t.Errorf("the demo's conversion after the tour: %+v, want approved at version 2", c)
	}
}

// TestWelcomeSaysWhatItUses starts a system on a DynamoDB of AWS_ENDPOINT_URL_DYNAMODB: the
// welcome names that DynamoDB and does not claim to keep the tables itself.
func TestWelcomeSaysWhatItUses(t *testing.T) {
	ddb, err := dynamodblocal.Shared(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb.URL())
	dataDir := t.TempDir()
	s := localruntest.Start(t, localrun.Options{DataDir: dataDir, KeepData: true})
	text := welcome(s)
	words := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"DynamoDB            " + ddb.URL() + "      (AWS_ENDPOINT_URL_DYNAMODB)", "tables are kept by the DynamoDB at " + ddb.URL()} {
		if !strings.Contains(text, want) && !strings.Contains(words, want) {
			t.Errorf("want %q in the welcome:\n%s", want, text)
		}
	}
	for _, wrong := range []string{"no AWS", "DynamoDB Local", filepath.Join(dataDir, "dynamodb")} {
		if strings.Contains(text, wrong) {
			t.Errorf("the welcome says %q, but DynamoDB is the one at %s:\n%s", wrong, ddb.URL(), text)
		}
	}
}
