package localcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// actionError is a handler error with a type name of its own.
type actionError struct{ action string }

func (e *actionError) Error() string { return "unknown action " + e.action }

// adminHandler answers {"action": ...} payloads with what it knows of its invocation.
func adminHandler(ctx context.Context, payload []byte) ([]byte, error) {
	var req struct{ Action string }
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	if req.Action != "whoami" {
		return nil, &actionError{req.Action}
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	return json.Marshal(map[string]any{
		"requestId":  lc.AwsRequestID,
		"arn":        lc.InvokedFunctionArn,
		"deadlineIn": time.Until(deadline).Seconds(),
		"client":     lc.ClientContext.Custom["caller"],
	})
}

func TestInvokeAPI(t *testing.T) {
	var rec recorded
	c := startCloud(t, map[string]Factory{"CronFunction": static(rec.recording(handlerFunc(adminHandler)))}, nil)
	client := lambdasdk.NewFromConfig(c.AWSConfig(), func(o *lambdasdk.Options) { o.BaseEndpoint = aws.String(c.InvokeURL()) })
	ctx := context.Background()

	out, err := client.Invoke(ctx, &lambdasdk.InvokeInput{
		FunctionName:  aws.String("CronFunction"),
		Payload:       []byte(`{"action":"whoami"}`),
		ClientContext: aws.String("eyJjdXN0b20iOnsiY2FsbGVyIjoidGVzdCJ9fQ=="), // {"custom":{"caller":"test"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	var who struct {
		RequestID  string
		ARN        string
		DeadlineIn float64
		Client     string
	}
	if err := json.Unmarshal(out.Payload, &who); err != nil {
		t.Fatalf("payload %s: %v", out.Payload, err)
	}
	if out.StatusCode != http.StatusOK || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("output = %d, function error %v, version %v", out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion))
	}
	if len(who.RequestID) != 36 || who.ARN != "arn:aws:lambda:us-east-1:000000000000:function:CronFunction" ||
		who.DeadlineIn <= 0 || who.DeadlineIn > 5 || who.Client != "test" {
		t.Errorf("invocation context = %+v", who)
	}

	out, err = client.Invoke(ctx, &lambdasdk.InvokeInput{
		FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:CronFunction:live"),
		Payload:      []byte(`{"action":"whoami"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Payload, []byte(`function:CronFunction:live"`)) {
		t.Errorf("invoked ARN with qualifier: payload %s", out.Payload)
	}

	out, err = client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("CronFunction"), Payload: []byte(`{"action":"explode"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != `{"errorMessage":"unknown action explode","errorType":"actionError"}` {
		t.Errorf("function error = %q, payload %s", aws.ToString(out.FunctionError), out.Payload)
	}

	_, err = client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("GhostFunction"), Payload: []byte(`{}`)})
	if nf, ok := errors.AsType[*lambdatypes.ResourceNotFoundException](err); !ok || !strings.Contains(nf.ErrorMessage(), "Function not found: arn:aws:lambda:us-east-1:000000000000:function:GhostFunction") {
		t.Errorf("unknown function: err = %v", err)
	}

	_, err = client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("CronFunction"), Payload: []byte(`{not json`)})
	if _, ok := errors.AsType[*lambdatypes.InvalidRequestContentException](err); !ok {
		t.Errorf("invalid JSON payload: err = %v", err)
	}

	before := len(rec.all())
	out, err = client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("CronFunction"), InvocationType: lambdatypes.InvocationTypeDryRun})
	if err != nil || out.StatusCode != http.StatusNoContent {
		t.Errorf("dry run = %v, %v", out, err)
	}
	out, err = client.Invoke(ctx, &lambdasdk.InvokeInput{
		FunctionName:   aws.String("CronFunction"),
		InvocationType: lambdatypes.InvocationTypeEvent,
		Payload:        []byte(`{"action":"async"}`),
	})
	if err != nil || out.StatusCode != http.StatusAccepted {
		t.Fatalf("event invocation = %v, %v", out, err)
	}
	eventually(t, "the asynchronous invocation", func() bool {
		all := rec.all()
		return len(all) == before+1 && string(all[before]) == `{"action":"async"}`
	})
}

func TestCloudInvoke(t *testing.T) {
	c := startCloud(t, map[string]Factory{"CronFunction": static(handlerFunc(adminHandler))}, nil)
	ctx := context.Background()
	if _, err := c.Invoke(ctx, "CronFunction", []byte(`{"action":"whoami"}`)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Invoke(ctx, "CronFunction", []byte(`{"action":"nope"}`))
	if fe, ok := errors.AsType[*FunctionError](err); !ok || fe.Type != "actionError" {
		t.Errorf("function error = %v", err)
	}
	if _, err := c.Invoke(ctx, "GhostFunction", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("unknown function: err = %v", err)
	}
}

// An invocation's answer is its own after the instance has served others. The Go runtime library's
// handler answers with the bytes of a buffer it pools for the instance's next invocation, which
// the Lambda runtime sends before taking that invocation; the local cloud keeps a copy.
func TestInvokeAnswersOutliveTheInstancesNextInvocation(t *testing.T) {
	echoJSON := lambda.NewHandler(func(_ context.Context, in map[string]string) (map[string]string, error) { return in, nil })
	c := startCloud(t, map[string]Factory{"CronFunction": static(echoJSON)}, nil)
	ctx := context.Background()
	first, err := c.Invoke(ctx, "CronFunction", []byte(`{"postback_id":"pb_first","errors":"click_id"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, "CronFunction", []byte(`{"postback_id":"pb_second"}`)); err != nil {
		t.Fatal(err)
	}
	if want := `{"errors":"click_id","postback_id":"pb_first"}`; strings.TrimSpace(string(first)) != want {
		t.Errorf("the first invocation's answer, read after the second: %s, want %s", first, want)
	}
}
