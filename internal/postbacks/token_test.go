package postbacks_test

import (
	"strings"
	"testing"

	"github.com/trackly/tune-integration/internal/postbacks"
)

func TestTokens(t *testing.T) {
	token, hash := postbacks.NewToken("in_abc")
	other, _ := postbacks.NewToken("in_abc")
	if token == other {
		t.Fatal("two tokens are equal")
	}
	if id, ok := postbacks.TokenIntegrationID(token); !ok || id != "in_abc" {
		t.Errorf("TokenIntegrationID(%q) = %q, %v", token, id, ok)
	}
	if !postbacks.TokenMatches(token, hash) || postbacks.TokenMatches(other, hash) || postbacks.TokenMatches("", hash) {
		t.Error("TokenMatches accepts the wrong token or refuses the right one")
	}
	if masked := postbacks.MaskToken(token); masked != "in_abc.****" || strings.Contains(masked, strings.TrimPrefix(token, "in_abc.")) {
		t.Errorf("MaskToken = %q", masked)
	}
	for _, bad := range []string{"", "nodot", ".secret", "in_abc."} {
		if _, ok := postbacks.TokenIntegrationID(bad); ok {
			t.Errorf("TokenIntegrationID(%q) accepted", bad)
		}
		if postbacks.MaskToken(bad) != "****" {
			t.Errorf("MaskToken(%q) = %q", bad, postbacks.MaskToken(bad))
		}
	}
}
