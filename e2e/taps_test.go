package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

// TestTapsWithHEAD checks what a tracked link answers to methods other than GET, through the
// local HTTP API as API Gateway routes them: link checkers and some SMS gateways ask with HEAD
// before (or instead of) a phone's GET.
func TestTapsWithHEAD(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})

	t.Run("HEAD answers as GET does without recording a click", func(t *testing.T) {
		link := newLink(t, s, "head")
		head := tapWith(t, s, http.MethodHead, link.URL)
		if head.StatusCode != http.StatusFound {
			t.Fatalf("HEAD: status %d, want 302 as GET", head.StatusCode)
		}
		if got := s.Report(t, "message", link.MessageID).Total.Clicks; got != 0 {
			t.Errorf("HEAD recorded a click: report clicks %d, want 0", got)
		}
		get := tapWith(t, s, http.MethodGet, link.URL)
		if get.StatusCode != http.StatusFound {
			t.Fatalf("GET: status %d, want 302", get.StatusCode)
		}
		// The report counts from the clicks' stream, in order: once the GET counts, a click of the
		// HEAD before it would have too.
		localruntest.Eventually(t, "the GET in the report", func() bool { return s.Report(t, "message", link.MessageID).Total.Clicks >= 1 })
		if got := s.Report(t, "message", link.MessageID).Total.Clicks; got != 1 {
			t.Errorf("after HEAD and GET: report clicks %d, want 1 (the GET)", got)
		}
		headTo, getTo := redirect(t, head), redirect(t, get)
		headID, getID := headTo.Query().Get("aff_sub"), getTo.Query().Get("aff_sub")
		if headID == "" || headID == getID {
			t.Errorf("HEAD's Location carries click id %q, want a fresh one as GET's (%q)", headID, getID)
		}
		headQuery, getQuery := headTo.Query(), getTo.Query()
		headQuery.Del("aff_sub")
		getQuery.Del("aff_sub")
		if headTo.Host != getTo.Host || headTo.Path != getTo.Path || headQuery.Encode() != getQuery.Encode() {
			t.Errorf("HEAD's Location %s is not GET's %s", headTo, getTo)
		}
		for _, h := range []string{"Cache-Control", "Referrer-Policy"} {
			if head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("%s: HEAD %q, GET %q", h, head.Header.Get(h), get.Header.Get(h))
			}
		}
	})

	t.Run("HEAD on an unknown link answers 404 as GET does", func(t *testing.T) {
		res := tapWith(t, s, http.MethodHead, s.Cloud.HTTPURL()+"/c/doesnotexist")
		if res.StatusCode != http.StatusNotFound || res.Header.Get("Location") != "" {
			t.Errorf("status %d, location %q, want 404 without a redirect", res.StatusCode, res.Header.Get("Location"))
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("content type %q, want GET's page", res.Header.Get("Content-Type"))
		}
	})

	t.Run("other methods answer 405 with Allow", func(t *testing.T) {
		link := newLink(t, s, "methods")
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			res := tapWith(t, s, method, link.URL)
			if res.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s: status %d, want 405", method, res.StatusCode)
			}
			if allow := res.Header.Get("Allow"); !strings.Contains(allow, http.MethodGet) || !strings.Contains(allow, http.MethodHead) {
				t.Errorf("%s: Allow %q, want GET and HEAD", method, allow)
			}
		}
		// Once a GET after them counts (the clicks' stream is counted in order), so would have any
		// click they stored.
		if res := tapWith(t, s, http.MethodGet, link.URL); res.StatusCode != http.StatusFound {
			t.Fatalf("GET: status %d, want 302", res.StatusCode)
		}
		localruntest.Eventually(t, "the GET in the report", func() bool { return s.Report(t, "message", link.MessageID).Total.Clicks >= 1 })
		if got := s.Report(t, "message", link.MessageID).Total.Clicks - 1; got != 0 {
			t.Errorf("refused methods recorded clicks: %d", got)
		}
	})
}

// tapWith sends a request with method to a tracked link as a phone's browser would, without
// following the redirect; the response's body is read and closed.
func tapWith(t *testing.T, s *localruntest.System, method, linkURL string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, linkURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", localruntest.IPhone)
	res, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, linkURL, err)
	}
	res.Body.Close()
	return res
}

// redirect parses a response's Location.
func redirect(t *testing.T, res *http.Response) *url.URL {
	t.Helper()
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || u.Host == "" {
		t.Fatalf("Location %q is not an absolute URL", res.Header.Get("Location"))
	}
	return u
}
