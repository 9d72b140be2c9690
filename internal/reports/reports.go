// Package reports decides which report counters a change to a click or a
// conversion moves, counts each change exactly once however often its
// table's stream delivers it, and turns stored counters into report lines
// with EPC and conversion rate.
package reports

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// Dimensions lists the report dimensions. Every click and conversion counts once in each.
var Dimensions = []trackly.Dimension{trackly.DimensionAccount, trackly.DimensionMessage, trackly.DimensionOffer, trackly.DimensionCampaign}

// Counter names. Revenue counters are per currency ("revenue_USD") and hold
// the exact decimal sum of the payouts: DynamoDB adds numbers as decimals of up
// to 38 digits, so a row reads in the table as the report shows it.
const (
	counterClicks              = "clicks"
	counterConversions         = "conversions"
	counterPendingConversions  = "pending_conversions"
	counterRejectedConversions = "rejected_conversions"
	counterReversedConversions = "reversed_conversions"
	revenuePrefix              = "revenue_"
	pendingRevenuePrefix       = "pending_revenue_"
	reversedRevenuePrefix      = "reversed_revenue_"
)

// Day returns the report day (UTC) of t.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

var one = money.FromDecimal(decimal.NewFromInt(1))

// clickIncrements returns the counters a click moves; bot clicks move none.
func clickIncrements(c trackly.Click) []trackly.ReportIncrement {
	if c.Bot {
		return nil
	}
	return increments(c.AccountID, c.MessageID, c.OfferID, c.CampaignID, Day(c.CreatedAt), map[string]money.Amount{counterClicks: one})
}

// conversionIncrements returns the counters a conversion moves: an attributed
// conversion counts, approved with its revenue, pending apart with its revenue
// apart, rejected only as a count, and a rejected one that was approved before
// (a reversal) also as a reversal with the revenue it lost; an orphan moves none.
func conversionIncrements(c trackly.Conversion) []trackly.ReportIncrement {
	if c.Attribution != trackly.ConversionAttributed {
		return nil
	}
	counters := map[string]money.Amount{}
	switch c.Status {
	case trackly.StatusPending:
		counters[counterPendingConversions] = one
		counters[pendingRevenuePrefix+c.Currency] = c.Payout
	case trackly.StatusRejected:
		counters[counterRejectedConversions] = one
		if c.Reversed {
			counters[counterReversedConversions] = one
			counters[reversedRevenuePrefix+c.Currency] = c.Payout
		}
	default:
		counters[counterConversions] = one
		counters[revenuePrefix+c.Currency] = c.Payout
	}
	return increments(c.AccountID, c.MessageID, c.OfferID, c.CampaignID, Day(c.ReceivedAt), counters)
}

func increments(accountID, messageID, offerID, campaignID, day string, counters map[string]money.Amount) []trackly.ReportIncrement {
	ids := map[trackly.Dimension]string{trackly.DimensionAccount: accountID, trackly.DimensionMessage: messageID, trackly.DimensionOffer: offerID, trackly.DimensionCampaign: campaignID}
	var out []trackly.ReportIncrement
	for _, dim := range Dimensions {
		if ids[dim] == "" {
			continue
		}
		out = append(out, trackly.ReportIncrement{AccountID: accountID, Dimension: dim, DimensionID: ids[dim], Day: day, Counters: counters})
	}
	return out
}

// RowReader reads stored report rows.
type RowReader interface {
	ReportRows(ctx context.Context, accountID string, dimension trackly.Dimension, dimensionID, fromDay, toDay string) ([]trackly.ReportRow, error)
}

// Query asks for an account's report in one dimension over a range of days.
// A field left out takes its default: dimension message, every id, the last
// 30 days up to today (UTC).
type Query struct {
	AccountID string            `json:"account_id"`
	Dimension trackly.Dimension `json:"dimension,omitempty"`
	ID        string            `json:"id,omitempty"`
	From      string            `json:"from,omitempty"`
	To        string            `json:"to,omitempty"`
	ByDay     bool              `json:"by_day,omitempty"`
}

// Line is one line of a report: totals for one dimension id (and day, when by day).
type Line struct {
	ID                  string `json:"id,omitempty"`
	Day                 string `json:"day,omitempty"`
	Clicks              int64  `json:"clicks"`
	Conversions         int64  `json:"conversions"`
	PendingConversions  int64  `json:"pending_conversions"`
	RejectedConversions int64  `json:"rejected_conversions"`
	// ReversedConversions counts the rejected conversions that were approved
	// before (chargebacks); ReversedRevenue is the revenue they took back.
	ReversedConversions int64                   `json:"reversed_conversions"`
	Revenue             map[string]money.Amount `json:"revenue"`
	PendingRevenue      map[string]money.Amount `json:"pending_revenue"`
	ReversedRevenue     map[string]money.Amount `json:"reversed_revenue"`
	EPC                 map[string]string       `json:"epc"`
	ConversionRate      string                  `json:"conversion_rate"`
}

// Report is the answer to a Query.
type Report struct {
	Query
	Lines []Line `json:"lines"`
	Total Line   `json:"total"`
}

// Service builds reports from stored rows.
type Service struct {
	rows RowReader
	now  func() time.Time
}

// NewService returns a Service reading rows from rows.
func NewService(rows RowReader, now func() time.Time) *Service {
	return &Service{rows: rows, now: now}
}

// Report validates q (defaulting to the last 30 days) and builds the report.
func (s *Service) Report(ctx context.Context, q Query) (Report, error) {
	if err := s.normalize(&q); err != nil {
		return Report{}, err
	}
	rows, err := s.rows.ReportRows(ctx, q.AccountID, q.Dimension, q.ID, q.From, q.To)
	if err != nil {
		return Report{}, fmt.Errorf("read report: %w", err)
	}
	lines := map[string]*Line{}
	var order []string
	total := newLine("", "")
	for _, r := range rows {
		k := r.DimensionID
		if q.ByDay {
			k += "#" + r.Day
		}
		l, ok := lines[k]
		if !ok {
			day := ""
			if q.ByDay {
				day = r.Day
			}
			l = newLine(r.DimensionID, day)
			lines[k] = l
			order = append(order, k)
		}
		l.add(r.Counters)
		total.add(r.Counters)
	}
	sort.Strings(order)
	rep := Report{Query: q, Lines: make([]Line, 0, len(order))}
	for _, k := range order {
		lines[k].finish()
		rep.Lines = append(rep.Lines, *lines[k])
	}
	total.finish()
	rep.Total = *total
	return rep, nil
}

func (s *Service) normalize(q *Query) error {
	if q.AccountID == "" {
		return validate.Field("account_id", "is required")
	}
	if err := validate.AccountID("account_id", q.AccountID); err != nil {
		return err
	}
	if q.Dimension == "" {
		q.Dimension = trackly.DimensionMessage
	}
	if !slices.Contains(Dimensions, q.Dimension) {
		names := make([]string, len(Dimensions))
		for i, d := range Dimensions {
			names[i] = string(d)
		}
		return validate.Field("dimension", "must be one of %s, not %q", strings.Join(names, ", "), q.Dimension)
	}
	if q.ID != "" {
		if err := validate.ID("id", q.ID); err != nil {
			return err
		}
	}
	if q.From != "" {
		if _, err := validate.Date("from", q.From); err != nil {
			return err
		}
	}
	if q.To == "" {
		q.To = Day(s.now())
	}
	to, err := validate.Date("to", q.To)
	if err != nil {
		return err
	}
	if q.From == "" {
		q.From = max(Day(to.AddDate(0, 0, -29)), validate.FirstDate)
	}
	if q.From > q.To {
		return validate.Field("from", "must not be after to")
	}
	return nil
}

func newLine(id, day string) *Line {
	return &Line{ID: id, Day: day, Revenue: map[string]money.Amount{}, PendingRevenue: map[string]money.Amount{}, ReversedRevenue: map[string]money.Amount{}, EPC: map[string]string{}}
}

func (l *Line) add(counters map[string]money.Amount) {
	for name, v := range counters {
		switch {
		case name == counterClicks:
			l.Clicks += v.IntPart()
		case name == counterConversions:
			l.Conversions += v.IntPart()
		case name == counterPendingConversions:
			l.PendingConversions += v.IntPart()
		case name == counterRejectedConversions:
			l.RejectedConversions += v.IntPart()
		case name == counterReversedConversions:
			l.ReversedConversions += v.IntPart()
		case strings.HasPrefix(name, reversedRevenuePrefix):
			cur := strings.TrimPrefix(name, reversedRevenuePrefix)
			l.ReversedRevenue[cur] = l.ReversedRevenue[cur].Add(v)
		case strings.HasPrefix(name, pendingRevenuePrefix):
			cur := strings.TrimPrefix(name, pendingRevenuePrefix)
			l.PendingRevenue[cur] = l.PendingRevenue[cur].Add(v)
		case strings.HasPrefix(name, revenuePrefix):
			cur := strings.TrimPrefix(name, revenuePrefix)
			l.Revenue[cur] = l.Revenue[cur].Add(v)
		}
	}
}

// finish computes EPC (revenue per click, 4 places) per currency and the
// conversion rate (approved conversions per click, a percentage with 2 places).
func (l *Line) finish() {
	clicks := decimal.NewFromInt(l.Clicks)
	for cur, rev := range l.Revenue {
		if l.Clicks > 0 {
			l.EPC[cur] = rev.DivRound(clicks, 4).StringFixed(4)
		}
	}
	if l.Clicks > 0 {
		l.ConversionRate = decimal.NewFromInt(l.Conversions*100).DivRound(clicks, 2).StringFixed(2)
	}
}
