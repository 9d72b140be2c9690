package tunesim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/dev/tunesim"
)

const (
	token = "NETtoken123"
	key   = "affkey456"
)

func newSim(opts tunesim.Options) *tunesim.Simulator {
	opts.NetworkToken, opts.AffiliateKey = token, key
	if opts.AffiliateID == "" {
		opts.AffiliateID = "3"
	}
	return tunesim.New(opts)
}

// params builds a call's parameters from name, value pairs.
func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func network(target, method string, kv ...string) url.Values {
	return params(append([]string{"NetworkId", "demo", "NetworkToken", token, "Target", target, "Method", method}, kv...)...)
}

func affiliate(target, method string, kv ...string) url.Values {
	return params(append([]string{"NetworkId", "demo", "api_key", key, "Target", target, "Method", method}, kv...)...)
}

// get calls the simulator and returns the recorded answer.
func get(t *testing.T, sim http.Handler, p url.Values) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://demo.api.hasoffers.com/Apiv3/json?"+p.Encode(), nil))
	return rec
}

// obj is a decoded JSON object, numbers kept as json.Number.
type obj = map[string]any

func decode(t *testing.T, body []byte) obj {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v obj
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	return v
}

// response calls the simulator and returns the envelope's response.
func response(t *testing.T, sim http.Handler, p url.Values) obj {
	t.Helper()
	rec := get(t, sim, p)
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d", rec.Code)
	}
	return decode(t, rec.Body.Bytes())["response"].(obj)
}

// firstError returns the public message of a failed response.
func firstError(t *testing.T, r obj) string {
	t.Helper()
	if r["status"] != json.Number("-1") {
		t.Fatalf("status %v, want -1", r["status"])
	}
	errs, _ := r["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("no errors in %v", r)
	}
	e := errs[0].(obj)
	if m, ok := e["publicMessage"].(string); ok {
		return m
	}
	return e["err_msg"].(string)
}

// keyOrder returns the member names of a JSON object in document order.
func keyOrder(t *testing.T, raw []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for d.More() {
		tok, _ := d.Token()
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestEnvelopeEchoesEveryParameter(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 3})
	p := network("Offer", "findAll", "limit", "2", "fields[]", "id", "fields[]", "name")
	body := decode(t, get(t, sim, p).Body.Bytes())
	req := body["request"].(obj)
	if req["NetworkToken"] != token || req["limit"] != "2" || req["Target"] != "Offer" {
		t.Errorf("request echo %v lacks parameters or the key", req)
	}
	if f, _ := req["fields[]"].([]any); len(f) != 2 {
		t.Errorf("fields[] echoed as %v", req["fields[]"])
	}
	r := body["response"].(obj)
	if r["status"] != json.Number("1") || r["httpStatus"] != json.Number("200") || r["errorMessage"] != nil {
		t.Errorf("response %v", r)
	}
	if errs, ok := r["errors"].([]any); !ok || len(errs) != 0 {
		t.Errorf("errors %v, want []", r["errors"])
	}
}

func TestPOSTFormAndHosts(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 3})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	resp, err := http.PostForm(srv.URL+"/Apiv3/json", network("Offer", "findById", "id", "2"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	r := decode(t, buf.Bytes())["response"].(obj)
	if r["status"] != json.Number("1") {
		t.Errorf("POST answered %v", r)
	}
	// Any host, and calls without NetworkId (the per-network host form).
	p := network("Offer", "findById", "id", "2")
	p.Del("NetworkId")
	if r := response(t, sim, p); r["status"] != json.Number("1") {
		t.Errorf("call without NetworkId answered %v", r)
	}
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/Apiv2/json?"+p.Encode(), nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("another path answered HTTP %d, want 404", rec.Code)
	}
}

func TestAuthentication(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 3})
	tests := []struct {
		name string
		p    url.Values
		want string
	}{
		{"wrong network token", params("NetworkToken", "NETnope", "Target", "Offer", "Method", "findAll"), "NetworkToken NETnope is not authenticated"},
		{"wrong affiliate key", params("api_key", "nope", "Target", "Affiliate_Offer", "Method", "findAll"), "api_key nope is not authenticated"},
		{"no key", params("Target", "Offer", "Method", "findAll"), "Missing NetworkToken or api_key"},
		{"affiliate key on Offer", affiliate("Offer", "findAll"), "User is not permitted to perform this action"},
		{"network key on Affiliate_Offer", network("Affiliate_Offer", "findAll"), "User is not permitted to perform this action"},
		{"unknown method", network("Offer", "explode"), "Invalid Method: Offer::explode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := response(t, sim, tt.p)
			if got := firstError(t, r); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
			if r["data"] != "" || r["errorMessage"] != tt.want {
				t.Errorf("data %v, errorMessage %v", r["data"], r["errorMessage"])
			}
		})
	}
}

func TestUnknownNetworkShape(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 3})
	p := network("Offer", "findAll")
	p.Set("NetworkId", "other")
	body := decode(t, get(t, sim, p).Body.Bytes())
	if _, ok := body["request"]; ok {
		t.Error("unknown network answer echoes the request")
	}
	r := body["response"].(obj)
	if _, ok := r["status"]; ok {
		t.Error("unknown network answer has a status")
	}
	if e, _ := r["errors"].(obj); e["publicMessage"] != "Network id is not valid" || r["link"] == nil {
		t.Errorf("response %v", r)
	}
}

func TestFindAllShapes(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 25})

	page := response(t, sim, network("Offer", "findAll", "limit", "10", "page", "3"))["data"].(obj)
	if page["page"] != json.Number("3") || page["count"] != json.Number("25") || page["pageCount"] != json.Number("3") ||
		page["current"] != json.Number("5") || len(page["data"].(obj)) != 5 {
		t.Errorf("page 3: %v", page)
	}
	empty := response(t, sim, network("Offer", "findAll", "limit", "10", "page", "4"))["data"].(obj)
	if d, ok := empty["data"].([]any); !ok || len(d) != 0 {
		t.Errorf("page past the end has data %v, want []", empty["data"])
	}
	all, ok := response(t, sim, network("Offer", "findAll"))["data"].(obj)
	if !ok || len(all) != 25 {
		t.Fatalf("no limit: %d records in %T, want 25 keyed by id", len(all), all)
	}
	rec := all["17"].(obj)
	offer := rec["Offer"].(obj)
	if offer["id"] != "17" || offer["default_payout"] == nil || !strings.Contains(offer["default_payout"].(string), ".") {
		t.Errorf("offer 17: %v", offer)
	}
	if _, ok := offer["modified"].(json.Number); !ok {
		t.Errorf("findAll modified %T, want a number", offer["modified"])
	}
	if _, ok := rec["Advertiser"]; ok {
		t.Error("Advertiser sent without contain[]")
	}
	none := response(t, sim, network("Offer", "findAll", "filters[id][]", "999"))["data"]
	if d, ok := none.([]any); !ok || len(d) != 0 {
		t.Errorf("no match without limit: %v, want []", none)
	}

	for _, p := range []url.Values{network("Report", "getConversions"), affiliate("Affiliate_Report", "getConversions")} {
		if conv, ok := response(t, sim, p)["data"].(obj); !ok || conv["count"] != json.Number("0") {
			t.Errorf("%s::getConversions data %v, want an empty page", p.Get("Target"), conv)
		}
	}

	quirks := map[string]bool{}
	for _, r := range all {
		o := r.(obj)["Offer"].(obj)
		quirks["null currency"] = quirks["null currency"] || o["currency"] == nil
		quirks["no expiration"] = quirks["no expiration"] || o["expiration_date"] == "0000-00-00 00:00:00"
		quirks["bool as \"1\""] = quirks["bool as \"1\""] || o["require_approval"] == "1"
		quirks["null percent"] = quirks["null percent"] || o["percent_payout"] == nil
		quirks["string payout"] = quirks["string payout"] || strings.HasSuffix(fmtAny(o["default_payout"]), "0")
		quirks["status "+fmtAny(o["status"])] = true
	}
	for _, q := range []string{"null currency", "no expiration", "bool as \"1\"", "null percent", "string payout",
		"status active", "status paused", "status pending"} {
		if !quirks[q] {
			t.Errorf("no offer shows %s", q)
		}
	}
}

func fmtAny(v any) string {
	s, _ := v.(string)
	return s
}

func TestFindByID(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 30})
	r := response(t, sim, network("Offer", "findById", "id", "26", "contain[]", "Advertiser"))
	rec := r["data"].(obj)
	if m, ok := rec["Offer"].(obj)["modified"].(string); !ok || len(m) != len("2006-01-02 15:04:05") {
		t.Errorf("findById modified %v, want a date string", rec["Offer"].(obj)["modified"])
	}
	if adv, ok := rec["Advertiser"].([]any); !ok || len(adv) != 0 {
		t.Errorf("offer 26 has no advertiser: Advertiser %v, want []", rec["Advertiser"])
	}
	if adv := response(t, sim, network("Offer", "findById", "id", "2", "contain[]", "Advertiser"))["data"].(obj)["Advertiser"].(obj); adv["company"] == "" {
		t.Errorf("advertiser %v has no company", adv)
	}
	miss := response(t, sim, network("Offer", "findById", "id", "31"))
	if miss["status"] != json.Number("1") || miss["data"] != nil {
		t.Errorf("miss: %v, want status 1 and data null", miss)
	}
	if paused := response(t, sim, affiliate("Affiliate_Offer", "findById", "id", "14")); paused["data"] != nil {
		t.Errorf("affiliate sees paused offer 14: %v", paused["data"])
	}
}

func TestFiltersAndSort(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 60})
	ids := func(p url.Values) []string {
		rec := get(t, sim, p)
		raw := map[string]json.RawMessage{}
		_ = json.Unmarshal(rec.Body.Bytes(), &raw)
		var resp struct{ Data json.RawMessage }
		_ = json.Unmarshal(raw["response"], &resp)
		if resp.Data[0] == '[' {
			return nil
		}
		return keyOrder(t, resp.Data)
	}
	tests := []struct {
		name string
		p    url.Values
		want string
	}{
		{"status one of", network("Offer", "findAll", "filters[status][]", "pending", "filters[status][]", "deleted"), "17,18,19,37,38,39,57,58,59"},
		{"status single", network("Offer", "findAll", "filters[status]", "deleted"), "19,39,59"},
		{"status not equal", network("Offer", "findAll", "filters[status][NOT_EQUAL_TO]", "active", "filters[id][]", "13", "filters[id][]", "14"), "14"},
		{"name LIKE", network("Offer", "findAll", "filters[name][LIKE]", "%#5_"), "50,51,52,53,54,55,56,57,58,59"},
		{"ids, sorted descending", network("Offer", "findAll", "filters[id][]", "3", "filters[id][]", "20", "filters[id][]", "11", "sort[id]", "desc"), "20,11,3"},
		{"sorted by payout", network("Offer", "findAll", "filters[id][]", "1", "filters[id][]", "2", "filters[id][]", "3", "sort[default_payout]", "desc"), ""},
		{"affiliate sees active only", affiliate("Affiliate_Offer", "findAll", "filters[id][]", "13", "filters[id][]", "14"), "13"},
		{"nothing", network("Offer", "findAll", "filters[name][LIKE]", "%zzz%"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(tt.p)
			if tt.name == "sorted by payout" {
				var last decimal.Decimal
				for i, id := range got {
					n, _ := strconv.Atoi(id)
					o, _ := sim.Offer(n)
					if i > 0 && o.DefaultPayout.GreaterThan(last) {
						t.Errorf("order %v is not by descending payout", got)
					}
					last = o.DefaultPayout
				}
				return
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func TestGenerateTrackingLink(t *testing.T) {
	sim := newSim(tunesim.Options{Offers: 5, AffiliateID: "3", TrackingDomain: "track.example.com"})
	d := response(t, sim, network("Offer", "generateTrackingLink", "offer_id", "2", "affiliate_id", "9",
		"params[aff_sub]", "ck 1", "params[aff_click_id]", "x&y"))["data"].(obj)
	if d["click_url"] != "https://track.example.com/aff_c?offer_id=2&aff_id=9&aff_click_id=x%26y&aff_sub=ck+1" {
		t.Errorf("click_url %v", d["click_url"])
	}
	if d["offer_id"] != json.Number("2") || d["affiliate_id"] != "9" {
		t.Errorf("offer_id %#v, affiliate_id %#v; want a number and a string", d["offer_id"], d["affiliate_id"])
	}
	a := response(t, sim, affiliate("Affiliate_Offer", "generateTrackingLink", "offer_id", "2"))["data"].(obj)
	if a["click_url"] != "https://track.example.com/aff_c?offer_id=2&aff_id=3" {
		t.Errorf("affiliate click_url %v", a["click_url"])
	}
	withLinks := response(t, sim, affiliate("Affiliate_Offer", "findAll", "contain[]", "TrackingLink"))["data"].(obj)
	if l := withLinks["1"].(obj)["TrackingLink"].(obj)["click_url"]; l != "https://track.example.com/aff_c?offer_id=1&aff_id=3" {
		t.Errorf("contained tracking link %v", l)
	}
	missing := response(t, sim, network("Offer", "generateTrackingLink", "offer_id", "2"))
	if e := missing["errors"].([]any)[0].(obj); e["attribute_name"] != "affiliate_id" || e["err_msg"] == nil {
		t.Errorf("missing affiliate_id: %v", e)
	}
	if got := firstError(t, response(t, sim, network("Offer", "generateTrackingLink", "offer_id", "77", "affiliate_id", "9"))); !strings.Contains(got, "77") {
		t.Errorf("unknown offer: %q", got)
	}
}

// clock is a settable clock for the simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestRateLimit(t *testing.T) {
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	sim := newSim(tunesim.Options{Offers: 2, RateLimit: 3, RateWindow: time.Second, Clock: clk.Now})
	p := network("Offer", "findAll")
	status := func() string {
		r := response(t, sim, p)
		if r["status"] == json.Number("1") {
			return "ok"
		}
		return firstError(t, r)
	}
	for i := range 3 {
		if got := status(); got != "ok" {
			t.Fatalf("call %d: %s", i+1, got)
		}
		clk.Advance(100 * time.Millisecond)
	}
	if got := status(); !strings.HasPrefix(got, "API usage exceeded rate limit") {
		t.Errorf("4th call within the window: %q", got)
	}
	clk.Advance(701 * time.Millisecond) // the first call leaves the window
	if got := status(); got != "ok" {
		t.Errorf("after the window: %q", got)
	}
	calls := sim.Calls()
	if calls[3].Failure != "rate_limited" || calls[4].Failure != "" || !calls[4].Time.Equal(clk.Now()) {
		t.Errorf("calls %+v", calls)
	}
}

func TestFailNext(t *testing.T) {
	tests := []struct {
		f           tunesim.Failure
		code        int
		contentType string
		message     string
	}{
		{tunesim.FailIPRefused, 200, "application/json", "is not white-listed"},
		{tunesim.FailPermissionDenied, 200, "application/json", "User is not permitted to perform this action"},
		{tunesim.FailAPIDisabled, 200, "application/json", "API access is not enabled"},
		{tunesim.FailRateLimit, 200, "application/json", "API usage exceeded rate limit"},
		{tunesim.FailServerError, 500, "text/html", "500 Internal Server Error"},
		{tunesim.FailGatewayTimeout, 504, "text/html", "504 Gateway Time-out"},
		{tunesim.FailHTML, 200, "text/html", "<!DOCTYPE html>"},
	}
	for _, tt := range tests {
		t.Run(tt.f.String(), func(t *testing.T) {
			sim := newSim(tunesim.Options{Offers: 2})
			sim.FailNext(tt.f, 2)
			p := network("Offer", "findAll")
			for i := range 2 {
				rec := get(t, sim, p)
				if rec.Code != tt.code || !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.contentType) ||
					!strings.Contains(rec.Body.String(), tt.message) {
					t.Errorf("call %d: HTTP %d %s %s", i+1, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
				}
			}
			if r := response(t, sim, p); r["status"] != json.Number("1") {
				t.Errorf("third call still failing: %v", r)
			}
			calls := sim.Calls()
			if calls[0].Failure != tt.f.String() || calls[2].Failure != "" {
				t.Errorf("calls %+v", calls)
			}
		})
	}
	t.Run("slow", func(t *testing.T) {
		sim := newSim(tunesim.Options{Offers: 2, SlowAnswer: 20 * time.Millisecond})
		sim.FailNext(tunesim.FailSlow, 1)
		start := time.Now()
		if r := response(t, sim, network("Offer", "findAll")); r["status"] != json.Number("1") {
			t.Errorf("slow answer %v", r)
		}
		if time.Since(start) < 20*time.Millisecond {
			t.Error("the slow answer came at once")
		}
	})
	t.Run("affiliate API disabled", func(t *testing.T) {
		sim := newSim(tunesim.Options{Offers: 2})
		sim.FailNext(tunesim.FailAPIDisabled, 1)
		if got := firstError(t, response(t, sim, affiliate("Affiliate_Offer", "findAll"))); got != "Affiliate API feature is disabled" {
			t.Errorf("got %q", got)
		}
	})
}

func TestControls(t *testing.T) {
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	sim := newSim(tunesim.Options{Offers: 50, Clock: clk.Now})
	findByID := func(id int) any {
		return response(t, sim, network("Offer", "findById", "id", strconv.Itoa(id)))["data"]
	}

	if !sim.RemoveOffer(7) || sim.RemoveOffer(7) {
		t.Error("RemoveOffer did not report existence")
	}
	if findByID(7) != nil {
		t.Error("removed offer still found")
	}
	if all := response(t, sim, network("Offer", "findAll"))["data"].(obj); len(all) != 49 || all["7"] != nil {
		t.Errorf("findAll returns %d offers after removal", len(all))
	}

	id := sim.AddOffer(tunesim.Offer{Name: "New offer", Status: "active", DefaultPayout: decimal.RequireFromString("1.5")})
	if id != 51 {
		t.Errorf("AddOffer gave id %d, want 51", id)
	}
	if o, ok := sim.Offer(id); !ok || o.Name != "New offer" || !o.Modified.Equal(clk.Now()) {
		t.Errorf("added offer %+v", o)
	}

	clk.Advance(time.Hour)
	if !sim.UpdateOffer(3, func(o *tunesim.Offer) { o.Name = "Renamed"; o.ID = 99 }) || sim.UpdateOffer(7, func(*tunesim.Offer) {}) {
		t.Error("UpdateOffer did not report existence")
	}
	if o, _ := sim.Offer(3); o.Name != "Renamed" || o.ID != 3 || !o.Modified.Equal(clk.Now()) {
		t.Errorf("updated offer %+v", o)
	}

	before := map[int]tunesim.Offer{}
	for i := 1; i <= 51; i++ {
		before[i], _ = sim.Offer(i)
	}
	clk.Advance(time.Hour)
	changed := sim.ChangeSome(10)
	if len(changed) != 10 || !slices.IsSorted(changed) || len(slices.Compact(slices.Clone(changed))) != 10 {
		t.Fatalf("ChangeSome returned %v", changed)
	}
	flipped := 0
	for _, id := range changed {
		o, _ := sim.Offer(id)
		b := before[id]
		if !o.DefaultPayout.GreaterThan(b.DefaultPayout) || o.Name == b.Name || !o.Modified.Equal(clk.Now()) {
			t.Errorf("offer %d not changed: %+v", id, o)
		}
		if o.Status != b.Status {
			flipped++
		}
	}
	if flipped == 0 {
		t.Error("ChangeSome changed no status")
	}
	if again := newSim(tunesim.Options{Offers: 50}).ChangeSome(10); len(again) != 10 {
		t.Errorf("ChangeSome on a fresh simulator returned %v", again)
	}

	if n := sim.CallCount("Offer", "findById"); n != 1 {
		t.Errorf("CallCount = %d, want 1", n)
	}
	sim.ResetCalls()
	if len(sim.Calls()) != 0 || sim.CallCount("Offer", "findAll") != 0 {
		t.Error("ResetCalls kept calls")
	}
}

func TestDeterministicAndLarge(t *testing.T) {
	a, b := newSim(tunesim.Options{Offers: 10000}), newSim(tunesim.Options{Offers: 10000})
	for _, id := range []int{1, 977, 5000, 10000} {
		oa, _ := a.Offer(id)
		ob, _ := b.Offer(id)
		if oa.Name != ob.Name || !oa.DefaultPayout.Equal(ob.DefaultPayout) || !oa.Modified.Equal(ob.Modified) {
			t.Errorf("offer %d differs between two simulators", id)
		}
	}
	if a.ChangeSome(5)[0] != b.ChangeSome(5)[0] {
		t.Error("ChangeSome chose differently for the same history")
	}
	page := response(t, a, network("Offer", "findAll", "limit", "100", "page", "100", "contain[]", "Advertiser"))["data"].(obj)
	if page["count"] != json.Number("10000") || page["pageCount"] != json.Number("100") || len(page["data"].(obj)) != 100 {
		t.Errorf("last page of 10,000 offers: count %v, pageCount %v", page["count"], page["pageCount"])
	}
	all := response(t, a, network("Offer", "findAll"))["data"].(obj)
	if len(all) != 10000 {
		t.Errorf("findAll without limit returned %d offers", len(all))
	}
}

func BenchmarkFindAllTenThousand(b *testing.B) {
	sim := newSim(tunesim.Options{Offers: 10000, RateLimit: -1})
	p := network("Offer", "findAll", "contain[]", "Advertiser")
	for b.Loop() {
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/Apiv3/json?"+p.Encode(), nil))
	}
}
