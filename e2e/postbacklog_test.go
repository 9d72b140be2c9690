package e2e

import (
	"net/url"
	"testing"
)

func TestAPostbackWithoutParametersIsLoggedAndListed(t *testing.T) {
	s := startSystem(t)
	a := s.postback(url.Values{})
	if a.Status != 400 && a.Status != 403 {
		t.Fatalf("postback without parameters: %d %s, want a refusal", a.Status, a.RawMessage)
	}
	var listed struct {
		Postbacks []loggedPostback `json:"postbacks"`
	}
	if ferr := s.invoke("AdminFunction", map[string]any{"action": "list_postbacks"}, &listed); ferr != "" {
		t.Fatalf("list_postbacks after a postback without parameters: %s", ferr)
	}
	if len(listed.Postbacks) != 1 || listed.Postbacks[0].Outcome != "invalid" {
		t.Errorf("postback log = %+v, want the one postback, invalid", listed.Postbacks)
	}
}
