package store_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// The handler logs a postback after queueing it, and attribution records what
// became of it: the two writes may land in either order, and a write may be
// retried. The log's outcome never moves back from attribution's to accepted.
func TestPostbackLogOutcomesNeverGoBackwards(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ref := trackly.ConversionRef{IntegrationID: "in_a", ConversionID: "tx", GoalID: "0"}
	// handlerWrite is the handler's entry of an accepted postback.
	handlerWrite := func(id string) trackly.PostbackLogEntry {
		return trackly.PostbackLogEntry{
			PostbackID: id, ReceivedAt: at, Method: "GET", Query: "click_id=c&conversion_id=tx&token=in_a.%2A%2A%2A%2A",
			Params: map[string]string{"click_id": "c", "conversion_id": "tx", "token": "in_a.****"}, SourceIP: "203.0.113.9",
			UserAgent: "TUNE", Outcome: trackly.PostbackAccepted, HTTPStatus: 200, UpdatedAt: at,
		}
	}
	// attributed is attribution's result for the postback.
	attributed := func(id string) trackly.PostbackResult {
		return trackly.PostbackResult{PostbackID: id, ReceivedAt: at, Outcome: trackly.PostbackAttributed, Conversion: ref, UpdatedAt: at.Add(2 * time.Second)}
	}
	// requestLogged checks that the entry holds the handler's request details.
	requestLogged := func(t *testing.T, e trackly.PostbackLogEntry) {
		t.Helper()
		want := handlerWrite(e.PostbackID)
		if e.Method != want.Method || e.Query != want.Query || e.Params["conversion_id"] != "tx" || e.SourceIP != want.SourceIP ||
			e.UserAgent != want.UserAgent || e.HTTPStatus != 200 || !e.ReceivedAt.Equal(at) {
			t.Errorf("entry %+v lacks the request as the handler logged it", e)
		}
	}

	t.Run("attribution's outcome first, then the handler's write: the outcome stays, the request is logged", func(t *testing.T) {
		id := "pb_attribution_first"
		if err := s.SetPostbackOutcome(ctx, attributed(id)); err != nil {
			t.Fatal(err)
		}
		if err := s.LogPostback(ctx, handlerWrite(id)); err != nil {
			t.Fatal(err)
		}
		e := logged(t, s, id, at)
		if e.Outcome != trackly.PostbackAttributed || e.Conversion != ref || !e.UpdatedAt.Equal(at.Add(2*time.Second)) {
			t.Errorf("entry %+v, want attributed to %v as attribution left it", e, ref)
		}
		requestLogged(t, e)
	})

	t.Run("a conversion recorded first, then the handler's write: the outcome stays", func(t *testing.T) {
		id := "pb_conversion_first"
		c := trackly.Conversion{IntegrationID: "in_a", ConversionID: "tx-first", GoalID: "0", AccountID: "acct", PostbackID: id, ReceivedAt: at, Attribution: trackly.ConversionOrphan, Currency: "USD"}
		result := trackly.PostbackResult{PostbackID: id, ReceivedAt: at, Outcome: trackly.PostbackOrphaned, Reason: "no click", Conversion: c.Ref(), UpdatedAt: at.Add(time.Second)}
		if err := s.RecordConversion(ctx, c, &result); err != nil {
			t.Fatal(err)
		}
		if err := s.LogPostback(ctx, handlerWrite(id)); err != nil {
			t.Fatal(err)
		}
		e := logged(t, s, id, at)
		if e.Outcome != trackly.PostbackOrphaned || e.Reason != "no click" || e.Conversion != c.Ref() {
			t.Errorf("entry %+v, want orphaned as the conversion's transaction left it", e)
		}
		requestLogged(t, e)
	})

	t.Run("the handler's write first, then attribution's outcome", func(t *testing.T) {
		id := "pb_handler_first"
		if err := s.LogPostback(ctx, handlerWrite(id)); err != nil {
			t.Fatal(err)
		}
		if e := logged(t, s, id, at); e.Outcome != trackly.PostbackAccepted {
			t.Errorf("before attribution: outcome %q, want accepted", e.Outcome)
		}
		if err := s.SetPostbackOutcome(ctx, attributed(id)); err != nil {
			t.Fatal(err)
		}
		e := logged(t, s, id, at)
		if e.Outcome != trackly.PostbackAttributed || e.Conversion != ref {
			t.Errorf("entry %+v, want attributed", e)
		}
		requestLogged(t, e)
	})

	t.Run("the handler's write retried after attribution's outcome: the outcome stays", func(t *testing.T) {
		id := "pb_handler_retried"
		for _, write := range []func() error{
			func() error { return s.LogPostback(ctx, handlerWrite(id)) },
			func() error { return s.SetPostbackOutcome(ctx, attributed(id)) },
			func() error { return s.LogPostback(ctx, handlerWrite(id)) },
		} {
			if err := write(); err != nil {
				t.Fatal(err)
			}
		}
		if e := logged(t, s, id, at); e.Outcome != trackly.PostbackAttributed {
			t.Errorf("outcome %q, want attributed", e.Outcome)
		}
	})

	t.Run("attribution's outcome alone is listed with the postback's id and time", func(t *testing.T) {
		id := "pb_outcome_alone"
		if err := s.SetPostbackOutcome(ctx, attributed(id)); err != nil {
			t.Fatal(err)
		}
		if e := logged(t, s, id, at); e.Outcome != trackly.PostbackAttributed {
			t.Errorf("entry %+v, want attributed", e)
		}
	})

	// The handler's own outcomes other than accepted: failed when its send of
	// the message fails (it logs accepted while it sends, and failed replaces
	// its own accepted), invalid when it refuses the postback. Attribution's
	// outcome, there first when the send's answer was lost, stays.
	const notQueued = "temporarily unavailable; not queued"
	for _, tc := range []struct {
		name, id string
		// before writes the log's entry of the postback before the handler's write; nil writes none.
		before func(id string) error
		// outcome, status and reason are the handler's write.
		outcome trackly.PostbackOutcome
		status  int
		reason  string
		// landed says the handler's write is logged; else attribution's outcome stays.
		landed bool
	}{
		{name: "the handler's failed after its accepted (the send failed): failed", id: "pb_send_failed",
			before:  func(id string) error { return s.LogPostback(ctx, handlerWrite(id)) },
			outcome: trackly.PostbackFailed, status: 503, reason: notQueued, landed: true},
		{name: "the handler's failed after attribution's outcome (the send's answer was lost): the outcome stays", id: "pb_send_answer_lost",
			before:  func(id string) error { return s.SetPostbackOutcome(ctx, attributed(id)) },
			outcome: trackly.PostbackFailed, status: 503, reason: notQueued, landed: false},
		{name: "a handler's own outcome is logged as it is", id: "pb_invalid",
			outcome: trackly.PostbackInvalid, status: 400, reason: "conversion_id: is required", landed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				if err := tc.before(tc.id); err != nil {
					t.Fatal(err)
				}
			}
			w := handlerWrite(tc.id)
			w.Outcome, w.HTTPStatus, w.Reason = tc.outcome, tc.status, tc.reason
			if err := s.LogPostback(ctx, w); err != nil {
				t.Fatal(err)
			}
			e := logged(t, s, tc.id, at)
			switch {
			case tc.landed && (e.Outcome != tc.outcome || e.HTTPStatus != tc.status || e.Reason != tc.reason):
				t.Errorf("entry %+v, want %s, %d, with its reason", e, tc.outcome, tc.status)
			case !tc.landed && (e.Outcome != trackly.PostbackAttributed || e.Conversion != ref):
				t.Errorf("entry %+v, want attributed as attribution left it", e)
			}
		})
	}

	t.Run("text that is not UTF-8 is refused, not rewritten", func(t *testing.T) {
		id := "pb_not_utf8"
		w := handlerWrite(id)
		w.Params = map[string]string{"conversion_id": "X\x80Y"}
		if err := s.LogPostback(ctx, w); err == nil {
			t.Errorf("an entry holding X\\x80Y was written: %+v", logged(t, s, id, at))
		}
	})
}

// logged reads the postback log's entry of a postback received at at, or fails t.
func logged(t *testing.T, s *store.Store, postbackID string, at time.Time) trackly.PostbackLogEntry {
	t.Helper()
	list, _, err := s.ListPostbacks(context.Background(), trackly.PostbackFilter{Day: at.UTC().Format(time.DateOnly), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.PostbackID == postbackID {
			return e
		}
	}
	t.Fatalf("postback %s is not in the log", postbackID)
	return trackly.PostbackLogEntry{}
}

// One day's postbacks are spread over the log's partition keys, so that no
// key takes more writes than DynamoDB allows one, and a day's listing merges
// them: newest first, each entry once, however it is paged and filtered.
func TestPostbackLogSpreadsADayOverShards(t *testing.T) {
	ctx := context.Background()
	s, db, env := localStore(t, "AttributionFunction")

	// 96 postbacks on November 24th, three a second (entries of one time are
	// listed by postback id), every third attributed; and two just before and
	// one just after the day, which its listing leaves out.
	const day = "2026-11-24"
	start := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	var all, attributed []trackly.PostbackLogEntry // newest first
	for i := range 96 {
		e := trackly.PostbackLogEntry{
			PostbackID: fmt.Sprintf("pb_%03d", i), ReceivedAt: start.Add(time.Duration(i/3) * time.Second),
			Method: "GET", Query: "click_id=c", Outcome: trackly.PostbackAccepted, HTTPStatus: 200,
		}
		e.UpdatedAt = e.ReceivedAt
		if err := s.LogPostback(ctx, e); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			e.Outcome = trackly.PostbackAttributed
			result := trackly.PostbackResult{PostbackID: e.PostbackID, ReceivedAt: e.ReceivedAt, Outcome: e.Outcome, UpdatedAt: e.ReceivedAt}
			if err := s.SetPostbackOutcome(ctx, result); err != nil {
				t.Fatal(err)
			}
			attributed = append(attributed, e)
		}
		all = append(all, e)
	}
	for _, at := range []time.Time{start.Add(-time.Second), start.Add(-time.Nanosecond), start.Add(24 * time.Hour)} {
		e := trackly.PostbackLogEntry{PostbackID: "pb_" + at.Format(time.RFC3339Nano), ReceivedAt: at, Method: "GET", Outcome: trackly.PostbackAccepted, HTTPStatus: 200, UpdatedAt: at}
		if err := s.LogPostback(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	newestFirst := func(a, b trackly.PostbackLogEntry) int {
		if c := b.ReceivedAt.Compare(a.ReceivedAt); c != 0 {
			return c
		}
		return strings.Compare(b.PostbackID, a.PostbackID)
	}
	slices.SortFunc(all, newestFirst)
	slices.SortFunc(attributed, newestFirst)

	t.Run("the day's entries are under 32 partition keys, <day>#<shard>", func(t *testing.T) {
		out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(env["POSTBACK_LOG_TABLE"]), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		perKey := map[string]int{}
		for _, item := range out.Items {
			if pk := item["day"].(*types.AttributeValueMemberS).Value; strings.HasPrefix(pk, day) {
				perKey[pk]++
			}
		}
		shardKey := regexp.MustCompile(`^` + day + `#(0[0-9]|1[0-9]|2[0-9]|3[01])$`)
		for pk := range perKey {
			if !shardKey.MatchString(pk) {
				t.Errorf("partition key %q is not %s#<shard 00 to 31>", pk, day)
			}
		}
		if len(perKey) != 32 {
			t.Errorf("the day's 96 entries are under %d partition keys (%v), want 32", len(perKey), perKey)
		}
	})

	t.Run("one page lists the day newest first", func(t *testing.T) {
		list, next, err := s.ListPostbacks(ctx, trackly.PostbackFilter{Day: day, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(list), ids(all); !slices.Equal(got, want) || next != "" {
			t.Errorf("listed %v (next %q), want %v and no next page", got, next, want)
		}
	})

	for _, limit := range []int{1, 7, 32, 95} {
		t.Run(fmt.Sprintf("pages of %d visit every entry once, newest first", limit), func(t *testing.T) {
			got := pageAll(t, s, trackly.PostbackFilter{Day: day, Limit: limit})
			if want := ids(all); !slices.Equal(got, want) {
				t.Errorf("pages listed %v, want %v", got, want)
			}
		})
	}

	t.Run("the outcome filter selects across shards, page after page", func(t *testing.T) {
		for _, limit := range []int{1, 5} {
			got := pageAll(t, s, trackly.PostbackFilter{Day: day, Outcome: trackly.PostbackAttributed, Limit: limit})
			if want := ids(attributed); !slices.Equal(got, want) {
				t.Errorf("pages of %d listed %v, want %v", limit, got, want)
			}
		}
	})

	t.Run("the default page is 50 entries", func(t *testing.T) {
		list, next, err := s.ListPostbacks(ctx, trackly.PostbackFilter{Day: day})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(list), ids(all[:50]); !slices.Equal(got, want) || next == "" {
			t.Errorf("listed %v (next %q), want %v and a next page", got, next, want)
		}
	})

	t.Run("a day without postbacks lists none", func(t *testing.T) {
		list, next, err := s.ListPostbacks(ctx, trackly.PostbackFilter{Day: "2026-11-26", Limit: 10})
		if err != nil || len(list) != 0 || next != "" {
			t.Errorf("listed %v, next %q, %v; want nothing", ids(list), next, err)
		}
	})

	t.Run("a cursor that is not this day's listing's is refused, naming cursor", func(t *testing.T) {
		_, otherDay, err := s.ListPostbacks(ctx, trackly.PostbackFilter{Day: "2026-11-23", Limit: 1})
		if err != nil || otherDay == "" {
			t.Fatalf("the day before: next %q, %v; want a cursor", otherDay, err)
		}
		for _, cursor := range []string{otherDay, "not-a-cursor", "eyJ4IjoieSJ9"} {
			_, _, err := s.ListPostbacks(ctx, trackly.PostbackFilter{Day: day, Limit: 1, Cursor: cursor})
			if fe, ok := validate.AsFieldError(err); !ok || fe.Field != "cursor" {
				t.Errorf("cursor %q: %v, want an error naming cursor", cursor, err)
			}
		}
	})
}

// pageAll lists what f selects page after page, from the first, and returns
// the postback ids in the order listed.
func pageAll(t *testing.T, s *store.Store, f trackly.PostbackFilter) []string {
	t.Helper()
	var got []string
	for page := 0; ; page++ {
		if page > 200 {
			t.Fatalf("more than 200 pages; listed so far %v", got)
		}
		list, next, err := s.ListPostbacks(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > f.Limit {
			t.Fatalf("a page of %d entries, limit %d", len(list), f.Limit)
		}
		got = append(got, ids(list)...)
		if next == "" {
			return got
		}
		f.Cursor = next
	}
}

// ids returns the postback ids of entries, in order.
func ids(entries []trackly.PostbackLogEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.PostbackID
	}
	return out
}
