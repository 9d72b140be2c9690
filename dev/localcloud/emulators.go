package localcloud

import (
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// X-Amz-Target prefixes of the JSON protocols the endpoint serves.
const (
	dynamoDBTargetPrefix        = "DynamoDB_20120810."
	dynamoDBStreamsTargetPrefix = "DynamoDBStreams_20120810."
	sqsTargetPrefix             = "AmazonSQS."
)

// awsEndpoint serves DynamoDB, DynamoDB Streams and SQS on one listener, dispatching on the
// X-Amz-Target header of their JSON protocols: DynamoDB and DynamoDB Streams requests go on to
// DynamoDB Local, SQS requests to the embedded goaws. A service is nil when
// AWS_ENDPOINT_URL_<SERVICE> points its clients elsewhere (DynamoDB Streams goes with DynamoDB).
type awsEndpoint struct {
	dynamoDB        http.Handler
	dynamoDBStreams http.Handler
	sqs             http.Handler
}

func (e *awsEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case e.dynamoDB != nil && strings.HasPrefix(target, dynamoDBTargetPrefix):
		e.dynamoDB.ServeHTTP(w, r)
	case e.dynamoDBStreams != nil && strings.HasPrefix(target, dynamoDBStreamsTargetPrefix):
		e.dynamoDBStreams.ServeHTTP(w, r)
	case e.sqs != nil && strings.HasPrefix(target, sqsTargetPrefix):
		e.sqs.ServeHTTP(w, r)
	default:
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "the local AWS endpoint does not serve "+target)
	}
}

// maxIdleDynamoDBConns is how many idle connections the endpoint keeps to DynamoDB Local: as many as
// the functions' concurrent requests, so that a burst does not open and close a connection per request.
const maxIdleDynamoDBConns = 256

// newDynamoDBProxy returns a handler that passes requests on to the DynamoDB at target, unchanged:
// the request's signature covers its host, which DynamoDB Local does not check.
func newDynamoDBProxy(target *url.URL) http.Handler {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = maxIdleDynamoDBConns
	transport.MaxIdleConnsPerHost = maxIdleDynamoDBConns
	return &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// A 5xx answer is one the SDK retries, as it would a DynamoDB outage.
			writeJSONError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "DynamoDB Local: "+err.Error())
		},
	}
}

// writeJSONError writes an error of the AWS JSON protocols.
func writeJSONError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": message})
}
