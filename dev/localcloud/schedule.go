package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/trackly/tune-integration/dev/samtemplate"
)

// rateExpression matches the rate schedules the local cloud runs.
var rateExpression = regexp.MustCompile(`^rate\((\d+) (minutes?|hours?|days?)\)$`)

// rateUnits maps the units of rate expressions to durations.
var rateUnits = map[string]time.Duration{
	"minute": time.Minute, "minutes": time.Minute,
	"hour": time.Hour, "hours": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour,
}

// parseRate returns the interval of a rate expression.
func parseRate(expr string) (time.Duration, error) {
	m := rateExpression.FindStringSubmatch(expr)
	if m == nil {
		return 0, fmt.Errorf("schedule %q is not a rate expression", expr)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("schedule %q: the rate must be a positive integer", expr)
	}
	return time.Duration(n) * rateUnits[m[2]], nil
}

// startSchedules runs the functions' enabled rate schedules until ctx ends.
func (c *Cloud) startSchedules(ctx context.Context) {
	for _, f := range c.functions {
		for _, s := range f.Schedules {
			log := c.log.With("function", f.LogicalID, "event", s.Event, "schedule", s.Expression)
			if !s.Enabled || c.opts.DisableSchedules {
				log.Info("schedule disabled")
				continue
			}
			interval, err := parseRate(s.Expression)
			if err != nil {
				log.Warn("schedule not run locally; use TriggerSchedule", "error", err)
				continue
			}
			c.workers.Go(func() {
				t := time.NewTicker(interval)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						_ = c.deliverSchedule(ctx, f, s)
					}
				}
			})
		}
	}
}

// TriggerSchedule delivers a function's Schedule events now, as EventBridge would at their next
// time, and returns the function's errors.
func (c *Cloud) TriggerSchedule(ctx context.Context, logicalID string) error {
	f, _ := c.lookupFunction(logicalID)
	if f == nil {
		return fmt.Errorf("trigger schedule of %s: %w", logicalID, ErrFunctionNotFound)
	}
	if len(f.Schedules) == 0 {
		return fmt.Errorf("trigger schedule of %s: the function has no Schedule event", logicalID)
	}
	var errs []error
	for _, s := range f.Schedules {
		errs = append(errs, c.deliverSchedule(ctx, f, s))
	}
	return errors.Join(errs...)
}

// deliverSchedule invokes a function with a schedule's constant Input, or else with the Scheduled Event.
func (c *Cloud) deliverSchedule(ctx context.Context, f *function, s samtemplate.Schedule) error {
	payload := []byte(s.Input)
	if s.Input == "" {
		t := c.template
		var err error
		payload, err = json.Marshal(events.EventBridgeEvent{
			Version:    "0",
			ID:         newUUID(),
			DetailType: "Scheduled Event",
			Source:     "aws.events",
			AccountID:  t.AccountID,
			Time:       time.Now().UTC().Truncate(time.Second),
			Region:     t.Region,
			Resources:  []string{fmt.Sprintf("arn:%s:events:%s:%s:rule/%s-%s%s", t.Partition, t.Region, t.AccountID, t.StackName, f.LogicalID, s.Event)},
			Detail:     json.RawMessage("{}"),
		})
		if err != nil {
			return fmt.Errorf("marshal scheduled event: %w", err)
		}
	}
	_, err := c.invoke(ctx, f, payload, lambdacontext.LambdaContext{})
	return err
}
