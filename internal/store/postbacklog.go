package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// postbackLogShards is how many partition keys one day of the postback log is
// spread over: "<day>#<shard>", the shard derived from the postback's id
// (postbackShard). One partition key takes at most 1,000 write units a second,
// and its sort key (the time received) only grows, so DynamoDB cannot split
// it for heat. Each accepted postback writes its entry twice: the handler's
// write (1 unit an entry up to 1 KB; an entry with many parameters, up to 2)
// and attribution's outcome inside the conversion's transaction (2 units a
// KB): 3 to 6 units. At 1,000 conversions a second that is 3,000 to 6,000
// units a second on one day's key, 3 to 6 times what it takes. Over 32 shards
// each key gets 1,000 / 32 ≈ 31 postbacks a second, 94 to 188 units (at
// most a fifth of its limit), and the log takes 32 × 1,000 / 6 ≈ 5,300
// postbacks a second before a shard is full. A day's listing reads all 32.
const postbackLogShards = 32

// postbackShard is the shard of the postback log that holds a postback's
// entry. Postback ids are random, so their hashes spread a day evenly.
func postbackShard(postbackID string) int {
	h := fnv.New32a()
	h.Write([]byte(postbackID))
	return int(h.Sum32() % postbackLogShards)
}

// postbackPartition is the partition key of the postback log's entry of a
// postback: the day it was received and its shard.
func postbackPartition(postbackID string, receivedAt time.Time) string {
	return shardPartition(postbackDay(receivedAt), postbackShard(postbackID))
}

// shardPartition is the partition key of one shard of a day of the postback log.
func shardPartition(day string, shard int) string {
	return fmt.Sprintf("%s#%02d", day, shard)
}

// outcomeAttributes are the attributes of a logged postback that say what
// became of it, which attribution owns once it has written them.
var outcomeAttributes = []string{"outcome", "reason", "conversion_key", "updated_at"}

// LogPostback writes a received postback to the postback log, as the handler
// saw it. The handler's write replaces its own accepted (it logs accepted
// while it queues the postback, and failed if the queueing failed), but
// attribution may have recorded what became of the postback already (a write
// may be slow or retried): that outcome is then kept, and only the request's
// details are added, so that an outcome never moves back to accepted or failed.
func (s *Store) LogPostback(ctx context.Context, e trackly.PostbackLogEntry) error {
	item, err := postbackLogRow(&e).item()
	if err != nil {
		return fmt.Errorf("encode postback log entry: %w", err)
	}
	// The put replaces an entry only where there is none (every entry has an
	// outcome) or where it holds the handler's own accepted.
	handlersOwn := expression.AttributeNotExists(expression.Name("outcome")).
		Or(expression.Name("outcome").Equal(expression.Value(trackly.PostbackAccepted)))
	cond, err := expression.NewBuilder().WithCondition(handlersOwn).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.tables.PostbackLog),
		Item:                      item,
		ConditionExpression:       cond.Condition(),
		ExpressionAttributeNames:  cond.Names(),
		ExpressionAttributeValues: cond.Values(),
	})
	if conditionFailed(err) {
		k := key{"day": item["day"], "received_key": item["received_key"]}
		_, err = s.update(ctx, s.tables.PostbackLog, k, setAll(item, k, outcomeAttributes...), nil, nil)
	}
	if err != nil {
		return fmt.Errorf("log postback: %w", err)
	}
	return nil
}

// setAll returns the update that sets every attribute of item but the key's
// and the ones named in except.
func setAll(item map[string]types.AttributeValue, k key, except ...string) expression.UpdateBuilder {
	names := make([]string, 0, len(item))
	for name := range item {
		if _, isKey := k[name]; !isKey && !slices.Contains(except, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var update expression.UpdateBuilder
	for _, name := range names {
		update = update.Set(expression.Name(name), expression.Value(item[name]))
	}
	return update
}

// SetPostbackOutcome records what became of a logged postback. It replaces
// the outcome the handler logged, and creates the entry if the handler's write
// has not landed yet.
func (s *Store) SetPostbackOutcome(ctx context.Context, r trackly.PostbackResult) error {
	k, update := postbackOutcome(r)
	if _, err := s.update(ctx, s.tables.PostbackLog, k, update, nil, nil); err != nil {
		return fmt.Errorf("set postback outcome: %w", err)
	}
	return nil
}

// postbackOutcome returns the key of a logged postback and the update that
// records what became of it. The update also names the postback and sets its
// expiry, for when it lands before the handler's write.
func postbackOutcome(r trackly.PostbackResult) (key, expression.UpdateBuilder) {
	update := expression.Set(expression.Name("outcome"), expression.Value(r.Outcome)).
		Set(expression.Name("updated_at"), expression.Value(r.UpdatedAt.UTC().Format(time.RFC3339Nano))).
		Set(expression.Name("postback_id"), expression.Value(r.PostbackID)).
		Set(expression.Name("received_at"), expression.Value(r.ReceivedAt)).
		Set(expression.Name("expires_at"), expression.Value(postbackLogExpiry(r.ReceivedAt)))
	if r.Reason != "" {
		update = update.Set(expression.Name("reason"), expression.Value(r.Reason))
	}
	if r.Conversion != (trackly.ConversionRef{}) {
		update = update.Set(expression.Name("conversion_key"), expression.Value(conversionKey(r.Conversion)))
	}
	k := stringKey("day", postbackPartition(r.PostbackID, r.ReceivedAt), "received_key", postbackReceivedKey(r.PostbackID, r.ReceivedAt))
	return k, update
}

// ListPostbacks lists one day's logged postbacks newest first, a page at a
// time. It reads every shard of the day and merges them. A page's entries are
// the newest of the day's entries older than the cursor's, so the cursor is
// the sort key (received_key) of the last entry listed: every shard's position.
func (s *Store) ListPostbacks(ctx context.Context, f trackly.PostbackFilter) ([]trackly.PostbackLogEntry, string, error) {
	if err := validate.PageSize(f.Limit, MaxPageSize); err != nil {
		return nil, "", err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	before, err := postbackCursorKey(f.Day, f.Cursor)
	if err != nil {
		return nil, "", err
	}
	var filter *expression.ConditionBuilder
	if f.Outcome != "" {
		c := expression.Name("outcome").Equal(expression.Value(f.Outcome))
		filter = &c
	}
	// Each shard is read a chunk at a time, newest first. A chunk of twice a
	// shard's share of the page (and one more) mostly fills the page at once;
	// a shard whose chunk runs out is read further before the merge goes on.
	chunk := min(limit, 2*((limit+postbackLogShards-1)/postbackLogShards)+1)
	shards := make([]*logShard, postbackLogShards)
	for i := range shards {
		k := expression.Key("day").Equal(expression.Value(shardPartition(f.Day, i)))
		if before != "" {
			k = k.And(expression.Key("received_key").LessThan(expression.Value(before)))
		}
		shards[i] = &logShard{q: listQuery{table: s.tables.PostbackLog, key: k, filter: filter, newestFirst: true, limit: chunk}}
	}
	page := []trackly.PostbackLogEntry{}
	last := ""
	for len(page) < limit {
		if err := s.readShards(ctx, shards); err != nil {
			return nil, "", err
		}
		var newest *logShard
		for _, sh := range shards {
			if len(sh.entries) > 0 && (newest == nil || sh.entries[0].receivedKey > newest.entries[0].receivedKey) {
				newest = sh
			}
		}
		if newest == nil {
			return page, "", nil
		}
		page = append(page, newest.entries[0].entry)
		last = newest.entries[0].receivedKey
		newest.entries = newest.entries[1:]
	}
	if !slices.ContainsFunc(shards, (*logShard).more) {
		return page, "", nil
	}
	cursor, err := encodeCursor(stringKey("received_key", last))
	return page, cursor, err
}

// A logShard is one shard of a day's listing: the entries read and not yet
// listed, newest first, and where its reading goes on.
type logShard struct {
	q       listQuery
	entries []loggedPostback
	read    bool // whether the shard was read at all
	next    string
}

// loggedPostback is an entry of the postback log and its sort key.
type loggedPostback struct {
	receivedKey string
	entry       trackly.PostbackLogEntry
}

// more reports whether the shard may hold entries not yet listed.
func (sh *logShard) more() bool { return len(sh.entries) > 0 || !sh.read || sh.next != "" }

// readShards reads the next chunk of every shard that has no entry left to
// list and may have more, all at once.
func (s *Store) readShards(ctx context.Context, shards []*logShard) error {
	var wg sync.WaitGroup
	errs := make([]error, len(shards))
	for i, sh := range shards {
		if len(sh.entries) > 0 || !sh.more() {
			continue
		}
		wg.Go(func() {
			q := sh.q
			q.cursor = sh.next
			sh.entries, sh.next, errs[i] = query(ctx, s, q, decodeLoggedPostback)
			sh.read = true
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// decodeLoggedPostback reads an item of the postback log with its sort key.
func decodeLoggedPostback(item map[string]types.AttributeValue) (loggedPostback, error) {
	var p loggedPostback
	if err := attributevalue.Unmarshal(item["received_key"], &p.receivedKey); err != nil {
		return p, fmt.Errorf("decode received_key: %w", err)
	}
	var err error
	p.entry, err = decode(item, postbackLogRow)
	return p, err
}

// postbackCursorKey returns the sort key a cursor of day's listing holds: the
// listing goes on with the entries before it. An empty cursor is "" (from the
// newest).
func postbackCursorKey(day, cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	k, err := decodeCursor(cursor)
	receivedKey, ok := k["received_key"].(*types.AttributeValueMemberS)
	if err != nil || !ok || len(k) != 1 || !strings.HasPrefix(receivedKey.Value, day+"T") {
		return "", validate.Field("cursor", "%q is not a cursor of the postback log of %s", cursor, day)
	}
	return receivedKey.Value, nil
}
