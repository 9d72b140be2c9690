package localcloud

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trackly/tune-integration/dev/samtemplate"
	"github.com/trackly/tune-integration/internal/backoff"
)

const (
	// streamPollInterval is the pause between sweeps of a stream that found nothing: Lambda polls each
	// shard four times a second.
	streamPollInterval = 250 * time.Millisecond
	// maxGetRecords is the most records one GetRecords returns.
	maxGetRecords = 1000
	// firstStreamRetryDelay and maxStreamRetryDelay bound the pause before a failed batch is retried:
	// it doubles with each retry.
	firstStreamRetryDelay = 100 * time.Millisecond
	maxStreamRetryDelay   = 5 * time.Second
	// streamCheckpointsFile, in Options.DynamoDBDataDir, keeps the mappings' checkpoints.
	streamCheckpointsFile = "localcloud-stream-checkpoints.json"
)

// streamMapping is a DynamoDB event source mapping: it reads the shards of a table's stream, parents
// before children, and invokes the function with batches of their records, one batch in flight, in
// the order of the stream. Its checkpoints (the last record of each shard that it processed) outlive
// the Cloud when Options.DynamoDBDataDir keeps the tables.
type streamMapping struct {
	cloud     *Cloud
	fn        *function
	src       samtemplate.DynamoDBEventSource
	log       *slog.Logger
	key       string // the mapping's checkpoints in store
	streamARN string
	client    *dynamodbstreams.Client
	sqs       *sqs.Client
	// onFailureURL is the queue that gets the metadata of discarded batches, or "".
	onFailureURL string
	filters      []map[string]any
	store        *streamCheckpoints

	// shards is used by the mapping's goroutine only, by shard ID.
	shards map[string]*shard

	mu    sync.Mutex
	swept sweep // the last sweep of the shards
}

// sweep is a pass over a stream's shards: when it began, and whether it found nothing to deliver.
type sweep struct {
	start time.Time
	idle  bool
}

// shard is a shard of the stream and how far the mapping has read and processed it.
type shard struct {
	id, parent string
	shardCheckpoint
	// iterator is where reading goes on; nil when it must be positioned (again).
	iterator *string
	// closed tells that the shard holds no more records than those read.
	closed bool
	// lastRead is the sequence number of the last record read, or "".
	lastRead string
	// pending are the records read and not processed yet, in order.
	pending []streamRecord
}

// shardCheckpoint is what a mapping keeps of a shard.
type shardCheckpoint struct {
	// After is the sequence number of the last record processed (or passed over by LATEST); "" reads
	// the shard from its oldest record.
	After string `json:"after,omitempty"`
	// Done tells that the shard is closed and every record of it processed.
	Done bool `json:"done,omitempty"`
}

// streamRecord is a record as the function gets it, with the size of its JSON and whether it passes
// the mapping's filters.
type streamRecord struct {
	events.DynamoDBEventRecord
	size  int
	match bool
}

func (r streamRecord) seq() string { return r.Change.SequenceNumber }

// newStreamMappings prepares the enabled DynamoDB event source mappings: each finds its stream's
// shards and where to start reading them.
func (c *Cloud) newStreamMappings(ctx context.Context) error {
	var path string
	if c.dynamoDB != nil {
		path = filepath.Join(c.opts.DynamoDBDataDir, streamCheckpointsFile)
	}
	store, err := loadStreamCheckpoints(path)
	if err != nil {
		return err
	}
	client := dynamodbstreams.NewFromConfig(c.awsCfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(c.streamsEndpoint()) })
	sqsClient := sqs.NewFromConfig(c.awsCfg)
	for _, id := range slices.Sorted(maps.Keys(c.functions)) {
		f := c.functions[id]
		for _, src := range f.DynamoDBSources {
			if !src.Enabled {
				continue
			}
			m := &streamMapping{
				cloud:     c,
				fn:        f,
				src:       src,
				log:       c.log.With("function", f.LogicalID, "event", src.Event),
				key:       f.LogicalID + "/" + src.Event,
				streamARN: c.streamARNs[src.Table],
				client:    client,
				sqs:       sqsClient,
				store:     store,
				shards:    map[string]*shard{},
			}
			if err := m.init(ctx); err != nil {
				return fmt.Errorf("function %s, event %s: %w", f.LogicalID, src.Event, err)
			}
			c.streams = append(c.streams, m)
		}
	}
	return nil
}

// init checks the mapping's stream, destination and filters, and positions it on its shards: where
// its checkpoints say, or else at its StartingPosition.
func (m *streamMapping) init(ctx context.Context) error {
	if m.streamARN == "" {
		return fmt.Errorf("stream %s is not the stream of a table of the template", m.src.StreamARN)
	}
	if m.src.OnFailureARN != "" {
		q := m.cloud.template.Queues[m.src.OnFailureQueue]
		if q == nil {
			return fmt.Errorf("OnFailure queue %s is not in the template", m.src.OnFailureARN)
		}
		m.onFailureURL = q.URL
	}
	for i, p := range m.src.FilterPatterns {
		filter, err := compileFilter(p)
		if err != nil {
			return fmt.Errorf("filter %d: %w", i+1, err)
		}
		m.filters = append(m.filters, filter)
	}
	shards, err := m.describe(ctx)
	if err != nil {
		return err
	}
	saved, resume := m.store.get(m.key)
	resume = resume && saved.Stream == m.streamARN
	for _, s := range shards {
		sh := m.track(s)
		if resume {
			sh.shardCheckpoint = saved.Shards[sh.id]
			continue
		}
		if m.src.StartingPosition != "LATEST" {
			continue
		}
		// LATEST: the records the shard holds now are passed over.
		if s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil {
			sh.Done = true
			continue
		}
		for {
			n, err := m.getRecords(ctx, sh)
			if err != nil {
				return err
			}
			if n == 0 || sh.closed {
				break
			}
		}
		sh.pending, sh.After, sh.Done = nil, sh.lastRead, sh.closed
	}
	m.save()
	return nil
}

// run delivers the stream's records until ctx ends; the batch in flight when it ends is still
// processed, without its retries.
func (m *streamMapping) run(ctx context.Context) {
	for ctx.Err() == nil {
		start := time.Now()
		idle, err := m.sweep(ctx)
		if err != nil && ctx.Err() == nil {
			m.log.Warn("read DynamoDB stream", "stream", m.streamARN, "error", err)
		}
		m.mu.Lock()
		m.swept = sweep{start: start, idle: idle && err == nil}
		m.mu.Unlock()
		switch {
		case err != nil:
			_ = backoff.Sleep(ctx, pollRetryDelay)
		case idle:
			_ = backoff.Sleep(ctx, streamPollInterval)
		}
	}
}

// lastSweep returns the last sweep the mapping finished.
func (m *streamMapping) lastSweep() sweep {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.swept
}

// streamsCaughtUp waits until every stream mapping has finished a sweep that began after since, and
// tells whether those sweeps all found nothing to deliver.
func (c *Cloud) streamsCaughtUp(ctx context.Context, since time.Time) bool {
	for _, m := range c.streams {
		for {
			if s := m.lastSweep(); s.start.After(since) {
				if !s.idle {
					return false
				}
				break
			}
			if backoff.Sleep(ctx, streamPollInterval/5) != nil {
				return false
			}
		}
	}
	return true
}

// sweep delivers what the shards hold, parents before children, and tells whether it found nothing.
func (m *streamMapping) sweep(ctx context.Context) (idle bool, err error) {
	shards, err := m.describe(ctx)
	if err != nil {
		return false, err
	}
	current := map[string]bool{}
	for _, s := range shards {
		current[m.track(s).id] = true
	}
	// Shards trimmed from the stream are gone.
	maps.DeleteFunc(m.shards, func(id string, _ *shard) bool { return !current[id] })
	idle = true
	for _, sh := range m.ordered() {
		if p := m.shards[sh.parent]; sh.Done || (p != nil && !p.Done) {
			continue
		}
		worked, err := m.readShard(ctx, sh)
		if worked {
			idle = false
		}
		if err != nil || ctx.Err() != nil {
			return false, err
		}
	}
	return idle, nil
}

// describe returns the stream's shards.
func (m *streamMapping) describe(ctx context.Context) ([]types.Shard, error) {
	var shards []types.Shard
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(m.streamARN)}
	for {
		out, err := m.client.DescribeStream(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe stream %s: %w", m.streamARN, err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		if out.StreamDescription.LastEvaluatedShardId == nil {
			return shards, nil
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
}

// track returns the mapping's shard for a shard of the stream, adding a new one, which it reads from
// its oldest record as Lambda reads the shards that open after a mapping starts.
func (m *streamMapping) track(s types.Shard) *shard {
	id := aws.ToString(s.ShardId)
	sh := m.shards[id]
	if sh == nil {
		sh = &shard{id: id, parent: aws.ToString(s.ParentShardId)}
		m.shards[id] = sh
	}
	return sh
}

// ordered returns the shards with every parent before its children.
func (m *streamMapping) ordered() []*shard {
	var out []*shard
	seen := map[string]bool{}
	var visit func(sh *shard)
	visit = func(sh *shard) {
		if sh == nil || seen[sh.id] {
			return
		}
		seen[sh.id] = true
		visit(m.shards[sh.parent])
		out = append(out, sh)
	}
	for _, id := range slices.Sorted(maps.Keys(m.shards)) {
		visit(m.shards[id])
	}
	return out
}

// readShard delivers a shard's records until it has no more for now, and tells whether it found any.
// A closed shard whose records are all processed is done.
func (m *streamMapping) readShard(ctx context.Context, sh *shard) (worked bool, err error) {
	for ctx.Err() == nil {
		if err := m.fill(ctx, sh); err != nil || ctx.Err() != nil {
			return worked, err
		}
		if len(sh.pending) == 0 {
			if sh.closed {
				sh.Done = true
				m.save()
			}
			return worked, nil
		}
		worked = true
		batch, last := m.batch(sh)
		if len(batch) > 0 && !m.deliver(ctx, sh, batch) {
			return worked, nil
		}
		m.commit(sh, last)
	}
	return worked, nil
}

// fill reads records into the shard's pending list until they make a full batch, the batching window
// that began with the first of them ends, or the shard has no more for now. Records the filters pass
// over count towards a bound of their own, so that a long run of them is committed as it goes.
func (m *streamMapping) fill(ctx context.Context, sh *shard) error {
	var deadline time.Time
	for !sh.closed && m.matching(sh) < m.src.BatchSize && len(sh.pending) < m.src.BatchSize+maxGetRecords {
		n, err := m.getRecords(ctx, sh)
		if err != nil {
			return err
		}
		if len(sh.pending) == 0 {
			if n == 0 {
				return nil
			}
			continue
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(m.src.MaximumBatchingWindow)
		}
		if !time.Now().Before(deadline) {
			return nil
		}
		if n == 0 && backoff.Sleep(ctx, min(streamPollInterval, time.Until(deadline))) != nil {
			return nil
		}
	}
	return nil
}

// matching counts the pending records of a shard that pass the filters.
func (m *streamMapping) matching(sh *shard) int {
	n := 0
	for _, r := range sh.pending {
		if r.match {
			n++
		}
	}
	return n
}

// getRecords reads the next records of a shard into its pending list and returns how many it read.
func (m *streamMapping) getRecords(ctx context.Context, sh *shard) (int, error) {
	if sh.iterator == nil {
		if err := m.position(ctx, sh); err != nil {
			return 0, err
		}
	}
	in := &dynamodbstreams.GetRecordsInput{ShardIterator: sh.iterator, Limit: aws.Int32(maxGetRecords)}
	out, err := m.client.GetRecords(ctx, in)
	if _, trimmed := errors.AsType[*types.TrimmedDataAccessException](err); trimmed && cmp.Or(sh.lastRead, sh.After) == "" {
		// DynamoDB Local answers so, once records come, to an iterator got at the start of a shard
		// that was empty then (and to the iterators that follow it): one got now starts at the first.
		if err = m.position(ctx, sh); err == nil {
			in.ShardIterator = sh.iterator
			out, err = m.client.GetRecords(ctx, in)
		}
	}
	if err != nil {
		// An expired iterator, or one whose records were trimmed: the next read positions it again.
		sh.iterator = nil
		return 0, fmt.Errorf("get records of shard %s: %w", sh.id, err)
	}
	records := make([]streamRecord, 0, len(out.Records))
	for _, r := range out.Records {
		rec, err := m.record(r)
		if err != nil {
			sh.iterator = nil
			return 0, err
		}
		records = append(records, rec)
	}
	if len(records) > 0 {
		sh.pending = append(sh.pending, records...)
		sh.lastRead = records[len(records)-1].seq()
	}
	if sh.iterator = out.NextShardIterator; sh.iterator == nil {
		sh.closed = true
	}
	return len(out.Records), nil
}

// position gets an iterator after the last record read or processed, or at the shard's oldest record.
// If the stream has trimmed the records after that point (24 hours after they were written), they are
// lost, as they are to Lambda, and reading goes on from the oldest record left.
func (m *streamMapping) position(ctx context.Context, sh *shard) error {
	in := &dynamodbstreams.GetShardIteratorInput{
		StreamArn:         aws.String(m.streamARN),
		ShardId:           aws.String(sh.id),
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
	}
	if after := cmp.Or(sh.lastRead, sh.After); after != "" {
		in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(after)
	}
	out, err := m.client.GetShardIterator(ctx, in)
	if _, trimmed := errors.AsType[*types.TrimmedDataAccessException](err); trimmed && in.SequenceNumber != nil {
		m.log.Warn("records were trimmed from the stream before they were delivered", "shard", sh.id, "after", *in.SequenceNumber)
		in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeTrimHorizon, nil
		out, err = m.client.GetShardIterator(ctx, in)
	}
	if err != nil {
		return fmt.Errorf("get an iterator of shard %s: %w", sh.id, err)
	}
	sh.iterator = out.ShardIterator
	return nil
}

// record converts a stream record to the one Lambda delivers, in the Cloud's region.
func (m *streamMapping) record(r types.Record) (streamRecord, error) {
	rec := events.DynamoDBEventRecord{
		AWSRegion:      m.cloud.template.Region,
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: m.streamARN,
	}
	if d := r.Dynamodb; d != nil {
		rec.Change = events.DynamoDBStreamRecord{
			Keys:           attributeValues(d.Keys),
			NewImage:       attributeValues(d.NewImage),
			OldImage:       attributeValues(d.OldImage),
			SequenceNumber: aws.ToString(d.SequenceNumber),
			SizeBytes:      aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		}
		if d.ApproximateCreationDateTime != nil {
			rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
	}
	if u := r.UserIdentity; u != nil {
		rec.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(u.Type), PrincipalID: aws.ToString(u.PrincipalId)}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return streamRecord{}, fmt.Errorf("marshal stream record %s: %w", rec.Change.SequenceNumber, err)
	}
	out := streamRecord{DynamoDBEventRecord: rec, size: len(data), match: len(m.filters) == 0}
	if !out.match {
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			return streamRecord{}, err
		}
		out.match = slices.ContainsFunc(m.filters, func(f map[string]any) bool { return matchFilter(f, doc) })
	}
	return out, nil
}

// attributeValues converts the attribute values of a stream record to those of a Lambda event.
func attributeValues(in map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if in == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(in))
	for k, v := range in {
		out[k] = attributeValue(v)
	}
	return out
}

func attributeValue(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, 0, len(v.Value))
		for _, item := range v.Value {
			list = append(list, attributeValue(item))
		}
		return events.NewListAttribute(list)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(attributeValues(v.Value))
	}
	return events.NewNullAttribute()
}

// batch returns the next batch of a shard's pending records: those that pass the filters, up to
// BatchSize and Lambda's payload limit. last is the sequence number of the last pending record the
// batch covers, counting the records the filters pass over.
func (m *streamMapping) batch(sh *shard) (batch []events.DynamoDBEventRecord, last string) {
	size := len(`{"Records":[]}`)
	for _, r := range sh.pending {
		if r.match {
			if len(batch) == m.src.BatchSize || (len(batch) > 0 && size+r.size+1 > maxInvokePayload) {
				break
			}
			batch = append(batch, r.DynamoDBEventRecord)
			size += r.size + 1
		}
		last = r.seq()
	}
	return batch, last
}

// commit records that a shard's records up to seq are processed.
func (m *streamMapping) commit(sh *shard, seq string) {
	i := slices.IndexFunc(sh.pending, func(r streamRecord) bool { return r.seq() == seq })
	sh.pending = sh.pending[i+1:]
	sh.After = seq
	m.save()
}

// deliver invokes the function with a batch until every record of it is processed or discarded, as
// Lambda does: a batch response makes it retry from the failed record with the lowest sequence
// number; a function error, an invalid response or a failed record whose itemIdentifier is empty or
// not in the batch makes it retry the whole batch, or split it in two if BisectBatchOnFunctionError
// is set (which counts no retry). After MaximumRetryAttempts retries it discards the records left and
// sends their metadata to the OnFailure destination. It returns false when ctx ends before; the
// records not processed then stay pending.
func (m *streamMapping) deliver(ctx context.Context, sh *shard, batch []events.DynamoDBEventRecord) bool {
	type part struct {
		records          []events.DynamoDBEventRecord
		invokes, retries int
	}
	parts := []part{{records: batch}}
	for first := true; len(parts) > 0; first = false {
		if !first && ctx.Err() != nil {
			return false
		}
		p := &parts[0]
		payload, err := json.Marshal(events.DynamoDBEvent{Records: p.records})
		if err != nil {
			m.log.Error("marshal DynamoDB event", "error", err)
			return false
		}
		requestID := newUUID()
		out, err := m.cloud.invoke(context.WithoutCancel(ctx), m.fn, payload, lambdacontext.LambdaContext{AwsRequestID: requestID})
		p.invokes++
		fnErr, isFnErr := errors.AsType[*FunctionError](err)
		if err != nil && !isFnErr {
			m.log.Warn("invoke with DynamoDB records", "error", err)
			return false
		}
		failedAt := 0 // the index of the first record to retry
		if err == nil {
			failedAt = len(p.records)
			if m.src.ReportsBatchItemFailures() {
				if failedAt, err = firstFailure(out, p.records); err != nil {
					m.log.Warn("invalid batch response, the whole batch failed", "error", err)
				}
			}
		}
		if failedAt > 0 {
			m.commit(sh, p.records[failedAt-1].Change.SequenceNumber)
		}
		if failedAt == len(p.records) {
			parts = parts[1:]
			continue
		}
		p.records = p.records[failedAt:]
		if isFnErr && m.src.BisectBatchOnFunctionError && len(p.records) > 1 {
			left, right := *p, *p
			half := len(p.records) / 2
			left.records, right.records = p.records[:half], p.records[half:]
			parts = append([]part{left, right}, parts[1:]...)
			continue
		}
		p.retries++
		if limit := m.src.MaximumRetryAttempts; limit >= 0 && p.retries > limit {
			m.discard(ctx, sh, p.records, p.invokes, requestID, fnErr)
			m.commit(sh, p.records[len(p.records)-1].Change.SequenceNumber)
			parts = parts[1:]
			continue
		}
		delay := min(firstStreamRetryDelay<<min(p.retries-1, 10), maxStreamRetryDelay)
		if backoff.Sleep(ctx, delay) != nil {
			return false
		}
	}
	return true
}

// firstFailure reads a DynamoDB batch response as Lambda does and returns the index of the record to
// retry from: the failed record with the lowest sequence number, or len(records) if none failed. An
// empty or null response or list means success; an invalid response, or an itemIdentifier that is
// empty or not the sequence number of a record of the batch, fails the whole batch.
func firstFailure(out []byte, records []events.DynamoDBEventRecord) (int, error) {
	if trimmed := bytes.TrimSpace(out); len(trimmed) == 0 || string(trimmed) == "null" {
		return len(records), nil
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return 0, err
	}
	first := len(records)
	for _, f := range resp.BatchItemFailures {
		i := slices.IndexFunc(records, func(r events.DynamoDBEventRecord) bool { return r.Change.SequenceNumber == f.ItemIdentifier })
		if f.ItemIdentifier == "" || i < 0 {
			return 0, fmt.Errorf("itemIdentifier %q is not the sequence number of a record of the batch", f.ItemIdentifier)
		}
		first = min(first, i)
	}
	return first, nil
}

// streamFailure is the invocation record Lambda sends to an OnFailure destination for the records of
// a stream it discards.
type streamFailure struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError,omitempty"`
	} `json:"responseContext"`
	Version   string `json:"version"`
	Timestamp string `json:"timestamp"`
	BatchInfo struct {
		ShardID                         string `json:"shardId"`
		StartSequenceNumber             string `json:"startSequenceNumber"`
		EndSequenceNumber               string `json:"endSequenceNumber"`
		ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
		ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
		BatchSize                       int    `json:"batchSize"`
		StreamARN                       string `json:"streamArn"`
	} `json:"DDBStreamBatchInfo"`
}

// discard sends the metadata of records whose retries are exhausted to the OnFailure destination.
func (m *streamMapping) discard(ctx context.Context, sh *shard, records []events.DynamoDBEventRecord, invokes int, requestID string, fnErr *FunctionError) {
	first, last := records[0].Change, records[len(records)-1].Change
	log := m.log.With("shard", sh.id, "from", first.SequenceNumber, "to", last.SequenceNumber, "records", len(records))
	if m.onFailureURL == "" {
		log.Warn("retries exhausted, records discarded")
		return
	}
	var f streamFailure
	f.RequestContext.RequestID = requestID
	f.RequestContext.FunctionARN = m.fn.arn
	f.RequestContext.Condition = "RetryAttemptsExhausted"
	f.RequestContext.ApproximateInvokeCount = invokes
	f.ResponseContext.StatusCode = 200
	f.ResponseContext.ExecutedVersion = "$LATEST"
	if fnErr != nil {
		f.ResponseContext.FunctionError = "Unhandled"
	}
	f.Version = "1.0"
	f.Timestamp = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	b := &f.BatchInfo
	b.ShardID, b.StartSequenceNumber, b.EndSequenceNumber = sh.id, first.SequenceNumber, last.SequenceNumber
	b.ApproximateArrivalOfFirstRecord = first.ApproximateCreationDateTime.UTC().Format(time.RFC3339)
	b.ApproximateArrivalOfLastRecord = last.ApproximateCreationDateTime.UTC().Format(time.RFC3339)
	b.BatchSize, b.StreamARN = len(records), m.streamARN
	body, err := json.Marshal(f)
	if err == nil {
		_, err = m.sqs.SendMessage(context.WithoutCancel(ctx), &sqs.SendMessageInput{QueueUrl: aws.String(m.onFailureURL), MessageBody: aws.String(string(body))})
	}
	if err != nil {
		log.Error("send discarded records to the OnFailure destination", "error", err)
		return
	}
	log.Warn("retries exhausted, records discarded to the OnFailure destination")
}

// save keeps the mapping's checkpoints.
func (m *streamMapping) save() {
	saved := savedMapping{Stream: m.streamARN, Shards: map[string]shardCheckpoint{}}
	for id, sh := range m.shards {
		saved.Shards[id] = sh.shardCheckpoint
	}
	if err := m.store.put(m.key, saved); err != nil {
		m.log.Error("save stream checkpoints", "error", err)
	}
}

// streamCheckpoints keeps the checkpoints of a Cloud's mappings, in a file if path is set, as
// Lambda keeps a mapping's for as long as the mapping exists.
type streamCheckpoints struct {
	path     string
	mu       sync.Mutex
	mappings map[string]savedMapping
}

// savedMapping is a mapping's checkpoints, by shard ID, on a stream.
type savedMapping struct {
	Stream string                     `json:"stream"`
	Shards map[string]shardCheckpoint `json:"shards"`
}

func loadStreamCheckpoints(path string) (*streamCheckpoints, error) {
	s := &streamCheckpoints{path: path, mappings: map[string]savedMapping{}}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err == nil {
		err = json.Unmarshal(data, &s.mappings)
	}
	if err != nil {
		return nil, fmt.Errorf("stream checkpoints: %w", err)
	}
	return s, nil
}

func (s *streamCheckpoints) get(key string) (savedMapping, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.mappings[key]
	return m, ok
}

// put replaces a mapping's checkpoints, and writes the file anew.
func (s *streamCheckpoints) put(key string, m savedMapping) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mappings[key] = m
	if s.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(s.mappings, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

// compileFilter reads a FilterCriteria pattern. Lambda matches it against a record's JSON: every key
// of the pattern must match; a nested object matches a nested object; a list matches a value (or an
// element of a list value) that one of its items matches: a string, number, boolean or null equal to
// it, {"prefix": string}, {"anything-but": value or list} or {"exists": bool}. The other operators
// (numeric, suffix, wildcard, equals-ignore-case, cidr, $or) are refused.
func compileFilter(pattern string) (map[string]any, error) {
	var p map[string]any
	if err := json.Unmarshal([]byte(pattern), &p); err != nil {
		return nil, fmt.Errorf("pattern %s: %w", pattern, err)
	}
	if err := checkFilter(p); err != nil {
		return nil, fmt.Errorf("pattern %s: %w", pattern, err)
	}
	return p, nil
}

func checkFilter(p map[string]any) error {
	for k, v := range p {
		if strings.HasPrefix(k, "$") {
			return fmt.Errorf("%s is not supported locally", k)
		}
		switch v := v.(type) {
		case map[string]any:
			if err := checkFilter(v); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		case []any:
			for _, item := range v {
				if err := checkMatcher(item); err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
			}
		default:
			return fmt.Errorf("%s: the value to match must be an object or a list, not %v", k, v)
		}
	}
	return nil
}

func checkMatcher(item any) error {
	op, ok := item.(map[string]any)
	if !ok {
		if isScalar(item) {
			return nil
		}
		return fmt.Errorf("%v is not a value to match", item)
	}
	if len(op) != 1 {
		return fmt.Errorf("%v is not one operator", op)
	}
	for name, arg := range op {
		switch _, isString := arg.(string); {
		case name == "prefix" && isString:
		case name == "exists" && (arg == true || arg == false):
		case name == "anything-but" && (isScalar(arg) || isScalarList(arg)):
		default:
			return fmt.Errorf("operator %s %v is not supported locally (only prefix, anything-but and exists)", name, arg)
		}
	}
	return nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, float64, bool, nil:
		return true
	}
	return false
}

func isScalarList(v any) bool {
	list, ok := v.([]any)
	return ok && !slices.ContainsFunc(list, func(item any) bool { return !isScalar(item) })
}

// matchFilter tells whether a record's JSON matches a pattern (see compileFilter).
func matchFilter(pattern, doc map[string]any) bool {
	for k, want := range pattern {
		got, present := doc[k]
		switch want := want.(type) {
		case map[string]any:
			if sub, ok := got.(map[string]any); !ok || !matchFilter(want, sub) {
				return false
			}
		case []any:
			if !matchValue(want, got, present) {
				return false
			}
		}
	}
	return true
}

// matchValue tells whether one of a pattern list's items matches a value of a record.
func matchValue(items []any, got any, present bool) bool {
	values := []any{got}
	if list, ok := got.([]any); ok {
		values = list
	}
	for _, item := range items {
		op, isOp := item.(map[string]any)
		if exists, ok := op["exists"]; isOp && ok {
			// Like EventBridge, exists matches leaves only, not nested objects.
			if _, nested := got.(map[string]any); (exists == true && present && !nested) || (exists == false && !present) {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		for _, v := range values {
			if !isScalar(v) {
				continue
			}
			switch {
			case !isOp:
				if v == item {
					return true
				}
			case op["prefix"] != nil:
				if s, ok := v.(string); ok && strings.HasPrefix(s, op["prefix"].(string)) {
					return true
				}
			default:
				excluded, ok := op["anything-but"].([]any)
				if !ok {
					excluded = []any{op["anything-but"]}
				}
				if !slices.Contains(excluded, v) {
					return true
				}
			}
		}
	}
	return false
}
