package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
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
		if err := s.RecordConversion(ctx, c, nil, result); err != nil {
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

	t.Run("a handler's own outcome is logged as it is", func(t *testing.T) {
		id := "pb_invalid"
		w := handlerWrite(id)
		w.Outcome, w.HTTPStatus, w.Reason = trackly.PostbackInvalid, 400, "conversion_id: is required"
		if err := s.LogPostback(ctx, w); err != nil {
			t.Fatal(err)
		}
		if e := logged(t, s, id, at); e.Outcome != trackly.PostbackInvalid || e.HTTPStatus != 400 || e.Reason != w.Reason {
			t.Errorf("entry %+v, want invalid, 400, with its reason", e)
		}
	})

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
