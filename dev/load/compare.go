package load

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/internal/backoff"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Row is one figure compared: what the ground truth expects and what the system shows.
type Row struct {
	Section, Line, Metric string
	Expected, Got         string
	// OK tells whether Got is what is expected: most often, equal.
	OK bool
}

// String names the figure and says what was expected and what was got.
func (row Row) String() string {
	return fmt.Sprintf("%s, %s, %s: expected %s, got %s", row.Section, row.Line, row.Metric, row.Expected, row.Got)
}

// equal returns a row whose figures must be equal.
func equal(section, line, metric string, expected, got any) Row {
	e, g := fmt.Sprint(expected), fmt.Sprint(got)
	return Row{Section: section, Line: line, Metric: metric, Expected: e, Got: g, OK: e == g}
}

// Sections of the comparison.
const (
	sectionReport      = "report"
	sectionConversions = "conversions"
	sectionLog         = "postback log"
	sectionAnswers     = "answers"
	sectionTaps        = "taps"
	sectionQueues      = "queues"
)

// maxExamples bounds the examples a check gives of what differs.
const maxExamples = 5

// comparison gathers the rows and the examples of what differs.
type comparison struct {
	rows  []Row
	notes []string
}

func (c *comparison) add(rows ...Row) { c.rows = append(c.rows, rows...) }

// examples adds a row counting what a check found, and a note with the first few.
func (c *comparison) examples(section, line, metric string, found []string) {
	c.add(equal(section, line, metric, 0, len(found)))
	for _, f := range found[:min(len(found), maxExamples)] {
		c.notes = append(c.notes, section+", "+metric+": "+f)
	}
	if len(found) > maxExamples {
		c.notes = append(c.notes, fmt.Sprintf("%s, %s: and %d more", section, metric, len(found)-maxExamples))
	}
}

// compare compares what the system shows with what it must.
func (r *run) compare(e *expectation, o *observation) *comparison {
	c := &comparison{}
	compareReport(c, e, o)
	compareConversions(c, e, o)
	r.compareLog(c, e, o)
	r.compareAnswers(c, e)
	r.compareTaps(c)
	for _, id := range slices.Sorted(maps.Keys(o.polled)) {
		c.add(equal(sectionQueues, id, "messages left", 0, o.polled[id]))
	}
	for _, id := range slices.Sorted(maps.Keys(o.deadLetter)) {
		c.add(equal(sectionQueues, id, "messages (dead-letter queue)", 0, o.deadLetter[id]))
	}
	return c
}

// compareReport compares every report line, counter by counter and currency by currency.
func compareReport(c *comparison, e *expectation, o *observation) {
	keys := slices.Collect(maps.Keys(e.lines))
	for k := range o.lines {
		if e.lines[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b lineKey) int {
		return cmp.Or(cmp.Compare(slices.Index(reports.Dimensions, a.dim), slices.Index(reports.Dimensions, b.dim)),
			cmp.Compare(a.id, b.id), cmp.Compare(a.day, b.day))
	})
	for _, k := range keys {
		want := cmp.Or(e.lines[k], newLineCounts())
		got := o.lines[k]
		name := fmt.Sprintf("%s %s %s", k.dim, k.id, cmp.Or(k.day, e.from+".."+e.to))
		rows := []Row{
			equal(sectionReport, name, "clicks", want.clicks, got.Clicks),
			equal(sectionReport, name, "conversions", want.conversions, got.Conversions),
			equal(sectionReport, name, "pending conversions", want.pending, got.PendingConversions),
			equal(sectionReport, name, "rejected conversions", want.rejected, got.RejectedConversions),
		}
		currencies := map[string]bool{}
		for _, m := range []map[string]money.Amount{want.revenue, want.pendingRevenue, got.Revenue, got.PendingRevenue} {
			for cur := range m {
				currencies[cur] = true
			}
		}
		for cur := range got.EPC {
			currencies[cur] = true
		}
		clicks := decimal.NewFromInt(want.clicks)
		for _, cur := range slices.Sorted(maps.Keys(currencies)) {
			epc := ""
			if rev, ok := want.revenue[cur]; ok && want.clicks > 0 {
				epc = rev.DivRound(clicks, 4).StringFixed(4)
			}
			rows = append(rows,
				equal(sectionReport, name, "revenue "+cur, want.revenue[cur].String(), got.Revenue[cur].String()),
				equal(sectionReport, name, "pending revenue "+cur, want.pendingRevenue[cur].String(), got.PendingRevenue[cur].String()),
				equal(sectionReport, name, "EPC "+cur, noZeroEPC(epc), noZeroEPC(got.EPC[cur])))
		}
		rate := ""
		if want.clicks > 0 {
			rate = decimal.NewFromInt(want.conversions*100).DivRound(clicks, 2).StringFixed(2)
		}
		rows = append(rows, equal(sectionReport, name, "conversion rate %", rate, got.ConversionRate))
		for _, row := range rows {
			if !row.OK || (row.Expected != "0" && row.Expected != "") {
				c.add(row)
			}
		}
	}
}

// noZeroEPC returns epc, or "" for an EPC of 0: a line shows an EPC of 0 or none for a currency
// whose revenue is 0, and the two say the same.
func noZeroEPC(epc string) string {
	if epc == "0.0000" {
		return ""
	}
	return epc
}

// summaryKey groups conversions in the listing's summary.
type summaryKey struct {
	attribution trackly.Attribution
	status      trackly.ConversionStatus
	currency    string
}

// summary counts conversions and sums their payouts.
type summary struct {
	count  int
	payout money.Amount
}

// compareConversions compares the conversions listing: counts and payout sums per attribution,
// status and currency, then conversion by conversion.
func compareConversions(c *comparison, e *expectation, o *observation) {
	want, got := map[summaryKey]*summary{}, map[summaryKey]*summary{}
	tally := func(m map[summaryKey]*summary, k summaryKey, payout money.Amount) {
		s := m[k]
		if s == nil {
			s = &summary{}
			m[k] = s
		}
		s.count++
		s.payout = s.payout.Add(payout)
	}
	for _, conv := range e.conversions {
		tally(want, summaryKey{conv.attribution(), conv.status, conv.currency}, conv.payout)
	}
	for _, conv := range o.conversions {
		tally(got, summaryKey{conv.Attribution, conv.Status, conv.Currency}, conv.Payout)
	}
	keys := slices.Collect(maps.Keys(want))
	for k := range got {
		if want[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b summaryKey) int {
		return cmp.Or(cmp.Compare(a.attribution, b.attribution), cmp.Compare(a.status, b.status), cmp.Compare(a.currency, b.currency))
	})
	for _, k := range keys {
		w, g := cmp.Or(want[k], &summary{}), cmp.Or(got[k], &summary{})
		name := fmt.Sprintf("%s %s %s", k.attribution, k.status, k.currency)
		c.add(equal(sectionConversions, name, "count", w.count, g.count),
			equal(sectionConversions, name, "payout sum", w.payout.String(), g.payout.String()))
	}
	c.add(equal(sectionConversions, "all", "count", len(e.conversions), len(o.conversions)))

	var missing, differing, unsent []string
	for _, ref := range sortedRefs(e.conversions) {
		w := e.conversions[ref]
		g, ok := o.conversions[ref]
		if !ok {
			missing = append(missing, refString(ref))
			continue
		}
		if d := w.differences(g); d != "" {
			differing = append(differing, refString(ref)+": "+d)
		}
	}
	for ref := range o.conversions {
		if e.conversions[ref] == nil {
			unsent = append(unsent, refString(ref))
		}
	}
	slices.Sort(unsent)
	c.examples(sectionConversions, "checked one by one", "missing", missing)
	c.examples(sectionConversions, "checked one by one", "not as sent", differing)
	c.examples(sectionConversions, "checked one by one", "never accepted", unsent)
}

func (c *expectedConversion) attribution() trackly.Attribution {
	if c.orphan {
		return trackly.ConversionOrphan
	}
	return trackly.ConversionAttributed
}

// differences says how a listed conversion differs from the expected one, or "".
func (c *expectedConversion) differences(got trackly.Conversion) string {
	var d []string
	check := func(field string, want, got any) {
		if fmt.Sprint(want) != fmt.Sprint(got) {
			d = append(d, fmt.Sprintf("%s %v, want %v", field, got, want))
		}
	}
	check("attribution", c.attribution(), got.Attribution)
	check("status", c.status, got.Status)
	if !got.Payout.Equal(c.payout.Decimal) {
		check("payout", c.payout, got.Payout)
	}
	check("currency", c.currency, got.Currency)
	check("account", accountID, got.AccountID)
	check("click id", c.clickID, got.ClickID)
	check("link", c.link.ID, got.LinkID)
	check("message", c.link.MessageID, got.MessageID)
	check("campaign", c.link.CampaignID, got.CampaignID)
	check("offer", c.link.Offer.OfferID, got.OfferID)
	if !slices.Contains(c.accepted, got.PostbackID) {
		d = append(d, fmt.Sprintf("postback %s, which is none of those accepted for it (%s)", got.PostbackID, strings.Join(c.accepted, ", ")))
	}
	return strings.Join(d, "; ")
}

func sortedRefs(m map[trackly.ConversionRef]*expectedConversion) []trackly.ConversionRef {
	return slices.SortedFunc(maps.Keys(m), func(a, b trackly.ConversionRef) int {
		return cmp.Or(cmp.Compare(a.ConversionID, b.ConversionID), cmp.Compare(a.GoalID, b.GoalID))
	})
}

func refString(ref trackly.ConversionRef) string {
	return ref.IntegrationID + "/" + ref.ConversionID + "/" + ref.GoalID
}

// logOutcomes are the outcomes of the postback log, in the order they are printed.
var logOutcomes = []trackly.PostbackOutcome{
	trackly.PostbackAttributed, trackly.PostbackOrphaned, trackly.PostbackDuplicate, trackly.PostbackChanged, trackly.PostbackStale,
	trackly.PostbackInvalid, trackly.PostbackRejected, trackly.PostbackFailed, trackly.PostbackAccepted,
}

// compareLog compares the postback log: its counts per outcome, then postback by postback.
func (r *run) compareLog(c *comparison, e *expectation, o *observation) {
	want := map[trackly.PostbackOutcome]int{}
	for _, outcome := range e.outcomes {
		want[outcome]++
	}
	var wrong, missing []string
	known := map[string]bool{}
	checkEntry := func(id string, allowed ...trackly.PostbackOutcome) {
		known[id] = true
		entry, ok := o.log[id]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("%s (%s)", id, allowed[0]))
		case !slices.Contains(allowed, entry.Outcome):
			wrong = append(wrong, fmt.Sprintf("%s: %s, want %s", id, entry.Outcome, allowed[0]))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.outcomes)) {
		checkEntry(id, e.outcomes[id])
	}
	for _, ref := range sortedRefs(e.conversions) {
		conv := e.conversions[ref]
		own := trackly.PostbackAttributed
		if conv.orphan {
			own = trackly.PostbackOrphaned
		}
		want[own]++
		want[trackly.PostbackDuplicate] += len(conv.accepted) - 1
		recorded, ok := o.conversions[ref]
		for _, id := range conv.accepted {
			switch {
			case !ok:
				checkEntry(id, trackly.PostbackDuplicate, own)
			case id == recorded.PostbackID:
				checkEntry(id, own)
			default:
				checkEntry(id, trackly.PostbackDuplicate)
			}
		}
	}
	got := map[trackly.PostbackOutcome]int{}
	var unknown, leaks []string
	_, secret, _ := strings.Cut(r.ownToken, ".")
	for _, id := range slices.Sorted(maps.Keys(o.log)) {
		entry := o.log[id]
		got[entry.Outcome]++
		if !known[id] {
			unknown = append(unknown, fmt.Sprintf("%s: %s %s", id, entry.Outcome, entry.Reason))
		}
		if q, err := url.QueryUnescape(entry.Query); secret != "" && (strings.Contains(entry.Query, secret) || err == nil && strings.Contains(q, secret)) {
			leaks = append(leaks, id)
		}
	}
	for _, outcome := range logOutcomes {
		c.add(equal(sectionLog, "outcome "+string(outcome), "count", want[outcome], got[outcome]))
	}
	for outcome, n := range got {
		if !slices.Contains(logOutcomes, outcome) {
			c.add(equal(sectionLog, "outcome "+string(outcome), "count", 0, n))
		}
	}
	c.examples(sectionLog, "checked one by one", "missing", missing)
	c.examples(sectionLog, "checked one by one", "with another outcome", wrong)
	c.examples(sectionLog, "checked one by one", "of no answered postback", unknown)
	c.examples(sectionLog, "checked one by one", "showing the postback token", leaks)
}

// compareAnswers compares each postback's answer to the one planned, and counts the retried ones.
func (r *run) compareAnswers(c *comparison, e *expectation) {
	r.truth.mu.Lock()
	defer r.truth.mu.Unlock()
	want, got := map[int]int{}, map[int]int{}
	var wrong, unanswered []string
	for _, pb := range r.truth.postbacks {
		want[pb.status]++
		a, ok := e.final[pb]
		if !ok {
			unanswered = append(unanswered, pb.String())
			continue
		}
		got[a.status]++
		if a.status != pb.status || (pb.field != "" && !slices.Contains(a.fields, pb.field)) {
			wrong = append(wrong, fmt.Sprintf("%s: %d naming %v, want %d naming %q (%s)", pb, a.status, a.fields, pb.status, pb.field, a.postbackID))
		}
	}
	for _, status := range []int{http.StatusOK, http.StatusBadRequest, http.StatusForbidden} {
		c.add(equal(sectionAnswers, "postbacks", fmt.Sprintf("answered %d", status), want[status], got[status]))
	}
	c.examples(sectionAnswers, "postbacks", "answered otherwise than planned", wrong)
	c.examples(sectionAnswers, "postbacks", "never answered", unanswered)
	var odd []string
	for _, a := range r.truth.answers {
		switch {
		case a.status == 0:
			odd = append(odd, fmt.Sprintf("%s: no answer (retried): %s", a.pb, a.err))
		case a.status >= 500 && a.status != http.StatusServiceUnavailable:
			odd = append(odd, fmt.Sprintf("%s: %d after %s (retried)", a.pb, a.status, a.end.Sub(a.start).Round(time.Millisecond)))
		}
	}
	c.examples(sectionAnswers, "attempts", "without an answer or 5xx other than 503", odd)
	if r.opts.SQSDown <= 0 {
		return
	}
	from, to := r.sqs.window()
	var accepted, unavailable int
	for _, a := range r.truth.answers {
		if a.start.Before(from) || to.IsZero() || a.end.After(to) {
			continue
		}
		switch a.status {
		case http.StatusOK:
			accepted++
		case http.StatusServiceUnavailable:
			unavailable++
		}
	}
	c.add(equal(sectionAnswers, "while SQS was unreachable", "answered 200", 0, accepted),
		Row{Section: sectionAnswers, Line: "while SQS was unreachable", Metric: "answered 503", Expected: "at least 1", Got: fmt.Sprint(unavailable), OK: unavailable > 0})
}

// compareTaps compares the taps' answers to the redirects they must get.
func (r *run) compareTaps(c *comparison) {
	r.truth.mu.Lock()
	defer r.truth.mu.Unlock()
	c.add(equal(sectionTaps, "taps", "answered 302", r.opts.Taps, r.truth.taps))
	c.examples(sectionTaps, "taps", "answered otherwise", r.truth.tapFailures)
}

// settlePoll is how often settle reads the system.
const settlePoll = 2 * time.Second

// settle waits until the system shows what it must, or until its queues are empty and what it
// shows has not changed for Options.Quiet, or until Options.SettleTimeout; the comparison then
// read is the run's result.
func (r *run) settle(ctx context.Context) error {
	e := r.truth.expect()
	r.progress("waiting for the pipeline to be quiet")
	began := time.Now()
	deadline := began.Add(r.opts.SettleTimeout)
	var last string
	lastChange := began
	for {
		o, err := r.observe(ctx, e)
		if err != nil {
			return err
		}
		c := r.compare(e, o)
		var differing []Row
		for _, row := range c.rows {
			if !row.OK {
				differing = append(differing, row)
			}
		}
		differences, left := len(differing), 0
		for _, n := range o.polled {
			left += n
		}
		seen := fingerprint(c.rows)
		if seen != last || left > 0 {
			last, lastChange = seen, time.Now()
		}
		stop := ""
		switch {
		case differences == 0:
			stop = "exact"
		case time.Since(lastChange) >= r.opts.Quiet:
			stop = fmt.Sprintf("the queues were empty and nothing read changed for %s", r.opts.Quiet)
		case time.Now().After(deadline):
			stop = fmt.Sprintf("timed out after %s", r.opts.SettleTimeout)
			c.notes = append(c.notes, fmt.Sprintf("the pipeline was not quiet %s after the last postback", r.opts.SettleTimeout))
		}
		if stop != "" {
			r.res.Settle = time.Since(began)
			r.res.Rows, r.res.Notes = c.rows, c.notes
			if !e.byDay {
				r.res.Notes = append(r.res.Notes, fmt.Sprintf("the run crossed midnight UTC: report lines were compared over %s..%s together", e.from, e.to))
			}
			r.progress("%s after %s", stop, r.res.Settle.Round(time.Second))
			return nil
		}
		r.progress("%d messages queued, %d figures differ so far", left, differences)
		if differences <= maxExamples {
			for _, row := range differing {
				r.progress("  differs: %s", row)
			}
		}
		if backoff.Sleep(ctx, settlePoll) != nil {
			return errStopped
		}
	}
}

// fingerprint sums up what the rows read.
func fingerprint(rows []Row) string {
	var b strings.Builder
	for _, row := range rows {
		fmt.Fprintf(&b, "%s|%s|%s|%s\n", row.Section, row.Line, row.Metric, row.Got)
	}
	return b.String()
}
