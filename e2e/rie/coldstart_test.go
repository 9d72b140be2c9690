package rie_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// ssmGate stands in front of the SSM emulator and decides what each request gets: held until the
// gate changes, refused (AccessDeniedException, which the SDK does not retry), or passed on.
type ssmGate struct {
	next http.Handler

	mu      sync.Mutex
	mode    string        // "hold", "deny" or "pass"
	changed chan struct{} // closed when mode changes
}

func newSSMGate(next http.Handler, mode string) *ssmGate {
	return &ssmGate{next: next, mode: mode, changed: make(chan struct{})}
}

func (g *ssmGate) set(mode string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.mode = mode
	close(g.changed)
	g.changed = make(chan struct{})
}

func (g *ssmGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for {
		g.mu.Lock()
		mode, changed := g.mode, g.changed
		g.mu.Unlock()
		switch mode {
		case "deny":
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"AccessDeniedException","message":"the gate refuses"}`))
			return
		case "pass":
			g.next.ServeHTTP(w, r)
			return
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
	}
}

// gatedParameterStore starts function's bootstrap again under a name of its own, its Parameter
// Store behind a gate that holds every request until the test sets it otherwise.
func (w *world) gatedParameterStore(t *testing.T, function string) (gate *ssmGate, gated string) {
	t.Helper()
	gate = newSSMGate(w.ssm, "hold")
	ssm := httptest.NewServer(gate)
	t.Cleanup(ssm.Close)
	t.Cleanup(func() { gate.set("pass") }) // before the server closes: no request stays held
	env := maps.Clone(w.env[function])
	env["AWS_ENDPOINT_URL_SSM"] = ssm.URL
	gated = function + " (Parameter Store gated)"
	w.functions[gated] = startEmulator(t, w.rie, w.bootstraps[function], function, env, w.sys.Cloud.Template().Functions[function].Timeout)
	t.Cleanup(func() { delete(w.functions, gated) })
	return gate, gated
}

// postbackSigningKeyOffInit does for PostbackFunction what clickSigningKeyOffInit does for
// ClickFunction: a postback that needs no key (refused for a missing field) is answered while
// Parameter Store holds every request; a postback with a genuine click id while Parameter Store
// refuses gets 503, for TUNE to send again, never 403 (its click id was not judged); and once
// Parameter Store answers, the same postback is accepted.
func (w *world) postbackSigningKeyOffInit(t *testing.T, clickID string) {
	gate, gated := w.gatedParameterStore(t, "PostbackFunction")
	if res := w.httpAnswer(t, gated, sample(t, "postback-invalid.json")); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("an invalid postback, Parameter Store holding every request: status %d, want 400: %s", res.StatusCode, res.Body)
	}

	gate.set("deny")
	ev := sample(t, "postback-get.json")
	setQuery(t, ev, map[string]string{"click_id": clickID, "token": w.sys.PostbackToken(t), "conversion_id": "rie-off-init"})
	if res := w.httpAnswer(t, gated, ev); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a genuine postback while Parameter Store refuses: status %d, want 503: %s", res.StatusCode, res.Body)
	}

	gate.set("pass")
	if res := w.httpAnswer(t, gated, ev); res.StatusCode != http.StatusOK {
		t.Errorf("the same postback once Parameter Store answers: status %d, want 200: %s", res.StatusCode, res.Body)
	}
}

// clickSigningKeyOffInit starts ClickFunction's bootstrap again, its Parameter Store behind a gate,
// and checks that its init does not wait for the click signing key: an invocation that needs no
// key is answered while Parameter Store holds every request; a tap while Parameter Store refuses
// gets the error page, not a crashed instance; and the next tap, Parameter Store back, is
// redirected with a click id.
func (w *world) clickSigningKeyOffInit(t *testing.T) {
	gate, gated := w.gatedParameterStore(t, "ClickFunction")
	ev := sample(t, "click-get.json")
	ev["rawPath"] = "/c/not.a.link"
	ev["pathParameters"] = map[string]any{"link_id": "not.a.link"}
	ev["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = "/c/not.a.link"
	if res := w.httpAnswer(t, gated, ev); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a link id no link can have, Parameter Store holding every request: status %d, want the 404 page: %s", res.StatusCode, res.Body)
	}

	gate.set("deny")
	res := w.httpAnswer(t, gated, sample(t, "click-get.json"))
	if res.StatusCode < 500 || header(res, "Location") != "" {
		t.Errorf("a tap while Parameter Store refuses: status %d, Location %q; want an error page, no redirect", res.StatusCode, header(res, "Location"))
	}

	gate.set("pass")
	res = w.httpAnswer(t, gated, sample(t, "click-get.json"))
	loc, err := url.Parse(header(res, "Location"))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc.Query().Get("aff_sub"), w.sys.Demo.LinkID+".") {
		t.Errorf("a tap once Parameter Store answers: status %d, Location %q; want a redirect with a click id", res.StatusCode, loc)
	}
}
