package integrations_test

import (
	"strings"
	"testing"

	"github.com/trackly/tune-integration/internal/integrations"
)

func TestParseFrequency(t *testing.T) {
	valid := map[string]int{"15m": 15, "hourly": 60, "HOURLY": 60, "6h": 360, "daily": 1440, "5": 5, "90m": 90, "10080": 10080}
	for in, want := range valid {
		got, err := integrations.ParseFrequency(in)
		if err != nil || got != want {
			t.Errorf("ParseFrequency(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, _ := integrations.ParseFrequency(integrations.FrequencyName(got)); back != got {
			t.Errorf("FrequencyName(%d) = %q does not read back", got, integrations.FrequencyName(got))
		}
	}
	invalid := map[string]string{"4": "between 5 minutes", "0": "between 5 minutes", "weekly": "must be 15m", "1.5h": "must be 15m", "": "must be 15m", "-10": "between 5 minutes", "10081": "between 5 minutes"}
	for in, want := range invalid {
		if _, err := integrations.ParseFrequency(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFrequency(%q) error = %v, want it to say %q", in, err, want)
		}
	}
}
