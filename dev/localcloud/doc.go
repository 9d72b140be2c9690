// Package localcloud runs a SAM application in one process, without Docker: it reads template.yaml
// (resolved by package samtemplate), serves DynamoDB and DynamoDB Streams (AWS's DynamoDB Local, a
// child process) and SQS (the embedded goaws) on one endpoint, creates the template's tables and
// queues there, and delivers the template's events to the functions as Lambda does: API Gateway
// HTTP API requests, Lambda Invoke API calls, SQS batches, DynamoDB stream batches and schedules.
//
// Cloud.Template returns the template as the Cloud resolved it, with the identities of the tables,
// their streams and the queues it created.
//
// The package knows nothing of the application: each function is given as a Factory that builds its
// handler, as the function's main.go does in AWS.
//
// # DynamoDB streams
//
// A table's StreamSpecification gives it a stream in DynamoDB Local, when the Cloud creates the table
// and also when the table exists already (a data directory from before the template declared the
// stream); a new StreamViewType replaces the stream, as in AWS. Fn::GetAtt of the table's StreamArn
// is DynamoDB Local's ARN of the latest stream, whose region is "ddblocal": DynamoDB Local knows its
// streams by no other. The endpoint passes DynamoDB Streams requests on to DynamoDB Local, and
// functions get it as AWS_ENDPOINT_URL_DYNAMODB_STREAMS, the variable the SDK reads.
//
// Each enabled DynamoDB event is a mapping that runs as Lambda's do: it reads the stream's shards,
// parents before children, from TRIM_HORIZON or from LATEST (the records of the stream when the Cloud
// starts are passed over), with one batch in flight, in the stream's order. The records are Lambda's
// (awsRegion is the template's region; eventSourceARN the stream's ARN) in batches of BatchSize at
// most and 6 MB, gathered for MaximumBatchingWindowInSeconds. FilterCriteria patterns drop the
// records that match none; they may match values, prefix, anything-but and exists. A batch response
// (ReportBatchItemFailures) retries from the failed record with the lowest sequence number; a
// function error or an invalid response retries the batch, split in two first if
// BisectBatchOnFunctionError is set; after MaximumRetryAttempts the records left are discarded and
// their metadata (DDBStreamBatchInfo) goes to the OnFailure SQS queue. Retries wait 100 ms, doubling
// to 5 s. A mapping's checkpoints outlive the Cloud in Options.DynamoDBDataDir, so that a restart
// neither delivers again nor skips a record; elsewhere they live as long as the tables do. Close
// lets the mappings deliver what the streams hold, as it lets the SQS pollers empty their queues.
//
// What does not run: ParallelizationFactor above 1, TumblingWindowInSeconds,
// MaximumRecordAgeInSeconds other than -1, SNS and S3 destinations, and the numeric, suffix,
// wildcard, equals-ignore-case, cidr and $or filters are refused when the template is read or the
// Cloud starts. A mapping reads its shards one after another, where Lambda reads sibling shards at
// once; DynamoDB Local has one open shard per table and rolls it over after four hours. Its
// ApproximateCreationDateTime is rounded down to the minute (AWS rounds to the second) and its
// sequence numbers are 21 digits counting up from 1 across its tables. Nothing throttles an
// invocation, so no record is ever retried before it reaches the function.
package localcloud
