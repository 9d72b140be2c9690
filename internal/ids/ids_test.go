package ids_test

import (
	"encoding/base64"
	"regexp"
	"testing"

	"github.com/trackly/tune-integration/internal/ids"
)

func TestNewIsPrefixedAlphanumeric(t *testing.T) {
	id := ids.New("in_", 12)
	if !regexp.MustCompile(`^in_[0-9A-Za-z]{12}$`).MatchString(id) {
		t.Errorf("New = %q, want in_ and 12 letters or digits", id)
	}
	if id == ids.New("in_", 12) {
		t.Error("two ids are equal")
	}
}

func TestSecretIsBase64URLOfNBytes(t *testing.T) {
	s := ids.Secret(24)
	if b, err := base64.RawURLEncoding.DecodeString(s); err != nil || len(b) != 24 {
		t.Errorf("Secret(24) = %q decodes to %d bytes (%v), want 24", s, len(b), err)
	}
	if s == ids.Secret(24) {
		t.Error("two secrets are equal")
	}
}
