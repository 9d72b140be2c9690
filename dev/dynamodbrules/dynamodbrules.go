// Package dynamodbrules puts in front of DynamoDB Local the rules that the
// service applies to concurrent writers and that DynamoDB Local, which
// serializes every request, never shows:
//
//   - a transaction that touches an item another transaction is writing is
//     cancelled with TransactionConflict, and a single write to such an item
//     fails with TransactionConflictException;
//   - one item takes at most 1,000 write units a second (a transactional write
//     costs two), past which writes are throttled.
//
// It can also inject faults, as a load test needs: failures before a request
// reaches DynamoDB, and lost answers after a write has been applied.
//
// It is tooling: the local cloud and the tests put it in front of DynamoDB
// Local; the product never imports it.
package dynamodbrules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ItemWriteUnitsPerSecond is the most write units one item takes in a second.
const ItemWriteUnitsPerSecond = 1000

// targetPrefix prefixes the X-Amz-Target of DynamoDB's JSON protocol.
const targetPrefix = "DynamoDB_20120810."

// Options says which rules and faults apply. The zero value applies the
// service's rules and injects no fault.
type Options struct {
	// NoContention turns the transaction-conflict and per-item throughput rules off.
	NoContention bool
	// FailureRate is the share of requests answered with a 500 before they
	// reach DynamoDB (nothing applied), from 0 to 1.
	FailureRate float64
	// LostAnswerRate is the share of write requests that reach DynamoDB and
	// whose answer is replaced by a 500 (applied, but the caller cannot know).
	LostAnswerRate float64
	// Seed seeds the fault choices, so that a run can be repeated.
	Seed uint64
	// Now is the clock of the throughput rule; default time.Now.
	Now func() time.Time
}

// Stats counts what the rules and faults did.
type Stats struct {
	Requests, Conflicts, Throttled, Failures, LostAnswers int64
}

// Handler applies the rules to the DynamoDB requests it passes on to next.
type Handler struct {
	next http.Handler
	opts Options

	mu       sync.Mutex
	keys     map[string][]string // table name → key attribute names
	writing  map[string]int      // item → transactions in flight that write it
	second   int64               // the second units counts (Unix time)
	units    map[string]int      // item → write units in that second
	rnd      *rand.Rand
	requests atomic.Int64
	stats    Stats
}

// New returns a Handler in front of next, which serves DynamoDB's API.
func New(next http.Handler, opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Handler{
		next: next, opts: opts,
		keys:    map[string][]string{},
		writing: map[string]int{},
		units:   map[string]int{},
		rnd:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
	}
}

// Stats returns what the rules and faults did so far.
func (h *Handler) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stats
	s.Requests = h.requests.Load()
	return s
}

// ServeHTTP applies the rules to one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok {
		h.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "cannot read the request body")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if h.chance(h.opts.FailureRate) {
		h.count(func(s *Stats) { s.Failures++ })
		writeError(w, http.StatusInternalServerError, "InternalServerError", "injected failure: the request was not applied")
		return
	}

	writes, err := h.itemsWritten(op, body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	if len(writes) > 0 && !h.opts.NoContention {
		release, refusal := h.admit(op, writes)
		if refusal != nil {
			refusal(w)
			return
		}
		defer release()
	}

	if len(writes) > 0 && h.chance(h.opts.LostAnswerRate) {
		rec := httptest.NewRecorder()
		h.next.ServeHTTP(rec, r)
		h.count(func(s *Stats) { s.LostAnswers++ })
		writeError(w, http.StatusInternalServerError, "InternalServerError", "injected failure: the request was applied but its answer was lost")
		return
	}
	h.next.ServeHTTP(w, r)
}

// write is one item a request writes and the write units it costs.
type write struct {
	item  string
	units int
}

// admit checks a request's writes against the transactions in flight and the
// items' throughput. It returns the function that ends the request's hold on
// its items, or a refusal to write instead.
func (h *Handler) admit(op string, writes []write) (release func(), refusal func(http.ResponseWriter)) {
	transaction := op == "TransactWriteItems"
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.opts.Now()

	if s := now.Unix(); s != h.second {
		h.second = s
		clear(h.units)
	}
	reasons := make([]string, len(writes))
	conflict, throttled := false, false
	for i, wr := range writes {
		reasons[i] = "None"
		switch {
		case h.writing[wr.item] > 0:
			reasons[i], conflict = "TransactionConflict", true
		case h.units[wr.item]+wr.units > ItemWriteUnitsPerSecond:
			reasons[i], throttled = "ThrottlingError", true
		}
	}
	// A transaction is cancelled with a reason per item; a single write fails with code and message.
	var code, message string
	switch {
	case conflict:
		h.stats.Conflicts++
		code, message = "TransactionConflictException", "Transaction is ongoing for the item"
	case throttled:
		h.stats.Throttled++
		code, message = "ProvisionedThroughputExceededException",
			"The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded."
	}
	switch {
	case code != "" && transaction:
		return nil, cancelled(reasons)
	case code != "":
		return nil, func(w http.ResponseWriter) { writeError(w, http.StatusBadRequest, code, message) }
	}
	for _, wr := range writes {
		h.units[wr.item] += wr.units
	}
	if !transaction {
		return func() {}, nil
	}
	for _, wr := range writes {
		h.writing[wr.item]++
	}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, wr := range writes {
			if h.writing[wr.item]--; h.writing[wr.item] == 0 {
				delete(h.writing, wr.item)
			}
		}
	}, nil
}

// cancelled answers a TransactionCanceledException with a reason per item.
func cancelled(reasons []string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		codes := make([]map[string]string, len(reasons))
		for i, r := range reasons {
			codes[i] = map[string]string{"Code": r}
			if r != "None" {
				codes[i]["Message"] = map[string]string{
					"TransactionConflict": "Transaction is ongoing for the item",
					"ThrottlingError":     "Throughput exceeds the current capacity for one or more items.",
				}[r]
			}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"__type":              "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
			"Message":             "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(reasons, ", ") + "]",
			"CancellationReasons": codes,
		})
	}
}

// itemsWritten returns the items a request writes, with their write units.
func (h *Handler) itemsWritten(op string, body []byte) ([]write, error) {
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
		var req struct {
			TableName string
			Item, Key map[string]json.RawMessage
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("dynamodbrules: %s: %w", op, err)
		}
		item, err := h.itemID(req.TableName, req.Item, req.Key)
		if err != nil {
			return nil, err
		}
		return []write{{item: item, units: 1}}, nil
	case "TransactWriteItems":
		var req struct {
			TransactItems []map[string]struct {
				TableName string
				Item, Key map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("dynamodbrules: %s: %w", op, err)
		}
		var writes []write
		for _, ti := range req.TransactItems {
			for kind, a := range ti {
				item, err := h.itemID(a.TableName, a.Item, a.Key)
				if err != nil {
					return nil, err
				}
				units := 2
				if kind == "ConditionCheck" {
					units = 1
				}
				writes = append(writes, write{item: item, units: units})
			}
		}
		return writes, nil
	}
	return nil, nil
}

// itemID names the item of table that item (a put) or key (the others) identifies.
func (h *Handler) itemID(table string, item, key map[string]json.RawMessage) (string, error) {
	if key == nil {
		names, err := h.keyNames(table)
		if err != nil {
			return "", err
		}
		key = map[string]json.RawMessage{}
		for _, n := range names {
			key[n] = item[n]
		}
	}
	names := make([]string, 0, len(key))
	for n := range key {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(table)
	for _, n := range names {
		b.WriteString("\x00" + n + "=" + string(compact(key[n])))
	}
	return b.String(), nil
}

// keyNames returns the key attributes of table, asking DynamoDB once.
func (h *Handler) keyNames(table string) ([]string, error) {
	h.mu.Lock()
	names, ok := h.keys[table]
	h.mu.Unlock()
	if ok {
		return names, nil
	}
	body, _ := json.Marshal(map[string]string{"TableName": table})
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", targetPrefix+"DescribeTable")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, req)
	var answer struct {
		Table struct {
			KeySchema []struct{ AttributeName string }
		}
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &answer) != nil || len(answer.Table.KeySchema) == 0 {
		return nil, fmt.Errorf("dynamodbrules: cannot read the key schema of table %s: %s", table, rec.Body.String())
	}
	for _, k := range answer.Table.KeySchema {
		names = append(names, k.AttributeName)
	}
	h.mu.Lock()
	h.keys[table] = names
	h.mu.Unlock()
	return names, nil
}

func compact(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func (h *Handler) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rnd.Float64() < p
}

func (h *Handler) count(f func(*Stats)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.stats)
}

// writeError writes an error of DynamoDB's JSON protocol.
func writeError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.dynamodb.v20120810#" + typ, "message": message})
}
