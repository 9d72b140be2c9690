package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// outcomeAttributes are the attributes of a logged postback that say what
// became of it, which attribution owns once it has written them.
var outcomeAttributes = []string{"outcome", "reason", "conversion_key", "updated_at"}

// LogPostback writes a received postback to the postback log, as the handler
// saw it. Attribution may have recorded what became of the postback already (the
// handler logs after queueing, and a write may be slow or retried): its outcome
// is then kept, and only the request's details are added, so that an outcome
// never moves back to accepted.
func (s *Store) LogPostback(ctx context.Context, e trackly.PostbackLogEntry) error {
	item, err := postbackLogRow(&e).item()
	if err != nil {
		return fmt.Errorf("encode postback log entry: %w", err)
	}
	k := key{"day": item["day"], "received_key": item["received_key"]}
	noOutcome := expression.AttributeNotExists(expression.Name("outcome"))
	_, err = s.update(ctx, s.tables.PostbackLog, k, setAll(item, k), &noOutcome, trackly.ErrConflict)
	if errors.Is(err, trackly.ErrConflict) {
		request := setAll(item, k, outcomeAttributes...)
		_, err = s.update(ctx, s.tables.PostbackLog, k, request, nil, nil)
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
	return stringKey("day", postbackDay(r.ReceivedAt), "received_key", postbackReceivedKey(r.PostbackID, r.ReceivedAt)), update
}

// ListPostbacks lists one day's logged postbacks newest first, a page at a time.
func (s *Store) ListPostbacks(ctx context.Context, f trackly.PostbackFilter) ([]trackly.PostbackLogEntry, string, error) {
	q := listQuery{
		table: s.tables.PostbackLog, newestFirst: true, cursor: f.Cursor, limit: f.Limit,
		key: expression.Key("day").Equal(expression.Value(f.Day)),
	}
	if f.Outcome != "" {
		filter := expression.Name("outcome").Equal(expression.Value(f.Outcome))
		q.filter = &filter
	}
	return queryList(ctx, s, q, postbackLogRow)
}
