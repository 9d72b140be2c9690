package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/trackly/tune-integration/dev/workspace"
)

// Sample reads the module's events/<name>, a sample event, as generic JSON for a benchmark or a
// test to adapt, and fails t if it cannot.
func Sample(t testing.TB, name string) map[string]any {
	t.Helper()
	root, err := workspace.Root()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("events/%s: %v", name, err)
	}
	return ev
}
