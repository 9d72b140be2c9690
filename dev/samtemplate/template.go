package samtemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Resource types the evaluator resolves.
const (
	typeFunction = "AWS::Serverless::Function"
	typeHTTPAPI  = "AWS::Serverless::HttpApi"
	typeTable    = "AWS::DynamoDB::Table"
	typeQueue    = "AWS::SQS::Queue"
)

// Defaults of AWS SAM, DynamoDB, SQS and Lambda event source mappings.
const (
	defaultTimeout           = 3 * time.Second
	defaultMemorySize        = 128
	defaultVisibilityTimeout = 30 * time.Second
	defaultRetentionPeriod   = 4 * 24 * time.Hour
	defaultSQSBatchSize      = 10
)

// Template is a SAM template with its parameters, conditions and intrinsic functions resolved.
type Template struct {
	// Partition, Region, AccountID and StackName are the pseudo parameters the template was resolved
	// with.
	Partition, Region, AccountID, StackName string
	// Parameters holds every parameter's value, from its default or an override.
	Parameters map[string]string
	// Conditions holds the value of every condition.
	Conditions map[string]bool
	// Functions, Tables and Queues are keyed by logical ID. Resources whose Condition is false are left out.
	Functions map[string]*Function
	Tables    map[string]*Table
	Queues    map[string]*Queue

	raw *rawTemplate // for Resource and Outputs
}

// Function is an AWS::Serverless::Function, with the template's Globals applied.
type Function struct {
	LogicalID string
	// Name is the FunctionName property, or the logical ID.
	Name          string
	Handler       string
	Runtime       string
	Architectures []string
	// CodeURI is the CodeUri property when it is a path.
	CodeURI    string
	Timeout    time.Duration
	MemorySize int
	// Environment holds the resolved environment variables of Environment.Variables.
	Environment map[string]string
	// LogFormat is LoggingConfig.LogFormat: "Text" (the default) or "JSON".
	LogFormat string
	// ApplicationLogLevel is LoggingConfig.ApplicationLogLevel, if set.
	ApplicationLogLevel string
	// Routes, SQSSources, DynamoDBSources and Schedules are the function's events, in the order of
	// their names.
	Routes          []HTTPAPIRoute
	SQSSources      []SQSEventSource
	DynamoDBSources []DynamoDBEventSource
	Schedules       []Schedule
	// OtherEvents maps the names of events of other types (neither HttpApi, SQS, DynamoDB nor
	// Schedule) to their types.
	OtherEvents map[string]string
}

// HTTPAPIRoute is an HttpApi event: a route of an API Gateway HTTP API.
type HTTPAPIRoute struct {
	Event string
	// APIID is the resolved ApiId; "local" for Ref of an HttpApi resource and for the implicit API.
	APIID string
	// Method is the upper-case HTTP method, or "ANY".
	Method string
	// Path may hold {name} parameters and a last greedy {name+} parameter.
	Path string
}

// RouteKey returns the route key API Gateway reports, such as "GET /c/{link_id}".
func (r HTTPAPIRoute) RouteKey() string {
	return r.Method + " " + r.Path
}

// SQSEventSource is an SQS event: an event source mapping from a queue.
type SQSEventSource struct {
	Event    string
	QueueARN string
	// Queue is the logical ID of the template queue that QueueARN names, if any.
	Queue                 string
	BatchSize             int
	MaximumBatchingWindow time.Duration
	FunctionResponseTypes []string
	// MaximumConcurrency is ScalingConfig.MaximumConcurrency; 0 when unset.
	MaximumConcurrency int
	Enabled            bool
}

// ReportsBatchItemFailures tells whether the function answers with an SQS batch response.
func (s SQSEventSource) ReportsBatchItemFailures() bool {
	return slices.Contains(s.FunctionResponseTypes, "ReportBatchItemFailures")
}

// Schedule is a Schedule event: an EventBridge rule that invokes the function.
type Schedule struct {
	Event string
	// Expression is the Schedule property, such as "rate(5 minutes)" or "cron(0 12 * * ? *)".
	Expression string
	// Input is the constant JSON payload; empty when the function receives the Scheduled Event itself.
	Input   string
	Enabled bool
}

// Table is an AWS::DynamoDB::Table.
type Table struct {
	LogicalID string
	// Name is the TableName property, or the logical ID.
	Name                   string
	BillingMode            string
	AttributeDefinitions   []AttributeDefinition
	KeySchema              []KeySchemaElement
	GlobalSecondaryIndexes []SecondaryIndex
	LocalSecondaryIndexes  []SecondaryIndex
	// TTLAttribute is the attribute of an enabled TimeToLiveSpecification, or empty.
	TTLAttribute        string
	PointInTimeRecovery bool
	// StreamViewType is StreamSpecification.StreamViewType (KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or
	// NEW_AND_OLD_IMAGES), or empty for a table without a stream.
	StreamViewType string
	// StreamARN is what Fn::GetAtt of the table's StreamArn resolves to, if it has a stream: the one
	// Options.StreamARNs gives, else an ARN of the form AWS gives, labelled 1970-01-01T00:00:00.000.
	StreamARN string
}

// AttributeDefinition is a table's attribute definition.
type AttributeDefinition struct {
	AttributeName string
	AttributeType string
}

// KeySchemaElement is a part of a table's or an index's key.
type KeySchemaElement struct {
	AttributeName string
	KeyType       string
}

// SecondaryIndex is a global or local secondary index.
type SecondaryIndex struct {
	IndexName  string
	KeySchema  []KeySchemaElement
	Projection Projection
}

// Projection tells which attributes an index holds.
type Projection struct {
	ProjectionType   string
	NonKeyAttributes []string
}

// Queue is an AWS::SQS::Queue.
type Queue struct {
	LogicalID string
	// Name, URL and ARN identify the queue: the one Options.QueueIdentities gives, else the one AWS
	// would create in account 000000000000 from QueueName or the logical ID.
	Name                   string
	URL                    string
	ARN                    string
	VisibilityTimeout      time.Duration
	MessageRetentionPeriod time.Duration
	RedrivePolicy          *RedrivePolicy
}

// RedrivePolicy sends messages received too many times to a dead-letter queue.
type RedrivePolicy struct {
	DeadLetterTargetARN string
	// DeadLetterQueue is the logical ID of the template queue that DeadLetterTargetARN names, if any.
	DeadLetterQueue string
	MaxReceiveCount int
}

// QueueIdentity is what a queue's Ref and Fn::GetAtt resolve to.
type QueueIdentity struct {
	Name string
	URL  string
	ARN  string
}

// Options configure Parse.
type Options struct {
	// Parameters overrides template parameters.
	Parameters map[string]string
	// TableNames and QueueIdentities hold, by logical ID, the physical identities of the tables and
	// queues that already exist (such as those a local cloud created under names of its own). The
	// others resolve to the identities AWS would give them in account 000000000000.
	TableNames      map[string]string
	QueueIdentities map[string]QueueIdentity
	// StreamARNs holds, by logical ID, the latest stream ARNs of tables that exist and have a stream.
	StreamARNs map[string]string
}

// Parse reads a SAM template and resolves it in the region of AWS_REGION (default us-east-1).
func Parse(path string, opts Options) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse template %s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse template %s: not a YAML mapping", path)
	}
	root := doc.Content[0]
	t, err := resolveTemplate(root, opts, regionFromEnv())
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	return t, nil
}

// regionFromEnv returns AWS_REGION, or us-east-1.
func regionFromEnv() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return "us-east-1"
}

func resolveTemplate(root *yaml.Node, opts Options, region string) (*Template, error) {
	values, params, err := resolveParameters(child(root, "Parameters"), opts.Parameters)
	if err != nil {
		return nil, err
	}
	e := &evaluator{
		region:          region,
		params:          params,
		conditionNodes:  map[string]*yaml.Node{},
		conditions:      map[string]bool{},
		resources:       map[string]*resource{},
		tableNames:      opts.TableNames,
		queueIdentities: opts.QueueIdentities,
		streamARNs:      opts.StreamARNs,
		resolving:       map[string]bool{},
	}
	maps.Insert(e.conditionNodes, pairs(child(root, "Conditions")))
	t := &Template{
		Partition:  partition,
		Region:     region,
		AccountID:  accountID,
		StackName:  stackName,
		Parameters: values,
		Conditions: map[string]bool{},
		Functions:  map[string]*Function{},
		Tables:     map[string]*Table{},
		Queues:     map[string]*Queue{},
	}
	for name := range e.conditionNodes {
		if t.Conditions[name], err = e.condition(name); err != nil {
			return nil, err
		}
	}
	resources := child(root, "Resources")
	if resources == nil {
		return nil, errors.New("no Resources")
	}
	err = e.eachIncluded(resources, "resource", func(id string, n *yaml.Node) error {
		typ := child(n, "Type")
		if typ == nil {
			return fmt.Errorf("resource %s has no Type", id)
		}
		e.resources[id] = &resource{logicalID: id, typ: typ.Value, properties: child(n, "Properties"), node: n}
		return nil
	})
	if err != nil {
		return nil, err
	}
	globals := child(child(root, "Globals"), "Function")
	for id, r := range e.resources {
		var err error
		switch r.typ {
		case typeFunction:
			t.Functions[id], err = e.function(r, globals)
		case typeTable:
			t.Tables[id], err = e.table(r)
		case typeQueue:
			t.Queues[id], err = e.queueResource(r)
		}
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", id, err)
		}
	}
	linkResources(t)
	t.raw = &rawTemplate{eval: e, globals: globals, outputs: child(root, "Outputs")}
	return t, nil
}

// eachIncluded calls f, in order, with each entry of a Resources or Outputs section whose Condition,
// if it has one, is true; what names the entries in errors.
func (e *evaluator) eachIncluded(section *yaml.Node, what string, f func(name string, n *yaml.Node) error) error {
	for name, n := range pairs(section) {
		if cond := child(n, "Condition"); cond != nil {
			ok, err := e.condition(cond.Value)
			if err != nil {
				return fmt.Errorf("%s %s: %w", what, name, err)
			}
			if !ok {
				continue
			}
		}
		if err := f(name, n); err != nil {
			return err
		}
	}
	return nil
}

// linkResources fills in the logical IDs of the template queues and table streams that ARNs name.
func linkResources(t *Template) {
	byARN := map[string]string{}
	for id, q := range t.Queues {
		byARN[q.ARN] = id
	}
	byStreamARN := map[string]string{}
	for id, table := range t.Tables {
		if table.StreamARN != "" {
			byStreamARN[table.StreamARN] = id
		}
	}
	for _, q := range t.Queues {
		if q.RedrivePolicy != nil {
			q.RedrivePolicy.DeadLetterQueue = byARN[q.RedrivePolicy.DeadLetterTargetARN]
		}
	}
	for _, f := range t.Functions {
		for i := range f.SQSSources {
			f.SQSSources[i].Queue = byARN[f.SQSSources[i].QueueARN]
		}
		for i := range f.DynamoDBSources {
			src := &f.DynamoDBSources[i]
			src.Table = byStreamARN[src.StreamARN]
			if src.OnFailureARN != "" {
				src.OnFailureQueue = byARN[src.OnFailureARN]
			}
		}
	}
}

// parameterSpec is the declaration of a template parameter.
type parameterSpec struct {
	Type           string   `yaml:"Type"`
	Default        any      `yaml:"Default"`
	AllowedValues  []any    `yaml:"AllowedValues"`
	AllowedPattern string   `yaml:"AllowedPattern"`
	MinValue       *float64 `yaml:"MinValue"`
	MaxValue       *float64 `yaml:"MaxValue"`
}

// resolveParameters returns the parameters' values as strings and as Ref evaluates them.
func resolveParameters(decl *yaml.Node, overrides map[string]string) (map[string]string, map[string]any, error) {
	values, refs := map[string]string{}, map[string]any{}
	for name, n := range pairs(decl) {
		var spec parameterSpec
		if err := n.Decode(&spec); err != nil {
			return nil, nil, fmt.Errorf("parameter %s: %w", name, err)
		}
		value, ok := overrides[name]
		if !ok {
			if spec.Default == nil {
				return nil, nil, fmt.Errorf("parameter %s has no default and no override", name)
			}
			var err error
			if value, err = asString(spec.Default); err != nil {
				return nil, nil, fmt.Errorf("parameter %s: default: %w", name, err)
			}
		}
		if err := spec.validate(value); err != nil {
			return nil, nil, fmt.Errorf("parameter %s: %w", name, err)
		}
		values[name] = value
		refs[name] = value
		if spec.Type == "CommaDelimitedList" || strings.HasPrefix(spec.Type, "List<") {
			var list []any
			for _, item := range strings.Split(value, ",") {
				list = append(list, item)
			}
			refs[name] = list
		}
	}
	for name := range overrides {
		if _, ok := values[name]; !ok {
			return nil, nil, fmt.Errorf("override of undeclared parameter %s", name)
		}
	}
	return values, refs, nil
}

func (s parameterSpec) validate(value string) error {
	if len(s.AllowedValues) > 0 {
		allowed, err := asStrings(s.AllowedValues)
		if err != nil {
			return fmt.Errorf("AllowedValues: %w", err)
		}
		if !slices.Contains(allowed, value) {
			return fmt.Errorf("value %q is not one of %v", value, allowed)
		}
	}
	if s.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + s.AllowedPattern + ")$")
		if err != nil {
			return fmt.Errorf("AllowedPattern: %w", err)
		}
		if !re.MatchString(value) {
			return fmt.Errorf("value %q does not match %s", value, s.AllowedPattern)
		}
	}
	if s.Type == "Number" {
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("value %q is not a number", value)
		}
		if (s.MinValue != nil && f < *s.MinValue) || (s.MaxValue != nil && f > *s.MaxValue) {
			return fmt.Errorf("value %s is out of range", value)
		}
	}
	return nil
}

// mergeGlobals applies a Globals section to resource properties as SAM does: the resource's scalars
// replace the global ones, mappings merge and lists are global items first.
func mergeGlobals(global, local *yaml.Node) *yaml.Node {
	switch {
	case global == nil:
		return local
	case local == nil:
		return global
	case isPlain(global, yaml.MappingNode) && isPlain(local, yaml.MappingNode):
		merged := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for k, g := range pairs(global) {
			merged.Content = append(merged.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, mergeGlobals(g, child(local, k)))
		}
		for k, l := range pairs(local) {
			if child(global, k) == nil {
				merged.Content = append(merged.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, l)
			}
		}
		return merged
	case isPlain(global, yaml.SequenceNode) && isPlain(local, yaml.SequenceNode):
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: slices.Concat(global.Content, local.Content)}
	}
	return local
}

// isPlain tells whether n is a mapping or sequence of the given kind that is not an intrinsic function.
func isPlain(n *yaml.Node, kind yaml.Kind) bool {
	_, _, intrinsic := intrinsicName(n)
	return n.Kind == kind && !intrinsic
}

// props evaluates the given properties of a properties mapping, leaving the others alone (such as
// Policies, which may use functions the evaluator does not support).
func (e *evaluator) props(n *yaml.Node, keys ...string) (map[string]any, error) {
	picked := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, k := range keys {
		if v := child(n, k); v != nil {
			picked.Content = append(picked.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
		}
	}
	v, err := e.eval(picked)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func (e *evaluator) function(r *resource, globals *yaml.Node) (*Function, error) {
	n := mergeGlobals(globals, r.properties)
	p, err := e.props(n, "Handler", "Runtime", "Architectures", "CodeUri", "Timeout", "MemorySize", "Environment", "LoggingConfig")
	if err != nil {
		return nil, err
	}
	name, err := e.functionName(r)
	if err != nil {
		return nil, err
	}
	f := &Function{
		LogicalID:   r.logicalID,
		Name:        name,
		Timeout:     defaultTimeout,
		MemorySize:  defaultMemorySize,
		LogFormat:   "Text",
		Environment: map[string]string{},
		OtherEvents: map[string]string{},
	}
	f.CodeURI, _ = p["CodeUri"].(string)
	var fields struct {
		Handler       string
		Runtime       string
		Architectures []string
		Timeout       json.Number
		MemorySize    json.Number
		Environment   struct{ Variables map[string]any }
		LoggingConfig struct{ LogFormat, ApplicationLogLevel string }
	}
	if err := decodeValue(p, &fields); err != nil {
		return nil, err
	}
	f.Handler, f.Runtime, f.Architectures = fields.Handler, fields.Runtime, fields.Architectures
	if fields.Timeout != "" {
		if f.Timeout, err = seconds(fields.Timeout.String()); err != nil {
			return nil, fmt.Errorf("property Timeout: %w", err)
		}
	}
	if fields.MemorySize != "" {
		if f.MemorySize, err = strconv.Atoi(fields.MemorySize.String()); err != nil {
			return nil, fmt.Errorf("property MemorySize: %w", err)
		}
	}
	for k, v := range fields.Environment.Variables {
		if f.Environment[k], err = asString(v); err != nil {
			return nil, fmt.Errorf("environment variable %s: %w", k, err)
		}
	}
	if fields.LoggingConfig.LogFormat != "" {
		f.LogFormat = fields.LoggingConfig.LogFormat
	}
	f.ApplicationLogLevel = fields.LoggingConfig.ApplicationLogLevel
	events := child(n, "Events")
	var names []string
	for k := range pairs(events) {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := e.event(f, name, child(events, name)); err != nil {
			return nil, fmt.Errorf("event %s: %w", name, err)
		}
	}
	return f, nil
}

func (e *evaluator) event(f *Function, name string, n *yaml.Node) error {
	typ := child(n, "Type")
	if typ == nil {
		return errors.New("no Type")
	}
	v, err := e.eval(orEmpty(child(n, "Properties")))
	if err != nil {
		return err
	}
	p, _ := v.(map[string]any)
	switch typ.Value {
	case "HttpApi":
		route := HTTPAPIRoute{Event: name, APIID: localAPIID, Method: "ANY", Path: "/{proxy+}"}
		var fields struct{ ApiId, Method, Path string }
		if err := decodeValue(p, &fields); err != nil {
			return err
		}
		if fields.ApiId != "" {
			route.APIID = fields.ApiId
		}
		if fields.Method != "" {
			route.Method = strings.ToUpper(fields.Method)
		}
		if fields.Path != "" {
			route.Path = fields.Path
		}
		f.Routes = append(f.Routes, route)
	case "SQS":
		src := SQSEventSource{Event: name, BatchSize: defaultSQSBatchSize, Enabled: true}
		var fields struct {
			Queue                          string
			BatchSize                      json.Number
			MaximumBatchingWindowInSeconds json.Number
			FunctionResponseTypes          []string
			ScalingConfig                  struct{ MaximumConcurrency json.Number }
			Enabled                        *bool
		}
		if err := decodeValue(p, &fields); err != nil {
			return err
		}
		src.QueueARN, src.FunctionResponseTypes = fields.Queue, fields.FunctionResponseTypes
		if fields.BatchSize != "" {
			if src.BatchSize, err = strconv.Atoi(fields.BatchSize.String()); err != nil {
				return fmt.Errorf("BatchSize: %w", err)
			}
		}
		if fields.MaximumBatchingWindowInSeconds != "" {
			if src.MaximumBatchingWindow, err = seconds(fields.MaximumBatchingWindowInSeconds.String()); err != nil {
				return fmt.Errorf("MaximumBatchingWindowInSeconds: %w", err)
			}
		}
		if fields.ScalingConfig.MaximumConcurrency != "" {
			if src.MaximumConcurrency, err = strconv.Atoi(fields.ScalingConfig.MaximumConcurrency.String()); err != nil {
				return fmt.Errorf("MaximumConcurrency: %w", err)
			}
		}
		if fields.Enabled != nil {
			src.Enabled = *fields.Enabled
		}
		f.SQSSources = append(f.SQSSources, src)
	case "DynamoDB":
		src, err := dynamoDBEventSource(name, p)
		if err != nil {
			return err
		}
		f.DynamoDBSources = append(f.DynamoDBSources, src)
	case "Schedule":
		var fields struct {
			Schedule, Input, State string
			Enabled                *bool
		}
		if err := decodeValue(p, &fields); err != nil {
			return err
		}
		enabled := fields.State != "DISABLED" && (fields.Enabled == nil || *fields.Enabled)
		f.Schedules = append(f.Schedules, Schedule{Event: name, Expression: fields.Schedule, Input: fields.Input, Enabled: enabled})
	default:
		f.OtherEvents[name] = typ.Value
	}
	return nil
}

func (e *evaluator) table(r *resource) (*Table, error) {
	p, err := e.props(r.properties, "BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
		"LocalSecondaryIndexes", "TimeToLiveSpecification", "PointInTimeRecoverySpecification", "StreamSpecification")
	if err != nil {
		return nil, err
	}
	name, err := e.tableName(r)
	if err != nil {
		return nil, err
	}
	var fields struct {
		Table
		TimeToLiveSpecification struct {
			AttributeName string
			Enabled       any
		}
		PointInTimeRecoverySpecification struct{ PointInTimeRecoveryEnabled any }
		StreamSpecification              *struct{ StreamViewType string }
	}
	if err := decodeValue(p, &fields); err != nil {
		return nil, err
	}
	t := fields.Table
	t.LogicalID, t.Name = r.logicalID, name
	if len(t.KeySchema) == 0 {
		return nil, errors.New("no KeySchema")
	}
	if ttl := fields.TimeToLiveSpecification; ttl.Enabled != nil {
		enabled, err := asBool(ttl.Enabled)
		if err != nil {
			return nil, fmt.Errorf("TimeToLiveSpecification.Enabled: %w", err)
		}
		if enabled {
			t.TTLAttribute = ttl.AttributeName
		}
	}
	if pitr := fields.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled; pitr != nil {
		if t.PointInTimeRecovery, err = asBool(pitr); err != nil {
			return nil, fmt.Errorf("PointInTimeRecoveryEnabled: %w", err)
		}
	}
	if spec := fields.StreamSpecification; spec != nil {
		if !slices.Contains(streamViewTypes, spec.StreamViewType) {
			return nil, fmt.Errorf("StreamSpecification.StreamViewType %q is not one of %v", spec.StreamViewType, streamViewTypes)
		}
		t.StreamViewType = spec.StreamViewType
		if t.StreamARN, err = e.streamARN(r); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

func (e *evaluator) queueResource(r *resource) (*Queue, error) {
	p, err := e.props(r.properties, "VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy")
	if err != nil {
		return nil, err
	}
	id, err := e.queue(r)
	if err != nil {
		return nil, err
	}
	q := &Queue{
		LogicalID:              r.logicalID,
		Name:                   id.Name,
		URL:                    id.URL,
		ARN:                    id.ARN,
		VisibilityTimeout:      defaultVisibilityTimeout,
		MessageRetentionPeriod: defaultRetentionPeriod,
	}
	if v, ok := p["VisibilityTimeout"]; ok {
		if q.VisibilityTimeout, err = seconds(v); err != nil {
			return nil, fmt.Errorf("VisibilityTimeout: %w", err)
		}
	}
	if v, ok := p["MessageRetentionPeriod"]; ok {
		if q.MessageRetentionPeriod, err = seconds(v); err != nil {
			return nil, fmt.Errorf("MessageRetentionPeriod: %w", err)
		}
	}
	if v, ok := p["RedrivePolicy"]; ok {
		var fields struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     any    `json:"maxReceiveCount"`
		}
		if err := decodeValue(v, &fields); err != nil {
			return nil, fmt.Errorf("RedrivePolicy: %w", err)
		}
		count, err := asInt(fields.MaxReceiveCount)
		if err != nil {
			return nil, fmt.Errorf("RedrivePolicy.maxReceiveCount: %w", err)
		}
		q.RedrivePolicy = &RedrivePolicy{DeadLetterTargetARN: fields.DeadLetterTargetArn, MaxReceiveCount: count}
	}
	return q, nil
}

// seconds converts an evaluated whole number of seconds to a duration.
func seconds(v any) (time.Duration, error) {
	n, err := asInt(v)
	return time.Duration(n) * time.Second, err
}

// orEmpty returns n, or an empty mapping node for nil.
func orEmpty(n *yaml.Node) *yaml.Node {
	if n == nil {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	return n
}

// decodeValue copies an evaluated value into a typed struct through JSON. Numeric fields should be
// json.Number or any, as templates write numbers both bare and quoted.
func decodeValue(v any, out any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}
