package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

// Every admin payload under events/ is a working example: run against the
// seeded demo system, each one succeeds, so the README and the samples cannot
// drift from what the functions accept.
func TestEventSamplesRunAgainstTheDemo(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	functions := map[string]string{"admin": "AdminFunction", "offersync": "OfferSyncFunction"}
	paths, err := filepath.Glob(filepath.Join("..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, path := range paths {
		prefix, _, _ := strings.Cut(filepath.Base(path), "-")
		function, ok := functions[prefix]
		if !ok {
			continue
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var payload map[string]any
		if err := json.Unmarshal(raw, &payload); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if _, ok := payload["action"]; !ok {
			continue // not an admin payload (a sample Lambda event)
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			if ferr := s.Invoke(t, function, payload, nil); ferr != "" {
				t.Errorf("%s answered a function error: %s", function, ferr)
			}
		})
		ran++
	}
	if ran < 12 {
		t.Errorf("only %d admin samples ran; events/ should hold one per action", ran)
	}
}
