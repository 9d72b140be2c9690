package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/trackly/tune-integration/internal/adminapi"
)

// functionError is a function's error answer: {"errorType": ..., "errorMessage": ...}.
type functionError struct {
	Function string `json:"-"`
	Type     string `json:"errorType"`
	Message  string `json:"errorMessage"`
}

func (e *functionError) Error() string { return e.line() }

// line is the one line trackly prints for the error.
func (e *functionError) line() string {
	msg := firstLine(e.Message)
	switch e.Type {
	case adminapi.ErrorInvalidInput:
		return "invalid input: " + msg
	case adminapi.ErrorTUNE:
		return "TUNE: " + strings.TrimPrefix(msg, "tune: ")
	case adminapi.ErrorInternal:
		return fmt.Sprintf("%s failed: %s", e.Function, msg)
	case "":
		return fmt.Sprintf("%s failed: %s", e.Function, msg)
	}
	return fmt.Sprintf("%s failed (%s): %s", e.Function, e.Type, msg)
}

// invoke runs action a with request req (an adminapi request, or a payload
// that binds flags to one) on the function that serves a and returns its
// JSON answer. The payload is exactly what `aws lambda invoke --payload` would send.
func (c *cli) invoke(ctx context.Context, a adminapi.Action, req any) (json.RawMessage, error) {
	iv, err := c.invoker(ctx)
	if err != nil {
		return nil, err
	}
	return iv.invoke(ctx, a, req)
}

func (iv *invoker) invoke(ctx context.Context, a adminapi.Action, req any) (json.RawMessage, error) {
	function := string(a.Function())
	name, err := iv.functionName(ctx, function)
	if err != nil {
		return nil, err
	}
	body, err := adminapi.Payload(a, req)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	out, err := iv.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: body})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if isConnRefused(err) {
			if iv.target.local {
				return nil, fmt.Errorf("cannot reach the Lambda Invoke API at %s: is 'trackly local' (make run) running?", iv.target.endpoint)
			}
			return nil, fmt.Errorf("cannot reach the Lambda Invoke API at %s", iv.where())
		}
		return nil, fmt.Errorf("invoke %s (%s): %s", function, iv.where(), apiErrorText(err))
	}
	if out.FunctionError != nil {
		fe := &functionError{Function: function}
		if json.Unmarshal(out.Payload, fe) != nil || (fe.Type == "" && fe.Message == "") {
			fe.Type, fe.Message = aws.ToString(out.FunctionError), string(out.Payload)
		}
		return nil, fe
	}
	if len(out.Payload) == 0 || !json.Valid(out.Payload) {
		return nil, fmt.Errorf("%s answered %q, not JSON", function, out.Payload)
	}
	return out.Payload, nil
}

// apiErrorText shortens an AWS SDK error to its code and message.
func apiErrorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return firstLine(err.Error())
}

func isConnRefused(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
