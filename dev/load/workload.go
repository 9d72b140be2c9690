package load

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/internal/backoff"
	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

// User agents of the taps: a person's phone, whose taps are clicks, and a link previewer, whose
// taps are stored but not counted.
const (
	phoneUserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	botUserAgent   = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

// tapKind is who taps a link.
type tapKind int

const (
	// tapPhone is a person's GET: a click, counted in the report.
	tapPhone tapKind = iota
	// tapBot is a link previewer's GET: a click stored but not counted.
	tapBot
	// tapHead is a link checker's HEAD: a click id, no click stored; its conversions are orphans.
	tapHead
)

// tap is one tap to make.
type tap struct {
	link *link
	kind tapKind
}

// clickRef is the click id a tap got.
type clickRef struct {
	link *link
	kind tapKind
	id   string
}

// load taps the links, then sends the postbacks with the remaining taps beside them.
func (r *run) load(ctx context.Context) error {
	first := r.opts.Taps * 3 / 5
	r.truth.began(time.Now())
	r.progress("tapping the links %d times", first)
	began := time.Now()
	clicks := r.tapAll(ctx, r.planTaps(first, true), r.opts.Senders)
	r.res.TapTime = time.Since(began)
	r.res.Taps = first
	if ctx.Err() != nil {
		return errStopped
	}
	var stored, heads int
	for _, c := range clicks {
		if c.kind == tapHead {
			heads++
		} else {
			stored++
		}
	}
	if stored == 0 || heads == 0 {
		return fmt.Errorf("the taps got %d click ids of stored clicks and %d of HEAD requests; the postbacks need both", stored, heads)
	}

	jobs := r.plan(clicks)
	more := r.planTaps(r.opts.Taps-first, false)
	r.progress("sending %d postbacks from %d senders, with %d more taps beside them", r.opts.Postbacks, r.opts.Senders, len(more))
	var wg sync.WaitGroup
	wg.Go(func() { r.tapAll(ctx, more, max(r.opts.Senders/4, 1)) })
	began = time.Now()
	r.sendAll(ctx, jobs)
	r.res.SendTime = time.Since(began)
	wg.Wait()
	r.truth.ended(time.Now())
	r.measure()
	if ctx.Err() != nil {
		return errStopped
	}
	return nil
}

// measure counts the postbacks' attempts by answer and works out the percentiles of their answer times.
func (r *run) measure() {
	r.truth.mu.Lock()
	defer r.truth.mu.Unlock()
	r.res.Attempts = map[int]int{}
	durations := make([]time.Duration, 0, len(r.truth.answers))
	for _, a := range r.truth.answers {
		r.res.Attempts[a.status]++
		if a.status != 0 {
			durations = append(durations, a.end.Sub(a.start))
		}
	}
	r.res.Latency = latency(durations)
}

// planTaps returns n taps of the links, in proportion to their weights: by phones, some by a link
// previewer and, when withHeads, some HEAD requests.
func (r *run) planTaps(n int, withHeads bool) []tap {
	total := 0
	for _, l := range r.links {
		total += l.weight
	}
	taps := make([]tap, n)
	for i := range taps {
		w := r.rnd.IntN(total)
		for _, l := range r.links {
			if w -= l.weight; w < 0 {
				taps[i].link = l
				break
			}
		}
		switch x := r.rnd.IntN(100); {
		case x < 6:
			taps[i].kind = tapBot
		case x < 12 && withHeads:
			taps[i].kind = tapHead
		}
	}
	return taps
}

// tapAll makes the taps from n goroutines and returns the click ids they got.
func (r *run) tapAll(ctx context.Context, taps []tap, n int) []clickRef {
	var (
		next   atomic.Int64
		mu     sync.Mutex
		clicks []clickRef
	)
	waitGroup(n, func() {
		for i := int(next.Add(1)) - 1; i < len(taps) && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
			if id := r.tap(ctx, taps[i]); id != "" {
				mu.Lock()
				clicks = append(clicks, clickRef{link: taps[i].link, kind: taps[i].kind, id: id})
				mu.Unlock()
			}
		}
	})
	return clicks
}

// tap taps a link, again while the answer is 503, and returns the click id of its redirect, or ""
// when the answer is another than a redirect (which the truth records as a difference).
func (r *run) tap(ctx context.Context, t tap) string {
	method, agent := http.MethodGet, phoneUserAgent
	switch t.kind {
	case tapBot:
		agent = botUserAgent
	case tapHead:
		method = http.MethodHead
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, t.link.URL, nil)
		if err != nil {
			r.truth.tapFailed(fmt.Sprintf("%s %s: %v", method, t.link.URL, err))
			return ""
		}
		req.Header.Set("User-Agent", agent)
		res, err := r.http.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				r.truth.tapFailed(fmt.Sprintf("%s %s: no answer: %v", method, t.link.URL, err))
			}
			return ""
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusFound:
			id := queryParam(res.Header.Get("Location"), trackly.DefaultClickParam)
			if id == "" {
				r.truth.tapFailed(fmt.Sprintf("%s %s: redirect to %q without a click id", method, t.link.URL, res.Header.Get("Location")))
				return ""
			}
			r.truth.tapped(t)
			return id
		case http.StatusServiceUnavailable:
			if backoff.Sleep(ctx, retryDelay(attempt)) != nil {
				return ""
			}
		default:
			r.truth.tapFailed(fmt.Sprintf("%s %s: %s", method, t.link.URL, res.Status))
			return ""
		}
	}
}

// retryDelay is the wait before attempt+1 after a 503: 50 ms doubling to 1 s, with jitter.
func retryDelay(attempt int) time.Duration {
	d := min(50*time.Millisecond<<min(attempt, 5), time.Second)
	return d/2 + rand.N(d/2)
}

// queryParam returns a parameter of rawURL's query, or "".
func queryParam(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Query().Get(name)
}

// postbackKind is what a postback is meant to be.
type postbackKind int

const (
	// kindConversion is the first postback of a conversion.
	kindConversion postbackKind = iota
	// kindDuplicate sends a conversion's postback again, as TUNE does.
	kindDuplicate
	// kindMalformed is refused with 400.
	kindMalformed
	// kindForged carries a forged click id: refused with 403.
	kindForged
	// kindWrongToken carries a wrong token, or none: refused with 403.
	kindWrongToken
)

// postback is one postback to send.
type postback struct {
	kind   postbackKind
	params url.Values
	// conv is the conversion a kindConversion or kindDuplicate postback reports.
	conv *conversion
	// status and field are the answer a postback must get, and the field a refusal names.
	status int
	field  string
	// variant says what is wrong with a refused postback.
	variant string
}

// String names the postback in what a run prints: its conversion, or what is wrong with it.
func (pb *postback) String() string {
	switch pb.kind {
	case kindConversion:
		return "postback of " + refString(pb.conv.ref)
	case kindDuplicate:
		return "duplicate of " + refString(pb.conv.ref)
	}
	return "postback with " + pb.variant
}

// conversion is one conversion the postbacks report, as it must be recorded.
type conversion struct {
	ref      trackly.ConversionRef
	link     *link
	clickID  string
	orphan   bool
	status   trackly.ConversionStatus
	payout   money.Amount
	currency string
	// params are the parameters of its postbacks: every copy sends the same.
	params url.Values
	// job is the index of the job that sends its first postback.
	job int
}

// job is the postbacks one sender sends at once: one, or a burst of a conversion's copies.
type job []*postback

// goalIDs are the goals of a transaction.
var goalIDs = []string{"0", "1", "2"}

// currencies are the currencies postbacks name; an offer without one leads to the integration's
// default (GBP).
var currencies = []string{"USD", "EUR", "GBP"}

// roundings are payouts of more than 8 decimal places and what they are stored as: rounded half
// away from zero.
var roundings = []struct{ sent, stored string }{
	{"0.123456785", "0.12345679"},
	{"7.000000005", "7.00000001"},
	{"19.999999995", "20"},
	{"3.14159265358979", "3.14159265"},
}

// plan makes the postbacks: 10% duplicates (half of them in a burst with their original), 5%
// malformed, 2% forged click ids, 3% wrong tokens, and conversions for the rest, 3% of them orphans,
// in transactions of one to three goals. It returns them as shuffled jobs.
func (r *run) plan(clicks []clickRef) []job {
	var stored, heads []clickRef
	for _, c := range clicks {
		if c.kind == tapHead {
			heads = append(heads, c)
		} else {
			stored = append(stored, c)
		}
	}
	n := r.opts.Postbacks
	malformed, forged, wrong, duplicates := n*5/100, n*2/100, n*3/100, n*10/100
	unique := n - malformed - forged - wrong - duplicates
	orphans := max(1, unique*3/100)

	var jobs []job
	var convs []*conversion
	for tx := 1; len(convs) < unique; tx++ {
		orphan := len(convs) < orphans
		pool := stored
		if orphan {
			pool = heads
		}
		click := pool[r.rnd.IntN(len(pool))]
		goals := min(1+r.rnd.IntN(len(goalIDs)), unique-len(convs))
		for _, goal := range goalIDs[:goals] {
			c := r.conversion(fmt.Sprintf("tx-%06d", tx), goal, click, orphan)
			c.job = len(jobs)
			convs = append(convs, c)
			jobs = append(jobs, job{c.postback(kindConversion)})
		}
	}
	for i := range duplicates {
		c := convs[r.rnd.IntN(len(convs))]
		if i%2 == 0 {
			jobs[c.job] = append(jobs[c.job], c.postback(kindDuplicate))
		} else {
			jobs = append(jobs, job{c.postback(kindDuplicate)})
		}
	}
	refusals := []struct {
		kind     postbackKind
		n        int
		variants []variant
	}{
		{kindMalformed, malformed, malformations},
		{kindForged, forged, forgeries},
		{kindWrongToken, wrong, r.wrongTokens()},
	}
	for _, refusal := range refusals {
		for i := range refusal.n {
			v := refusal.variants[i%len(refusal.variants)]
			click := stored[r.rnd.IntN(len(stored))]
			p := url.Values{
				"click_id": {click.id}, "conversion_id": {fmt.Sprintf("refused-%d-%05d", refusal.kind, i)},
				"payout": {"1.50"}, "currency": {"USD"}, "token": {r.ownToken},
			}
			v.apply(p, r.links)
			jobs = append(jobs, job{{kind: refusal.kind, params: p, status: v.status, field: v.field, variant: v.name}})
		}
	}
	r.rnd.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	r.truth.planned(convs, jobs)
	return jobs
}

// conversion makes one conversion of a transaction and the parameters of its postback: its
// status, currency and payout stated or left to their defaults, in the forms TUNE sends.
func (r *run) conversion(transaction, goal string, click clickRef, orphan bool) *conversion {
	c := &conversion{
		ref:     trackly.ConversionRef{IntegrationID: integrationID, ConversionID: transaction, GoalID: goal},
		link:    click.link,
		clickID: click.id,
		orphan:  orphan,
	}
	p := url.Values{
		"click_id": {click.id}, "conversion_id": {transaction}, "token": {r.ownToken},
		"offer_id": {click.link.Offer.OfferID}, "source": {"load"},
	}
	if goal != "0" || r.rnd.IntN(2) == 0 {
		p.Set("goal_id", goal)
	}
	switch x := r.rnd.IntN(100); {
	case x < 8:
		c.status = trackly.StatusRejected
		p.Set("status", "rejected")
	case x < 20:
		c.status = trackly.StatusPending
		p.Set("status", "pending")
	default:
		c.status = trackly.StatusApproved
		if s := []string{"", "approved", "APPROVED"}[r.rnd.IntN(3)]; s != "" {
			p.Set("status", s)
		}
	}
	if r.rnd.IntN(4) == 0 {
		c.currency = cmp.Or(click.link.Offer.Currency, defaultCurrency)
	} else {
		c.currency = currencies[r.rnd.IntN(len(currencies))]
		sent := c.currency
		if r.rnd.IntN(5) == 0 {
			sent = strings.ToLower(sent)
		}
		p.Set("currency", sent)
	}
	switch x := r.rnd.IntN(100); {
	case x < 10:
		c.payout = money.FromDecimal(click.link.Offer.DefaultPayout.Decimal.Round(money.MaxDecimals))
	case x < 15:
		rounding := roundings[r.rnd.IntN(len(roundings))]
		p.Set("payout", rounding.sent)
		c.payout = money.FromDecimal(decimal.RequireFromString(rounding.stored))
	default:
		places := r.rnd.IntN(money.MaxDecimals + 1)
		d := decimal.New(r.rnd.Int64N(100*pow10(places)), -int32(places))
		p.Set("payout", d.String())
		c.payout = money.FromDecimal(d)
	}
	if r.rnd.IntN(3) == 0 {
		p.Set("sale_amount", decimal.New(r.rnd.Int64N(1_000_000), -2).String())
	}
	if r.rnd.IntN(10) == 0 {
		p.Set("adv_sub2", "kept-as-extra")
	}
	c.params = p
	return c
}

// postback returns a postback of the conversion: its first, or a duplicate.
func (c *conversion) postback(kind postbackKind) *postback {
	return &postback{kind: kind, conv: c, params: c.params, status: http.StatusOK}
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// variant is a way a postback is wrong, and the answer it gets.
type variant struct {
	name   string
	status int
	field  string
	apply  func(p url.Values, links []*link)
}

// malformations are the malformed postbacks: each gets 400 naming its field.
var malformations = []variant{
	malformed("no click_id", "click_id", func(p url.Values) { p.Del("click_id") }),
	malformed("no conversion_id", "conversion_id", func(p url.Values) { p.Del("conversion_id") }),
	malformed("a payout with a decimal comma", "payout", func(p url.Values) { p.Set("payout", "12,50") }),
	malformed("a negative payout", "payout", func(p url.Values) { p.Set("payout", "-1.00") }),
	malformed("a payout over 1,000,000", "payout", func(p url.Values) { p.Set("payout", "1000000.01") }),
	malformed("a sale_amount with an exponent", "sale_amount", func(p url.Values) { p.Set("sale_amount", "1e3") }),
	malformed("an unknown status", "status", func(p url.Values) { p.Set("status", "paid") }),
	malformed("currency XXX (no currency)", "currency", func(p url.Values) { p.Set("currency", "XXX") }),
	malformed("a NUL in click_id", "click_id", func(p url.Values) { p.Set("click_id", p.Get("click_id")+"\x00") }),
	malformed("an unreplaced TUNE macro", "click_id", func(p url.Values) { p.Set("click_id", "{aff_sub}") }),
	malformed("payout sent twice, differently", "payout", func(p url.Values) { p["payout"] = []string{"1.00", "2.00"} }),
	malformed("a source that is not UTF-8", "source", func(p url.Values) { p.Set("source", "caf\xe9") }),
}

func malformed(name, field string, apply func(url.Values)) variant {
	return variant{name: name, status: http.StatusBadRequest, field: field, apply: func(p url.Values, _ []*link) { apply(p) }}
}

// forgeries are the forged click ids, made by altering a genuine one: each gets 403 naming click_id.
var forgeries = []variant{
	forged("an altered signature", func(id string, _ []*link) string { return alter(id, len(id)-1) }),
	forged("an altered random part", func(id string, _ []*link) string { return alter(id, strings.Index(id, ".")+3) }),
	forged("another link's id", func(id string, links []*link) string {
		linkID, rest, _ := strings.Cut(id, ".")
		for _, l := range links {
			if l.ID != linkID {
				return l.ID + "." + rest
			}
		}
		return "x" + id
	}),
	forged("a made-up click id", func(string, []*link) string { return "load-1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA" }),
}

func forged(name string, forge func(id string, links []*link) string) variant {
	return variant{name: name, status: http.StatusForbidden, field: "click_id", apply: func(p url.Values, links []*link) {
		p.Set("click_id", forge(p.Get("click_id"), links))
	}}
}

// alter changes the character at i of s to another of the base64url alphabet.
func alter(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// wrongTokens are the postbacks with a wrong token or none: each gets 403 naming token.
func (r *run) wrongTokens() []variant {
	tokenVariant := func(name string, apply func(url.Values)) variant {
		return variant{name: name, status: http.StatusForbidden, field: "token", apply: func(p url.Values, _ []*link) { apply(p) }}
	}
	_, secret, _ := strings.Cut(r.ownToken, ".")
	return []variant{
		tokenVariant("another integration's token", func(p url.Values) { p.Set("token", r.otherToken) }),
		tokenVariant("a wrong secret", func(p url.Values) { p.Set("token", alter(r.ownToken, len(r.ownToken)-1)) }),
		tokenVariant("no token", func(p url.Values) { p.Del("token") }),
		tokenVariant("an empty token", func(p url.Values) { p.Set("token", "") }),
		tokenVariant("the token of no integration", func(p url.Values) { p.Set("token", "in_nobody."+secret) }),
	}
}

// sendAll sends the jobs from Options.Senders senders. With Options.SQSDown, SQS is unreachable
// for that long once a third of the jobs are under way.
func (r *run) sendAll(ctx context.Context, jobs []job) {
	queue := make(chan job)
	var outage sync.WaitGroup
	go func() {
		defer close(queue)
		for i, j := range jobs {
			if i == len(jobs)/3 && r.opts.SQSDown > 0 {
				r.progress("SQS unreachable for %s", r.opts.SQSDown)
				r.sqs.begin()
				outage.Go(func() {
					_ = backoff.Sleep(ctx, r.opts.SQSDown)
					r.sqs.end()
					r.progress("SQS reachable again")
				})
			}
			if i > 0 && i%(max(len(jobs)/10, 1)) == 0 {
				r.progress("%d of %d postback jobs under way", i, len(jobs))
			}
			select {
			case queue <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	waitGroup(r.opts.Senders, func() {
		for j := range queue {
			if len(j) == 1 {
				r.send(ctx, j[0])
				continue
			}
			var wg sync.WaitGroup
			for _, pb := range j {
				wg.Go(func() { r.send(ctx, pb) })
			}
			wg.Wait()
		}
	})
	outage.Wait()
}

// answerBody is what the truth reads of a postback's answer.
type answerBody struct {
	PostbackID string `json:"postback_id"`
	Errors     []struct {
		Field string `json:"field"`
	} `json:"errors"`
}

// send sends a postback as TUNE does (GET with the query parameters) and, while the answer is a
// 5xx or does not come, sends it again: a 503 means not accepted.
func (r *run) send(ctx context.Context, pb *postback) {
	target := r.sys.Cloud.HTTPURL() + "/api/postbacks/tune?" + pb.params.Encode()
	for attempt := 0; ; attempt++ {
		a := answer{pb: pb, start: time.Now()}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			a.err = err.Error()
			r.truth.answered(a)
			return
		}
		res, err := r.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.end, a.err = time.Now(), err.Error()
			r.truth.answered(a)
			if backoff.Sleep(ctx, retryDelay(attempt)) != nil {
				return
			}
			continue
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		a.end, a.status = time.Now(), res.StatusCode
		var body answerBody
		if json.Unmarshal(raw, &body) == nil {
			a.postbackID = body.PostbackID
			for _, e := range body.Errors {
				a.fields = append(a.fields, e.Field)
			}
		}
		r.truth.answered(a)
		if res.StatusCode < 500 {
			return
		}
		if backoff.Sleep(ctx, retryDelay(attempt)) != nil {
			return
		}
	}
}
