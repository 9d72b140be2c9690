package samtemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults and limits of Lambda's DynamoDB event source mappings.
const (
	defaultDynamoDBBatchSize = 100
	maxDynamoDBBatchSize     = 10000
	maxBatchingWindow        = 300 * time.Second
	maxRetryAttempts         = 10000
	// defaultStreamLabel labels the stream ARNs of tables that do not exist yet.
	defaultStreamLabel = "1970-01-01T00:00:00.000"
)

// streamViewTypes are the values of a table's StreamSpecification.StreamViewType.
var streamViewTypes = []string{"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"}

// DynamoDBEventSource is a DynamoDB event: an event source mapping from a table's stream.
type DynamoDBEventSource struct {
	Event     string
	StreamARN string
	// Table is the logical ID of the template table whose stream StreamARN names, if any.
	Table string
	// StartingPosition is TRIM_HORIZON or LATEST.
	StartingPosition      string
	BatchSize             int
	MaximumBatchingWindow time.Duration
	FunctionResponseTypes []string
	// BisectBatchOnFunctionError splits a batch in two when the function fails, without counting a retry.
	BisectBatchOnFunctionError bool
	// MaximumRetryAttempts is how often a failed batch is retried before it is discarded; -1 (the
	// default) retries until the records expire from the stream.
	MaximumRetryAttempts int
	// FilterPatterns are the Pattern strings of FilterCriteria.Filters, each a JSON object. When there
	// are any, only the records that match one are delivered; the others count as processed.
	FilterPatterns []string
	// OnFailureARN is DestinationConfig.OnFailure.Destination: the SQS queue that gets the metadata of
	// the batches discarded after their retries, or "". OnFailureQueue is the logical ID of the
	// template queue it names, if any.
	OnFailureARN   string
	OnFailureQueue string
	Enabled        bool
}

// ReportsBatchItemFailures tells whether the function answers with a DynamoDB batch response.
func (s DynamoDBEventSource) ReportsBatchItemFailures() bool {
	return slices.Contains(s.FunctionResponseTypes, "ReportBatchItemFailures")
}

// dynamoDBEventSource reads the properties of a DynamoDB event. It refuses the properties it does not
// know and those that Lambda knows but the local cloud does not run, unless they have the value that
// changes nothing.
func dynamoDBEventSource(name string, p map[string]any) (DynamoDBEventSource, error) {
	src := DynamoDBEventSource{
		Event:                name,
		BatchSize:            defaultDynamoDBBatchSize,
		MaximumRetryAttempts: -1,
		Enabled:              true,
	}
	for key, v := range p {
		switch key {
		case "Stream", "StartingPosition", "BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes",
			"BisectBatchOnFunctionError", "MaximumRetryAttempts", "FilterCriteria", "DestinationConfig", "Enabled":
		case "KmsKeyArn", "MetricsConfig":
			// They encrypt the filter criteria and publish metrics in AWS, and change no delivery.
		case "ParallelizationFactor":
			if n, err := asInt(v); err != nil || n != 1 {
				return src, fmt.Errorf("ParallelizationFactor %v is not supported locally: each shard has one batch in flight", v)
			}
		case "MaximumRecordAgeInSeconds":
			if n, err := asInt(v); err != nil || n != -1 {
				return src, fmt.Errorf("MaximumRecordAgeInSeconds %v is not supported locally: records are retried until MaximumRetryAttempts", v)
			}
		case "TumblingWindowInSeconds", "StartingPositionTimestamp":
			return src, fmt.Errorf("property %s of a DynamoDB event is not supported locally", key)
		default:
			return src, fmt.Errorf("unknown property %s of a DynamoDB event", key)
		}
	}
	var fields struct {
		Stream                         string
		StartingPosition               string
		BatchSize                      json.Number
		MaximumBatchingWindowInSeconds json.Number
		FunctionResponseTypes          []string
		BisectBatchOnFunctionError     any
		MaximumRetryAttempts           json.Number
		Enabled                        any
	}
	if err := decodeValue(p, &fields); err != nil {
		return src, err
	}
	var err error
	if src.StreamARN = fields.Stream; !strings.Contains(src.StreamARN, ":dynamodb:") || !strings.Contains(src.StreamARN, "/stream/") {
		return src, fmt.Errorf("property Stream: %q is not the ARN of a DynamoDB stream", fields.Stream)
	}
	switch src.StartingPosition = fields.StartingPosition; src.StartingPosition {
	case "TRIM_HORIZON", "LATEST":
	case "":
		return src, errors.New("no StartingPosition: it is required, TRIM_HORIZON or LATEST")
	default:
		return src, fmt.Errorf("StartingPosition %q of a DynamoDB event is not TRIM_HORIZON or LATEST", fields.StartingPosition)
	}
	if fields.BatchSize != "" {
		if src.BatchSize, err = strconv.Atoi(fields.BatchSize.String()); err != nil || src.BatchSize < 1 || src.BatchSize > maxDynamoDBBatchSize {
			return src, fmt.Errorf("BatchSize %s is not from 1 to %d", fields.BatchSize, maxDynamoDBBatchSize)
		}
	}
	if fields.MaximumBatchingWindowInSeconds != "" {
		src.MaximumBatchingWindow, err = seconds(fields.MaximumBatchingWindowInSeconds.String())
		if err != nil || src.MaximumBatchingWindow < 0 || src.MaximumBatchingWindow > maxBatchingWindow {
			return src, fmt.Errorf("MaximumBatchingWindowInSeconds %s is not from 0 to %d", fields.MaximumBatchingWindowInSeconds, int(maxBatchingWindow.Seconds()))
		}
	}
	for _, t := range fields.FunctionResponseTypes {
		if t != "ReportBatchItemFailures" {
			return src, fmt.Errorf("FunctionResponseTypes: %q is not ReportBatchItemFailures", t)
		}
	}
	src.FunctionResponseTypes = fields.FunctionResponseTypes
	if fields.BisectBatchOnFunctionError != nil {
		if src.BisectBatchOnFunctionError, err = asBool(fields.BisectBatchOnFunctionError); err != nil {
			return src, fmt.Errorf("BisectBatchOnFunctionError: %w", err)
		}
	}
	if fields.MaximumRetryAttempts != "" {
		src.MaximumRetryAttempts, err = strconv.Atoi(fields.MaximumRetryAttempts.String())
		if err != nil || src.MaximumRetryAttempts < -1 || src.MaximumRetryAttempts > maxRetryAttempts {
			return src, fmt.Errorf("MaximumRetryAttempts %s is not from -1 to %d", fields.MaximumRetryAttempts, maxRetryAttempts)
		}
	}
	if fields.Enabled != nil {
		if src.Enabled, err = asBool(fields.Enabled); err != nil {
			return src, fmt.Errorf("property Enabled: %w", err)
		}
	}
	if src.FilterPatterns, err = filterPatterns(p["FilterCriteria"]); err != nil {
		return src, fmt.Errorf("FilterCriteria: %w", err)
	}
	if src.OnFailureARN, err = onFailureDestination(p["DestinationConfig"]); err != nil {
		return src, fmt.Errorf("DestinationConfig: %w", err)
	}
	return src, nil
}

// filterPatterns returns the patterns of FilterCriteria, {"Filters": [{"Pattern": "{...}"}]}.
func filterPatterns(criteria any) ([]string, error) {
	if criteria == nil {
		return nil, nil
	}
	m, err := mapWithKeys(criteria, "Filters")
	if err != nil {
		return nil, err
	}
	filters, ok := m["Filters"].([]any)
	if !ok {
		return nil, errors.New("the Filters are not a list")
	}
	var patterns []string
	for i, f := range filters {
		fm, err := mapWithKeys(f, "Pattern")
		if err != nil {
			return nil, fmt.Errorf("filter %d: %w", i+1, err)
		}
		pattern, ok := fm["Pattern"].(string)
		var object map[string]any
		if !ok || json.Unmarshal([]byte(pattern), &object) != nil {
			return nil, fmt.Errorf("filter %d: Pattern is not a string holding a JSON object", i+1)
		}
		patterns = append(patterns, pattern)
	}
	return patterns, nil
}

// onFailureDestination returns the queue ARN of DestinationConfig, {"OnFailure": {"Destination":
// arn, "Type": "SQS"}}. SNS topics and S3 buckets are not supported locally.
func onFailureDestination(config any) (string, error) {
	if config == nil {
		return "", nil
	}
	m, err := mapWithKeys(config, "OnFailure")
	if err != nil {
		return "", err
	}
	onFailure, err := mapWithKeys(m["OnFailure"], "Destination", "Type")
	if err != nil {
		return "", fmt.Errorf("OnFailure: %w", err)
	}
	arn, _ := onFailure["Destination"].(string)
	typ, _ := onFailure["Type"].(string)
	if (typ != "" && typ != "SQS") || !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":sqs:") {
		return "", fmt.Errorf("OnFailure destination %q (Type %q) is not an SQS queue, the only destination supported locally", arn, typ)
	}
	return arn, nil
}

// mapWithKeys returns v as a mapping, refusing keys other than the given ones.
func mapWithKeys(v any, keys ...string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a mapping of %s, got %T", strings.Join(keys, ", "), v)
	}
	for k := range m {
		if !slices.Contains(keys, k) {
			return nil, fmt.Errorf("unknown property %s", k)
		}
	}
	return m, nil
}
