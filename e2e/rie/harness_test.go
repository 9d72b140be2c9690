package rie_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/bench"
	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/dev/samcheck"
	"github.com/trackly/tune-integration/internal/secrets"
)

const root = "../.."

var functionIDs = []string{"PostbackFunction", "ClickFunction", "AttributionFunction", "OfferSyncFunction", "ReconciliationFunction", "AdminFunction", "ReportsFunction"}

// buildFlags are the Makefile's compile flags: the packages compiled once with them serve every
// `make build-<LogicalId>` that follows.
var buildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false"}

// world is the local system, and every function's bootstrap running under the emulator beside it.
type world struct {
	sys       *localruntest.System
	functions map[string]*emulated
	recorder  *samcheck.Recorder
	// rie is the emulator's binary, bootstraps the bootstraps by logical ID, and env the environment
	// each function runs with.
	rie        string
	bootstraps map[string]string
	env        map[string]map[string]string
	// ssm serves SSM Parameter Store to the bootstraps, from the parameters under ssmPrefix in ssmDir.
	ssm       http.Handler
	ssmDir    *secrets.Dir
	ssmPrefix string
}

// emulated is one bootstrap running under the Runtime Interface Emulator.
type emulated struct {
	id   string
	url  string // the emulator's invocation endpoint
	cmd  *exec.Cmd
	logs *localruntest.Buffer // what the emulator and the bootstrap print
	http *http.Client
}

// startWorld builds the bootstraps, starts the local system with its demo account, and starts
// every bootstrap under the emulator with the template's environment.
func startWorld(t *testing.T) *world {
	t.Helper()
	if testing.Short() {
		t.Skip("builds every bootstrap and runs it under the Runtime Interface Emulator; -short skips it")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("the bootstraps are linux binaries and the Runtime Interface Emulator runs on Linux, not %s", runtime.GOOS)
	}
	start := time.Now()

	// The local system starts while the emulator and the bootstraps build, and closes at cleanup
	// however the test ends.
	var sys *localruntest.System
	started := make(chan error, 1)
	logger := localruntest.Logger(t)
	go func() {
		var err error
		sys, err = localruntest.New(localrun.Options{Logger: logger})
		started <- err
	}()
	startErr := sync.OnceValue(func() error { return <-started })
	t.Cleanup(func() {
		if startErr() != nil {
			return
		}
		if err := sys.Close(); err != nil {
			t.Errorf("close local system: %v", err)
		}
	})
	rie := emulatorPath(t)
	bootstraps := buildBootstraps(t)
	if err := startErr(); err != nil {
		t.Fatalf("start local system: %v", err)
	}
	tmpl := sys.Cloud.Template()
	w := &world{sys: sys, functions: map[string]*emulated{}, recorder: samcheck.NewRecorder(tmpl.Partition, tmpl.Region, tmpl.AccountID),
		rie: rie, bootstraps: bootstraps, env: map[string]map[string]string{}}

	// DynamoDB and SQS: the local cloud's, through a proxy that records each function's calls.
	proxy, err := w.recorder.Proxy(sys.Cloud.AWSEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	aws := httptest.NewServer(proxy)
	t.Cleanup(aws.Close)
	// SSM Parameter Store: the local system's secrets as parameters under the template's prefix,
	// except the click signing key, which the first bootstrap to need it creates, as in AWS.
	prefix := tmpl.Functions["ClickFunction"].Environment["SECRETS_PARAMETER_PREFIX"]
	ssmDir, err := secrets.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := bench.CopySecrets(context.Background(), filepath.Join(sys.DataDir, "secrets"), ssmDir, prefix, "click-signing-key"); err != nil {
		t.Fatal(err)
	}
	w.ssm, w.ssmDir, w.ssmPrefix = w.recorder.SSM(ssmDir), ssmDir, prefix
	ssm := httptest.NewServer(w.ssm)
	t.Cleanup(ssm.Close)

	for _, id := range functionIDs {
		f := tmpl.Functions[id]
		env := sys.Cloud.FunctionEnv(id)
		delete(env, "SECRETS_DIR") // secrets come from SSM, as in AWS
		delete(env, "AWS_SESSION_TOKEN")
		env["AWS_ENDPOINT_URL_DYNAMODB"] = aws.URL
		env["AWS_ENDPOINT_URL_SQS"] = aws.URL
		env["AWS_ENDPOINT_URL_SSM"] = ssm.URL
		env["AWS_ACCESS_KEY_ID"] = id // tells the recorder who calls
		env["AWS_SECRET_ACCESS_KEY"] = "rie"
		env["AWS_EC2_METADATA_DISABLED"] = "true"
		env["AWS_CONFIG_FILE"] = os.DevNull
		env["AWS_SHARED_CREDENTIALS_FILE"] = os.DevNull
		env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(int(f.Timeout / time.Second))
		w.env[id] = env
		w.functions[id] = startEmulator(t, rie, bootstraps[id], id, env, f.Timeout)
	}
	t.Logf("world ready in %v", time.Since(start).Round(time.Millisecond))
	return w
}

// emulatorPath returns the Runtime Interface Emulator pinned in go.mod, built by `go tool`.
func emulatorPath(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "tool", "-n", "aws-lambda-rie")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go tool -n aws-lambda-rie: %v (is the tool in go.mod?)", err)
	}
	path := strings.TrimSpace(string(out))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("go tool -n aws-lambda-rie printed %q: %v", path, err)
	}
	return path
}

// buildBootstraps builds every function with its Makefile target for this machine's
// architecture, two at a time, and returns the bootstraps by logical ID.
func buildBootstraps(t *testing.T) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	start := time.Now()
	dir := t.TempDir()
	// Compile the shared packages once, with the Makefile's flags; each target then only links.
	warm := exec.Command("go", append(append([]string{"build"}, buildFlags...), "./functions/...")...)
	warm.Dir = root
	warm.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := warm.CombinedOutput(); err != nil {
		t.Fatalf("go build ./functions/...: %v\n%s", err, out)
	}
	out := map[string]string{}
	errs := make([]error, len(functionIDs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, id := range functionIDs {
		artifacts := filepath.Join(dir, id)
		out[id] = filepath.Join(artifacts, "bootstrap")
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command("make", "--no-print-directory", "-C", root, "build-"+id, "LAMBDA_ARCH="+runtime.GOARCH)
			cmd.Env = append(os.Environ(), "ARTIFACTS_DIR="+artifacts)
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("make build-%s: %v\n%s", id, err, b)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("built %d bootstraps for linux/%s in %v", len(out), runtime.GOARCH, time.Since(start).Round(time.Millisecond))
	return out
}

// freeAddr returns a loopback address with a port free at the time of asking.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startEmulator runs a bootstrap under the Runtime Interface Emulator, as Lambda's provided.al2023
// image does, with exactly the given environment (nothing of this machine's leaks in).
func startEmulator(t *testing.T, rie, bootstrap, id string, env map[string]string, timeout time.Duration) *emulated {
	t.Helper()
	var logs string
	for range 3 { // a port found free may be taken before the emulator binds it
		f, out := tryEmulator(t, rie, bootstrap, id, env, timeout)
		if f != nil {
			return f
		}
		logs = out
	}
	t.Fatalf("the emulator for %s does not start:\n%s", id, logs)
	return nil
}

func tryEmulator(t *testing.T, rie, bootstrap, id string, env map[string]string, timeout time.Duration) (*emulated, string) {
	t.Helper()
	addr, runtimeAPI := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAPI, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap) // /var/task in Lambda
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &localruntest.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	bench.OwnProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the emulator for %s: %v", id, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		bench.KillGroup(cmd)
		<-exited
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-exited:
			return nil, logs.String()
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, logs.String()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("%s under the emulator printed:\n%s", id, tail(logs.String(), 60))
		}
	})
	return &emulated{id: id, url: "http://" + addr + "/2015-03-31/functions/function/invocations", cmd: cmd, logs: logs,
		http: &http.Client{Timeout: timeout + 15*time.Second}}, ""
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// invoke sends one event to the bootstrap through the emulator's Invoke endpoint and returns the
// function's answer, or the function error ({"errorType", "errorMessage"}) it reported.
func (f *emulated) invoke(t *testing.T, payload []byte) (answer []byte, functionError *functionErr) {
	t.Helper()
	res, err := f.http.Post(f.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("invoke %s: %v\n%s", f.id, err, tail(f.logs.String(), 30))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("invoke %s: the emulator answered %s: %s\n%s", f.id, res.Status, body, tail(f.logs.String(), 30))
	}
	var fe functionErr
	if json.Unmarshal(body, &fe) == nil && fe.Type != "" && fe.Message != "" {
		return nil, &fe
	}
	return body, nil
}

// mustInvoke invokes and fails the test on a function error.
func (f *emulated) mustInvoke(t *testing.T, payload []byte, out any) []byte {
	t.Helper()
	answer, fe := f.invoke(t, payload)
	if fe != nil {
		t.Fatalf("%s answered a function error %s: %s", f.id, fe.Type, fe.Message)
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			t.Fatalf("%s answered %s: %v", f.id, answer, err)
		}
	}
	return answer
}

type functionErr struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}
