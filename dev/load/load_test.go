package load

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// TestSmallRunIsExact is CI's load test: 300 postbacks against the whole local system under
// DynamoDB's contention rules, with 20% of DynamoDB requests failing (5% of writes applied with
// their answer lost) and SQS unreachable for 6 s, all in one run; every figure must be exact.
func TestSmallRunIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local system and loads it")
	}
	res, err := Run(t.Context(), Options{
		Name:           "small",
		Postbacks:      300,
		FailureRate:    0.2,
		LostAnswerRate: 0.05,
		// Longer than a send's 8 attempts take at the most (about 3.6 s: the SDK's waits of up to
		// 50 ms doubling, at most 1 s), so that the postbacks sent early in the outage are answered
		// 503 within it even on a busy machine, which the comparison requires to see.
		SQSDown: 6 * time.Second,
		// The batches in flight when SQS goes away, and the messages whose attribution failed, are
		// delivered again once this is over: a third of the template's 30 s keeps the run short.
		// AttributionFunction's timeout is lowered to it, so that on a slow machine no batch outlives
		// its messages' visibility, as AWS requires of an SQS event source.
		VisibilityTimeout: 10 * time.Second,
		Quiet:             10 * time.Second,
		SettleTimeout:     2 * time.Minute,
		Progress:          t.Output(),
	})
	if err != nil {
		t.Fatal(err)
	}
	// What differs comes first: the whole table is long, and CI keeps only a part of the output.
	if differing := res.Differing(); len(differing) > 0 {
		for _, row := range differing {
			t.Errorf("differs: %s", row)
		}
		for _, note := range res.Notes {
			t.Errorf("note: %s", note)
		}
		res.Print(t.Output())
		t.FailNow()
	}
	if res.DynamoDB.Failures == 0 || res.DynamoDB.LostAnswers == 0 || res.Attempts[http.StatusServiceUnavailable] == 0 {
		t.Errorf("the faults did not all happen: %+v, %d answers 503", res.DynamoDB, res.Attempts[http.StatusServiceUnavailable])
	}
}

// TestCompareFlagsWhatDiffers checks the comparison on a small ground truth: what the system
// must show compares equal, and each way of showing something else is flagged where it shows.
func TestCompareFlagsWhatDiffers(t *testing.T) {
	l := &link{ID: "load-1", URL: "http://127.0.0.1/c/load-1", MessageID: "msg-1", CampaignID: "spring", Offer: trackly.Offer{OfferID: "1"}}
	conv := &conversion{
		ref:  trackly.ConversionRef{IntegrationID: integrationID, ConversionID: "tx-000001", GoalID: "0"},
		link: l, clickID: "load-1.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBB",
		status: trackly.StatusApproved, payout: amount("12.5"), currency: "USD",
	}
	first, again := conv.postback(kindConversion), conv.postback(kindDuplicate)
	bad := &postback{kind: kindMalformed, status: http.StatusBadRequest, field: "payout", variant: "a negative payout"}

	newRun := func() *run {
		r := &run{opts: Options{Taps: 2}, res: &Result{}, sqs: &outage{}}
		r.ownToken = integrationID + ".s3cr3t"
		r.truth.init()
		r.truth.tapped(tap{link: l, kind: tapPhone})
		r.truth.tapped(tap{link: l, kind: tapPhone})
		r.truth.planned([]*conversion{conv}, []job{{first, again}, {bad}})
		now := time.Now()
		r.truth.began(now)
		r.truth.ended(now)
		r.truth.answered(answer{pb: first, status: http.StatusOK, postbackID: "pb_1", start: now, end: now})
		r.truth.answered(answer{pb: again, status: http.StatusOK, postbackID: "pb_2", start: now, end: now})
		r.truth.answered(answer{pb: bad, status: http.StatusBadRequest, postbackID: "pb_3", fields: []string{"payout"}, start: now, end: now})
		return r
	}
	exact := func(day string) *observation {
		o := &observation{
			lines: map[lineKey]reports.Line{},
			conversions: map[trackly.ConversionRef]trackly.Conversion{conv.ref: {
				IntegrationID: integrationID, ConversionID: "tx-000001", GoalID: "0", AccountID: accountID,
				ClickID: conv.clickID, LinkID: l.ID, MessageID: l.MessageID, CampaignID: l.CampaignID, OfferID: "1",
				Attribution: trackly.ConversionAttributed, Status: trackly.StatusApproved, Payout: amount("12.50"),
				Currency: "USD", PostbackID: "pb_1",
			}},
			log: map[string]trackly.PostbackLogEntry{
				"pb_1": {PostbackID: "pb_1", Outcome: trackly.PostbackAttributed, Query: "token=in_load.%2A%2A%2A%2A"},
				"pb_2": {PostbackID: "pb_2", Outcome: trackly.PostbackDuplicate},
				"pb_3": {PostbackID: "pb_3", Outcome: trackly.PostbackInvalid},
			},
			polled:     map[string]int{"PostbackQueue": 0},
			deadLetter: map[string]int{"PostbackDeadLetterQueue": 0},
		}
		for _, k := range []lineKey{
			{trackly.DimensionAccount, accountID, day}, {trackly.DimensionMessage, "msg-1", day},
			{trackly.DimensionOffer, "1", day}, {trackly.DimensionCampaign, "spring", day},
		} {
			o.lines[k] = reports.Line{
				ID: k.id, Day: day, Clicks: 2, Conversions: 1,
				Revenue: map[string]money.Amount{"USD": amount("12.5")}, EPC: map[string]string{"USD": "6.2500"},
				ConversionRate: "50.00",
			}
		}
		return o
	}

	t.Run("exact", func(t *testing.T) {
		r := newRun()
		e := r.truth.expect()
		if got := differing(r.compare(e, exact(e.from))); len(got) > 0 {
			t.Errorf("an exact system differs in %v", got)
		}
	})
	for _, tc := range []struct {
		name   string
		change func(o *observation, day string)
		want   []string
	}{{
		name: "a click missing from a message's line",
		change: func(o *observation, day string) {
			k := lineKey{trackly.DimensionMessage, "msg-1", day}
			line := o.lines[k]
			line.Clicks = 1
			o.lines[k] = line
		},
		want: []string{"report/message msg-1 DAY/clicks"},
	}, {
		name: "revenue off by a hundred-millionth",
		change: func(o *observation, day string) {
			o.lines[lineKey{trackly.DimensionAccount, accountID, day}].Revenue["USD"] = amount("12.50000001")
		},
		want: []string{"report/account load DAY/revenue USD"},
	}, {
		name: "a line of no click or conversion",
		change: func(o *observation, day string) {
			o.lines[lineKey{trackly.DimensionCampaign, "summer", day}] = reports.Line{ID: "summer", Day: day, RejectedConversions: 1}
		},
		want: []string{"report/campaign summer DAY/rejected conversions"},
	}, {
		name:   "a conversion missing",
		change: func(o *observation, _ string) { delete(o.conversions, conv.ref) },
		want:   []string{"conversions/all/count", "conversions/checked one by one/missing"},
	}, {
		name: "a conversion's payout rounded another way",
		change: func(o *observation, _ string) {
			c := o.conversions[conv.ref]
			c.Payout = amount("12.49")
			o.conversions[conv.ref] = c
		},
		want: []string{"conversions/attributed approved USD/payout sum", "conversions/checked one by one/not as sent"},
	}, {
		name: "a duplicate logged as a second attribution",
		change: func(o *observation, _ string) {
			o.log["pb_2"] = trackly.PostbackLogEntry{PostbackID: "pb_2", Outcome: trackly.PostbackAttributed}
		},
		want: []string{"postback log/outcome attributed/count", "postback log/checked one by one/with another outcome"},
	}, {
		name:   "a refused postback missing from the log",
		change: func(o *observation, _ string) { delete(o.log, "pb_3") },
		want:   []string{"postback log/outcome invalid/count", "postback log/checked one by one/missing"},
	}, {
		name: "the postback token in the log",
		change: func(o *observation, _ string) {
			o.log["pb_1"] = trackly.PostbackLogEntry{PostbackID: "pb_1", Outcome: trackly.PostbackAttributed, Query: "token=in_load.s3cr3t"}
		},
		want: []string{"postback log/checked one by one/showing the postback token"},
	}, {
		name: "a currency of no revenue with an EPC of 0, which is no EPC",
		change: func(o *observation, day string) {
			line := o.lines[lineKey{trackly.DimensionAccount, accountID, day}]
			line.Revenue["EUR"], line.EPC["EUR"] = amount("0"), "0.0000"
		},
	}, {
		name:   "a message in the dead-letter queue",
		change: func(o *observation, _ string) { o.deadLetter["PostbackDeadLetterQueue"] = 1 },
		want:   []string{"queues/PostbackDeadLetterQueue/messages (dead-letter queue)"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun()
			e := r.truth.expect()
			o := exact(e.from)
			tc.change(o, e.from)
			got := differing(r.compare(e, o))
			if len(tc.want) == 0 && len(got) > 0 {
				t.Errorf("these differ: %v; want none", got)
			}
			for _, w := range tc.want {
				if w = replaceDay(w, e.from); !slices.Contains(got, w) {
					t.Errorf("%s does not differ; these do: %v", w, got)
				}
			}
		})
	}

	t.Run("a refused postback accepted", func(t *testing.T) {
		r := newRun()
		r.truth.answers[2].status = http.StatusOK
		e := r.truth.expect()
		got := differing(r.compare(e, exact(e.from)))
		for _, w := range []string{"answers/postbacks/answered 200", "answers/postbacks/answered 400", "answers/postbacks/answered otherwise than planned"} {
			if !slices.Contains(got, w) {
				t.Errorf("%s does not differ; these do: %v", w, got)
			}
		}
	})
}

// differing names the rows of a comparison that differ, as "section/line/figure".
func differing(c *comparison) []string {
	var out []string
	for _, row := range c.rows {
		if !row.OK {
			out = append(out, fmt.Sprintf("%s/%s/%s", row.Section, row.Line, row.Metric))
		}
	}
	return out
}

// replaceDay puts the run's day in place of DAY.
func replaceDay(s, day string) string { return strings.Replace(s, "DAY", day, 1) }

func amount(s string) money.Amount { return money.FromDecimal(decimal.RequireFromString(s)) }
