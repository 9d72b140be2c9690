package e2e

import (
	"encoding/json"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

// Every admin payload under events/ is a working example: run against the
// seeded demo system, each one succeeds, so the README and the samples cannot
// drift from what the functions accept.
func TestEventSamplesRunAgainstTheDemo(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	samples := localruntest.AdminSamples(t)
	for _, sample := range samples {
		t.Run(sample.Name, func(t *testing.T) {
			if ferr := s.Invoke(t, sample.Function, json.RawMessage(sample.Raw), nil); ferr != "" {
				t.Errorf("%s answered a function error: %s", sample.Function, ferr)
			}
		})
	}
	if len(samples) < 12 {
		t.Errorf("only %d admin samples ran; events/ should hold one per action", len(samples))
	}
}
