// Package tunesim simulates TUNE's (formerly HasOffers) API v3 for tests and
// demos: the same endpoint, envelope, quirks and errors as the real API, for
// a network with generated offers, with controls to change offers between
// syncs and to inject failures.
package tunesim

import (
	"cmp"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configures a Simulator. Zero fields take the documented defaults.
type Options struct {
	// NetworkID is the network's id, checked against the NetworkId
	// parameter when a call sends one. Default "demo".
	NetworkID string
	// NetworkToken is the network API key; empty accepts none.
	NetworkToken string
	// AffiliateKey is the affiliate API key (api_key); empty accepts none.
	AffiliateKey string
	// AffiliateID is the affiliate the affiliate key belongs to. Default "1".
	AffiliateID string
	// Offers is the number of deterministic offers to generate, ids 1..Offers.
	Offers int
	// RateLimit is the most calls answered within any RateWindow; more are
	// refused as TUNE refuses them. Default 50; negative disables the limit.
	RateLimit int
	// RateWindow is the sliding window of RateLimit. Default 10s.
	RateWindow time.Duration
	// TrackingDomain is the host of tracking links. Default "{NetworkID}.go2cloud.org".
	TrackingDomain string
	// SlowAnswer is how long FailSlow delays an answer. Default 30s.
	SlowAnswer time.Duration
	// Clock stamps calls, measures the rate window and dates changes.
	// Default time.Now.
	Clock func() time.Time
	// TimeZone is the network's time zone, in which the conversions report
	// gives and filters Stat.datetime and Stat.date. Default UTC.
	TimeZone *time.Location
	// MaxReportDays is the widest date range, in days, a conversions report
	// answers; a wider one answers TUNE's gateway time-out. Default 1;
	// negative disables the limit.
	MaxReportDays int
	// KeyedConversionRows answers the conversions report's rows as an
	// object keyed by Stat.id instead of a list: the other shape clients see.
	KeyedConversionRows bool
}

// Call is one request the simulator received.
type Call struct {
	Target string
	Method string
	// KeyKind is "network", "affiliate" or "" for the key the call carried.
	KeyKind string
	// Time is when the call arrived, by Options.Clock.
	Time time.Time
	// Failure is "" for a successful answer, or what went wrong, such as
	// "rate_limited", "key_rejected" or an injected Failure's name ("slow"
	// for an answer FailSlow delayed).
	Failure string
}

// Simulator is an http.Handler that answers like TUNE's API at /Apiv3/json,
// whatever the host. It is safe for concurrent use.
type Simulator struct {
	opts Options
	now  func() time.Time

	mu       sync.Mutex
	offers   map[int]*Offer
	nextID   int
	calls    []Call
	answered []time.Time // calls within the rate window, oldest first
	failures []Failure
	rng      *rand.Rand
	revision int
	conv     conversionStore
}

// New returns a simulator with opts.Offers generated offers.
func New(opts Options) *Simulator {
	opts.NetworkID = cmp.Or(opts.NetworkID, "demo")
	opts.AffiliateID = cmp.Or(opts.AffiliateID, "1")
	opts.RateLimit = cmp.Or(opts.RateLimit, 50)
	if opts.RateWindow <= 0 {
		opts.RateWindow = 10 * time.Second
	}
	opts.TrackingDomain = cmp.Or(opts.TrackingDomain, opts.NetworkID+".go2cloud.org")
	if opts.SlowAnswer <= 0 {
		opts.SlowAnswer = 30 * time.Second
	}
	if opts.TimeZone == nil {
		opts.TimeZone = time.UTC
	}
	opts.MaxReportDays = cmp.Or(opts.MaxReportDays, 1)
	s := &Simulator{
		opts:   opts,
		now:    opts.Clock,
		offers: make(map[int]*Offer, opts.Offers),
		nextID: opts.Offers + 1,
		rng:    rand.New(rand.NewPCG(1, 2)),
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i := 1; i <= opts.Offers; i++ {
		s.offers[i] = generateOffer(i)
	}
	return s
}

// answer is a response ready to be written.
type answer struct {
	status      int
	contentType string
	body        []byte
	delay       time.Duration
}

// ServeHTTP answers GET and POST (form) calls to /Apiv3/json.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.TrimSuffix(r.URL.Path, "/") != "/Apiv3/json" {
		writeAnswer(w, htmlAnswer(http.StatusNotFound, "404 Not Found"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeAnswer(w, htmlAnswer(http.StatusMethodNotAllowed, "405 Method Not Allowed"))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeAnswer(w, htmlAnswer(http.StatusBadRequest, "400 Bad Request"))
		return
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}

	s.mu.Lock()
	call := Call{Target: r.Form.Get("Target"), Method: r.Form.Get("Method"), KeyKind: keyKind(r.Form), Time: s.now()}
	a := s.handle(r.Form, ip, &call)
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	if a.delay > 0 {
		t := time.NewTimer(a.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	writeAnswer(w, a)
}

func writeAnswer(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", a.contentType)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// handle answers one call, with s.mu held, and completes call.
func (s *Simulator) handle(form url.Values, ip string, call *Call) answer {
	if id, ok := form["NetworkId"]; ok && (len(id) != 1 || id[0] != s.opts.NetworkID) {
		call.Failure = "unknown_network"
		return unknownNetwork()
	}
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		if f != FailSlow {
			call.Failure = f.String()
			return s.injected(f, form, ip)
		}
		a := s.serve(form, call)
		if call.Failure == "" {
			call.Failure = f.String()
		}
		a.delay = s.opts.SlowAnswer
		return a
	}
	return s.serve(form, call)
}

// serve answers a call from a known network, with s.mu held.
func (s *Simulator) serve(form url.Values, call *Call) answer {
	if s.rateLimited(call.Time) {
		call.Failure = "rate_limited"
		return s.rateLimitAnswer(form)
	}
	kind := call.KeyKind
	a, ok := s.authenticate(kind, form)
	if !ok {
		call.Failure = "key_rejected"
		return a
	}
	if !permitted(kind, call.Target) {
		call.Failure = "permission_denied"
		return failure(form, apiError{PublicMessage: "User is not permitted to perform this action"})
	}
	a, ok = s.dispatch(kind, call.Target, call.Method, form)
	if !ok {
		call.Failure = "error"
	}
	return a
}

// rateLimited records a call at now and reports whether it exceeds the limit.
func (s *Simulator) rateLimited(now time.Time) bool {
	if s.opts.RateLimit < 0 {
		return false
	}
	i := 0
	for i < len(s.answered) && !now.Before(s.answered[i].Add(s.opts.RateWindow)) {
		i++
	}
	s.answered = s.answered[i:]
	if len(s.answered) >= s.opts.RateLimit {
		return true
	}
	s.answered = append(s.answered, now)
	return false
}

// keyKind is the kind of key a call carries: a NetworkToken wins over an api_key.
func keyKind(form url.Values) string {
	if _, ok := form["NetworkToken"]; ok {
		return "network"
	}
	if _, ok := form["api_key"]; ok {
		return "affiliate"
	}
	return ""
}

// authenticate checks the call's key, of the given kind.
func (s *Simulator) authenticate(kind string, form url.Values) (answer, bool) {
	param, want := "NetworkToken", s.opts.NetworkToken
	switch kind {
	case "affiliate":
		param, want = "api_key", s.opts.AffiliateKey
	case "":
		return failure(form, apiError{PublicMessage: "Missing NetworkToken or api_key"}), false
	}
	if got := form[param]; want == "" || len(got) != 1 || got[0] != want {
		return failure(form, apiError{PublicMessage: param + " " + strings.Join(got, ",") + " is not authenticated"}), false
	}
	return answer{}, true
}

// permitted reports whether a key kind may call a target.
func permitted(kind, target string) bool {
	if kind == "network" {
		return !strings.HasPrefix(target, "Affiliate_")
	}
	return strings.HasPrefix(target, "Affiliate_")
}

// dispatch runs a method; ok is false for an error answer.
func (s *Simulator) dispatch(kind, target, method string, form url.Values) (answer, bool) {
	switch strings.TrimPrefix(target, "Affiliate_") + "::" + method {
	case "Offer::findAll":
		return s.findAll(kind, form), true
	case "Offer::findMyApprovedOffers":
		if kind == "affiliate" {
			return s.findAll(kind, form), true
		}
	case "Offer::findById":
		return s.findByID(kind, form), true
	case "Offer::generateTrackingLink":
		return s.generateTrackingLink(kind, form)
	case "Report::getConversions":
		return s.getConversions(kind, form)
	}
	return failure(form, apiError{PublicMessage: "Invalid Method: " + target + "::" + method}), false
}
