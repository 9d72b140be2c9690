package load

import (
	"net/http"
	"sync"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// truth records what the run sent and the answers it got: what the system must end with follows.
type truth struct {
	mu sync.Mutex
	// clicks counts, per link, the phones' taps answered with a redirect: the report's clicks.
	clicks map[*link]int64
	// taps counts the taps answered with a redirect; tapFailures says how the others were answered.
	taps        int
	tapFailures []string
	conversions []*conversion
	postbacks   []*postback
	answers     []answer
	// first and last are when the first tap was sent and the last postback answered.
	first, last time.Time
}

// answer is the answer to one attempt at sending a postback.
type answer struct {
	pb *postback
	// status is the answer's HTTP status; 0 when none came (err says why).
	status     int
	err        string
	postbackID string
	// fields are the fields the answer's errors name.
	fields     []string
	start, end time.Time
}

func (t *truth) init() { t.clicks = map[*link]int64{} }

func (t *truth) began(at time.Time) { t.first = at }

func (t *truth) ended(at time.Time) { t.last = at }

// tapped records a tap answered with a redirect.
func (t *truth) tapped(tp tap) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.taps++
	if tp.kind == tapPhone {
		t.clicks[tp.link]++
	}
}

// tapFailed records a tap answered with neither a redirect nor a 503.
func (t *truth) tapFailed(what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tapFailures = append(t.tapFailures, what)
}

// planned records the conversions and postbacks planned.
func (t *truth) planned(convs []*conversion, jobs []job) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conversions = convs
	for _, j := range jobs {
		t.postbacks = append(t.postbacks, j...)
	}
}

// answered records the answer to an attempt.
func (t *truth) answered(a answer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answers = append(t.answers, a)
}

// expectation is what the system must end with.
type expectation struct {
	// days are the UTC days of the run; byDay is false when it crossed midnight, and report lines
	// are then compared over the run's days together.
	from, to string
	byDay    bool
	lines    map[lineKey]*lineCounts
	// conversions are the conversions a postback was accepted for, with the ids of those postbacks.
	conversions map[trackly.ConversionRef]*expectedConversion
	// outcomes is the log outcome of each refused or unavailable postback, by postback id.
	outcomes map[string]trackly.PostbackOutcome
	// final holds each postback's last answer.
	final map[*postback]answer
}

// expectedConversion is a conversion with the postbacks accepted for it.
type expectedConversion struct {
	*conversion
	accepted []string
}

// lineKey names a report line: a dimension's id on a day ("" when compared over the run's days).
type lineKey struct {
	dim     trackly.Dimension
	id, day string
}

// lineCounts are a report line's counters.
type lineCounts struct {
	clicks, conversions, pending, rejected int64
	revenue, pendingRevenue                map[string]money.Amount
}

// expect works out what the system must end with from what was sent and answered.
func (t *truth) expect() *expectation {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := &expectation{
		from: reports.Day(t.first), to: reports.Day(t.last),
		lines:       map[lineKey]*lineCounts{},
		conversions: map[trackly.ConversionRef]*expectedConversion{},
		outcomes:    map[string]trackly.PostbackOutcome{},
		final:       map[*postback]answer{},
	}
	e.byDay = e.from == e.to
	for _, a := range t.answers {
		if a.status != 0 {
			e.final[a.pb] = a
		}
		if a.postbackID == "" && a.status != http.StatusOK {
			continue // a 5xx of the HTTP API, or no answer: the answers show them
		}
		switch a.status {
		case http.StatusBadRequest:
			e.outcomes[a.postbackID] = trackly.PostbackInvalid
		case http.StatusForbidden:
			e.outcomes[a.postbackID] = trackly.PostbackRejected
		case http.StatusServiceUnavailable:
			e.outcomes[a.postbackID] = trackly.PostbackFailed
		case http.StatusOK:
			if a.pb.conv == nil {
				continue // a refused postback accepted: the answers show it
			}
			c := e.conversions[a.pb.conv.ref]
			if c == nil {
				c = &expectedConversion{conversion: a.pb.conv}
				e.conversions[c.ref] = c
			}
			c.accepted = append(c.accepted, a.postbackID)
		}
	}
	for l, n := range t.clicks {
		for _, k := range e.keys(l) {
			e.line(k).clicks += n
		}
	}
	for _, c := range e.conversions {
		if c.orphan {
			continue
		}
		for _, k := range e.keys(c.link) {
			line := e.line(k)
			switch c.status {
			case trackly.StatusPending:
				line.pending++
				line.pendingRevenue[c.currency] = line.pendingRevenue[c.currency].Add(c.payout)
			case trackly.StatusRejected:
				line.rejected++
			default:
				line.conversions++
				line.revenue[c.currency] = line.revenue[c.currency].Add(c.payout)
			}
		}
	}
	return e
}

// keys returns the report lines a link's clicks and conversions count in.
func (e *expectation) keys(l *link) []lineKey {
	day := ""
	if e.byDay {
		day = e.from
	}
	keys := []lineKey{
		{trackly.DimensionAccount, accountID, day},
		{trackly.DimensionMessage, l.MessageID, day},
		{trackly.DimensionOffer, l.Offer.OfferID, day},
	}
	if l.CampaignID != "" {
		keys = append(keys, lineKey{trackly.DimensionCampaign, l.CampaignID, day})
	}
	return keys
}

func (e *expectation) line(k lineKey) *lineCounts {
	l := e.lines[k]
	if l == nil {
		l = newLineCounts()
		e.lines[k] = l
	}
	return l
}

func newLineCounts() *lineCounts {
	return &lineCounts{revenue: map[string]money.Amount{}, pendingRevenue: map[string]money.Amount{}}
}
