package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestTriggerSchedule(t *testing.T) {
	var rec recorded
	c := startCloud(t, map[string]Factory{"CronFunction": static(rec.recording(echo))}, nil)
	start := time.Now().Truncate(time.Second)
	if err := c.TriggerSchedule(context.Background(), "CronFunction"); err != nil {
		t.Fatal(err)
	}
	payloads := rec.all()
	if len(payloads) != 2 {
		t.Fatalf("got %d payloads, want one per Schedule event", len(payloads))
	}
	// Events are delivered in the order of their names: Nightly, then WithInput.
	var e events.EventBridgeEvent
	if err := json.Unmarshal(payloads[0], &e); err != nil {
		t.Fatal(err)
	}
	if e.Version != "0" || e.DetailType != "Scheduled Event" || e.Source != "aws.events" || e.AccountID != "000000000000" ||
		e.Region != "us-east-1" || e.ID == "" || e.Time.Before(start) || string(e.Detail) != "{}" ||
		len(e.Resources) != 1 || e.Resources[0] != "arn:aws:events:us-east-1:000000000000:rule/local-CronFunctionNightly" {
		t.Errorf("scheduled event = %s", payloads[0])
	}
	if got, want := string(payloads[1]), `{"action":"sync_due","source":"schedule"}`; got != want {
		t.Errorf("schedule with Input delivered %s, want %s", got, want)
	}

	if err := c.TriggerSchedule(context.Background(), "WebFunction"); err == nil {
		t.Error("TriggerSchedule of a function without schedules succeeded")
	}
	if err := c.TriggerSchedule(context.Background(), "GhostFunction"); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("TriggerSchedule of an unknown function: err = %v", err)
	}
}

func TestParseRate(t *testing.T) {
	for expr, want := range map[string]time.Duration{
		"rate(1 minute)":  time.Minute,
		"rate(5 minutes)": 5 * time.Minute,
		"rate(2 hours)":   2 * time.Hour,
		"rate(1 day)":     24 * time.Hour,
	} {
		if got, err := parseRate(expr); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", expr, got, err, want)
		}
	}
	for _, expr := range []string{"rate(0 minutes)", "cron(0 3 * * ? *)", "rate(5 seconds)"} {
		if _, err := parseRate(expr); err == nil {
			t.Errorf("parseRate(%q) succeeded", expr)
		}
	}
}
