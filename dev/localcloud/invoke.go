package localcloud

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// maxInvokePayload is Lambda's limit on invocation payloads.
const maxInvokePayload = 6 << 20

// invokeAPIHandler serves the Lambda Invoke API, as `sam local start-lambda` does.
func (c *Cloud) invokeAPIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", c.serveInvoke)
	return mux
}

func (c *Cloud) serveInvoke(w http.ResponseWriter, r *http.Request) {
	f, qualifier := c.lookupFunction(r.PathValue("name"))
	if f == nil {
		writeLambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+c.functionARN(r.PathValue("name")))
		return
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qualifier = q
	}
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInvokePayload))
	if err != nil {
		writeLambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		writeLambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	lc := lambdacontext.LambdaContext{InvokedFunctionArn: f.invokedARN(qualifier)}
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		data, err := base64.StdEncoding.DecodeString(cc)
		if err == nil {
			err = json.Unmarshal(data, &lc.ClientContext)
		}
		if err != nil {
			writeLambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object")
			return
		}
	}
	switch invocationType := r.Header.Get("X-Amz-Invocation-Type"); invocationType {
	case "", "RequestResponse":
		out, err := c.invoke(r.Context(), f, payload, lc)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		if fe, ok := errors.AsType[*FunctionError](err); ok {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			out, _ = json.Marshal(fe)
		} else if err != nil {
			writeLambdaError(w, http.StatusServiceUnavailable, "ServiceException", err.Error())
			return
		}
		_, _ = w.Write(out)
	case "Event":
		// The invoke server shuts down before Close waits for the workers, so this Go happens before that Wait.
		c.workers.Go(func() {
			_, _ = c.invoke(context.WithoutCancel(r.Context()), f, payload, lc)
		})
		w.WriteHeader(http.StatusAccepted)
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
	default:
		writeLambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "Unsupported invocation type "+invocationType)
	}
}

// lookupFunction finds a function by logical ID, name, or ARN, each optionally with a ":qualifier".
func (c *Cloud) lookupFunction(ref string) (*function, string) {
	name := ref
	if _, after, ok := strings.Cut(ref, ":function:"); ok {
		name = after
	}
	name, qualifier, _ := strings.Cut(name, ":")
	if f, ok := c.functions[name]; ok {
		return f, qualifier
	}
	for _, f := range c.functions {
		if f.Name == name {
			return f, qualifier
		}
	}
	return nil, ""
}

// invokedARN returns the ARN an invocation names, with its qualifier if any.
func (f *function) invokedARN(qualifier string) string {
	if qualifier == "" {
		return f.arn
	}
	return f.arn + ":" + qualifier
}

// writeLambdaError writes an error of the Lambda API.
func writeLambdaError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": message})
}
