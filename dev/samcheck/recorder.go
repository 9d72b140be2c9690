package samcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Recorder records the authorization requests behind the AWS calls functions make. Each function
// is told apart by its credentials: give it the access key id of its logical ID, and the recorder
// reads it from the call's SigV4 Authorization header.
type Recorder struct {
	// Partition, Region and AccountID complete the ARNs of the resources calls name; the region
	// of a call's signature wins over Region.
	Partition, Region, AccountID string

	mu       sync.Mutex
	requests []Request
	problems []string
}

// NewRecorder returns a Recorder for ARNs in the given partition, region and account.
func NewRecorder(partition, region, accountID string) *Recorder {
	return &Recorder{Partition: partition, Region: region, AccountID: accountID}
}

// Requests returns what was recorded so far.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

// Problems returns the calls the recorder could not read (and so could not audit).
func (r *Recorder) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.problems)
}

func (r *Recorder) add(reqs ...Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, reqs...)
}

func (r *Recorder) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

var credentialPattern = regexp.MustCompile(`Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// caller returns the access key id and the region of a SigV4-signed request.
func caller(h http.Header) (accessKeyID, region string) {
	m := credentialPattern.FindStringSubmatch(h.Get("Authorization"))
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}

func (r *Recorder) arn(region, service, resource string) string {
	if region == "" {
		region = r.Region
	}
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", r.Partition, service, region, r.AccountID, resource)
}

// Proxy returns a handler that records the DynamoDB and SQS calls it receives (AWS JSON protocols)
// and forwards them to target, such as the local cloud's AWS endpoint.
func (r *Recorder) Proxy(target string) (http.Handler, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.recordCall(req.Header, body)
		proxy.ServeHTTP(w, req)
	}), nil
}

func (r *Recorder) recordCall(h http.Header, body []byte) {
	principal, region := caller(h)
	target := h.Get("X-Amz-Target")
	var reqs []Request
	var err error
	switch {
	case strings.HasPrefix(target, "DynamoDB_20120810."):
		reqs, err = r.dynamoDBRequests(region, strings.TrimPrefix(target, "DynamoDB_20120810."), body)
	case strings.HasPrefix(target, "AmazonSQS."):
		reqs, err = r.sqsRequests(region, strings.TrimPrefix(target, "AmazonSQS."), body)
	default:
		err = fmt.Errorf("unknown target %q", target)
	}
	if err != nil {
		r.problem("%s: %v", principal, err)
		return
	}
	for i := range reqs {
		reqs[i].Principal = principal
	}
	r.add(reqs...)
}

type dynamoDBRequest struct {
	TableName    string
	IndexName    string
	RequestItems map[string]json.RawMessage
	// TransactItems holds TransactWriteItems' and TransactGetItems' items.
	TransactItems []map[string]struct{ TableName string }
}

// dynamoDBRequests returns the actions an operation needs: one per table of a batch, one per item of
// a transaction (a transaction is authorized as its items' PutItem, UpdateItem, DeleteItem,
// ConditionCheckItem and GetItem).
func (r *Recorder) dynamoDBRequests(region, op string, body []byte) ([]Request, error) {
	var in dynamoDBRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("DynamoDB %s: %w", op, err)
	}
	table := func(name string) string { return r.arn(region, "dynamodb", "table/"+name) }
	operation := "dynamodb:" + op
	var out []Request
	switch op {
	case "BatchGetItem", "BatchWriteItem":
		for _, name := range slices.Sorted(maps.Keys(in.RequestItems)) {
			out = append(out, Request{Operation: operation, Action: operation, Resource: table(name)})
		}
	case "TransactWriteItems", "TransactGetItems":
		actions := map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
		for _, item := range in.TransactItems {
			for kind, v := range item {
				a, ok := actions[kind]
				if !ok {
					return nil, fmt.Errorf("DynamoDB %s: unknown item kind %s", op, kind)
				}
				out = append(out, Request{Operation: operation, Action: "dynamodb:" + a, Resource: table(v.TableName)})
			}
		}
	default:
		if in.TableName == "" {
			return nil, fmt.Errorf("DynamoDB %s names no table", op)
		}
		res := table(in.TableName)
		if in.IndexName != "" {
			res += "/index/" + in.IndexName
		}
		out = append(out, Request{Operation: operation, Action: operation, Resource: res})
	}
	return out, nil
}

// sqsBatchActions are the batch operations IAM authorizes as their single-message action.
var sqsBatchActions = map[string]string{
	"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage", "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}

func (r *Recorder) sqsRequests(region, op string, body []byte) ([]Request, error) {
	var in struct {
		QueueURL  string `json:"QueueUrl"`
		QueueName string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("SQS %s: %w", op, err)
	}
	action := op
	if a, ok := sqsBatchActions[op]; ok {
		action = a
	}
	var queue string
	switch {
	case in.QueueURL != "":
		u, err := url.Parse(in.QueueURL)
		if err != nil {
			return nil, fmt.Errorf("SQS %s: queue URL: %w", op, err)
		}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		queue = parts[len(parts)-1]
	case in.QueueName != "":
		queue = in.QueueName
	default:
		return nil, fmt.Errorf("SQS %s names no queue", op)
	}
	return []Request{{Operation: "sqs:" + op, Action: "sqs:" + action, Resource: r.arn(region, "sqs", queue)}}, nil
}
