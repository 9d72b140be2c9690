package store_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
)

// streamSample reads a batch of stream records under events/.
func streamSample(t *testing.T, name string) events.DynamoDBEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// The samples' records come from the streams of tables named as SAM names them locally.
func TestDecodeChangeReadsStreamRecords(t *testing.T) {
	s := store.New(nil, store.Tables{Clicks: "ClicksTable", Conversions: "ConversionsTable"})

	t.Run("a click inserted", func(t *testing.T) {
		ev := streamSample(t, "reports-clicks-stream.json")
		ch, err := s.DecodeChange(ev.Records[0])
		if err != nil {
			t.Fatal(err)
		}
		c := ch.NewClick
		if ch.ID != ev.Records[0].EventID || ch.OldClick != nil || ch.OldConversion != nil || ch.NewConversion != nil || c == nil {
			t.Fatalf("change %+v, want the insert of a click under the record's eventID", ch)
		}
		place := trackly.Placement{AccountID: "sample", IntegrationID: "in_sample", OfferID: "1", MessageID: "sms-sample-1", CampaignID: "camp-sample"}
		if c.ClickID != "sample.c2FtcGxlLWNsaWNr.c2FtcGxlLXNpZ25h" || c.LinkID != "sample" || c.Placement != place || c.Bot || !strings.Contains(c.UserAgent, "iPhone") ||
			!c.CreatedAt.Equal(time.Date(2026, 11, 24, 9, 58, 0, 0, time.UTC)) || !c.AttributableUntil.Equal(time.Unix(1797933480, 0)) {
			t.Errorf("click %+v, want the sample's phone click on sms-sample-1", *c)
		}
		if bot, err := s.DecodeChange(ev.Records[1]); err != nil || bot.NewClick == nil || !bot.NewClick.Bot {
			t.Errorf("second record: %+v, %v; want a bot's click", bot, err)
		}
	})

	t.Run("a conversion inserted, then modified: both images, amounts exact", func(t *testing.T) {
		ev := streamSample(t, "reports-conversions-stream.json")
		ch, err := s.DecodeChange(ev.Records[1])
		if err != nil {
			t.Fatal(err)
		}
		before, after := ch.OldConversion, ch.NewConversion
		if before == nil || after == nil || ch.NewClick != nil {
			t.Fatalf("change %+v, want a conversion before and after", ch)
		}
		if before.Status != trackly.StatusPending || after.Status != trackly.StatusApproved || after.Payout.String() != "12.5" ||
			after.Ref() != (trackly.ConversionRef{IntegrationID: "in_sample", ConversionID: "sample-conversion-1", GoalID: "0"}) ||
			after.Attribution != trackly.ConversionAttributed || after.MessageID != "sms-sample-1" || !after.ReceivedAt.Equal(time.Date(2026, 11, 24, 10, 15, 30, 0, time.UTC)) {
			t.Errorf("before %+v\nafter %+v", *before, *after)
		}
	})

	t.Run("a record of another table's stream, or unreadable, is refused", func(t *testing.T) {
		ev := streamSample(t, "reports-conversions-stream.json")
		other := ev.Records[0]
		other.EventSourceArn = strings.Replace(other.EventSourceArn, "table/ConversionsTable/", "table/LinksTable/", 1)
		if _, err := s.DecodeChange(other); err == nil || !strings.Contains(err.Error(), "LinksTable") {
			t.Errorf("a record of LinksTable's stream: %v, want an error naming it", err)
		}
		bad := ev.Records[0]
		bad.Change.NewImage = map[string]events.DynamoDBAttributeValue{"payout": events.NewStringAttribute("twelve")}
		if _, err := s.DecodeChange(bad); err == nil || !strings.Contains(err.Error(), "payout") {
			t.Errorf("a payout of %q: %v, want an error naming payout", "twelve", err)
		}
	})
}

// clicksOn are the increments of n phones' clicks on a message of account acct on 2026-11-24.
func clicksOn(message string, n int) []trackly.ReportIncrement {
	var out []trackly.ReportIncrement
	for range n {
		c := trackly.Click{Placement: trackly.Placement{AccountID: "acct", MessageID: message, OfferID: "o1"}, CreatedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
		out = append(out, reports.ChangeIncrements(trackly.Change{NewClick: &c})...)
	}
	return sumRows(out)
}

// sumRows sums increments per row, as a batch applies them.
func sumRows(incs []trackly.ReportIncrement) []trackly.ReportIncrement {
	var out []trackly.ReportIncrement
	for _, inc := range incs {
		i := slices.IndexFunc(out, func(o trackly.ReportIncrement) bool {
			return o.Dimension == inc.Dimension && o.DimensionID == inc.DimensionID && o.Day == inc.Day
		})
		if i < 0 {
			out = append(out, trackly.ReportIncrement{AccountID: inc.AccountID, Dimension: inc.Dimension, DimensionID: inc.DimensionID, Day: inc.Day, Counters: map[string]money.Amount{}})
			i = len(out) - 1
		}
		for name, v := range inc.Counters {
			out[i].Counters[name] = out[i].Counters[name].Add(v)
		}
	}
	return out
}

// messageCounter reads a counter of message's row of account acct on 2026-11-24 ("" when absent).
func messageCounter(t *testing.T, s *store.Store, message, name string) string {
	t.Helper()
	rows, err := s.ReportRows(context.Background(), "acct", trackly.DimensionMessage, message, "2026-11-24", "2026-11-24")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return ""
	}
	v, ok := rows[0].Counters[name]
	if !ok {
		return ""
	}
	return v.String()
}

// Stream records are delivered at least once: an answer lost, a batch retried from a record,
// a batch split. Each change is counted once however often it comes.
func TestCountChangesCountsEachChangeOnce(t *testing.T) {
	ctx := context.Background()
	s, db, env := localStore(t, "ReportsFunction")

	t.Run("the same changes again (their answer lost) write nothing and are named", func(t *testing.T) {
		ids := []string{"again-1", "again-2"}
		if counted, err := s.CountChanges(ctx, ids, clicksOn("m-again", 2)); err != nil || len(counted) != 0 {
			t.Fatalf("first: counted %v, %v; want applied", counted, err)
		}
		counted, err := s.CountChanges(ctx, ids, clicksOn("m-again", 2))
		if err != nil || !slices.Equal(counted, ids) {
			t.Fatalf("again: counted %v, %v; want %v named", counted, err, ids)
		}
		if got := messageCounter(t, s, "m-again", "clicks"); got != "2" {
			t.Errorf("clicks %q, want 2", got)
		}
	})

	t.Run("a batch partly counted writes nothing and names those counted; the rest then count", func(t *testing.T) {
		if counted, err := s.CountChanges(ctx, []string{"part-1"}, clicksOn("m-part", 1)); err != nil || len(counted) != 0 {
			t.Fatalf("first: counted %v, %v", counted, err)
		}
		counted, err := s.CountChanges(ctx, []string{"part-1", "part-2", "part-3"}, clicksOn("m-part", 3))
		if err != nil || !slices.Equal(counted, []string{"part-1"}) {
			t.Fatalf("the batch: counted %v, %v; want part-1 named", counted, err)
		}
		if got := messageCounter(t, s, "m-part", "clicks"); got != "1" {
			t.Errorf("after the refused batch: clicks %q, want 1", got)
		}
		if counted, err := s.CountChanges(ctx, []string{"part-2", "part-3"}, clicksOn("m-part", 2)); err != nil || len(counted) != 0 {
			t.Fatalf("the rest: counted %v, %v", counted, err)
		}
		if got := messageCounter(t, s, "m-part", "clicks"); got != "3" {
			t.Errorf("clicks %q, want 3", got)
		}
	})

	t.Run("the counter delivered a batch again, in part and whole, counts each change once", func(t *testing.T) {
		changes := make([]trackly.Change, 230)
		for i := range changes {
			id := "counter-" + strconv.Itoa(i)
			changes[i] = trackly.Change{ID: id, NewClick: &trackly.Click{ClickID: id, Placement: trackly.Placement{AccountID: "acct", MessageID: "m-counter", OfferID: "o1"},
				CreatedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}}
		}
		counter := reports.NewCounter(s, slog.New(slog.NewTextHandler(io.Discard, nil)))
		for _, batch := range [][]trackly.Change{changes[:70], changes[50:], changes} {
			if n, err := counter.Count(ctx, batch); err != nil || n != len(batch) {
				t.Fatalf("counted %d of %d, %v", n, len(batch), err)
			}
		}
		if got := messageCounter(t, s, "m-counter", "clicks"); got != "230" {
			t.Errorf("clicks %q, want 230", got)
		}
	})

	t.Run("revenue adds and subtracts exactly, per currency", func(t *testing.T) {
		inc := func(counters map[string]string) []trackly.ReportIncrement {
			c := map[string]money.Amount{}
			for name, v := range counters {
				a, err := money.Parse(strings.TrimPrefix(v, "-"))
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(v, "-") {
					a = money.FromDecimal(a.Neg())
				}
				c[name] = a
			}
			return []trackly.ReportIncrement{{AccountID: "acct", Dimension: trackly.DimensionMessage, DimensionID: "m-money", Day: "2026-11-24", Counters: c}}
		}
		for i, counters := range []map[string]string{
			{"conversions": "1", "revenue_USD": "0.1"},
			{"conversions": "1", "revenue_USD": "0.2", "revenue_EUR": "0.00000001"},
			{"revenue_USD": "-0.09999999"}, // a payout corrected
		} {
			if counted, err := s.CountChanges(ctx, []string{"money-" + strconv.Itoa(i)}, inc(counters)); err != nil || len(counted) != 0 {
				t.Fatalf("change %d: counted %v, %v", i, counted, err)
			}
		}
		for name, want := range map[string]string{"conversions": "2", "revenue_USD": "0.20000001", "revenue_EUR": "0.00000001"} {
			if got := messageCounter(t, s, "m-money", name); got != want {
				t.Errorf("%s %q, want %q", name, got, want)
			}
		}
	})

	t.Run("a change's mark outlives the stream's 24 hours", func(t *testing.T) {
		if _, err := s.CountChanges(ctx, []string{"mark-1"}, clicksOn("m-mark", 1)); err != nil {
			t.Fatal(err)
		}
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(env["COUNTED_CHANGES_TABLE"]),
			Key: map[string]types.AttributeValue{"change_id": &types.AttributeValueMemberS{Value: "mark-1"}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := out.Item["expires_at"].(*types.AttributeValueMemberN)
		if n == nil {
			t.Fatalf("mark %v has no expires_at", out.Item)
		}
		expires, err := strconv.ParseInt(n.Value, 10, 64)
		if left := time.Until(time.Unix(expires, 0)); err != nil || left < 47*time.Hour || left > 49*time.Hour {
			t.Errorf("mark expires in %v (%v), want about 48 hours", left, err)
		}
	})
}
