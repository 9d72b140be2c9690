package samtemplate

import (
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pseudo parameter values of the local account.
const (
	accountID = "000000000000"
	partition = "aws"
	urlSuffix = "amazonaws.com"
	stackName = "local"
	// localAPIID is what Ref of an AWS::Serverless::HttpApi resolves to, and the APIID of the routes
	// of the implicit API.
	localAPIID = "local"
)

// noValue is the value of Ref AWS::NoValue; mappings and sequences drop it.
type noValueType struct{}

var noValue noValueType

// shortTags maps YAML short-form intrinsic tags to their long-form names.
var shortTags = map[string]string{
	"!Ref":       "Ref",
	"!GetAtt":    "Fn::GetAtt",
	"!Sub":       "Fn::Sub",
	"!If":        "Fn::If",
	"!Equals":    "Fn::Equals",
	"!Not":       "Fn::Not",
	"!And":       "Fn::And",
	"!Or":        "Fn::Or",
	"!Condition": "Condition",
	"!Select":    "Fn::Select",
	"!Join":      "Fn::Join",
	"!Split":     "Fn::Split",
}

// resource is a template resource before evaluation.
type resource struct {
	logicalID  string
	typ        string
	properties *yaml.Node // nil when the resource has no Properties
	node       *yaml.Node // the whole resource, for Template.Resource
}

// evaluator resolves CloudFormation intrinsic functions over YAML nodes.
//
// Scalars evaluate to what yaml.v3 decodes them to (string, int, float64, bool or nil), sequences to
// []any and mappings to map[string]any.
type evaluator struct {
	region         string
	params         map[string]any // string, or []any for list parameters
	conditionNodes map[string]*yaml.Node
	conditions     map[string]bool
	resources      map[string]*resource
	// tableNames, queueIdentities and streamARNs are those of Options.
	tableNames      map[string]string
	queueIdentities map[string]QueueIdentity
	streamARNs      map[string]string
	resolving       map[string]bool // conditions and resource names being evaluated, to report cycles
	// placeholders makes Fn::GetAtt of attributes the evaluator cannot know resolve to
	// "<LogicalID>.<Attribute>" instead of failing (Template.Resource).
	placeholders bool
}

// pairs yields the keys and values of a mapping node.
func pairs(n *yaml.Node) iter.Seq2[string, *yaml.Node] {
	return func(yield func(string, *yaml.Node) bool) {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !yield(n.Content[i].Value, n.Content[i+1]) {
				return
			}
		}
	}
}

// child returns the value of key in a mapping node, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	for k, v := range pairs(n) {
		if k == key {
			return v
		}
	}
	return nil
}

// intrinsicName returns the intrinsic function a node calls and the node of its argument.
func intrinsicName(n *yaml.Node) (name string, arg *yaml.Node, ok bool) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		untagged := *n
		untagged.Tag = ""
		return n.Tag, &untagged, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		key := n.Content[0].Value
		if key == "Ref" || strings.HasPrefix(key, "Fn::") {
			return key, n.Content[1], true
		}
	}
	return "", nil, false
}

func (e *evaluator) eval(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return e.eval(n.Content[0])
	case yaml.AliasNode:
		return e.eval(n.Alias)
	}
	if name, arg, ok := intrinsicName(n); ok {
		if long, short := shortTags[name]; short {
			name = long
		}
		v, err := e.call(name, arg)
		if err != nil {
			return nil, fmt.Errorf("%s (line %d): %w", name, n.Line, err)
		}
		return v, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := e.eval(item)
			if err != nil {
				return nil, err
			}
			if v != noValue {
				list = append(list, v)
			}
		}
		return list, nil
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for k, node := range pairs(n) {
			v, err := e.eval(node)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if v != noValue {
				m[k] = v
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

func (e *evaluator) call(name string, arg *yaml.Node) (any, error) {
	switch name {
	case "Ref":
		ref, err := e.evalString(arg)
		if err != nil {
			return nil, err
		}
		return e.ref(ref)
	case "Fn::GetAtt":
		return e.getAttNode(arg)
	case "Fn::Sub":
		return e.sub(arg)
	case "Fn::If":
		args, err := argList(arg, 3)
		if err != nil {
			return nil, err
		}
		ok, err := e.namedCondition(args[0])
		if err != nil {
			return nil, err
		}
		if ok {
			return e.eval(args[1])
		}
		return e.eval(args[2])
	case "Fn::Equals":
		a, b, err := evalPair(arg, e.eval, e.eval)
		if err != nil {
			return nil, err
		}
		return equalValues(a, b), nil
	case "Fn::Not":
		args, err := argList(arg, 1)
		if err != nil {
			return nil, err
		}
		ok, err := e.evalCondition(args[0])
		return !ok, err
	case "Fn::And", "Fn::Or":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) == 0 {
			return nil, errors.New("needs a list of conditions")
		}
		and := name == "Fn::And"
		for _, c := range arg.Content {
			ok, err := e.evalCondition(c)
			if err != nil {
				return nil, err
			}
			if ok != and {
				return ok, nil
			}
		}
		return and, nil
	case "Condition":
		return e.namedCondition(arg)
	case "Fn::Select":
		i, list, err := evalPair(arg, e.evalInt, e.evalList)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= len(list) {
			return nil, fmt.Errorf("index %d out of range of %d items", i, len(list))
		}
		return list[i], nil
	case "Fn::Join":
		sep, list, err := evalPair(arg, e.evalString, e.evalList)
		if err != nil {
			return nil, err
		}
		parts, err := asStrings(list)
		if err != nil {
			return nil, err
		}
		return strings.Join(parts, sep), nil
	case "Fn::Split":
		sep, s, err := evalPair(arg, e.evalString, e.evalString)
		if err != nil {
			return nil, err
		}
		var list []any
		for _, part := range strings.Split(s, sep) {
			list = append(list, part)
		}
		return list, nil
	}
	return nil, errors.New("intrinsic function not supported locally")
}

// argList returns the n items of an intrinsic function's list argument.
func argList(arg *yaml.Node, n int) ([]*yaml.Node, error) {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != n {
		return nil, fmt.Errorf("needs a list of %d arguments", n)
	}
	return arg.Content, nil
}

// evalPair evaluates the two items of an intrinsic function's list argument:
// the first with first, then the second with second.
func evalPair[A, B any](arg *yaml.Node, first func(*yaml.Node) (A, error), second func(*yaml.Node) (B, error)) (a A, b B, err error) {
	args, err := argList(arg, 2)
	if err != nil {
		return a, b, err
	}
	if a, err = first(args[0]); err != nil {
		return a, b, err
	}
	b, err = second(args[1])
	return a, b, err
}

func (e *evaluator) evalString(n *yaml.Node) (string, error) {
	v, err := e.eval(n)
	if err != nil {
		return "", err
	}
	return asString(v)
}

func (e *evaluator) evalInt(n *yaml.Node) (int, error) {
	v, err := e.eval(n)
	if err != nil {
		return 0, err
	}
	return asInt(v)
}

func (e *evaluator) evalList(n *yaml.Node) ([]any, error) {
	v, err := e.eval(n)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list, got %T", v)
	}
	return list, nil
}

// evalCondition evaluates a condition function or a {Condition: name} reference.
func (e *evaluator) evalCondition(n *yaml.Node) (bool, error) {
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Condition" {
		return e.namedCondition(n.Content[1])
	}
	v, err := e.eval(n)
	if err != nil {
		return false, err
	}
	ok, isBool := v.(bool)
	if !isBool {
		return false, fmt.Errorf("condition evaluates to %T, not a boolean", v)
	}
	return ok, nil
}

// namedCondition returns the value of the template condition whose name n evaluates to.
func (e *evaluator) namedCondition(n *yaml.Node) (bool, error) {
	name, err := e.evalString(n)
	if err != nil {
		return false, err
	}
	return e.condition(name)
}

// condition returns the value of a named template condition.
func (e *evaluator) condition(name string) (bool, error) {
	if v, ok := e.conditions[name]; ok {
		return v, nil
	}
	n, ok := e.conditionNodes[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %q", name)
	}
	key := "Condition " + name
	if e.resolving[key] {
		return false, fmt.Errorf("condition %q refers to itself", name)
	}
	e.resolving[key] = true
	defer delete(e.resolving, key)
	v, err := e.evalCondition(n)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	e.conditions[name] = v
	return v, nil
}

func (e *evaluator) ref(name string) (any, error) {
	switch name {
	case "AWS::NoValue":
		return noValue, nil
	case "AWS::Region":
		return e.region, nil
	case "AWS::AccountId":
		return accountID, nil
	case "AWS::Partition":
		return partition, nil
	case "AWS::URLSuffix":
		return urlSuffix, nil
	case "AWS::StackName":
		return stackName, nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/local", partition, e.region, accountID, stackName), nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if v, ok := e.params[name]; ok {
		return v, nil
	}
	r, ok := e.resources[name]
	if !ok {
		return nil, fmt.Errorf("unknown parameter or resource %q", name)
	}
	switch r.typ {
	case typeTable:
		return e.tableName(r)
	case typeQueue:
		q, err := e.queue(r)
		return q.URL, err
	case typeFunction:
		return e.functionName(r)
	case typeHTTPAPI:
		return localAPIID, nil
	}
	return r.logicalID, nil
}

func (e *evaluator) getAttNode(arg *yaml.Node) (any, error) {
	if arg.Kind == yaml.SequenceNode {
		id, attr, err := evalPair(arg, e.evalString, e.evalString)
		if err != nil {
			return nil, err
		}
		return e.getAtt(id, attr)
	}
	s, err := e.evalString(arg)
	if err != nil {
		return nil, err
	}
	id, attr, found := strings.Cut(s, ".")
	if !found {
		return nil, fmt.Errorf("%q is not Resource.Attribute", s)
	}
	return e.getAtt(id, attr)
}

func (e *evaluator) getAtt(id, attr string) (string, error) {
	r, ok := e.resources[id]
	if !ok {
		return "", fmt.Errorf("unknown resource %q", id)
	}
	switch {
	case r.typ == typeQueue:
		q, err := e.queue(r)
		switch attr {
		case "Arn":
			return q.ARN, err
		case "QueueName":
			return q.Name, err
		case "QueueUrl":
			return q.URL, err
		}
	case r.typ == typeTable && attr == "Arn":
		name, err := e.tableName(r)
		return fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", partition, e.region, accountID, name), err
	case r.typ == typeTable && attr == "StreamArn":
		return e.streamARN(r)
	case r.typ == typeFunction && attr == "Arn":
		name, err := e.functionName(r)
		return functionARN(e.region, name), err
	}
	if e.placeholders {
		return id + "." + attr, nil
	}
	return "", fmt.Errorf("attribute %s of %s (%s) is not supported locally", attr, id, r.typ)
}

// sub evaluates Fn::Sub in its string and its [string, variables] forms.
func (e *evaluator) sub(arg *yaml.Node) (any, error) {
	tmplNode, vars := arg, map[string]any{}
	if arg.Kind == yaml.SequenceNode {
		args, err := argList(arg, 2)
		if err != nil {
			return nil, err
		}
		tmplNode = args[0]
		v, err := e.eval(args[1])
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("variables must be a mapping")
		}
		vars = m
	}
	tmpl, err := e.evalString(tmplNode)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for {
		start := strings.Index(tmpl, "${")
		if start < 0 {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		end := strings.Index(tmpl[start:], "}")
		if end < 0 {
			return nil, fmt.Errorf("unterminated ${ in %q", tmpl)
		}
		b.WriteString(tmpl[:start])
		name := tmpl[start+2 : start+end]
		tmpl = tmpl[start+end+1:]
		if literal, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + literal + "}")
			continue
		}
		s, err := e.subVariable(name, vars)
		if err != nil {
			return nil, fmt.Errorf("${%s}: %w", name, err)
		}
		b.WriteString(s)
	}
}

func (e *evaluator) subVariable(name string, vars map[string]any) (string, error) {
	if v, ok := vars[name]; ok {
		return asString(v)
	}
	if id, attr, ok := strings.Cut(name, "."); ok {
		return e.getAtt(id, attr)
	}
	v, err := e.ref(name)
	if err != nil {
		return "", err
	}
	return asString(v)
}

// tableName returns a table's physical name: the existing one, else TableName or the logical ID.
func (e *evaluator) tableName(r *resource) (string, error) {
	if name, ok := e.tableNames[r.logicalID]; ok {
		return name, nil
	}
	return e.nameProperty(r, "TableName")
}

// streamARN returns the ARN of a table's latest stream: the existing one, else one of the form AWS
// gives, with a fixed label. A table without a StreamSpecification has none, as in CloudFormation.
func (e *evaluator) streamARN(r *resource) (string, error) {
	if arn, ok := e.streamARNs[r.logicalID]; ok {
		return arn, nil
	}
	if child(r.properties, "StreamSpecification") == nil {
		return "", fmt.Errorf("table %s has no StreamSpecification, so no StreamArn", r.logicalID)
	}
	name, err := e.tableName(r)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s/stream/%s", partition, e.region, accountID, name, defaultStreamLabel), nil
}

// queue returns a queue's identity: the existing one, else the one AWS would give it.
func (e *evaluator) queue(r *resource) (QueueIdentity, error) {
	if q, ok := e.queueIdentities[r.logicalID]; ok {
		return q, nil
	}
	name, err := e.nameProperty(r, "QueueName")
	if err != nil {
		return QueueIdentity{}, err
	}
	return QueueIdentity{
		Name: name,
		URL:  fmt.Sprintf("https://sqs.%s.%s/%s/%s", e.region, urlSuffix, accountID, name),
		ARN:  queueARN(e.region, name),
	}, nil
}

func (e *evaluator) functionName(r *resource) (string, error) {
	return e.nameProperty(r, "FunctionName")
}

// nameProperty evaluates a resource's name property, defaulting to its logical ID.
func (e *evaluator) nameProperty(r *resource, property string) (string, error) {
	n := child(r.properties, property)
	if n == nil {
		return r.logicalID, nil
	}
	key := r.logicalID + "." + property
	if e.resolving[key] {
		return "", fmt.Errorf("%s refers to itself", key)
	}
	e.resolving[key] = true
	defer delete(e.resolving, key)
	name, err := e.evalString(n)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return name, nil
}

func queueARN(region, name string) string {
	return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", partition, region, accountID, name)
}

func functionARN(region, name string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", partition, region, accountID, name)
}

// equalValues compares two evaluated values as Fn::Equals does: scalars by their string form.
func equalValues(a, b any) bool {
	as, aErr := asString(a)
	bs, bErr := asString(b)
	if aErr == nil && bErr == nil {
		return as == bs
	}
	return reflect.DeepEqual(a, b)
}

// asString converts an evaluated scalar to the string CloudFormation would use.
func asString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("want a string, got %T", v)
}

func asStrings(list []any) ([]string, error) {
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, err := asString(v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func asInt(v any) (int, error) {
	switch v := v.(type) {
	case int:
		return v, nil
	case float64:
		if v == float64(int(v)) {
			return int(v), nil
		}
	case string:
		return strconv.Atoi(strings.TrimSpace(v))
	}
	return 0, fmt.Errorf("want an integer, got %v", v)
}

func asBool(v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		return strconv.ParseBool(v)
	}
	return false, fmt.Errorf("want a boolean, got %v", v)
}
