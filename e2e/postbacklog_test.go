package e2e

import (
	"net/url"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/trackly"
)

func TestAPostbackWithoutParametersIsLoggedAndListed(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	a := s.Postback(t, url.Values{})
	if a.Status != 400 && a.Status != 403 {
		t.Fatalf("postback without parameters: %d %s, want a refusal", a.Status, a.Raw)
	}
	var listed struct {
		Postbacks []trackly.PostbackLogEntry `json:"postbacks"`
	}
	if ferr := s.Invoke(t, "AdminFunction", map[string]any{"action": "list_postbacks"}, &listed); ferr != "" {
		t.Fatalf("list_postbacks after a postback without parameters: %s", ferr)
	}
	if len(listed.Postbacks) != 1 || listed.Postbacks[0].Outcome != "invalid" {
		t.Errorf("postback log = %+v, want the one postback, invalid", listed.Postbacks)
	}
}
