// Package admin dispatches admin actions: JSON payloads {"action": "...", ...}
// that arrive the same way from the trackly CLI, `aws lambda invoke` and
// schedules. The actions, their requests and their answers are the contract
// of package adminapi; the routers here serve it.
package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/trackly/tune-integration/internal/adminapi"
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

// Register adds an action. The routers of the functions register the actions
// of the contract through serve.
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
	action, err := adminapi.ReadAction(payload)
	if err != nil {
		return nil, err
	}
	if action == "" {
		return nil, validate.Field("action", "is required; one of %s", strings.Join(r.Names(), ", "))
	}
	a, ok := r.actions[action]
	if !ok {
		return nil, validate.Field("action", "unknown action %q; this function knows %s", action, strings.Join(r.Names(), ", "))
	}
	return a(ctx, payload)
}

// Typed adapts fn into an Action that decodes the payload into In strictly
// (adminapi.DecodeRequest): an unknown or repeated field, a value of the
// wrong type, text with control characters or a null that clears nothing is
// a field error, and fn is not called.
func Typed[In any](fn func(ctx context.Context, in In) (any, error)) Action {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		var in In
		if err := adminapi.DecodeRequest(payload, &in); err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}
}

// serve registers fn as action a of the contract. It panics unless fn takes
// and answers the request and answer types adminapi gives a: the routers
// follow the contract, they never restate it.
func serve[Req, Ans any](r *Router, a adminapi.Action, fn func(ctx context.Context, in Req) (Ans, error)) {
	if _, ok := a.NewRequest().(*Req); !ok {
		panic(fmt.Sprintf("admin: %s takes %T (adminapi), not %T", a, a.NewRequest(), new(Req)))
	}
	if _, ok := a.NewAnswer().(*Ans); !ok {
		panic(fmt.Sprintf("admin: %s answers %T (adminapi), not %T", a, a.NewAnswer(), new(Ans)))
	}
	r.Register(string(a), Typed(func(ctx context.Context, in Req) (any, error) { return fn(ctx, in) }))
}

// mustServeAll panics unless r serves exactly the actions adminapi gives f.
func mustServeAll(r *Router, f adminapi.Function) {
	var want []string
	for _, a := range adminapi.Actions() {
		if a.Function() == f {
			want = append(want, string(a))
		}
	}
	slices.Sort(want)
	if got := r.Names(); !slices.Equal(got, want) {
		panic(fmt.Sprintf("admin: %s serves %v, but adminapi gives it %v", f, got, want))
	}
}
