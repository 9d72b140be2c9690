package sam_test

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/samcheck"
	"github.com/trackly/tune-integration/internal/secrets"
)

// localOnly are variables the code reads that only local runs set; the template must not.
var localOnly = []string{"SECRETS_DIR"}

// TestEveryVariableTheCodeReadsIsSet starts each function as Lambda would (its app factory, with
// the template's environment and SSM for secrets) and records every variable it reads: each must
// be set by the template for that function, and each variable the template sets must be read by
// some function. The calls the functions make while starting (creating the click signing key in
// SSM) must be allowed by their policies.
func TestEveryVariableTheCodeReadsIsSet(t *testing.T) {
	tmpl := template(t)
	rec := samcheck.NewRecorder(tmpl.Partition, tmpl.Region, tmpl.AccountID)
	readBy := map[string][]string{}
	for id, factory := range localrun.Functions() {
		f := tmpl.Functions[id]
		if f == nil {
			t.Errorf("no %s in the template", id)
			continue
		}
		env := f.Environment
		var mu sync.Mutex
		read := map[string]bool{}
		getenv := func(name string) string {
			mu.Lock()
			defer mu.Unlock()
			read[name] = true
			return env[name]
		}
		// Each function starts on an empty Parameter Store, so each creates the click signing key
		// it needs (GetParameter, then PutParameter) as the first function to start in AWS does.
		dir, err := secrets.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		ssm := httptest.NewServer(rec.SSM(dir))
		defer ssm.Close()
		cfg := aws.Config{
			Region:       tmpl.Region,
			Credentials:  credentials.NewStaticCredentialsProvider(id, "secret", ""),
			BaseEndpoint: aws.String(ssm.URL),
		}
		if _, err := factory(context.Background(), cfg, getenv); err != nil {
			t.Errorf("%s does not start with the template's environment: %v", id, err)
		}
		for _, name := range slices.Sorted(maps.Keys(read)) {
			readBy[name] = append(readBy[name], id)
			_, set := env[name]
			switch {
			case slices.Contains(localOnly, name) && set:
				t.Errorf("%s: the template sets %s, which only local runs may set", id, name)
			case !slices.Contains(localOnly, name) && !set:
				t.Errorf("%s reads %s, which the template does not set for it", id, name)
			}
		}
	}
	for id, f := range tmpl.Functions {
		for name := range f.Environment {
			if len(readBy[name]) == 0 {
				t.Errorf("the template sets %s for %s, but no function reads it", name, id)
			}
		}
	}

	// ClickFunction, PostbackFunction and ReconciliationFunction load the click signing key in the
	// background as they start (getting it, then creating it on an empty Parameter Store): wait for
	// the three loads, which write to the test's directories.
	keyLoaders := []string{"ClickFunction", "PostbackFunction", "ReconciliationFunction"}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		done := map[string]bool{}
		for _, r := range rec.Requests() {
			if r.Action == "ssm:PutParameter" {
				done[r.Principal] = true
			}
		}
		if !slices.ContainsFunc(keyLoaders, func(id string) bool { return !done[id] }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s, the functions that created the click signing key as they started: %v; want %v", done, keyLoaders)
		}
	}

	policies := map[string][]samcheck.Statement{}
	for id := range tmpl.Functions {
		var err error
		if policies[id], err = samcheck.FunctionPolicies(tmpl, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, denied := range samcheck.Denied(policies, rec.Requests()) {
		t.Errorf("at start: %s", denied)
	}
	for _, p := range rec.Problems() {
		t.Errorf("unreadable call: %s", p)
	}
	if len(rec.Requests()) == 0 {
		t.Error("no function read a secret while starting; was the click signing key moved?")
	}
}

// TestEveryVariableNamedInTheWiringIsSet reads internal/app's source: every variable a function's
// wiring names (see wiring.variables: its Required list, and the upper-case names passed to
// Getenv, IntEnv, require… by its Build func, the helpers it calls and the shared wiring it uses)
// must be set by the template for that function — including variables read only when a request
// comes.
func TestEveryVariableNamedInTheWiringIsSet(t *testing.T) {
	tmpl := template(t)
	w := loadWiring(t)
	for _, id := range functionIDs {
		fn, ok := w.function(t, id)
		if !ok {
			continue
		}
		names := w.variables(fn)
		if len(names) == 0 {
			t.Errorf("%s's wiring (%s.%s) names no variable; has its shape changed?", id, fn.pkg.path, fn.varName)
		}
		for _, v := range names {
			_, set := tmpl.Functions[id].Environment[v]
			switch local := slices.Contains(localOnly, v); {
			case local && set:
				t.Errorf("%s: the template sets %s, which only local runs may set", id, v)
			case !local && !set:
				t.Errorf("%s's wiring reads %s, which the template does not set for it", id, v)
			}
		}
	}
}
