package samcheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/trackly/tune-integration/dev/samtemplate"
)

// arns builds ARNs in a template's partition, region and account.
type arns struct{ partition, region, account string }

func arnsOf(t *samtemplate.Template) arns { return arns{t.Partition, t.Region, t.AccountID} }

func (a arns) of(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", a.partition, service, a.region, a.account, resource)
}

// policyTemplate expands a SAM policy template from its parameters. The action lists are SAM's own
// (samtranslator/policy_templates_data/policy_templates.json); only the templates this project
// may use are known, and an unknown one fails the check rather than being guessed.
type policyTemplate struct {
	params []string
	expand func(a arns, p map[string]string) []Statement
}

var (
	dynamoDBReadActions  = []string{"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"}
	dynamoDBWriteActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}
	dynamoDBCrudActions  = []string{"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query",
		"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"}
)

func tableStatement(actions []string) func(a arns, p map[string]string) []Statement {
	return func(a arns, p map[string]string) []Statement {
		table := a.of("dynamodb", "table/"+p["TableName"])
		return []Statement{{Effect: "Allow", Actions: actions, Resources: []string{table, table + "/index/*"}}}
	}
}

// PolicyTemplates are the SAM policy templates samcheck knows.
var policyTemplates = map[string]policyTemplate{
	"DynamoDBReadPolicy":  {params: []string{"TableName"}, expand: tableStatement(dynamoDBReadActions)},
	"DynamoDBWritePolicy": {params: []string{"TableName"}, expand: tableStatement(dynamoDBWriteActions)},
	"DynamoDBCrudPolicy":  {params: []string{"TableName"}, expand: tableStatement(dynamoDBCrudActions)},
	"SQSSendMessagePolicy": {params: []string{"QueueName"}, expand: func(a arns, p map[string]string) []Statement {
		return []Statement{{Effect: "Allow", Actions: []string{"sqs:SendMessage*"}, Resources: []string{a.of("sqs", p["QueueName"])}}}
	}},
	"SQSPollerPolicy": {params: []string{"QueueName"}, expand: func(a arns, p map[string]string) []Statement {
		return []Statement{{Effect: "Allow", Actions: []string{"sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch",
			"sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"},
			Resources: []string{a.of("sqs", p["QueueName"])}}}
	}},
	"SSMParameterReadPolicy": {params: []string{"ParameterName"}, expand: func(a arns, p map[string]string) []Statement {
		return []Statement{
			{Effect: "Allow", Actions: []string{"ssm:DescribeParameters"}, Resources: []string{"*"}},
			{Effect: "Allow", Actions: []string{"ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"},
				Resources: []string{a.of("ssm", "parameter/"+p["ParameterName"])}},
		}
	}},
	"KMSDecryptPolicy": {params: []string{"KeyId"}, expand: func(a arns, p map[string]string) []Statement {
		return []Statement{{Effect: "Allow", Actions: []string{"kms:Decrypt"}, Resources: []string{a.of("kms", "key/"+p["KeyId"])}}}
	}},
}

// managedPolicies are the AWS managed policies SAM attaches by itself, as they grant today.
var managedPolicies = map[string][]Statement{
	"AWSLambdaBasicExecutionRole": {
		{Effect: "Allow", Actions: []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{"*"}},
	},
	"AWSXrayWriteOnlyAccess": {
		{Effect: "Allow", Actions: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
			"xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"}, Resources: []string{"*"}},
	},
	"AWSLambdaSQSQueueExecutionRole": {
		{Effect: "Allow", Actions: []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
			"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{"*"}},
	},
	"AWSLambdaDynamoDBExecutionRole": {
		{Effect: "Allow", Actions: []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
			"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{"*"}},
	},
}

func managed(name, why string) []Statement {
	out := slices.Clone(managedPolicies[name])
	for i := range out {
		out[i].Source = name + " (" + why + ")"
		out[i].Implicit = true
	}
	return out
}

// FunctionPolicies returns every statement of a function's execution role as SAM creates it: the
// managed policies SAM attaches by itself (basic execution; X-Ray with Tracing: Active; the SQS
// poller policy for SQS events, the DynamoDB streams one for DynamoDB events) and the function's
// Policies, policy templates expanded.
func FunctionPolicies(t *samtemplate.Template, logicalID string) ([]Statement, error) {
	r, err := t.Resource(logicalID)
	if err != nil {
		return nil, err
	}
	if r.Type != "AWS::Serverless::Function" {
		return nil, fmt.Errorf("%s is a %s, not a function", logicalID, r.Type)
	}
	if _, ok := r.Properties["Role"]; ok {
		return nil, fmt.Errorf("%s has its own Role; samcheck reads policies of SAM-generated roles only", logicalID)
	}
	a := arnsOf(t)
	out := managed("AWSLambdaBasicExecutionRole", "added by SAM")
	if r.Properties["Tracing"] == "Active" {
		out = append(out, managed("AWSXrayWriteOnlyAccess", "added by SAM for Tracing: Active")...)
	}
	events, _ := r.Properties["Events"].(map[string]any)
	for _, p := range []struct{ event, policy string }{{"SQS", "AWSLambdaSQSQueueExecutionRole"}, {"DynamoDB", "AWSLambdaDynamoDBExecutionRole"}} {
		for _, name := range slices.Sorted(maps.Keys(events)) {
			if ev, _ := events[name].(map[string]any); ev["Type"] == p.event {
				out = append(out, managed(p.policy, "added by SAM for "+p.event+" event "+name)...)
				break
			}
		}
	}
	var policies []any
	switch p := r.Properties["Policies"].(type) {
	case nil:
	case []any:
		policies = p
	default:
		policies = []any{p}
	}
	for i, p := range policies {
		stmts, err := expandPolicy(a, p)
		if err != nil {
			return nil, fmt.Errorf("%s Policies[%d]: %w", logicalID, i, err)
		}
		out = append(out, stmts...)
	}
	return out, nil
}

func expandPolicy(a arns, p any) ([]Statement, error) {
	switch p := p.(type) {
	case string:
		if _, ok := managedPolicies[p]; ok {
			return managed(p, "in Policies"), nil
		}
		return nil, fmt.Errorf("managed policy %s is not known to samcheck (and managed policies are rarely least privilege)", p)
	case map[string]any:
		if doc, ok := p["Statement"]; ok {
			list, ok := doc.([]any)
			if !ok {
				list = []any{doc}
			}
			var out []Statement
			for i, s := range list {
				st, err := ParseStatement(fmt.Sprintf("Statement[%d]", i), s)
				if err != nil {
					return nil, err
				}
				out = append(out, st)
			}
			return out, nil
		}
		if len(p) != 1 {
			return nil, fmt.Errorf("want a policy template, a policy document or a managed policy name, got %v", p)
		}
		for name, v := range p {
			tmpl, ok := policyTemplates[name]
			if !ok {
				return nil, fmt.Errorf("policy template %s is not known to samcheck", name)
			}
			params := map[string]string{}
			m, _ := v.(map[string]any)
			var args []string
			for _, k := range tmpl.params {
				s, ok := m[k].(string)
				if !ok || s == "" {
					return nil, fmt.Errorf("%s needs %s", name, k)
				}
				params[k] = s
				args = append(args, s)
			}
			out := tmpl.expand(a, params)
			for i := range out {
				out[i].Source = name + "(" + strings.Join(args, ", ") + ")"
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("unsupported policy %T", p)
}
