package postbacks_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/trackly"
)

// failingVerifier checks no click id: every Verify fails with err.
type failingVerifier struct{ err error }

func (v failingVerifier) Verify(string) (string, error) { return "", v.err }

// A postback whose click id cannot be checked, because the click signing key cannot be loaded, is
// answered 503 for TUNE to retry and logged failed; only a click id that is really forged is
// rejected with 403.
func TestPostbackWhoseClickIDCannotBeChecked(t *testing.T) {
	query := "click_id=" + url.QueryEscape(clickOn("lnk1")) + "&conversion_id=tx1"
	for _, tc := range []struct {
		name        string
		err         error
		wantStatus  int
		wantOutcome trackly.PostbackOutcome
		wantError   string
	}{
		{"the signing key cannot be loaded: 503, retryable", errors.New("click signing key: parameter store throttled"),
			http.StatusServiceUnavailable, trackly.PostbackFailed, "unavailable"},
		{"the click id is forged: 403", fmt.Errorf("verify: %w", clickid.ErrForged),
			http.StatusForbidden, trackly.PostbackRejected, clickid.ErrForged.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			f.h = postbacks.NewHandler(f.queue, f.tables, failingVerifier{tc.err}, slog.New(slog.DiscardHandler), func() time.Time { return f.clock })
			w, a := f.serve(t, get(query))
			if w.Code != tc.wantStatus || a.Status != tc.wantOutcome || !strings.Contains(a.Error, tc.wantError) {
				t.Errorf("status %d, answer %+v; want %d %s saying %q", w.Code, a, tc.wantStatus, tc.wantOutcome, tc.wantError)
			}
			if retry := w.Header().Get("Retry-After") != ""; retry != (tc.wantStatus == http.StatusServiceUnavailable) {
				t.Errorf("Retry-After %q with status %d; want one with 503 only", w.Header().Get("Retry-After"), w.Code)
			}
			if len(f.tables.log) != 1 || f.tables.log[0].Outcome != tc.wantOutcome || f.tables.log[0].HTTPStatus != tc.wantStatus {
				t.Errorf("log %+v, want one entry %s with status %d", f.tables.log, tc.wantOutcome, tc.wantStatus)
			}
			if len(f.queue.bodies) != 0 || f.tables.linkReads != 0 {
				t.Errorf("%d queued, %d link reads; want none: the click id was not checked", len(f.queue.bodies), f.tables.linkReads)
			}
		})
	}
}
