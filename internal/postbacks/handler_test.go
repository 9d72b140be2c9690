package postbacks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/postbacktoken"
	"github.com/trackly/tune-integration/internal/trackly"
)

// memoryQueue stands for the SQS postback queue: it keeps each message as the
// JSON body SQS would store, or fails every send with err. sending, if set,
// runs as each send begins.
type memoryQueue struct {
	mu      sync.Mutex
	bodies  [][]byte
	err     error
	sending func()
}

func (q *memoryQueue) SendJSON(_ context.Context, v any) error {
	if q.sending != nil {
		q.sending()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	q.bodies = append(q.bodies, body)
	return nil
}

// queued decodes the queued messages as attribution reads them.
func (q *memoryQueue) queued(t *testing.T) []postbacks.Message {
	t.Helper()
	out := make([]postbacks.Message, len(q.bodies))
	for i, b := range q.bodies {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			t.Fatalf("queued message %s: %v", b, err)
		}
	}
	return out
}

// postbackTables stands for the links and integrations tables (read to check
// tokens) and the postback log (each write in log, the last one standing). It
// counts the reads of each table, and fails them with linkErr or readErr, and
// the log writes with logErr. logging, if set, runs as each log write begins.
type postbackTables struct {
	mu           sync.Mutex
	links        map[string]trackly.Link
	integrations map[string]trackly.Integration
	linkReads    int
	integReads   int
	linkErr      error
	readErr      error
	log          []trackly.PostbackLogEntry
	logErr       error
	logging      func()
}

func (s *postbackTables) GetLink(_ context.Context, id string) (trackly.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return countedGet(s.links, id, &s.linkReads, s.linkErr)
}

func (s *postbackTables) GetIntegration(_ context.Context, id string) (trackly.Integration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return countedGet(s.integrations, id, &s.integReads, s.readErr)
}

// countedGet counts a read of rows in *reads and returns the record under id,
// or fails with err if it is not nil.
func countedGet[V any](rows map[string]V, id string, reads *int, err error) (V, error) {
	*reads++
	if err != nil {
		var zero V
		return zero, err
	}
	return memtable.Get(rows, id)
}

func (s *postbackTables) LogPostback(_ context.Context, e trackly.PostbackLogEntry) error {
	if s.logging != nil {
		s.logging()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logErr != nil {
		return s.logErr
	}
	s.log = append(s.log, e)
	return nil
}

// now is the handler's clock: 21:00 on March 14th in UTC-5, 02:00 on the 15th in UTC.
var now = time.Date(2026, 3, 14, 21, 0, 0, 0, time.FixedZone("UTC-5", -5*3600))

var signer = func() *clickid.Signer {
	s, err := clickid.NewSigner([]byte("a test signing key of 32 bytes!!"))
	if err != nil {
		panic(err)
	}
	return s
}()

// clickOn issues a genuine click id for linkID, as ClickFunction does.
func clickOn(linkID string) string {
	id, err := signer.New(linkID)
	if err != nil {
		panic(err)
	}
	return id
}

// fixture is a postback handler over in-memory queue and tables:
//
//	in_a requires a postback token (tokenA); link lnk_a is one of its links
//	in_open does not require one (tokenOpen); link lnk_open is one of its links
//
// Every other link (lnk1, lnk7, …) no longer exists, as a deleted link.
// The handler's clock reads clock, which a test moves.
type fixture struct {
	h         *postbacks.Handler
	queue     *memoryQueue
	tables    *postbackTables
	tokenA    string
	tokenOpen string
	clock     time.Time
}

func newFixture() *fixture {
	tokenA, hashA := postbacktoken.New("in_a")
	tokenOpen, hashOpen := postbacktoken.New("in_open")
	f := &fixture{
		queue: &memoryQueue{},
		tables: &postbackTables{
			links: map[string]trackly.Link{
				"lnk_a":    {LinkID: "lnk_a", Placement: trackly.Placement{AccountID: "acc1", IntegrationID: "in_a", OfferID: "1"}},
				"lnk_open": {LinkID: "lnk_open", Placement: trackly.Placement{AccountID: "acc1", IntegrationID: "in_open", OfferID: "1"}},
			},
			integrations: map[string]trackly.Integration{
				"in_a":    {IntegrationID: "in_a", PostbackTokenHash: hashA, RequirePostbackToken: true},
				"in_open": {IntegrationID: "in_open", PostbackTokenHash: hashOpen},
			},
		},
		tokenA:    tokenA,
		tokenOpen: tokenOpen,
		clock:     now,
	}
	f.h = postbacks.NewHandler(f.queue, f.tables, signer, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return f.clock })
	return f
}

// answer is the JSON body of the handler's answers.
type answer struct {
	Status     trackly.PostbackOutcome `json:"status"`
	PostbackID string                  `json:"postback_id"`
	Error      string                  `json:"error"`
	Errors     []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (a answer) fields() []string {
	var out []string
	for _, e := range a.Errors {
		out = append(out, e.Field)
	}
	sort.Strings(out)
	return out
}

func (f *fixture) serve(t *testing.T, r *http.Request) (*httptest.ResponseRecorder, answer) {
	t.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", w.Body.String(), err)
	}
	return w, a
}

// get is TUNE's GET of the postback URL with rawQuery.
func get(rawQuery string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/postbacks/tune", nil)
	r.URL.RawQuery = rawQuery
	r.Header.Set("User-Agent", "TUNE postback")
	return r
}

// serveInvalid serves a GET with rawQuery on a new fixture, and fails the
// test unless the handler refuses it as invalid (400) and queues nothing.
func serveInvalid(t *testing.T, rawQuery string) (*fixture, answer) {
	t.Helper()
	f := newFixture()
	w, a := f.serve(t, get(rawQuery))
	if w.Code != http.StatusBadRequest || a.Status != trackly.PostbackInvalid {
		t.Fatalf("status %d %q, want 400 invalid", w.Code, a.Status)
	}
	if len(f.queue.bodies) != 0 {
		t.Errorf("the invalid postback was queued: %s", f.queue.bodies[0])
	}
	return f, a
}

// post is TUNE's POST of the postback URL with rawQuery, of body of contentType.
func post(rawQuery, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/postbacks/tune", strings.NewReader(body))
	r.URL.RawQuery = rawQuery
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("User-Agent", "TUNE postback")
	return r
}

func TestPostbackValidation(t *testing.T) {
	click := clickOn("lnk1")
	base := "click_id=" + url.QueryEscape(click) + "&conversion_id=tx1"
	long := strings.Repeat("x", postbacks.MaxValueLength+1)
	var manyExtras, tooManyExtras strings.Builder
	for i := range 51 {
		if i < 50 {
			fmt.Fprintf(&manyExtras, "&x%02d=v", i)
		}
		fmt.Fprintf(&tooManyExtras, "&x%02d=v", i)
	}
	tests := []struct {
		name   string
		query  string
		fields []string // the fields the 400 names; nil when the postback is accepted
		says   string   // words one error message must hold
	}{
		{"click id and conversion id are enough", base, nil, ""},
		{"click id is required", "conversion_id=tx1", []string{"click_id"}, "required"},
		{"conversion id is required", "click_id=" + url.QueryEscape(click), []string{"conversion_id"}, "required"},
		{"both missing are both named", "payout=1", []string{"click_id", "conversion_id"}, "required"},
		{"a blank click id is missing", "click_id=%20%20&conversion_id=tx1", []string{"click_id"}, "required"},
		{"an empty conversion id is missing", "click_id=" + url.QueryEscape(click) + "&conversion_id=", []string{"conversion_id"}, "required"},
		{"payout with a comma", base + "&payout=12,50", []string{"payout"}, "decimal"},
		{"negative payout", base + "&payout=-1", []string{"payout"}, "non-negative"},
		{"payout with an exponent", base + "&payout=1e3", []string{"payout"}, "decimal"},
		{"payout with 9 decimals is rounded, not refused", base + "&payout=0.123456789", nil, ""},
		{"payout over the maximum", base + "&payout=1000000.01", []string{"payout"}, "more than"},
		{"payout NaN", base + "&payout=NaN", []string{"payout"}, "decimal"},
		{"an empty payout is no payout", base + "&payout=", nil, ""},
		{"bad sale amount", base + "&sale_amount=abc", []string{"sale_amount"}, "decimal"},
		{"unknown status", base + "&status=paid", []string{"status"}, "approved, pending or rejected"},
		{"currency of four letters", base + "&currency=EURO", []string{"currency"}, "ISO 4217"},
		{"currency with a digit", base + "&currency=US1", []string{"currency"}, "ISO 4217"},
		{"three letters that are no ISO 4217 currency", base + "&currency=ABC", []string{"currency"}, "ISO 4217"},
		{"a currency withdrawn from ISO 4217", base + "&currency=HRK", []string{"currency"}, "ISO 4217"},
		{"a currency code in lower case is read in capitals", base + "&currency=eur", nil, ""},
		{"missing required fields are named before bad values", "payout=x&status=paid&currency=12", []string{"click_id", "conversion_id"}, "required"},
		{"bad values are all named", base + "&payout=x&status=paid&currency=12", []string{"currency", "payout", "status"}, ""},
		{"a macro in a parameter this endpoint does not read is kept as it came", base + "&aff_sub2={aff_sub2}", nil, ""},
		{"a value of the longest allowed length", base + "&aff_sub2=" + long[1:], nil, ""},
		{"a value over 500 characters is named", base + "&aff_sub2=" + long, []string{"aff_sub2"}, "limit is 500"},
		{"a known value over 500 characters is named", base + "&source=" + long, []string{"source"}, "limit is 500"},
		{"a parameter twice with one value is one value", base + "&payout=1&payout=1", nil, ""},
		{"a parameter twice with two values is named", base + "&payout=1&payout=2", []string{"payout"}, "different values"},
		{"50 unknown parameters are kept", base + manyExtras.String(), nil, ""},
		{"the 51st unknown parameter is refused", base + tooManyExtras.String(), []string{"x50"}, "at most 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			w, a := f.serve(t, get(tt.query))
			if tt.fields == nil {
				if w.Code != http.StatusOK || a.Status != trackly.PostbackAccepted {
					t.Fatalf("status %d %q (%s), want 200 accepted", w.Code, a.Status, a.Error)
				}
				if len(f.queue.bodies) != 1 {
					t.Errorf("%d messages queued, want 1", len(f.queue.bodies))
				}
				return
			}
			if w.Code != http.StatusBadRequest || a.Status != trackly.PostbackInvalid {
				t.Fatalf("status %d %q, want 400 invalid", w.Code, a.Status)
			}
			if fmt.Sprint(a.fields()) != fmt.Sprint(tt.fields) {
				t.Errorf("errors name %v, want %v (%s)", a.fields(), tt.fields, a.Error)
			}
			if !strings.Contains(a.Error, tt.says) {
				t.Errorf("error %q does not say %q", a.Error, tt.says)
			}
			if len(f.queue.bodies) != 0 {
				t.Errorf("an invalid postback was queued")
			}
		})
	}
}

// A value that is not valid UTF-8, or that holds a control character, is
// refused: JSON (the queue's) and DynamoDB would otherwise rewrite it, and two
// different values would become one, or a value would change on its way.
func TestPostbackRefusesTextThatIsNotPlainUTF8(t *testing.T) {
	click := url.QueryEscape(clickOn("lnk1"))
	base := "click_id=" + click + "&conversion_id=tx1"
	tests := []struct {
		name  string
		query string
		field string // the field the 400 names
		says  string // words its message must hold
	}{
		{"a conversion id with byte 0x80", "click_id=" + click + "&conversion_id=X%80Y", "conversion_id", "not valid UTF-8"},
		{"a conversion id with byte 0x81", "click_id=" + click + "&conversion_id=X%81Y", "conversion_id", "not valid UTF-8"},
		{"a click id with byte 0xFF", "click_id=" + click + "%FF&conversion_id=tx1", "click_id", "not valid UTF-8"},
		{"an overlong encoding of NUL", base + "&source=%C0%80", "source", "not valid UTF-8"},
		{"an encoded surrogate", base + "&source=%ED%A0%80", "source", "not valid UTF-8"},
		{"a payout cut by a byte that is not UTF-8", base + "&payout=1%FE", "payout", "not valid UTF-8"},
		{"a token with a byte that is not UTF-8", base + "&token=in_a.%80", "token", "not valid UTF-8"},
		{"a NUL in a known parameter", base + "&source=a%00b", "source", "control character U+0000"},
		{"a NUL in the conversion id", "click_id=" + click + "&conversion_id=tx%00", "conversion_id", "control character U+0000"},
		{"a carriage return in an unknown parameter", base + "&aff_sub2=a%0Db", "aff_sub2", "control character U+000D"},
		{"a line feed in the goal id", base + "&goal_id=1%0A", "goal_id", "control character U+000A"},
		{"a line feed inserted in a genuine click id", "click_id=" + click[:20] + "%0A" + click[20:] + "&conversion_id=tx1", "click_id", "control character U+000A"},
		{"a carriage return ending a genuine click id", "click_id=" + click + "%0D&conversion_id=tx1", "click_id", "control character U+000D"},
		{"a tab", base + "&offer_id=1%092", "offer_id", "control character U+0009"},
		{"a DEL", base + "&source=%7F", "source", "control character U+007F"},
		{"a C1 control character, valid UTF-8", base + "&source=a%C2%85", "source", "control character U+0085"},
		{"a parameter name with byte 0x80", base + "&%80=1", `"\x80"`, "not valid UTF-8"},
		{"a parameter name with a NUL", base + "&a%00b=1", `"a\x00b"`, "control character U+0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, a := serveInvalid(t, tt.query)
			if fmt.Sprint(a.fields()) != fmt.Sprint([]string{tt.field}) {
				t.Errorf("errors name %v, want [%s] (%s)", a.fields(), tt.field, a.Error)
			}
			if !strings.Contains(a.Error, tt.says) {
				t.Errorf("error %q does not say %q", a.Error, tt.says)
			}
			// The log keeps the query exactly as sent (the token masked), and holds nothing DynamoDB would rewrite.
			e := f.tables.log[0]
			sent := mustParse(t, tt.query)
			if sent.Has("token") {
				sent.Set("token", postbacktoken.Mask(sent.Get("token")))
			}
			if e.Outcome != trackly.PostbackInvalid || e.Query != sent.Encode() {
				t.Errorf("logged %q with query %q, want invalid with %q", e.Outcome, e.Query, sent.Encode())
			}
			for name, v := range e.Params {
				if !utf8.ValidString(name) || !utf8.ValidString(v) {
					t.Errorf("logged parameter %q = %q is not UTF-8", name, v)
				}
			}
			if !utf8.ValidString(e.Reason) {
				t.Errorf("logged reason %q is not UTF-8", e.Reason)
			}
		})
	}

	t.Run("two conversion ids that differ in a byte that is not UTF-8 do not become one", func(t *testing.T) {
		f := newFixture()
		for _, id := range []string{"X%80Y", "X%81Y"} {
			if w, _ := f.serve(t, get("click_id="+click+"&conversion_id="+id+"&payout=2")); w.Code != http.StatusBadRequest {
				t.Errorf("conversion id %s: status %d, want 400", id, w.Code)
			}
		}
		if len(f.queue.bodies) != 0 {
			t.Errorf("queued %d messages, want none", len(f.queue.bodies))
		}
	})

	t.Run("a form POST with a byte that is not UTF-8 is refused", func(t *testing.T) {
		f := newFixture()
		w, a := f.serve(t, post(base, "application/x-www-form-urlencoded", "source=%80"))
		if w.Code != http.StatusBadRequest || fmt.Sprint(a.fields()) != "[source]" {
			t.Errorf("status %d naming %v, want 400 naming source", w.Code, a.fields())
		}
	})

	t.Run("text in UTF-8 travels as it came", func(t *testing.T) {
		f := newFixture()
		w, a := f.serve(t, get("click_id="+click+"&conversion_id=caf%C3%A9-%F0%9F%93%B1&source=%E2%80%8Bx&aff_sub2=%EF%BF%BD"))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d (%s), want 200", w.Code, a.Error)
		}
		m := f.queue.queued(t)[0]
		if m.ConversionID != "café-📱" || m.Source != "\u200bx" || m.Extra["aff_sub2"] != "\ufffd" {
			t.Errorf("queued %q, %q, %q", m.ConversionID, m.Source, m.Extra["aff_sub2"])
		}
	})
}

func TestPostbackReportsUnreplacedMacros(t *testing.T) {
	click := url.QueryEscape(clickOn("lnk1"))
	tests := []struct {
		name  string
		query string
		field string
		macro string
	}{
		{"a raw macro as click id", "click_id={aff_sub}&conversion_id=tx1", "click_id", "{aff_sub}"},
		{"an encoded macro as click id", "click_id=%7Baff_sub%7D&conversion_id=tx1", "click_id", "{aff_sub}"},
		{"a macro encoded twice as click id", "click_id=%257Baff_sub%257D&conversion_id=tx1", "click_id", "{aff_sub}"},
		{"a macro in lower-case percent encoding", "click_id=%7baff_sub3%7d&conversion_id=tx1", "click_id", "{aff_sub3}"},
		{"a macro as conversion id", "click_id=" + click + "&conversion_id={transaction_id}", "conversion_id", "{transaction_id}"},
		{"a macro as payout", "click_id=" + click + "&conversion_id=tx1&payout={payout}", "payout", "{payout}"},
		{"a macro as goal id", "click_id=" + click + "&conversion_id=tx1&goal_id=%7Bgoal_id%7D", "goal_id", "{goal_id}"},
		{"a macro inside a value", "click_id=" + click + "&conversion_id=tx1&currency=x{currency}", "currency", "{currency}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, a := serveInvalid(t, tt.query)
			var msg string
			for _, e := range a.Errors {
				if e.Field == tt.field {
					msg = e.Message
				}
			}
			// A misconfiguration is reported as one: the macro, and TUNE's part in it.
			if !strings.Contains(msg, tt.macro) || !strings.Contains(msg, "TUNE") {
				t.Errorf("%s error %q does not name the macro %s as TUNE's (errors: %s)", tt.field, msg, tt.macro, a.Error)
			}
		})
	}
}

func TestPostbackQueuesTheMessage(t *testing.T) {
	click := clickOn("lnk7")
	t.Run("defaults: goal 0; no status or payout named, none queued", func(t *testing.T) {
		f := newFixture()
		f.serve(t, get("click_id="+url.QueryEscape(click)+"&conversion_id=tx1"))
		msgs := f.queue.queued(t)
		if len(msgs) != 1 {
			t.Fatalf("%d queued", len(msgs))
		}
		m := msgs[0]
		if m.ClickID != click || m.LinkID != "lnk7" || m.ConversionID != "tx1" || m.GoalID != "0" || m.Status != "" || m.Payout != nil || m.SaleAmount != nil || m.Currency != "" || m.TokenPresent || m.TokenOwner != "" {
			t.Errorf("queued %+v", m)
		}
	})
	t.Run("every field read, currency and status normalized, unknown parameters kept", func(t *testing.T) {
		f := newFixture()
		f.serve(t, get("click_id="+url.QueryEscape(click)+"&conversion_id=tx1&goal_id=3&payout=12.50&sale_amount=99.95&currency=eur&offer_id=12&status=Pending&source=sms&aff_sub2=x&adv_sub=y"))
		m := f.queue.queued(t)[0]
		if m.GoalID != "3" || m.Currency != "EUR" || m.OfferID != "12" || m.Status != "pending" || m.Source != "sms" {
			t.Errorf("queued %+v", m)
		}
		if m.Payout == nil || m.Payout.String() != "12.5" || m.SaleAmount == nil || m.SaleAmount.String() != "99.95" {
			t.Errorf("payout %v, sale amount %v; want 12.5 and 99.95", m.Payout, m.SaleAmount)
		}
		if fmt.Sprint(m.Extra) != "map[adv_sub:y aff_sub2:x]" {
			t.Errorf("extra %v", m.Extra)
		}
	})
	t.Run("the payout travels as an exact decimal string", func(t *testing.T) {
		f := newFixture()
		f.serve(t, get("click_id="+url.QueryEscape(click)+"&conversion_id=tx1&payout=0.10000001"))
		if body := string(f.queue.bodies[0]); !strings.Contains(body, `"payout":"0.10000001"`) {
			t.Errorf("queued body %s, want the payout as the string 0.10000001", body)
		}
	})
	t.Run("amounts of more than 8 decimal places are rounded once, here, and the log says so", func(t *testing.T) {
		f := newFixture()
		w, a := f.serve(t, get("click_id="+url.QueryEscape(click)+"&conversion_id=tx1&payout=0.123456789&sale_amount=2.000000005"))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d (%s), want 200", w.Code, a.Error)
		}
		if body := string(f.queue.bodies[0]); !strings.Contains(body, `"payout":"0.12345679"`) || !strings.Contains(body, `"sale_amount":"2.00000001"`) {
			t.Errorf("queued body %s, want payout 0.12345679 and sale amount 2.00000001", body)
		}
		e := f.tables.log[0]
		if e.Params["payout"] != "0.123456789" || !strings.Contains(e.Query, "payout=0.123456789") {
			t.Errorf("logged payout %q in %q, want the value as sent", e.Params["payout"], e.Query)
		}
		for _, says := range []string{"payout 0.123456789 was rounded to 0.12345679", "sale_amount 2.000000005 was rounded to 2.00000001"} {
			if !strings.Contains(e.Note, says) {
				t.Errorf("logged note %q does not say %q", e.Note, says)
			}
		}
	})
	t.Run("amounts of 8 decimal places or fewer are not rounded, and no note is logged", func(t *testing.T) {
		f := newFixture()
		f.serve(t, get("click_id="+url.QueryEscape(click)+"&conversion_id=tx1&payout=0.12345678"))
		if m := f.queue.queued(t)[0]; m.Payout.String() != "0.12345678" || f.tables.log[0].Note != "" {
			t.Errorf("queued payout %s, note %q", m.Payout, f.tables.log[0].Note)
		}
	})
	t.Run("a form POST is read like a GET", func(t *testing.T) {
		f := newFixture()
		w, a := f.serve(t, post("goal_id=2", "application/x-www-form-urlencoded; charset=utf-8", "click_id="+url.QueryEscape(click)+"&conversion_id=tx9&payout=3"))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d (%s)", w.Code, a.Error)
		}
		m := f.queue.queued(t)[0]
		if m.ConversionID != "tx9" || m.GoalID != "2" || m.Payout.String() != "3" {
			t.Errorf("queued %+v", m)
		}
	})
	t.Run("a POST with a text body is read from its query", func(t *testing.T) {
		f := newFixture()
		if w, a := f.serve(t, post("click_id="+url.QueryEscape(click)+"&conversion_id=tx1", "text/plain", "hello")); w.Code != http.StatusOK {
			t.Fatalf("status %d (%s)", w.Code, a.Error)
		}
	})
	t.Run("a POST with a JSON body is refused, naming the body", func(t *testing.T) {
		f := newFixture()
		w, a := f.serve(t, post("", "application/json", `{"click_id":"x"}`))
		if w.Code != http.StatusBadRequest || fmt.Sprint(a.fields()) != "[body]" {
			t.Errorf("status %d, fields %v; want 400 naming body", w.Code, a.fields())
		}
	})
	t.Run("a query string that is not URL encoding is refused", func(t *testing.T) {
		f := newFixture()
		w, a := f.serve(t, get("click_id=%zz&conversion_id=tx1"))
		if w.Code != http.StatusBadRequest || !strings.Contains(a.Error, "query string") {
			t.Errorf("status %d, error %q; want 400 about the query string", w.Code, a.Error)
		}
	})
}

func TestPostbackAuthorization(t *testing.T) {
	on := func(linkID string) string {
		return "click_id=" + url.QueryEscape(clickOn(linkID)) + "&conversion_id=tx1"
	}
	base := on("lnk1")
	f0 := newFixture() // only for its token's shape
	_, otherSecret, _ := strings.Cut(f0.tokenA, ".")
	tests := []struct {
		name   string
		query  func(f *fixture) string
		status int
		field  string // the field a refusal names
		owner  string // the token's integration on the queued message
	}{
		{"a forged click id is refused", func(*fixture) string { return "click_id=lnk1.abc.forged&conversion_id=tx1" }, http.StatusForbidden, "click_id", ""},
		{"a click id whose link was changed is refused", func(*fixture) string {
			parts := strings.SplitN(clickOn("lnk1"), ".", 2)
			return "click_id=" + url.QueryEscape("lnk2."+parts[1]) + "&conversion_id=tx1"
		}, http.StatusForbidden, "click_id", ""},
		{"the link's integration's token is queued with its owner", func(f *fixture) string { return on("lnk_a") + "&token=" + url.QueryEscape(f.tokenA) }, http.StatusOK, "", "in_a"},
		{"no token where the link's integration requires one is refused", func(*fixture) string { return on("lnk_a") }, http.StatusForbidden, "token", ""},
		{"an empty token where the link's integration requires one is refused", func(*fixture) string { return on("lnk_a") + "&token=" }, http.StatusForbidden, "token", ""},
		{"no token where the link's integration does not require one is queued without an owner", func(*fixture) string { return on("lnk_open") }, http.StatusOK, "", ""},
		{"the token of another integration than the click's link is refused", func(f *fixture) string {
			return on("lnk_open") + "&token=" + url.QueryEscape(f.tokenA)
		}, http.StatusForbidden, "token", ""},
		{"the token of another integration than the click's link is refused where none is required", func(f *fixture) string {
			return on("lnk_a") + "&token=" + url.QueryEscape(f.tokenOpen)
		}, http.StatusForbidden, "token", ""},
		{"no token on a link that no longer exists is queued without an owner: attribution orphans it", func(*fixture) string { return base }, http.StatusOK, "", ""},
		{"a valid token on a link that no longer exists is queued with its owner", func(f *fixture) string { return base + "&token=" + url.QueryEscape(f.tokenA) }, http.StatusOK, "", "in_a"},
		{"no token on a link whose integration no longer exists is queued without an owner", func(f *fixture) string {
			f.tables.links["lnk_gone"] = trackly.Link{LinkID: "lnk_gone", Placement: trackly.Placement{IntegrationID: "in_gone"}}
			return on("lnk_gone")
		}, http.StatusOK, "", ""},
		{"another secret for the integration is refused", func(*fixture) string { return base + "&token=in_a." + otherSecret }, http.StatusForbidden, "token", ""},
		{"a token of an integration that does not exist is refused", func(f *fixture) string {
			_, secret, _ := strings.Cut(f.tokenA, ".")
			return base + "&token=in_gone." + secret
		}, http.StatusForbidden, "token", ""},
		{"a token without an integration is refused", func(*fixture) string { return base + "&token=justasecret" }, http.StatusForbidden, "token", ""},
		{"a token with an empty secret is refused", func(*fixture) string { return base + "&token=in_a." }, http.StatusForbidden, "token", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			w, a := f.serve(t, get(tt.query(f)))
			if w.Code != tt.status {
				t.Fatalf("status %d (%s), want %d", w.Code, a.Error, tt.status)
			}
			if tt.status != http.StatusOK {
				if a.Status != trackly.PostbackRejected || fmt.Sprint(a.fields()) != fmt.Sprint([]string{tt.field}) {
					t.Errorf("answer %q naming %v, want rejected naming %s", a.Status, a.fields(), tt.field)
				}
				if len(f.queue.bodies) != 0 {
					t.Error("a refused postback was queued")
				}
				if e := f.tables.log[0]; e.Outcome != trackly.PostbackRejected || e.HTTPStatus != http.StatusForbidden {
					t.Errorf("logged %q %d, want rejected 403", e.Outcome, e.HTTPStatus)
				}
				return
			}
			m := f.queue.queued(t)[0]
			if m.TokenOwner != tt.owner || m.TokenPresent != (tt.owner != "") {
				t.Errorf("queued token owner %q present %v, want %q", m.TokenOwner, m.TokenPresent, tt.owner)
			}
		})
	}

	for name, fail := range map[string]func(*postbackTables){
		"a link that cannot be read":         func(s *postbackTables) { s.linkErr = errors.New("throttled") },
		"an integration that cannot be read": func(s *postbackTables) { s.readErr = errors.New("throttled") },
	} {
		for _, token := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s is a retryable 503, not queued (token sent: %v)", name, token), func(t *testing.T) {
				f := newFixture()
				fail(f.tables)
				query := on("lnk_a")
				if token {
					query += "&token=" + url.QueryEscape(f.tokenA)
				}
				w, a := f.serve(t, get(query))
				if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || a.Status != trackly.PostbackFailed {
					t.Errorf("status %d, Retry-After %q, %q; want 503 with Retry-After, failed", w.Code, w.Header().Get("Retry-After"), a.Status)
				}
				if len(f.queue.bodies) != 0 {
					t.Error("queued although the token was not checked")
				}
			})
		}
	}

	t.Run("the token itself is never queued nor logged", func(t *testing.T) {
		f := newFixture()
		f.serve(t, get(base+"&token="+url.QueryEscape(f.tokenA)))
		_, secret, _ := strings.Cut(f.tokenA, ".")
		if body := string(f.queue.bodies[0]); strings.Contains(body, secret) {
			t.Errorf("the queued message holds the token: %s", body)
		}
		entry := f.tables.log[0]
		logged, _ := json.Marshal(entry)
		if strings.Contains(string(logged), secret) {
			t.Errorf("the log entry holds the token: %s", logged)
		}
		if entry.Params["token"] != "in_a.****" || !strings.Contains(entry.Query, "token=in_a.%2A%2A%2A%2A") {
			t.Errorf("logged token %q in %q, want it masked to in_a.****", entry.Params["token"], entry.Query)
		}
	})

	t.Run("a refused token is not echoed", func(t *testing.T) {
		f := newFixture()
		w, _ := f.serve(t, get(on("lnk_open")+"&token="+url.QueryEscape(f.tokenA)))
		_, secret, _ := strings.Cut(f.tokenA, ".")
		logged, _ := json.Marshal(f.tables.log[0])
		if strings.Contains(w.Body.String(), secret) || strings.Contains(string(logged), secret) {
			t.Errorf("the answer %s or the log %s holds the token", w.Body, logged)
		}
	})
}

// The handler keeps the links and integrations it reads for a minute: a link
// never changes integration, and an integration's token and its requirement of
// one change rarely. It accepts on what it keeps, and refuses only on what it
// has just read.
func TestPostbackKeepsWhatItReadsForAMinute(t *testing.T) {
	onA := "click_id=" + url.QueryEscape(clickOn("lnk_a")) + "&conversion_id=tx1"
	send := func(t *testing.T, f *fixture, query string, want int) {
		t.Helper()
		if w, a := f.serve(t, get(query)); w.Code != want {
			t.Fatalf("status %d (%s), want %d", w.Code, a.Error, want)
		}
	}
	// sendA sends a postback on lnk_a with token, or with the fixture's token for in_a if token is empty.
	sendA := func(t *testing.T, f *fixture, token string, want int) {
		t.Helper()
		if token == "" {
			token = f.tokenA
		}
		send(t, f, onA+"&token="+url.QueryEscape(token), want)
	}
	// changeA changes the stored integration in_a.
	changeA := func(f *fixture, change func(in *trackly.Integration)) {
		in := f.tables.integrations["in_a"]
		change(&in)
		f.tables.integrations["in_a"] = in
	}
	reads := func(f *fixture) string {
		return fmt.Sprintf("%d link reads, %d integration reads", f.tables.linkReads, f.tables.integReads)
	}

	for _, tt := range []struct {
		name  string
		after time.Duration
		reads string
		want  string
	}{
		{"a second postback on the same link reads nothing", 59 * time.Second, "1 link reads, 1 integration reads", "want one of each"},
		{"after a minute the integration is read again, the link is not", 61 * time.Second, "1 link reads, 2 integration reads", "want the integration read twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			sendA(t, f, "", http.StatusOK)
			f.clock = f.clock.Add(tt.after)
			sendA(t, f, "", http.StatusOK)
			if got := reads(f); got != tt.reads {
				t.Errorf("%s, %s", got, tt.want)
			}
		})
	}
	t.Run("a rotated token is accepted at once", func(t *testing.T) {
		f := newFixture()
		sendA(t, f, "", http.StatusOK)
		rotated, hash := postbacktoken.New("in_a")
		changeA(f, func(in *trackly.Integration) { in.PostbackTokenHash = hash })
		sendA(t, f, rotated, http.StatusOK)
	})
	t.Run("the token rotated out is still accepted within the minute, refused after it", func(t *testing.T) {
		f := newFixture()
		sendA(t, f, "", http.StatusOK)
		_, hash := postbacktoken.New("in_a")
		changeA(f, func(in *trackly.Integration) { in.PostbackTokenHash = hash })
		f.clock = f.clock.Add(30 * time.Second)
		sendA(t, f, "", http.StatusOK)
		f.clock = f.clock.Add(31 * time.Second)
		sendA(t, f, "", http.StatusForbidden)
	})
	t.Run("a token no longer required is not required at once", func(t *testing.T) {
		f := newFixture()
		sendA(t, f, "", http.StatusOK)
		changeA(f, func(in *trackly.Integration) { in.RequirePostbackToken = false })
		send(t, f, onA, http.StatusOK)
	})
	t.Run("a read that failed is not kept", func(t *testing.T) {
		f := newFixture()
		f.tables.linkErr = errors.New("throttled")
		sendA(t, f, "", http.StatusServiceUnavailable)
		f.tables.linkErr = nil
		sendA(t, f, "", http.StatusOK)
	})
}

func TestPostbackAnswersOnlyOnceQueued(t *testing.T) {
	base := "click_id=" + url.QueryEscape(clickOn("lnk1")) + "&conversion_id=tx1"
	t.Run("a queue that fails is a retryable 503, logged failed, even after the accepted entry was written", func(t *testing.T) {
		f := newFixture()
		f.queue.err = errors.New("sqs unavailable")
		w, a := f.serve(t, get(base))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
		}
		if a.Status != trackly.PostbackFailed || a.Error == "" {
			t.Errorf("answer %+v, want failed with a reason", a)
		}
		if n := len(f.tables.log); n == 0 || f.tables.log[n-1].Outcome != trackly.PostbackFailed || f.tables.log[n-1].HTTPStatus != http.StatusServiceUnavailable {
			t.Errorf("log writes %+v, want the last one failed with status 503", f.tables.log)
		}
	})
	t.Run("a log that cannot be written does not undo an accepted postback", func(t *testing.T) {
		f := newFixture()
		f.tables.logErr = errors.New("throttled")
		w, a := f.serve(t, get(base))
		if w.Code != http.StatusOK || a.Status != trackly.PostbackAccepted || len(f.queue.bodies) != 1 {
			t.Errorf("status %d %q, %d queued; want 200 accepted and queued", w.Code, a.Status, len(f.queue.bodies))
		}
	})
	t.Run("a log that cannot be written and a queue that fails are a 503", func(t *testing.T) {
		f := newFixture()
		f.tables.logErr = errors.New("throttled")
		f.queue.err = errors.New("sqs unavailable")
		if w, a := f.serve(t, get(base)); w.Code != http.StatusServiceUnavailable || a.Status != trackly.PostbackFailed {
			t.Errorf("status %d %q; want 503 failed", w.Code, a.Status)
		}
	})
}

// The handler writes the log entry of an accepted postback while it sends the
// message, not after: the answer waits for both, and only the send decides it.
func TestPostbackLogsWhileItQueues(t *testing.T) {
	base := "click_id=" + url.QueryEscape(clickOn("lnk1")) + "&conversion_id=tx1"
	// start serves r in a goroutine of the bubble and returns its answer and
	// a channel closed once it is given.
	start := func(f *fixture, r *http.Request) (*httptest.ResponseRecorder, <-chan struct{}) {
		w, done := httptest.NewRecorder(), make(chan struct{})
		go func() {
			defer close(done)
			f.h.ServeHTTP(w, r)
		}()
		return w, done
	}
	answered := func(done <-chan struct{}) bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	// serveHeld serves a postback while *hold (a hook of f) blocks, checks that
	// no answer is given before hold (what the handler waits for) is let go, then
	// lets it go and returns the answer.
	serveHeld := func(t *testing.T, f *fixture, hold *func(), what string) *httptest.ResponseRecorder {
		t.Helper()
		release := make(chan struct{})
		*hold = func() { <-release }
		w, done := start(f, get(base))
		synctest.Wait()
		if answered(done) {
			t.Errorf("answered %d before %s", w.Code, what)
		}
		close(release)
		<-done
		return w
	}

	t.Run("the log entry is written while the message is being sent", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFixture()
			f.queue.sending = func() {
				synctest.Wait() // the send takes until all else the handler does meanwhile is done
				f.tables.mu.Lock()
				defer f.tables.mu.Unlock()
				if len(f.tables.log) == 0 {
					t.Error("the log entry was not written while the message was being sent")
				}
			}
			if w, a := f.serve(t, get(base)); w.Code != http.StatusOK || a.Status != trackly.PostbackAccepted {
				t.Errorf("status %d %q (%s), want 200 accepted", w.Code, a.Status, a.Error)
			}
		})
	})

	t.Run("no answer before the send has succeeded", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFixture()
			w := serveHeld(t, f, &f.queue.sending, "the message was sent")
			if w.Code != http.StatusOK || len(f.queue.bodies) != 1 {
				t.Errorf("status %d, %d queued; want 200 once queued", w.Code, len(f.queue.bodies))
			}
		})
	})

	t.Run("no answer before the log write has finished", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFixture()
			w := serveHeld(t, f, &f.tables.logging, "the log entry was written")
			if w.Code != http.StatusOK || len(f.tables.log) != 1 || f.tables.log[0].Outcome != trackly.PostbackAccepted {
				t.Errorf("status %d, log %+v; want 200 and the accepted entry", w.Code, f.tables.log)
			}
		})
	})

	t.Run("a send that fails after the accepted entry is written leaves failed last", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFixture()
			f.queue.err = errors.New("sqs unavailable")
			f.queue.sending = synctest.Wait // the accepted entry is written meanwhile
			if w, _ := f.serve(t, get(base)); w.Code != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", w.Code)
			}
			outcomes := []trackly.PostbackOutcome{}
			for _, e := range f.tables.log {
				outcomes = append(outcomes, e.Outcome)
			}
			if fmt.Sprint(outcomes) != "[accepted failed]" {
				t.Errorf("log writes %v, want [accepted failed]", outcomes)
			}
		})
	})
}

func TestPostbackLogEntry(t *testing.T) {
	click := clickOn("lnk1")
	base := "click_id=" + url.QueryEscape(click) + "&conversion_id=tx1"
	tests := []struct {
		name    string
		req     func() *http.Request
		status  int
		outcome trackly.PostbackOutcome
		reason  string // words the reason must hold; "" for none
	}{
		{"an accepted postback", func() *http.Request { return get(base + "&payout=2") }, http.StatusOK, trackly.PostbackAccepted, ""},
		{"an invalid postback, with what is wrong", func() *http.Request { return get("payout=2") }, http.StatusBadRequest, trackly.PostbackInvalid, "click_id: is required"},
		{"a postback with no parameters at all", func() *http.Request { return get("") }, http.StatusBadRequest, trackly.PostbackInvalid, "conversion_id: is required"},
		{"a refused postback, with why", func() *http.Request { return get("click_id=forged&conversion_id=tx1") }, http.StatusForbidden, trackly.PostbackRejected, "click_id"},
		{"a POST", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/postbacks/tune?"+base, nil)
			r.Header.Set("User-Agent", "TUNE postback")
			return r
		}, http.StatusOK, trackly.PostbackAccepted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			r := tt.req()
			w, a := f.serve(t, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if len(f.tables.log) != 1 {
				t.Fatalf("%d log entries, want 1", len(f.tables.log))
			}
			e := f.tables.log[0]
			utc := now.UTC()
			checks := []struct {
				field     string
				got, want any
			}{
				{"postback_id (the answer's)", e.PostbackID, a.PostbackID},
				{"received_at", e.ReceivedAt.Equal(utc), true},
				{"method", e.Method, r.Method},
				{"query", e.Query, mustParse(t, r.URL.RawQuery).Encode()},
				{"user_agent", e.UserAgent, "TUNE postback"},
				{"outcome", e.Outcome, tt.outcome},
				{"http_status", e.HTTPStatus, tt.status},
				{"reason given", e.Reason != "", tt.reason != ""},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
				}
			}
			if !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", e.Reason, tt.reason)
			}
			if a.PostbackID == "" || !strings.HasPrefix(a.PostbackID, "pb_") {
				t.Errorf("postback id %q", a.PostbackID)
			}
			if tt.status != http.StatusOK {
				return
			}
			// Attribution writes the outcome into this very entry: the message must name it.
			m := f.queue.queued(t)[0]
			if m.PostbackID != e.PostbackID || !m.ReceivedAt.Equal(e.ReceivedAt) {
				t.Errorf("queued message names log entry %s at %v, want %s at %v", m.PostbackID, m.ReceivedAt, e.PostbackID, e.ReceivedAt)
			}
		})
	}

	t.Run("each postback has its own id", func(t *testing.T) {
		f := newFixture()
		_, a1 := f.serve(t, get(base))
		_, a2 := f.serve(t, get(base))
		if a1.PostbackID == a2.PostbackID {
			t.Errorf("two postbacks share the id %s", a1.PostbackID)
		}
	})

	t.Run("a long user agent is cut to 256 bytes", func(t *testing.T) {
		f := newFixture()
		r := get(base)
		r.Header.Set("User-Agent", strings.Repeat("u", 300))
		f.serve(t, r)
		if n := len(f.tables.log[0].UserAgent); n != 256 {
			t.Errorf("user agent of %d bytes logged, want 256", n)
		}
	})
}

func mustParse(t *testing.T, rawQuery string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
