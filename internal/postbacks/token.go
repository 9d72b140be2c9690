package postbacks

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/trackly/tune-integration/internal/secrets"
)

// NewToken returns a fresh postback token for an integration and the hash to
// store with it. The token names its integration ("<integration id>.<secret>")
// so that a postback can be checked with one read, without a scan.
func NewToken(integrationID string) (token, hash string) {
	token = integrationID + "." + secrets.Random(24)
	return token, HashToken(token)
}

// HashToken returns the hex SHA-256 of a token, which is what integrations keep.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenIntegrationID returns the integration a token names.
func TokenIntegrationID(token string) (string, bool) {
	id, secret, ok := strings.Cut(token, ".")
	return id, ok && id != "" && secret != ""
}

// TokenMatches reports, in constant time, whether token hashes to hash.
func TokenMatches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashToken(token)), []byte(hash)) == 1
}

// MaskToken hides all of a token but the integration it names.
func MaskToken(token string) string {
	if id, ok := TokenIntegrationID(token); ok {
		return id + ".****"
	}
	return "****"
}
