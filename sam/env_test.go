package sam_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"

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

// TestEveryVariableNamedInTheWiringIsSet reads internal/app's source: every upper-case name passed
// to getenv, require, intEnv or newDeps by a function's wiring (or the helpers it calls) must be
// set by the template for that function — including variables read only when a request comes.
func TestEveryVariableNamedInTheWiringIsSet(t *testing.T) {
	tmpl := template(t)
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(root, "internal", "app", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	envName := regexp.MustCompile(`^[A-Z][A-Z0-9_]*[A-Z0-9]$`)
	readers := map[string]bool{"getenv": true, "require": true, "intEnv": true, "newDeps": true}
	names := map[string][]string{} // function or method name -> variables it names
	calls := map[string][]string{} // function or method name -> functions and methods of the package it calls
	for _, p := range paths {
		if filepath.Ext(p) != ".go" || regexp.MustCompile(`_test\.go$`).MatchString(p) {
			continue
		}
		file, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			name := fn.Name.Name
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var callee string
				switch f := call.Fun.(type) {
				case *ast.Ident:
					callee = f.Name
				case *ast.SelectorExpr:
					callee = f.Sel.Name
				}
				calls[name] = append(calls[name], callee)
				if !readers[callee] {
					return true
				}
				for _, arg := range call.Args {
					if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if v, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(v) {
							names[name] = append(names[name], v)
						}
					}
				}
				return true
			})
		}
	}
	var closure func(name string, seen map[string]bool) []string
	closure = func(name string, seen map[string]bool) []string {
		if seen[name] {
			return nil
		}
		seen[name] = true
		out := slices.Clone(names[name])
		for _, c := range calls[name] {
			out = append(out, closure(c, seen)...)
		}
		return out
	}
	for _, id := range functionIDs {
		if _, ok := calls[id]; !ok {
			t.Errorf("internal/app has no func %s", id)
			continue
		}
		for _, v := range closure(id, map[string]bool{}) {
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
