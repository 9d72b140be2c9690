package postbacktoken_test

import (
	"strings"
	"testing"

	"github.com/trackly/tune-integration/internal/postbacktoken"
)

func TestTokens(t *testing.T) {
	token, hash := postbacktoken.New("in_abc")
	other, _ := postbacktoken.New("in_abc")
	if token == other {
		t.Fatal("two tokens are equal")
	}
	if id, ok := postbacktoken.IntegrationID(token); !ok || id != "in_abc" {
		t.Errorf("IntegrationID(%q) = %q, %v", token, id, ok)
	}
	if !postbacktoken.Matches(token, hash) || postbacktoken.Matches(other, hash) || postbacktoken.Matches("", hash) {
		t.Error("Matches accepts the wrong token or refuses the right one")
	}
	if masked := postbacktoken.Mask(token); masked != "in_abc.****" || strings.Contains(masked, strings.TrimPrefix(token, "in_abc.")) {
		t.Errorf("Mask = %q", masked)
	}
	for _, bad := range []string{"", "nodot", ".secret", "in_abc."} {
		if _, ok := postbacktoken.IntegrationID(bad); ok {
			t.Errorf("IntegrationID(%q) accepted", bad)
		}
		if postbacktoken.Mask(bad) != "****" {
			t.Errorf("Mask(%q) = %q", bad, postbacktoken.Mask(bad))
		}
	}
}
