// Package samtemplate resolves an AWS SAM template as CloudFormation would deploy it in account
// 000000000000, in the region of AWS_REGION: Parse reads template.yaml, gives each parameter its
// default or an override, evaluates the conditions and the intrinsic functions (Ref, Fn::GetAtt,
// Fn::Sub, Fn::If, Fn::Join, Fn::Select, Fn::Split and the condition functions), applies the
// Globals section to functions, and names resources as AWS would, unless Options gives the
// identities of tables and queues that exist already.
//
// The resulting Template holds what a local cloud runs: the functions with their HTTP API routes,
// SQS and DynamoDB event sources and schedules, the DynamoDB tables (with their streams) and the SQS
// queues. Fn::GetAtt of a table's StreamArn resolves to the stream Options.StreamARNs gives, else to
// an ARN of AWS's form with a fixed label. The evaluator refuses the properties of a DynamoDB event
// it does not know, and those the local cloud does not run (see DynamoDBEventSource). Template.Resource and
// Template.Outputs resolve any other resource and the Outputs section on demand, for checks of a
// template beyond what runs locally.
package samtemplate
