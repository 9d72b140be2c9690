package localcloud

import (
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	minidyn "github.com/truora/minidyn/server"
)

// X-Amz-Target prefixes of the JSON protocols the endpoint serves.
const (
	dynamoDBTargetPrefix = "DynamoDB_20120810."
	sqsTargetPrefix      = "AmazonSQS."
)

// awsEndpoint serves the embedded DynamoDB and SQS emulators on one listener, dispatching on the
// X-Amz-Target header of their JSON protocols. An emulator is nil when an external endpoint replaces it.
type awsEndpoint struct {
	dynamoDB http.Handler
	// dynamoDBMu serializes DynamoDB requests: minidyn's tables have no locks of their own, and
	// serializing also keeps its transactions atomic.
	dynamoDBMu sync.Mutex
	sqs        *sqsEmulator
}

func (e *awsEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case e.dynamoDB != nil && strings.HasPrefix(target, dynamoDBTargetPrefix):
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		e.dynamoDBMu.Lock()
		rec := serveRecorded(e.dynamoDB, r, body)
		e.dynamoDBMu.Unlock()
		// DynamoDB signs its responses with a CRC32 that the SDK checks.
		rec.header.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(rec.body)), 10))
		rec.writeTo(w)
	case e.sqs != nil && strings.HasPrefix(target, sqsTargetPrefix):
		e.sqs.ServeHTTP(w, r)
	default:
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "the local AWS endpoint does not serve "+target)
	}
}

// newDynamoDBEmulator returns a DynamoDB emulator with tables of its own.
func newDynamoDBEmulator() http.Handler {
	return minidyn.NewServer()
}

// writeJSONError writes an error of the AWS JSON protocols.
func writeJSONError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": message})
}
