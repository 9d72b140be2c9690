package clicks_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/clicks"
	"github.com/trackly/tune-integration/internal/trackly"
)

// tables is an in-memory clicks.Store holding one link, its integration and its offer.
type tables struct {
	mu     sync.Mutex
	links  map[string]trackly.Link
	ins    map[string]trackly.Integration
	offers map[string]trackly.Offer
	clicks []trackly.Click
	// recordErr, if set, is what RecordClick answers after storing the click.
	recordErr error
}

func newTables() *tables {
	placement := trackly.Placement{AccountID: "acct", IntegrationID: "in_1", OfferID: "7", MessageID: "sms-1"}
	return &tables{
		links: map[string]trackly.Link{"lnk": {LinkID: "lnk", Placement: placement}},
		ins:   map[string]trackly.Integration{"in_1": {IntegrationID: "in_1", AccountID: "acct"}},
		offers: map[string]trackly.Offer{"in_1/7": {IntegrationID: "in_1", OfferID: "7",
			TrackingURL: "https://demo.go2cloud.org/aff_c?offer_id=7&aff_id=1"}},
	}
}

func (s *tables) GetLink(_ context.Context, linkID string) (trackly.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return memtable.Get(s.links, linkID)
}

func (s *tables) GetIntegration(_ context.Context, integrationID string) (trackly.Integration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return memtable.Get(s.ins, integrationID)
}

func (s *tables) GetOffer(_ context.Context, integrationID, offerID string) (trackly.Offer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return memtable.Get(s.offers, integrationID+"/"+offerID)
}

func (s *tables) RecordClick(_ context.Context, c trackly.Click) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clicks = append(s.clicks, c)
	return s.recordErr
}

func (s *tables) recorded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clicks)
}

// issuer issues numbered click ids.
type issuer struct{ n int }

func (i *issuer) New(linkID string) (string, error) {
	i.n++
	return fmt.Sprintf("%s.id%d", linkID, i.n), nil
}

func serve(h http.Handler, method, path string) *http.Response {
	req := httptest.NewRequest(method, path, nil)
	req.SetPathValue("link_id", "lnk")
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

func TestHEADRedirectsWithoutRecordingAClick(t *testing.T) {
	st := newTables()
	h := clicks.NewHandler(st, &issuer{}, 30, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)

	head := serve(h, http.MethodHead, "/c/lnk")
	if head.StatusCode != http.StatusFound {
		t.Fatalf("HEAD: status %d, want 302", head.StatusCode)
	}
	if want := "https://demo.go2cloud.org/aff_c?offer_id=7&aff_id=1&aff_sub=lnk.id1"; head.Header.Get("Location") != want {
		t.Errorf("HEAD: Location %q, want %q", head.Header.Get("Location"), want)
	}
	if n := st.recorded(); n != 0 {
		t.Errorf("HEAD recorded %d clicks, want none", n)
	}

	get := serve(h, http.MethodGet, "/c/lnk")
	if get.StatusCode != http.StatusFound || get.Header.Get("Location") == "" {
		t.Fatalf("GET: status %d, Location %q", get.StatusCode, get.Header.Get("Location"))
	}
	if n := st.recorded(); n != 1 {
		t.Errorf("GET recorded %d clicks, want 1", n)
	}
}

// A click write answered with a conflict is this tap's own click, stored by an attempt whose answer
// was lost: the tap is not reported as a lost click. Any other failure is.
func TestAClickStoredByALostAnswerIsNotReportedLost(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		reported bool
	}{
		{"conflict", fmt.Errorf("record click: %w", trackly.ErrConflict), false},
		{"failure", errors.New("record click: InternalServerError"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newTables()
			st.recordErr = tc.err
			var logs bytes.Buffer
			h := clicks.NewHandler(st, &issuer{}, 30, slog.New(slog.NewTextHandler(&logs, nil)), time.Now)
			if res := serve(h, http.MethodGet, "/c/lnk"); res.StatusCode != http.StatusFound {
				t.Fatalf("status %d, want 302", res.StatusCode)
			}
			if reported := strings.Contains(logs.String(), "record click failed"); reported != tc.reported {
				t.Errorf("reported as a lost click: %v, want %v; logs:\n%s", reported, tc.reported, logs.String())
			}
		})
	}
}
