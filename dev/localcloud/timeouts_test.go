package localcloud

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

func TestFunctionTimeoutsReplaceTheTemplates(t *testing.T) {
	c := startCloud(t, map[string]Factory{"CronFunction": static(handlerFunc(adminHandler))}, func(o *Options) {
		o.FunctionTimeouts = map[string]time.Duration{"CronFunction": 2 * time.Second}
	})
	out, err := c.Invoke(context.Background(), "CronFunction", []byte(`{"action":"whoami"}`))
	if err != nil {
		t.Fatal(err)
	}
	var who struct{ DeadlineIn float64 }
	if err := json.Unmarshal(out, &who); err != nil {
		t.Fatalf("payload %s: %v", out, err)
	}
	// The template gives CronFunction the Globals' 5 s.
	if who.DeadlineIn <= 0 || who.DeadlineIn > 2 {
		t.Errorf("the handler's deadline is %.2f s away, want at most the 2 s of FunctionTimeouts", who.DeadlineIn)
	}
	if got := c.Template().Functions["CronFunction"].Timeout; got != 5*time.Second {
		t.Errorf("the template's CronFunction Timeout became %v, want it left at 5s", got)
	}
}
