package links_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/links"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// linkTables stands for the links, integrations and offers tables.
// CreateLink answers ErrConflict for a taken id, as the store's conditional put does.
type linkTables struct {
	links        map[string]trackly.Link
	integrations map[string]trackly.Integration
	offers       map[[2]string]trackly.Offer // by integration id, offer id

	collisions int   // the next n CreateLink calls find their id taken
	createErr  error // CreateLink fails with it
	readErr    error // GetIntegration and GetOffer fail with it
	offerErr   error // GetOffer fails with it
	attempts   []string
}

// tables returns the tables of the tests, changed by each edit that is not nil: link taken of
// account acc1; integration in_a of acc1 with offer 12, and in_b of acc2 with offer 13.
func tables(edits ...func(*linkTables)) *linkTables {
	st := &linkTables{
		links: map[string]trackly.Link{
			"taken": {LinkID: "taken", Placement: trackly.Placement{AccountID: "acc1", IntegrationID: "in_a", OfferID: "12", MessageID: "old"}},
		},
		integrations: map[string]trackly.Integration{
			"in_a": {IntegrationID: "in_a", AccountID: "acc1"},
			"in_b": {IntegrationID: "in_b", AccountID: "acc2"},
		},
		offers: map[[2]string]trackly.Offer{
			{"in_a", "12"}: {IntegrationID: "in_a", OfferID: "12", Name: "Spring sale"},
			{"in_b", "13"}: {IntegrationID: "in_b", OfferID: "13", Name: "Other account's offer"},
		},
	}
	for _, edit := range edits {
		if edit != nil {
			edit(st)
		}
	}
	return st
}

func (s *linkTables) CreateLink(_ context.Context, l trackly.Link) error {
	s.attempts = append(s.attempts, l.LinkID)
	if s.createErr != nil {
		return s.createErr
	}
	if s.collisions > 0 {
		s.collisions--
		return trackly.ErrConflict
	}
	return memtable.Create(s.links, l.LinkID, l)
}

func (s *linkTables) GetLink(_ context.Context, linkID string) (trackly.Link, error) {
	if s.readErr != nil {
		return trackly.Link{}, s.readErr
	}
	return memtable.Get(s.links, linkID)
}

func (s *linkTables) GetIntegration(_ context.Context, id string) (trackly.Integration, error) {
	if s.readErr != nil {
		return trackly.Integration{}, s.readErr
	}
	return memtable.Get(s.integrations, id)
}

func (s *linkTables) GetOffer(_ context.Context, integrationID, offerID string) (trackly.Offer, error) {
	if err := errors.Join(s.readErr, s.offerErr); err != nil {
		return trackly.Offer{}, err
	}
	return memtable.Get(s.offers, [2]string{integrationID, offerID})
}

var now = time.Date(2026, 3, 14, 21, 0, 0, 0, time.FixedZone("UTC-5", -5*3600))

func newService(st links.Store) *links.Service {
	return links.NewService(st, "https://go.trackly.example/", func() time.Time { return now })
}

func request() links.Request {
	return links.Request{AccountID: "acc1", IntegrationID: "in_a", OfferID: "12", MessageID: "sms-2026-03-14", CampaignID: "spring"}
}

func TestCreate(t *testing.T) {
	t.Run("a chosen id makes a link on the public base URL", func(t *testing.T) {
		st := tables()
		r := request()
		r.LinkID = "spring_26"
		v, err := newService(st).Create(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		want := trackly.Link{LinkID: "spring_26", Placement: trackly.Placement{AccountID: "acc1", IntegrationID: "in_a", OfferID: "12", MessageID: "sms-2026-03-14", CampaignID: "spring"}, CreatedAt: now.UTC()}
		if v.Link != want || st.links["spring_26"] != want {
			t.Errorf("view %+v, stored %+v; want %+v", v.Link, st.links["spring_26"], want)
		}
		if v.CreatedAt.Location() != time.UTC {
			t.Errorf("created at %v, want UTC", v.CreatedAt)
		}
		if v.URL != "https://go.trackly.example/c/spring_26" || v.OfferName != "Spring sale" {
			t.Errorf("url %q, offer name %q", v.URL, v.OfferName)
		}
	})

	t.Run("without an id, a short random one a link URL accepts", func(t *testing.T) {
		st := tables()
		svc := newService(st)
		a, err := svc.Create(context.Background(), request())
		if err != nil {
			t.Fatal(err)
		}
		b, err := svc.Create(context.Background(), request())
		if err != nil {
			t.Fatal(err)
		}
		short := regexp.MustCompile(`^[0-9A-Za-z]{10}$`)
		if !short.MatchString(a.LinkID) || !short.MatchString(b.LinkID) || a.LinkID == b.LinkID {
			t.Errorf("ids %q and %q, want two different 10-character ids", a.LinkID, b.LinkID)
		}
		if a.URL != "https://go.trackly.example/c/"+a.LinkID {
			t.Errorf("url %q", a.URL)
		}
	})

	t.Run("a random id that is taken is drawn again", func(t *testing.T) {
		st := tables()
		st.collisions = 2
		v, err := newService(st).Create(context.Background(), request())
		if err != nil {
			t.Fatal(err)
		}
		if len(st.attempts) != 3 || st.attempts[0] == st.attempts[1] || st.attempts[2] != v.LinkID {
			t.Errorf("attempts %v, link %q; want three different ids, the last one kept", st.attempts, v.LinkID)
		}
	})

	t.Run("three taken random ids are a failure, not the caller's fault", func(t *testing.T) {
		st := tables()
		st.collisions = 3
		_, err := newService(st).Create(context.Background(), request())
		if err == nil || !errors.Is(err, trackly.ErrConflict) {
			t.Fatalf("error %v, want a conflict", err)
		}
		if _, ok := validate.AsFieldError(err); ok {
			t.Errorf("a run of collisions is blamed on a field: %v", err)
		}
	})
}

func TestCreateValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *links.Request)
		field string
		says  string
	}{
		{"account is required", func(r *links.Request) { r.AccountID = "" }, "account_id", "required"},
		{"integration is required", func(r *links.Request) { r.IntegrationID = "" }, "integration_id", "required"},
		{"offer is required", func(r *links.Request) { r.OfferID = "" }, "offer_id", "required"},
		{"message is required", func(r *links.Request) { r.MessageID = "" }, "message_id", "required"},
		{"an account id with a space", func(r *links.Request) { r.AccountID = "acc 1" }, "account_id", "letters, digits"},
		{"a message id with a slash", func(r *links.Request) { r.MessageID = "sms/1" }, "message_id", "letters, digits"},
		{"a message id of 129 characters", func(r *links.Request) { r.MessageID = strings.Repeat("m", 129) }, "message_id", "1 to 128"},
		{"a campaign id with a space", func(r *links.Request) { r.CampaignID = "spring sale" }, "campaign_id", "letters, digits"},
		{"a link id with a dot", func(r *links.Request) { r.LinkID = "spring.26" }, "link_id", "1 to 30"},
		{"a link id of 31 characters", func(r *links.Request) { r.LinkID = strings.Repeat("l", 31) }, "link_id", "1 to 30"},
		{"a link id with a slash", func(r *links.Request) { r.LinkID = "a/b" }, "link_id", "1 to 30"},
		{"an integration that does not exist", func(r *links.Request) { r.IntegrationID = "in_zz" }, "integration_id", `no integration "in_zz"`},
		{"another account's integration", func(r *links.Request) { r.IntegrationID, r.OfferID = "in_b", "13" }, "integration_id", `account "acc1" has no integration "in_b"`},
		{"an offer not imported into the integration", func(r *links.Request) { r.OfferID = "13" }, "offer_id", "import it first"},
		{"a chosen id that is taken", func(r *links.Request) { r.LinkID = "taken" }, "link_id", "taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tables()
			r := request()
			tt.edit(&r)
			_, err := newService(st).Create(context.Background(), r)
			fe, ok := validate.AsFieldError(err)
			if !ok || fe.Field != tt.field || !strings.Contains(fe.Message, tt.says) {
				t.Fatalf("error %v, want a field error naming %s that says %q", err, tt.field, tt.says)
			}
			if len(st.links) != 1 || st.links["taken"].MessageID != "old" {
				t.Errorf("links changed by a refused request: %v", st.links)
			}
		})
	}

	valid := []struct {
		name string
		edit func(r *links.Request)
	}{
		{"a link id of 30 characters", func(r *links.Request) { r.LinkID = strings.Repeat("l", 30) }},
		{"a link id of one character", func(r *links.Request) { r.LinkID = "x" }},
		{"a link id with - and _", func(r *links.Request) { r.LinkID = "a-b_C9" }},
		{"ids with . _ : -", func(r *links.Request) { r.MessageID, r.CampaignID = "sms.2026:03_14-a", "c.1:2_3-4" }},
		{"a message id of 128 characters", func(r *links.Request) { r.MessageID = strings.Repeat("m", 128) }},
		{"no campaign", func(r *links.Request) { r.CampaignID = "" }},
	}
	for _, tt := range valid {
		t.Run(tt.name+" is accepted", func(t *testing.T) {
			r := request()
			tt.edit(&r)
			if _, err := newService(tables()).Create(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		})
	}

	failures := []struct {
		name  string
		setup func(st *linkTables)
	}{
		{"the integration cannot be read", func(st *linkTables) { st.readErr = errors.New("throttled") }},
		{"the offer cannot be read", func(st *linkTables) { st.offerErr = errors.New("throttled") }},
		{"the link cannot be written", func(st *linkTables) { st.createErr = errors.New("throttled") }},
	}
	for _, tt := range failures {
		t.Run(tt.name+" is a failure, not a field error", func(t *testing.T) {
			st := tables(tt.setup)
			r := request()
			r.LinkID = "new_link"
			_, err := newService(st).Create(context.Background(), r)
			if err == nil {
				t.Fatal("no error")
			}
			if fe, ok := validate.AsFieldError(err); ok {
				t.Errorf("storage failure reported as the caller's fault: %v", fe)
			}
		})
	}
}

func TestGet(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(st *linkTables)
		linkID    string
		field     string // the field a refusal names
		offerName string
		failure   bool // a storage failure, not a field error
	}{
		{name: "a link with its URL and offer name", linkID: "taken", offerName: "Spring sale"},
		{name: "a link whose offer is gone has no offer name", setup: func(st *linkTables) { delete(st.offers, [2]string{"in_a", "12"}) }, linkID: "taken"},
		{name: "a link that does not exist", linkID: "nope", field: "link_id"},
		{name: "a link that cannot be read", setup: func(st *linkTables) { st.readErr = errors.New("throttled") }, linkID: "taken", failure: true},
		{name: "an offer that cannot be read", setup: func(st *linkTables) { st.offerErr = errors.New("throttled") }, linkID: "taken", failure: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tables(tt.setup)
			v, err := newService(st).Get(context.Background(), tt.linkID)
			fe, isField := validate.AsFieldError(err)
			switch {
			case tt.failure:
				if err == nil || isField {
					t.Fatalf("error %v, want a storage failure", err)
				}
			case tt.field != "":
				if !isField || fe.Field != tt.field {
					t.Fatalf("error %v, want a field error naming %s", err, tt.field)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if v.Link != st.links[tt.linkID] || v.URL != "https://go.trackly.example/c/"+tt.linkID || v.OfferName != tt.offerName {
					t.Errorf("view %+v, want the stored link, its URL and offer name %q", v, tt.offerName)
				}
			}
		})
	}
}
