package localcloud

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/models"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/sirupsen/logrus"
)

const (
	// goawsSweepInterval is how often goaws makes expired in-flight messages visible again and moves
	// messages received maxReceiveCount times to their dead-letter queue.
	goawsSweepInterval = 200 * time.Millisecond
	// longPollInterval is how often a long-polling ReceiveMessage looks for messages again.
	longPollInterval = 100 * time.Millisecond
	// goawsHost and goawsPort are what goaws writes in queue URLs; responses carry the endpoint's instead.
	goawsHost = "goaws.invalid"
	goawsPort = "4100"
	// invocationIDHeader carries the ID that the AWS SDK gives a call, the same in each attempt of it.
	invocationIDHeader = "Amz-Sdk-Invocation-Id"
	// replayWindow is how long the emulator keeps a ReceiveMessage answer for a retry of its call: the
	// SDK's retries of a call come within seconds.
	replayWindow = time.Minute
	// sqsVisibilityTimeout and sqsRetentionPeriod are SQS's defaults, for queues created without these
	// attributes.
	sqsVisibilityTimeout = 30 * time.Second
	sqsRetentionPeriod   = 4 * 24 * time.Hour
)

// goaws keeps its queues in process-wide variables, shared by every Cloud of the process.
var (
	goawsOnce    sync.Once
	goawsHandler http.Handler
	// goawsURLPrefix is how the queue URLs that goaws builds begin.
	goawsURLPrefix string
	// goawsGate serializes the goaws actions that change the queue map or a queue's attributes with all
	// the others: goaws reads both without its own lock, which the race detector rightly reports.
	goawsGate sync.RWMutex
)

// startGoAWS configures goaws once per process, in the region and account of the first Cloud, and
// starts its sweeper, which runs for the life of the process.
func startGoAWS(region, accountID string) {
	goawsOnce.Do(func() {
		// goaws logs a warning for every empty receive.
		logrus.SetLevel(logrus.ErrorLevel)
		models.CurrentEnvironment = models.Environment{
			Host:      goawsHost,
			Port:      goawsPort,
			Region:    region,
			AccountID: accountID,
			QueueAttributeDefaults: models.EnvQueueAttributes{
				VisibilityTimeout:      int(sqsVisibilityTimeout / time.Second),
				MaximumMessageSize:     256 << 10, // SQS's default and limit
				MessageRetentionPeriod: int(sqsRetentionPeriod / time.Second),
			},
		}
		goawsURLPrefix = "http://" + region + "." + goawsHost + ":" + goawsPort + "/"
		goawsHandler = router.New()
		go gosqs.PeriodicTasks(goawsSweepInterval, nil)
	})
}

// sqsEmulator is one Cloud's view of the process-wide goaws. It answers with queue URLs of its own
// endpoint, shows only the queues created through it, long-polls without holding goawsGate, and
// answers a retried ReceiveMessage call with the messages its lost answer carried.
type sqsEmulator struct {
	baseURL string // the endpoint's URL, such as http://127.0.0.1:4566

	mu     sync.Mutex      // guards queues, answers and answerOrder
	queues map[string]bool // names of the queues created through this endpoint
	// answers holds the ReceiveMessage answers of the last replayWindow that carried messages, by the
	// invocation ID of their call; answerOrder lists those IDs in the order the answers were given.
	answers     map[string]receiveAnswer
	answerOrder []string
}

// receiveAnswer is goaws's answer to a ReceiveMessage call that carried messages.
type receiveAnswer struct {
	at       time.Time
	queue    string
	header   http.Header
	messages []json.RawMessage
}

// newSQSEmulator returns an emulator that answers with queue URLs of baseURL, starting goaws in region
// and accountID unless it runs already.
func newSQSEmulator(region, accountID, baseURL string) *sqsEmulator {
	startGoAWS(region, accountID)
	return &sqsEmulator{baseURL: baseURL, queues: map[string]bool{}, answers: map[string]receiveAnswer{}}
}

// sqsRequest holds the members of SQS requests that the emulator looks at.
type sqsRequest struct {
	QueueURL        string `json:"QueueUrl"`
	QueueName       string `json:"QueueName"`
	WaitTimeSeconds int    `json:"WaitTimeSeconds"`
}

func (s *sqsEmulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), sqsTargetPrefix)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	var req sqsRequest
	_ = json.Unmarshal(body, &req) // goaws reports malformed requests itself.
	name := req.QueueName
	if req.QueueURL != "" {
		name = req.QueueURL[strings.LastIndex(req.QueueURL, "/")+1:]
	}
	if name != "" && action != "CreateQueue" && !s.owns(name) {
		w.Header().Set("X-Amzn-Query-Error", "AWS.SimpleQueueService.NonExistentQueue;Sender")
		writeJSONError(w, http.StatusBadRequest, "com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist.")
		return
	}
	var rec *recorder
	switch action {
	case "CreateQueue", "DeleteQueue", "SetQueueAttributes":
		goawsGate.Lock()
		rec = serveRecorded(goawsHandler, r, body)
		goawsGate.Unlock()
	case "ReceiveMessage":
		rec = s.receive(r, body, name, time.Duration(req.WaitTimeSeconds)*time.Second)
	default:
		goawsGate.RLock()
		rec = serveRecorded(goawsHandler, r, body)
		goawsGate.RUnlock()
	}
	if rec.status == http.StatusOK {
		switch action {
		case "CreateQueue":
			s.setOwned(req.QueueName, true)
		case "DeleteQueue":
			s.setOwned(name, false)
		case "ListQueues":
			rec.body = s.filterQueueURLs(rec.body)
		}
	}
	rec.body = bytes.ReplaceAll(rec.body, []byte(goawsURLPrefix), []byte(s.baseURL+"/"))
	rec.writeTo(w)
}

// receive serves ReceiveMessage on queue, waiting up to wait for messages by polling goaws with no
// wait of its own.
//
// goaws puts a message in flight as it puts it in an answer, and an answer can be lost on its way to
// the client: the AWS SDK closes a request's body as soon as the response headers arrive, and if
// net/http is still finishing the request then, it reads the closed body, gets io.EOF and closes the
// connection under the response. goaws, in the process, answers fast enough for this to happen now
// and then under load. The SDK retries the call (aws/aws-sdk-go-v2#2737), and the messages of the
// lost answer would wait out their visibility timeout. As SQS does for a retry with the same
// ReceiveRequestAttemptId on a FIFO queue, receive answers a retry of a call with the messages of the
// call's earlier answer that goaws still holds in flight under the receipt handles it carried.
func (s *sqsEmulator) receive(r *http.Request, body []byte, queue string, wait time.Duration) *recorder {
	call := r.Header.Get(invocationIDHeader)
	if rec := s.replay(call, queue); rec != nil {
		return rec
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		delete(fields, "WaitTimeSeconds")
		body, _ = json.Marshal(fields)
	}
	deadline := time.Now().Add(wait)
	for {
		goawsGate.RLock()
		rec := serveRecorded(goawsHandler, r, body)
		goawsGate.RUnlock()
		var result struct{ Messages []json.RawMessage }
		if rec.status != http.StatusOK || json.Unmarshal(rec.body, &result) != nil {
			return rec
		}
		if len(result.Messages) > 0 {
			s.remember(call, receiveAnswer{at: time.Now(), queue: queue, header: rec.header, messages: result.Messages})
			return rec
		}
		if !time.Now().Before(deadline) {
			return rec
		}
		t := time.NewTimer(longPollInterval)
		select {
		case <-r.Context().Done():
			t.Stop()
			return rec
		case <-t.C:
		}
	}
}

// remember keeps the answer to a call for a retry, and forgets the answers older than replayWindow.
func (s *sqsEmulator) remember(call string, a receiveAnswer) {
	if call == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[call] = a
	s.answerOrder = append(s.answerOrder, call)
	cutoff := a.at.Add(-replayWindow)
	for len(s.answerOrder) > 0 {
		oldest := s.answerOrder[0]
		if old, ok := s.answers[oldest]; ok && old.at.After(cutoff) {
			break
		}
		delete(s.answers, oldest)
		s.answerOrder = s.answerOrder[1:]
	}
}

// replay returns the answer to a retry of call: the messages of the call's earlier answer that are
// still in flight under the receipt handles it carried. It returns nil if call had no such answer.
func (s *sqsEmulator) replay(call, queue string) *recorder {
	if call == "" {
		return nil
	}
	s.mu.Lock()
	a, ok := s.answers[call]
	s.mu.Unlock()
	if !ok || a.queue != queue {
		return nil
	}
	handles := make([]string, len(a.messages))
	for i, m := range a.messages {
		var msg struct{ ReceiptHandle string }
		if err := json.Unmarshal(m, &msg); err != nil {
			return nil
		}
		handles[i] = msg.ReceiptHandle
	}
	held := inFlight(queue, handles)
	var messages []json.RawMessage
	for i, m := range a.messages {
		if held[handles[i]] {
			messages = append(messages, m)
		}
	}
	if len(messages) == 0 {
		return nil
	}
	out, err := json.Marshal(map[string][]json.RawMessage{"Messages": messages})
	if err != nil {
		return nil
	}
	return &recorder{header: a.header.Clone(), status: http.StatusOK, body: out}
}

// inFlight tells which of the receipt handles goaws still holds for messages in flight in queue.
func inFlight(queue string, handles []string) map[string]bool {
	want := make(map[string]bool, len(handles))
	for _, h := range handles {
		want[h] = true
	}
	now := time.Now()
	held := map[string]bool{}
	models.SyncQueues.RLock()
	defer models.SyncQueues.RUnlock()
	q := models.SyncQueues.Queues[queue]
	if q == nil {
		return held
	}
	for _, m := range q.Messages {
		if want[m.ReceiptHandle] && m.VisibilityTimeout.After(now) {
			held[m.ReceiptHandle] = true
		}
	}
	return held
}

func (s *sqsEmulator) owns(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queues[name]
}

func (s *sqsEmulator) setOwned(name string, owned bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if owned {
		s.queues[name] = true
	} else {
		delete(s.queues, name)
	}
}

// filterQueueURLs keeps the queues of this endpoint in a ListQueues result.
func (s *sqsEmulator) filterQueueURLs(body []byte) []byte {
	var result struct{ QueueUrls []string }
	if err := json.Unmarshal(body, &result); err != nil {
		return body
	}
	urls := []string{}
	for _, u := range result.QueueUrls {
		if s.owns(u[strings.LastIndex(u, "/")+1:]) {
			urls = append(urls, u)
		}
	}
	out, err := json.Marshal(map[string][]string{"QueueUrls": urls})
	if err != nil {
		return body
	}
	return out
}

// recorder is an http.ResponseWriter that keeps the response.
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.body = append(r.body, p...)
	return len(p), nil
}

// writeTo writes the response to w.
func (r *recorder) writeTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// serveRecorded serves a copy of r with the given body and returns the response.
func serveRecorded(h http.Handler, r *http.Request, body []byte) *recorder {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	rec.WriteHeader(http.StatusOK)
	return rec
}
