// Package bench measures the system side by side with what it is built from, in one run on one
// machine: each path (postback ingest, attribution, taps) against the raw AWS calls it makes on the
// same engine, and each function's cold start under AWS's Runtime Interface Emulator against a
// hello-world bootstrap built the same way. `make bench` runs its benchmark and prints the Table;
// docs/performance.md says how to read it.
//
// This file holds the cold start half: building the bootstraps as `sam build` does, and timing a
// bootstrap's first invocation under the emulator.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

// The names Build gives the hello-world bootstraps: Hello (./dev/bench/hello) answers at once;
// SDKHello (./dev/bench/sdkhello) first loads the AWS configuration and makes the clients the
// functions use, as their init does.
const (
	Hello    = "hello world"
	SDKHello = "SDK hello world"
)

// helloPackages are the hello-world bootstraps' packages, relative to the module's root.
var helloPackages = map[string]string{Hello: "./dev/bench/hello", SDKHello: "./dev/bench/sdkhello"}

// Build builds, under dir, the bootstrap of each named function with its Makefile target
// (`make build-<LogicalId>`, as `sam build` runs it) for linux on this machine's architecture, and
// the hello-world bootstraps with the very command make runs for the first of them, its package
// replaced: the same compiler flags (lambda.norpc, -trimpath, -ldflags "-s -w"). root is the
// module's root. It returns each bootstrap's path by logical ID, the hello worlds' under Hello and
// SDKHello.
func Build(ctx context.Context, root, dir string, functions []string) (map[string]string, error) {
	if len(functions) == 0 {
		return nil, errors.New("no function to build")
	}
	vars := func(name string) []string {
		return []string{"--no-print-directory", "-C", root, "LAMBDA_ARCH=" + runtime.GOARCH, "ARTIFACTS_DIR=" + filepath.Join(dir, name)}
	}
	out := map[string]string{}
	for _, id := range functions {
		cmd := exec.CommandContext(ctx, "make", append(vars(id), "build-"+id)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("make build-%s: %w\n%s", id, err, b)
		}
		out[id] = filepath.Join(dir, id, "bootstrap")
	}

	// The hello worlds: what `make -n` prints for the first function, on their own packages.
	pkg := " ./functions/" + strings.ToLower(strings.TrimSuffix(functions[0], "Function")) + "\n"
	for name, helloPkg := range helloPackages {
		subdir := strings.ReplaceAll(name, " ", "-")
		printed, err := exec.CommandContext(ctx, "make", append(vars(subdir), "-n", "build-"+functions[0])...).Output()
		if err != nil {
			return nil, fmt.Errorf("make -n build-%s: %w", functions[0], err)
		}
		script := string(printed)
		if !strings.Contains(script, pkg) {
			return nil, fmt.Errorf("make -n build-%s does not build%s:\n%s", functions[0], strings.TrimSuffix(pkg, "\n"), script)
		}
		script = strings.Replace(script, pkg, " "+helloPkg+"\n", 1)
		cmd := exec.CommandContext(ctx, "sh", "-e", "-c", script)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build the %s (%s): %w\n%s", name, script, err, b)
		}
		out[name] = filepath.Join(dir, subdir, "bootstrap")
	}
	return out, nil
}

// EmulatorPath returns the Runtime Interface Emulator pinned in the module's go.mod (a tool run
// with `go tool`), built if need be. root is the module's root.
func EmulatorPath(ctx context.Context, root string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "-n", "aws-lambda-rie")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n aws-lambda-rie: %w", err)
	}
	path := strings.TrimSpace(string(out))
	if _, err := os.Stat(path); err != nil {
		return "", err
	}
	return path, nil
}

// ColdStart is one cold start of a bootstrap under the emulator.
type ColdStart struct {
	// Time runs from the emulator's start to the first invocation's answer: the emulator's own start,
	// then the bootstrap's start, its init and its first invocation.
	Time time.Duration
	// Invocation runs from the first invocation's request to its answer. The emulator starts the
	// bootstrap when that invocation comes, so this is the bootstrap's start, its init and its first
	// invocation (what Lambda reports as Init Duration plus Duration), without the emulator's start.
	Invocation time.Duration
	// Answer is the first invocation's answer.
	Answer []byte
	// Output is what the emulator and the bootstrap printed.
	Output string
}

// Emulator starts bootstraps under AWS's Runtime Interface Emulator, as Lambda's provided.al2023
// image does.
type Emulator struct {
	// Path is the emulator's binary (see EmulatorPath).
	Path string
}

// invoker sends the invocations: a cold start's answer may take a function's whole timeout.
var invoker = &http.Client{Timeout: 5 * time.Minute}

// ColdStart starts a new emulator for bootstrap with exactly env as its environment, invokes it
// once with payload as soon as it listens, and stops it with the bootstrap.
func (e *Emulator) ColdStart(ctx context.Context, bootstrap string, env map[string]string, payload []byte) (ColdStart, error) {
	var errs []error
	for range 3 { // a port found free may be taken before the emulator binds it
		start := time.Now()
		p, err := e.start(ctx, bootstrap, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cs, err := p.invoke(ctx, payload)
		cs.Time = time.Since(start)
		p.stop()
		cs.Output = p.output.String()
		return cs, err
	}
	return ColdStart{}, errors.Join(errs...)
}

// emulated is an emulator process and what it printed.
type emulated struct {
	cmd    *exec.Cmd
	addr   string
	output *localruntest.Buffer
	exited chan struct{}
}

func (e *Emulator) start(ctx context.Context, bootstrap string, env map[string]string) (*emulated, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	runtimeAPI, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(e.Path, "--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAPI, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap) // /var/task in Lambda
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &emulated{cmd: cmd, addr: addr, output: &localruntest.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	OwnProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	// Both the invocation endpoint and the Runtime API: the emulator may start the bootstrap on an
	// invocation before its Runtime API listens, and the bootstrap then exits.
	deadline := time.Now().Add(15 * time.Second)
	for listening := []string{addr, runtimeAPI}; ; {
		conn, err := net.DialTimeout("tcp", listening[0], time.Second)
		if err == nil {
			conn.Close()
			if listening = listening[1:]; len(listening) == 0 {
				return p, nil
			}
			continue
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("the emulator exited before it listened:\n%s", tail(p.output.String(), 30))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("the emulator does not listen on %s:\n%s", addr, tail(p.output.String(), 30))
		}
	}
}

func (p *emulated) stop() {
	KillGroup(p.cmd)
	<-p.exited
}

// invoke sends the first invocation and times it.
func (p *emulated) invoke(ctx context.Context, payload []byte) (ColdStart, error) {
	url := "http://" + p.addr + "/2015-03-31/functions/function/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return ColdStart{}, err
	}
	req.Close = true // the emulator goes away with the invocation
	start := time.Now()
	res, err := invoker.Do(req)
	if err != nil {
		return ColdStart{}, fmt.Errorf("invoke: %w", err)
	}
	answer, err := io.ReadAll(res.Body)
	res.Body.Close()
	cs := ColdStart{Invocation: time.Since(start), Answer: answer}
	if err != nil {
		return cs, fmt.Errorf("read the answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return cs, fmt.Errorf("the emulator answered %s: %s", res.Status, answer)
	}
	return cs, nil
}

// Median returns the median of ds (the mean of the middle two for an even count), 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// freeAddr returns a loopback address with a port free at the time of asking.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}
