package samtemplate

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// parseString resolves a template given as YAML text.
func parseString(t *testing.T, text string, opts Options) (*Template, error) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return resolveTemplate(doc.Content[0], opts, "us-east-1")
}

// streamTemplate is a table with a stream, a queue, and a function whose Changes event has the
// given properties (YAML, indented by 10 spaces).
func streamTemplate(properties string) string {
	return `
Resources:
  ChangesTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: changes
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      StreamSpecification:
        StreamViewType: NEW_AND_OLD_IMAGES
  PlainTable:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
  FailedQueue:
    Type: AWS::SQS::Queue
  CountFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: bootstrap
      Runtime: provided.al2023
      Environment:
        Variables:
          STREAM: !GetAtt ChangesTable.StreamArn
      Events:
        Changes:
          Type: DynamoDB
          Properties:
` + properties
}

func TestDynamoDBEvent(t *testing.T) {
	tmpl, err := parseString(t, streamTemplate(`
            Stream: !GetAtt ChangesTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 50
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: "3"
            ParallelizationFactor: 1
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName":["INSERT"]}'
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt FailedQueue.Arn
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	const streamARN = "arn:aws:dynamodb:us-east-1:000000000000:table/changes/stream/1970-01-01T00:00:00.000"
	if got := tmpl.Tables["ChangesTable"]; got.StreamViewType != "NEW_AND_OLD_IMAGES" || got.StreamARN != streamARN {
		t.Errorf("ChangesTable stream = %q %q", got.StreamViewType, got.StreamARN)
	}
	if got := tmpl.Tables["PlainTable"]; got.StreamViewType != "" || got.StreamARN != "" {
		t.Errorf("PlainTable stream = %q %q", got.StreamViewType, got.StreamARN)
	}
	f := tmpl.Functions["CountFunction"]
	if f.Environment["STREAM"] != streamARN {
		t.Errorf("STREAM = %q", f.Environment["STREAM"])
	}
	want := DynamoDBEventSource{
		Event:                      "Changes",
		StreamARN:                  streamARN,
		Table:                      "ChangesTable",
		StartingPosition:           "TRIM_HORIZON",
		BatchSize:                  50,
		MaximumBatchingWindow:      2 * time.Second,
		FunctionResponseTypes:      []string{"ReportBatchItemFailures"},
		BisectBatchOnFunctionError: true,
		MaximumRetryAttempts:       3,
		FilterPatterns:             []string{`{"eventName":["INSERT"]}`},
		OnFailureARN:               "arn:aws:sqs:us-east-1:000000000000:FailedQueue",
		OnFailureQueue:             "FailedQueue",
		Enabled:                    true,
	}
	if len(f.DynamoDBSources) != 1 || !reflect.DeepEqual(f.DynamoDBSources[0], want) {
		t.Errorf("DynamoDB sources = %+v\nwant %+v", f.DynamoDBSources, want)
	}
	if len(f.OtherEvents) != 0 {
		t.Errorf("other events = %v", f.OtherEvents)
	}

	// The identities of existing tables and streams replace the ones AWS would give.
	const local = "arn:aws:dynamodb:ddblocal:000000000000:table/changes-1/stream/2026-01-01T00:00:00.000"
	existing, err := parseString(t, streamTemplate(`
            Stream: !GetAtt ChangesTable.StreamArn
            StartingPosition: LATEST
`), Options{TableNames: map[string]string{"ChangesTable": "changes-1"}, StreamARNs: map[string]string{"ChangesTable": local}})
	if err != nil {
		t.Fatal(err)
	}
	src := existing.Functions["CountFunction"].DynamoDBSources[0]
	if src.StreamARN != local || src.Table != "ChangesTable" || existing.Tables["ChangesTable"].StreamARN != local {
		t.Errorf("source %+v, table stream %s; want %s", src, existing.Tables["ChangesTable"].StreamARN, local)
	}
	if src.BatchSize != 100 || src.MaximumRetryAttempts != -1 || src.MaximumBatchingWindow != 0 || src.BisectBatchOnFunctionError ||
		src.ReportsBatchItemFailures() || src.OnFailureARN != "" || src.FilterPatterns != nil || !src.Enabled {
		t.Errorf("defaults = %+v", src)
	}
}

func TestDynamoDBEventErrors(t *testing.T) {
	const stream = "\n            Stream: !GetAtt ChangesTable.StreamArn"
	for name, tc := range map[string]struct{ properties, want string }{
		"unknown property":       {stream + "\n            StartingPosition: LATEST\n            Nope: 1", "unknown property Nope"},
		"no starting position":   {stream, "StartingPosition"},
		"AT_TIMESTAMP":           {stream + "\n            StartingPosition: AT_TIMESTAMP", "AT_TIMESTAMP"},
		"batch too large":        {stream + "\n            StartingPosition: LATEST\n            BatchSize: 10001", "BatchSize"},
		"batch of zero":          {stream + "\n            StartingPosition: LATEST\n            BatchSize: 0", "BatchSize"},
		"window too long":        {stream + "\n            StartingPosition: LATEST\n            MaximumBatchingWindowInSeconds: 301", "MaximumBatchingWindowInSeconds"},
		"retries below -1":       {stream + "\n            StartingPosition: LATEST\n            MaximumRetryAttempts: -2", "MaximumRetryAttempts"},
		"response type":          {stream + "\n            StartingPosition: LATEST\n            FunctionResponseTypes: [Other]", "FunctionResponseTypes"},
		"parallelization":        {stream + "\n            StartingPosition: LATEST\n            ParallelizationFactor: 2", "ParallelizationFactor"},
		"record age":             {stream + "\n            StartingPosition: LATEST\n            MaximumRecordAgeInSeconds: 60", "MaximumRecordAgeInSeconds"},
		"tumbling window":        {stream + "\n            StartingPosition: LATEST\n            TumblingWindowInSeconds: 60", "TumblingWindowInSeconds"},
		"not a stream":           {"\n            Stream: !GetAtt ChangesTable.Arn\n            StartingPosition: LATEST", "not the ARN of a DynamoDB stream"},
		"table without a stream": {"\n            Stream: !GetAtt PlainTable.StreamArn\n            StartingPosition: LATEST", "no StreamSpecification"},
		"pattern not a string": {stream + "\n            StartingPosition: LATEST\n            FilterCriteria: {Filters: [{Pattern: {eventName: [INSERT]}}]}",
			"Pattern is not a string"},
		"pattern not JSON": {stream + "\n            StartingPosition: LATEST\n            FilterCriteria: {Filters: [{Pattern: 'eventName'}]}",
			"Pattern is not a string"},
		"SNS destination": {stream + "\n            StartingPosition: LATEST\n            DestinationConfig: {OnFailure: {Type: SNS, Destination: 'arn:aws:sns:us-east-1:000000000000:t'}}",
			"not an SQS queue"},
		"OnSuccess": {stream + "\n            StartingPosition: LATEST\n            DestinationConfig: {OnSuccess: {Destination: !GetAtt FailedQueue.Arn}}",
			"unknown property OnSuccess"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseString(t, streamTemplate(tc.properties), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one about %s", err, tc.want)
			}
		})
	}
	bad := strings.Replace(streamTemplate(stream+"\n            StartingPosition: LATEST"), "NEW_AND_OLD_IMAGES", "EVERYTHING", 1)
	if _, err := parseString(t, bad, Options{}); err == nil || !strings.Contains(err.Error(), "StreamViewType") {
		t.Errorf("StreamViewType EVERYTHING: err = %v", err)
	}
}
