package samcheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/trackly/tune-integration/dev/samtemplate"
)

// dataServices are the services whose actions read or write data (as opposed to logs and traces).
var dataServices = []string{"dynamodb", "sqs", "ssm", "kms", "s3", "sns", "secretsmanager", "lambda", "events",
	"states", "kinesis", "firehose", "scheduler", "ses"}

// isDataAction tells whether an action (or action pattern) belongs to a data service, or could.
func isDataAction(action string) bool {
	service, _, ok := strings.Cut(action, ":")
	if !ok {
		return HasWildcard(action) // "*"
	}
	return slices.ContainsFunc(dataServices, func(s string) bool { return Glob(service, s, true) })
}

// Lint reports what in a function's statements is not least privilege, whatever the function
// does: a wildcard in a data action; NotAction or NotResource in an Allow; a data action allowed
// on a wildcard resource, except the shapes that cannot be narrowed further and are narrowed
// otherwise:
//   - a DynamoDB table's indexes (table/<name>/index/*), as SAM's policy templates grant them;
//   - SSM parameters of one family: one path segment and a version suffix left open
//     (parameter/…/integrations/*/api-key-*);
//   - KMS keys (key/*) only through one service (a kms:ViaService condition) and for one
//     encryption context (a kms:EncryptionContext:… condition);
//   - "*" in a managed policy SAM attaches by itself, when a Deny with NotResource keeps each of
//     those actions to named resources.
func Lint(statements []Statement) []string {
	var findings []string
	for _, s := range statements {
		if s.Effect != "Allow" {
			continue
		}
		if len(s.NotActions) > 0 || len(s.NotResources) > 0 {
			findings = append(findings, fmt.Sprintf("%s: Allow with NotAction or NotResource grants everything else", s))
			continue
		}
		var data []string
		for _, a := range s.Actions {
			if !isDataAction(a) {
				continue
			}
			data = append(data, a)
			if HasWildcard(a) {
				findings = append(findings, fmt.Sprintf("%s: wildcard data action %q", s, a))
			}
		}
		if len(data) == 0 {
			continue
		}
		for _, res := range s.Resources {
			if !HasWildcard(res) {
				continue
			}
			if why := narrowWildcard(s, res, statements, data); why != "" {
				findings = append(findings, fmt.Sprintf("%s: data actions %v on wildcard resource %q: %s", s, data, res, why))
			}
		}
	}
	return findings
}

// narrowWildcard returns "" when a wildcard resource is one of the accepted shapes, else why not.
func narrowWildcard(s Statement, res string, all []Statement, actions []string) string {
	arn := strings.SplitN(res, ":", 6)
	if res == "*" {
		if !s.Implicit {
			return `"*" written in the template`
		}
		for _, a := range actions {
			if !confinedByDeny(a, all) {
				return fmt.Sprintf("no Deny with NotResource keeps %s to named resources", a)
			}
		}
		return ""
	}
	if len(arn) != 6 || HasWildcard(strings.Join(arn[:5], ":")) {
		return "wildcard in the ARN's partition, service, region or account"
	}
	resource := arn[5]
	switch arn[2] {
	case "dynamodb":
		table, ok := strings.CutSuffix(resource, "/index/*")
		if ok && strings.HasPrefix(table, "table/") && !HasWildcard(table) {
			return ""
		}
		return "only a table's indexes (table/<name>/index/*) may be open"
	case "ssm":
		// parameter/<fixed path>/…/<fixed>[-*]: at most one whole segment open between fixed
		// ones, and a version suffix ("-*") after a fixed name.
		segments := strings.Split(resource, "/")
		if segments[0] != "parameter" || len(segments) < 4 || HasWildcard(segments[1]) {
			return "only a family of parameters under a fixed path may be open"
		}
		open := 0
		for i, seg := range segments[1:] {
			last := i == len(segments)-2
			switch {
			case !HasWildcard(seg):
			case seg == "*" && !last:
				open++
			case last && strings.HasSuffix(seg, "-*") && len(seg) > 2 && !HasWildcard(strings.TrimSuffix(seg, "-*")):
			default:
				return "a wildcard must be one whole path segment between fixed ones, or a version suffix (name-*)"
			}
		}
		if open > 1 {
			return "at most one path segment may be open"
		}
		return ""
	case "kms":
		if resource != "key/*" {
			return "only key/* with conditions may be open"
		}
		via := s.ConditionKey("StringEquals", "kms:ViaService")
		if len(via) == 0 || slices.ContainsFunc(via, HasWildcard) {
			return "needs a StringEquals kms:ViaService condition naming the service"
		}
		for _, op := range []string{"StringEquals", "StringLike", "ArnEquals", "ArnLike"} {
			for k, v := range s.Conditions[op] {
				if strings.HasPrefix(strings.ToLower(k), "kms:encryptioncontext:") && len(v) > 0 &&
					!slices.Contains(v, "*") {
					return ""
				}
			}
		}
		return "needs a kms:EncryptionContext:… condition naming what may be decrypted or encrypted"
	}
	return "wildcard resource"
}

// confinedByDeny tells whether a Deny with NotResource listing only named resources covers action.
func confinedByDeny(action string, all []Statement) bool {
	for _, s := range all {
		if s.Effect != "Deny" || len(s.NotResources) == 0 || len(s.Conditions) > 0 {
			continue
		}
		if anyMatch(s.Actions, action, true) && !slices.ContainsFunc(s.NotResources, HasWildcard) {
			return true
		}
	}
	return false
}

// EventSourceRequests returns what the event sources of a function ask of its role: Lambda polls
// an SQS event source's queue and reads a DynamoDB event source's stream with the function's own
// permissions, and sends the metadata of the stream records it discards to the event's OnFailure
// queue with them too.
func EventSourceRequests(t *samtemplate.Template, logicalID string) ([]Request, error) {
	r, err := t.Resource(logicalID)
	if err != nil {
		return nil, err
	}
	var out []Request
	events, _ := r.Properties["Events"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(events)) {
		ev, _ := events[name].(map[string]any)
		props, _ := ev["Properties"].(map[string]any)
		var source string
		var actions []string
		switch ev["Type"] {
		case "SQS":
			source, _ = props["Queue"].(string)
			actions = []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
		case "DynamoDB":
			source, _ = props["Stream"].(string)
			actions = []string{"dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"}
		default:
			continue
		}
		if source == "" {
			return nil, fmt.Errorf("%s: %s event %s has no source ARN", logicalID, ev["Type"], name)
		}
		for _, a := range actions {
			out = append(out, Request{Principal: logicalID, Operation: "event source mapping " + name, Action: a, Resource: source})
		}
		destination, _ := props["DestinationConfig"].(map[string]any)
		onFailure, _ := destination["OnFailure"].(map[string]any)
		if queue, _ := onFailure["Destination"].(string); queue != "" {
			out = append(out, Request{Principal: logicalID, Operation: "event source mapping " + name + " (on failure)", Action: "sqs:SendMessage", Resource: queue})
		}
	}
	return out, nil
}

// Denied returns each request its principal's statements do not allow, with the reason.
func Denied(policies map[string][]Statement, requests []Request) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range requests {
		stmts, ok := policies[r.Principal]
		var why string
		switch d := Evaluate(stmts, r); {
		case !ok:
			why = "no such function in the template"
		case d.DeniedBy != nil:
			why = "denied by " + d.DeniedBy.String()
		case !d.Allowed:
			why = "no statement allows it"
		default:
			continue
		}
		line := fmt.Sprintf("%s: %s: %s", r.Principal, r, why)
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// Unused returns the data grants no request used: for every Allow of a data action the template
// writes (SAM's own managed policies aside), each resource it names must have been the target of
// a request by that function for one of the statement's actions, conditions met. A table and its
// indexes (table/<name>/index/*) count as one resource.
func Unused(policies map[string][]Statement, requests []Request) []string {
	byPrincipal := map[string][]Request{}
	for _, r := range requests {
		byPrincipal[r.Principal] = append(byPrincipal[r.Principal], r)
	}
	var out []string
	for _, fn := range slices.Sorted(maps.Keys(policies)) {
		for _, s := range policies[fn] {
			if s.Effect != "Allow" || s.Implicit || !slices.ContainsFunc(s.Actions, isDataAction) {
				continue
			}
			for _, res := range s.Resources {
				if strings.HasSuffix(res, "/index/*") && slices.Contains(s.Resources, strings.TrimSuffix(res, "/index/*")) {
					continue
				}
				single := s
				single.Resources = []string{res}
				if slices.Contains(s.Resources, res+"/index/*") {
					single.Resources = append(single.Resources, res+"/index/*") // a table read through its index
				}
				if !slices.ContainsFunc(byPrincipal[fn], single.Matches) {
					out = append(out, fmt.Sprintf("%s: %s grants %v on %s, which the function never used", fn, s, s.Actions, res))
				}
			}
		}
	}
	return out
}
