package samcheck

import (
	"net/http"
	"slices"
	"testing"
)

func TestGlobMatchesAsIAMDoes(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		fold, want bool
	}{
		{"arn:aws:ssm:us-east-1:1:parameter/trackly/dev/integrations/*/api-key-*", "arn:aws:ssm:us-east-1:1:parameter/trackly/dev/integrations/in_x/api-key-AbC", false, true},
		{"arn:aws:ssm:us-east-1:1:parameter/trackly/dev/integrations/*/api-key-*", "arn:aws:ssm:us-east-1:1:parameter/trackly/dev/integrations/in_x/postback-token-AbC", false, false},
		{"arn:aws:dynamodb:r:1:table/T/index/*", "arn:aws:dynamodb:r:1:table/T/index/by_account", false, true},
		{"arn:aws:dynamodb:r:1:table/T", "arn:aws:dynamodb:r:1:table/T/index/by_account", false, false},
		{"sqs:SendMessage*", "sqs:SendMessageBatch", true, true},
		{"dynamodb:getitem", "dynamodb:GetItem", true, true},
		{"dynamodb:getitem", "dynamodb:GetItem", false, false},
		{"a?c", "abc", false, true},
		{"a[b]c", "a[b]c", false, true},
		{"*", "anything/at:all", false, true},
	} {
		if got := Glob(c.pattern, c.s, c.fold); got != c.want {
			t.Errorf("Glob(%q, %q, %v) = %v, want %v", c.pattern, c.s, c.fold, got, c.want)
		}
	}
}

func TestEvaluateDenyWinsAndConditionsHold(t *testing.T) {
	const queue = "arn:aws:sqs:us-east-1:1:Q"
	stmts := []Statement{
		{Source: "managed", Effect: "Allow", Actions: []string{"sqs:ReceiveMessage"}, Resources: []string{"*"}},
		{Source: "deny", Effect: "Deny", Actions: []string{"sqs:ReceiveMessage"}, NotResources: []string{queue}},
		{Source: "kms", Effect: "Allow", Actions: []string{"kms:Decrypt"}, Resources: []string{"arn:aws:kms:us-east-1:1:key/*"},
			Conditions: map[string]map[string][]string{
				"StringEquals": {"kms:ViaService": {"ssm.us-east-1.amazonaws.com"}},
				"StringLike":   {"kms:EncryptionContext:PARAMETER_ARN": {"arn:aws:ssm:us-east-1:1:parameter/p/*"}},
			}},
	}
	if d := Evaluate(stmts, Request{Action: "sqs:ReceiveMessage", Resource: queue}); !d.Allowed {
		t.Errorf("own queue: %+v", d)
	}
	if d := Evaluate(stmts, Request{Action: "sqs:ReceiveMessage", Resource: "arn:aws:sqs:us-east-1:1:Other"}); d.Allowed || d.DeniedBy == nil {
		t.Errorf("other queue: %+v", d)
	}
	ctx := map[string]string{"kms:ViaService": "ssm.us-east-1.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN": "arn:aws:ssm:us-east-1:1:parameter/p/x"}
	if d := Evaluate(stmts, Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:1:key/k", Context: ctx}); !d.Allowed {
		t.Errorf("decrypt through SSM: %+v", d)
	}
	ctx["kms:ViaService"] = "s3.us-east-1.amazonaws.com"
	if d := Evaluate(stmts, Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:1:key/k", Context: ctx}); d.Allowed {
		t.Errorf("decrypt through S3 allowed: %+v", d)
	}
	if d := Evaluate(stmts, Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:1:key/k"}); d.Allowed {
		t.Errorf("decrypt without context allowed: %+v", d)
	}
}

func TestParseStatementRefusesWhatIAMWouldNot(t *testing.T) {
	for name, v := range map[string]any{
		"no effect":      map[string]any{"Action": "s3:GetObject", "Resource": "*"},
		"no resource":    map[string]any{"Effect": "Allow", "Action": "s3:GetObject"},
		"principal":      map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"},
		"operator":       map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": map[string]any{"DateGreaterThan": map[string]any{"aws:CurrentTime": "2020"}}},
		"unknown member": map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Actions": "x"},
	} {
		if _, err := ParseStatement(name, v); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestRecorderTurnsCallsIntoIAMRequests(t *testing.T) {
	r := NewRecorder("aws", "us-east-1", "000000000000")
	sign := func(target string) http.Header {
		h := http.Header{}
		h.Set("X-Amz-Target", target)
		h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ClickFunction/20261124/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
		return h
	}
	r.recordCall(sign("DynamoDB_20120810.TransactWriteItems"), []byte(`{"TransactItems":[{"Put":{"TableName":"Clicks"}},{"Update":{"TableName":"Reports"}},{"ConditionCheck":{"TableName":"Links"}}]}`))
	r.recordCall(sign("DynamoDB_20120810.Query"), []byte(`{"TableName":"Conversions","IndexName":"by_account"}`))
	r.recordCall(sign("DynamoDB_20120810.BatchGetItem"), []byte(`{"RequestItems":{"B":{},"A":{}}}`))
	r.recordCall(sign("AmazonSQS.SendMessageBatch"), []byte(`{"QueueUrl":"http://127.0.0.1:1/000000000000/Q-1a2b"}`))
	r.recordCall(sign("Unknown.Op"), []byte(`{}`))
	var got []string
	for _, req := range r.Requests() {
		if req.Principal != "ClickFunction" {
			t.Errorf("principal %q", req.Principal)
		}
		got = append(got, req.Action+" "+req.Resource)
	}
	want := []string{
		"dynamodb:PutItem arn:aws:dynamodb:eu-west-1:000000000000:table/Clicks",
		"dynamodb:UpdateItem arn:aws:dynamodb:eu-west-1:000000000000:table/Reports",
		"dynamodb:ConditionCheckItem arn:aws:dynamodb:eu-west-1:000000000000:table/Links",
		"dynamodb:Query arn:aws:dynamodb:eu-west-1:000000000000:table/Conversions/index/by_account",
		"dynamodb:BatchGetItem arn:aws:dynamodb:eu-west-1:000000000000:table/A",
		"dynamodb:BatchGetItem arn:aws:dynamodb:eu-west-1:000000000000:table/B",
		"sqs:SendMessage arn:aws:sqs:eu-west-1:000000000000:Q-1a2b",
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests\n%q\nwant\n%q", got, want)
	}
	if len(r.Problems()) != 1 {
		t.Errorf("problems %v, want the unknown target", r.Problems())
	}
}
