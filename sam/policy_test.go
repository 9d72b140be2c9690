package sam_test

import (
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/samcheck"
)

// TestPoliciesAreLeastPrivilege checks every function's role as SAM will create it: no wildcard
// data action, no data action on a wildcard resource beyond the narrowed shapes samcheck.Lint
// accepts, and every data resource one of this stack's own tables, queues or secrets.
// (e2e/rie checks the converse at run time: every grant is used, every call allowed.)
func TestPoliciesAreLeastPrivilege(t *testing.T) {
	tmpl := template(t)
	own := map[string]bool{}
	for _, table := range tmpl.Tables {
		arn := "arn:" + tmpl.Partition + ":dynamodb:" + tmpl.Region + ":" + tmpl.AccountID + ":table/" + table.Name
		own[arn], own[arn+"/index/*"] = true, true
	}
	for _, q := range tmpl.Queues {
		own[q.ARN] = true
	}
	secretsPrefix := "arn:" + tmpl.Partition + ":ssm:" + tmpl.Region + ":" + tmpl.AccountID + ":parameter" + tmpl.Functions["AdminFunction"].Environment["SECRETS_PARAMETER_PREFIX"]
	keys := "arn:" + tmpl.Partition + ":kms:" + tmpl.Region + ":" + tmpl.AccountID + ":key/*"

	for _, id := range functionIDs {
		t.Run(id, func(t *testing.T) {
			stmts, err := samcheck.FunctionPolicies(tmpl, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range samcheck.Lint(stmts) {
				t.Error(f)
			}
			for _, s := range stmts {
				if s.Effect != "Allow" || s.Implicit {
					continue
				}
				for _, res := range s.Resources {
					service := strings.SplitN(res, ":", 4)
					if len(service) < 3 {
						t.Errorf("%s: resource %q is not an ARN", s, res)
						continue
					}
					switch service[2] {
					case "dynamodb", "sqs":
						if !own[res] {
							t.Errorf("%s: %s is not one of this stack's tables or queues", s, res)
						}
					case "ssm":
						if !strings.HasPrefix(res, secretsPrefix) {
							t.Errorf("%s: parameter %s is outside the secrets path %s", s, res, secretsPrefix)
						}
					case "kms":
						via := s.ConditionKey("StringEquals", "kms:ViaService")
						if res != keys || len(via) != 1 || via[0] != "ssm."+tmpl.Region+".amazonaws.com" {
							t.Errorf("%s: KMS is for SSM's SecureStrings only (key/* via ssm.%s.amazonaws.com), not %s via %v", s, tmpl.Region, res, via)
						}
						for _, op := range []string{"StringEquals", "StringLike"} {
							for _, arn := range s.ConditionKey(op, "kms:EncryptionContext:PARAMETER_ARN") {
								if !strings.HasPrefix(arn, secretsPrefix) {
									t.Errorf("%s: encryption context %s is outside the secrets path", s, arn)
								}
							}
						}
					default:
						t.Errorf("%s: %s is of a service no function uses", s, res)
					}
				}
			}
		})
	}
}

// TestLintCatchesWhatItShould keeps the linter honest on the shapes it must refuse.
func TestLintCatchesWhatItShould(t *testing.T) {
	const table = "arn:aws:dynamodb:us-east-1:000000000000:table/T"
	bad := map[string]samcheck.Statement{
		"wildcard action":        {Effect: "Allow", Actions: []string{"sqs:SendMessage*"}, Resources: []string{"arn:aws:sqs:us-east-1:000000000000:Q"}},
		"service wildcard":       {Effect: "Allow", Actions: []string{"dynamodb:*"}, Resources: []string{table}},
		"star":                   {Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"}},
		"star resource":          {Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"*"}},
		"all tables":             {Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"arn:aws:dynamodb:us-east-1:000000000000:table/*"}},
		"all parameters":         {Effect: "Allow", Actions: []string{"ssm:GetParameter"}, Resources: []string{"arn:aws:ssm:us-east-1:000000000000:parameter/trackly/dev/*"}},
		"all of an integration":  {Effect: "Allow", Actions: []string{"ssm:GetParameter"}, Resources: []string{"arn:aws:ssm:us-east-1:000000000000:parameter/trackly/dev/integrations/*/*"}},
		"open prefix":            {Effect: "Allow", Actions: []string{"ssm:GetParameter"}, Resources: []string{"arn:aws:ssm:us-east-1:000000000000:parameter/trackly/dev/integrations/*/*-*"}},
		"two open segments":      {Effect: "Allow", Actions: []string{"ssm:GetParameter"}, Resources: []string{"arn:aws:ssm:us-east-1:000000000000:parameter/trackly/*/integrations/*/api-key"}},
		"keys without condition": {Effect: "Allow", Actions: []string{"kms:Decrypt"}, Resources: []string{"arn:aws:kms:us-east-1:000000000000:key/*"}},
		"NotResource allow":      {Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, NotResources: []string{table}},
		"managed star, no deny":  {Effect: "Allow", Implicit: true, Actions: []string{"sqs:ReceiveMessage"}, Resources: []string{"*"}},
	}
	for name, s := range bad {
		s.Source = name
		if len(samcheck.Lint([]samcheck.Statement{s})) == 0 {
			t.Errorf("Lint accepts %s", name)
		}
	}
	good := []samcheck.Statement{
		{Source: "table", Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{table, table + "/index/*"}},
		{Source: "family", Effect: "Allow", Actions: []string{"ssm:GetParameter"}, Resources: []string{"arn:aws:ssm:us-east-1:000000000000:parameter/trackly/dev/integrations/*/api-key"}},
		{Source: "versions", Effect: "Allow", Actions: []string{"ssm:GetParameter"}, Resources: []string{"arn:aws:ssm:us-east-1:000000000000:parameter/trackly/dev/integrations/*/api-key-*"}},
		{Source: "logs", Effect: "Allow", Actions: []string{"logs:PutLogEvents"}, Resources: []string{"*"}},
		{Source: "managed", Effect: "Allow", Implicit: true, Actions: []string{"sqs:ReceiveMessage"}, Resources: []string{"*"}},
		{Source: "deny", Effect: "Deny", Actions: []string{"sqs:ReceiveMessage"}, NotResources: []string{"arn:aws:sqs:us-east-1:000000000000:Q"}},
		{Source: "kms", Effect: "Allow", Actions: []string{"kms:Decrypt"}, Resources: []string{"arn:aws:kms:us-east-1:000000000000:key/*"},
			Conditions: map[string]map[string][]string{
				"StringEquals": {"kms:ViaService": {"ssm.us-east-1.amazonaws.com"}},
				"StringLike":   {"kms:EncryptionContext:PARAMETER_ARN": {"arn:aws:ssm:us-east-1:000000000000:parameter/trackly/dev/integrations/*/api-key-*"}},
			}},
	}
	if f := samcheck.Lint(good); len(f) > 0 {
		t.Errorf("Lint refuses narrowed statements: %v", f)
	}
}
