// Package samcheck holds what the template checks (sam/) and the end-to-end tests under AWS's
// Runtime Interface Emulator (e2e/rie/) need to hold template.yaml to least privilege: the IAM
// statements each function's role gets once SAM has expanded its policy templates and added its
// own managed policies, an IAM evaluator for them, a recorder of the AWS calls a function really
// makes (DynamoDB and SQS through a proxy, SSM through a small Parameter Store emulator), and an
// audit that compares the two both ways.
//
// It is test support: no function links it.
package samcheck

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// Statement is an IAM policy statement with its values resolved.
type Statement struct {
	// Source says where the statement comes from, such as `DynamoDBReadPolicy(ClicksTable)` or
	// `Statement "ClickSigningKey"`, or `AWSLambdaBasicExecutionRole (added by SAM)`.
	Source string
	// Implicit is set for statements SAM adds to the function's role itself.
	Implicit     bool
	Sid          string
	Effect       string // "Allow" or "Deny"
	Actions      []string
	NotActions   []string
	Resources    []string
	NotResources []string
	// Conditions maps a condition operator to its keys and their values.
	Conditions map[string]map[string][]string
}

func (s Statement) String() string {
	return s.Source
}

// Request is one authorization request: what a call asks IAM for.
type Request struct {
	// Principal is the function that made the call (its logical ID).
	Principal string
	// Operation is the API operation, such as "dynamodb:TransactWriteItems"; one operation may need
	// several actions on several resources.
	Operation string
	Action    string // such as "dynamodb:PutItem"
	Resource  string // an ARN
	// Context holds the request's condition keys, such as kms:ViaService.
	Context map[string]string
}

func (r Request) String() string {
	s := r.Action + " on " + r.Resource
	if r.Operation != "" && r.Operation != r.Action {
		s += " (" + r.Operation + ")"
	}
	if len(r.Context) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(r.Context)) {
			kv = append(kv, k+"="+r.Context[k])
		}
		s += " [" + strings.Join(kv, ", ") + "]"
	}
	return s
}

// Decision is IAM's answer to a request.
type Decision struct {
	Allowed bool
	// DeniedBy is the explicit Deny that matched, if any; AllowedBy the Allow that matched.
	DeniedBy  *Statement
	AllowedBy *Statement
}

// Evaluate decides a request as IAM does for one identity: an explicit Deny wins, else an Allow
// is needed.
func Evaluate(statements []Statement, r Request) Decision {
	var d Decision
	for i := range statements {
		s := &statements[i]
		if !s.Matches(r) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return Decision{DeniedBy: s}
		case "Allow":
			if d.AllowedBy == nil {
				d.AllowedBy = s
			}
		}
	}
	d.Allowed = d.AllowedBy != nil
	return d
}

// Matches tells whether the statement applies to the request (whatever its Effect).
func (s Statement) Matches(r Request) bool {
	if len(s.Actions) > 0 && !anyMatch(s.Actions, r.Action, true) {
		return false
	}
	if len(s.NotActions) > 0 && anyMatch(s.NotActions, r.Action, true) {
		return false
	}
	if len(s.Resources) > 0 && !anyMatch(s.Resources, r.Resource, false) {
		return false
	}
	if len(s.NotResources) > 0 && anyMatch(s.NotResources, r.Resource, false) {
		return false
	}
	ok, _ := s.conditionsHold(r.Context)
	return ok
}

// conditionsHold evaluates the statement's conditions: every operator and key must hold, a key
// holding when any of its values matches.
func (s Statement) conditionsHold(ctx map[string]string) (bool, error) {
	for op, keys := range s.Conditions {
		for key, values := range keys {
			got, present := lookupFold(ctx, key)
			var ok bool
			switch op {
			case "StringEquals", "ArnEquals":
				ok = present && slices.Contains(values, got)
			case "StringEqualsIgnoreCase":
				ok = present && slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, got) })
			case "StringLike", "ArnLike":
				ok = present && anyMatch(values, got, false)
			case "StringNotEquals", "ArnNotEquals":
				ok = !present || !slices.Contains(values, got)
			case "StringNotLike", "ArnNotLike":
				ok = !present || !anyMatch(values, got, false)
			case "Bool":
				ok = present && slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, got) })
			default:
				return false, fmt.Errorf("condition operator %s is not supported by samcheck", op)
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// ConditionKey returns the values a condition operator gives a key, if any.
func (s Statement) ConditionKey(op, key string) []string {
	for k, v := range s.Conditions[op] {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func lookupFold(m map[string]string, key string) (string, bool) {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

func anyMatch(patterns []string, s string, foldCase bool) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return Glob(p, s, foldCase) })
}

// Glob matches s against an IAM pattern, where * matches any run of characters and ? one.
func Glob(pattern, s string, foldCase bool) bool {
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// path.Match's * stops at '/', IAM's does not: match on a '/'-free alphabet.
	const slash = "\x00"
	pattern = strings.ReplaceAll(strings.ReplaceAll(pattern, `\`, `\\`), "[", `\[`)
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", slash), strings.ReplaceAll(s, "/", slash))
	return err == nil && ok
}

// HasWildcard tells whether an IAM pattern holds * or ?.
func HasWildcard(p string) bool {
	return strings.ContainsAny(p, "*?")
}

// ParseStatement reads a statement of a resolved policy document.
func ParseStatement(source string, v any) (Statement, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Statement{}, fmt.Errorf("%s: a statement must be a mapping, not %T", source, v)
	}
	s := Statement{Source: source, Conditions: map[string]map[string][]string{}}
	var err error
	for key, val := range m {
		switch key {
		case "Sid":
			s.Sid, _ = val.(string)
		case "Effect":
			s.Effect, _ = val.(string)
		case "Action":
			s.Actions, err = stringList(val)
		case "NotAction":
			s.NotActions, err = stringList(val)
		case "Resource":
			s.Resources, err = stringList(val)
		case "NotResource":
			s.NotResources, err = stringList(val)
		case "Condition":
			conds, ok := val.(map[string]any)
			if !ok {
				return s, fmt.Errorf("%s: Condition must be a mapping", source)
			}
			for op, keys := range conds {
				km, ok := keys.(map[string]any)
				if !ok {
					return s, fmt.Errorf("%s: Condition %s must be a mapping", source, op)
				}
				s.Conditions[op] = map[string][]string{}
				for k, vals := range km {
					if s.Conditions[op][k], err = stringList(vals); err != nil {
						return s, fmt.Errorf("%s: Condition %s %s: %w", source, op, k, err)
					}
				}
			}
		case "Principal", "NotPrincipal":
			return s, fmt.Errorf("%s: an identity policy statement has no %s", source, key)
		default:
			return s, fmt.Errorf("%s: unknown statement element %s", source, key)
		}
		if err != nil {
			return s, fmt.Errorf("%s: %s: %w", source, key, err)
		}
	}
	if s.Sid != "" {
		s.Source += fmt.Sprintf(" %q", s.Sid)
	}
	if s.Effect != "Allow" && s.Effect != "Deny" {
		return s, fmt.Errorf("%s: Effect must be Allow or Deny, not %q", source, s.Effect)
	}
	if (len(s.Actions) == 0) == (len(s.NotActions) == 0) {
		return s, fmt.Errorf("%s: needs exactly one of Action and NotAction", source)
	}
	if (len(s.Resources) == 0) == (len(s.NotResources) == 0) {
		return s, fmt.Errorf("%s: needs exactly one of Resource and NotResource", source)
	}
	for _, kv := range s.Conditions {
		for k := range kv {
			if _, err := s.conditionsHold(map[string]string{k: ""}); err != nil {
				return s, fmt.Errorf("%s: %w", source, err)
			}
		}
	}
	return s, nil
}

func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("want strings, got %T", item)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a string or a list of strings, got %T", v)
}
