package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTheProductImportsNoTooling keeps what runs in AWS apart from what only runs on a developer's
// machine: no package that a function or the product is built from imports dev/.
func TestTheProductImportsNoTooling(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../../functions/...", "../../internal/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/trackly/tune-integration/dev/") {
			t.Errorf("the product depends on the developer tooling package %s", pkg)
		}
	}
}
