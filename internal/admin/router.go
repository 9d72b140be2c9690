// Package admin dispatches admin actions: JSON payloads {"action": "...", ...}
// that arrive the same way from the trackly CLI, `aws lambda invoke` and schedules.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/trackly/tune-integration/internal/validate"
)

// Action handles one action's payload.
type Action func(ctx context.Context, payload json.RawMessage) (any, error)

// Router maps action names to actions.
type Router struct {
	actions map[string]Action
}

// NewRouter returns an empty Router.
func NewRouter() *Router { return &Router{actions: map[string]Action{}} }

// Register adds an action.
func (r *Router) Register(name string, a Action) { r.actions[name] = a }

// Names lists the registered actions, sorted.
func (r *Router) Names() []string {
	names := make([]string, 0, len(r.actions))
	for n := range r.actions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Handle runs the action a payload names.
func (r *Router) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	var head struct {
		Action string `json:"action"`
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return nil, validate.Field("payload", "must be a JSON object like {\"action\": \"list_integrations\"}: %v", err)
	}
	if head.Action == "" {
		return nil, validate.Field("action", "is required; one of %s", strings.Join(r.Names(), ", "))
	}
	a, ok := r.actions[head.Action]
	if !ok {
		return nil, validate.Field("action", "unknown action %q; this function knows %s", head.Action, strings.Join(r.Names(), ", "))
	}
	return a(ctx, payload)
}

// Typed adapts fn into an Action that decodes the payload into In strictly:
// an unknown field or a value of the wrong type is a field error.
func Typed[In any](fn func(ctx context.Context, in In) (any, error)) Action {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(payload, &fields); err != nil {
			return nil, validate.Field("payload", "must be a JSON object: %v", err)
		}
		delete(fields, "action")
		body, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("re-encode payload: %w", err)
		}
		var in In
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, decodeError(err)
		}
		return fn(ctx, in)
	}
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return validate.Field(typeErr.Field, "must be a JSON %s, not %s", typeErr.Type.Kind(), typeErr.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return validate.Field(strings.Trim(name, `"`), "is not a field of this action")
	}
	return validate.Field("payload", "%v", err)
}
