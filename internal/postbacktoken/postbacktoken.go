// Package postbacktoken makes and checks the tokens that authenticate TUNE's
// postbacks. A token names its integration ("<integration id>.<secret>") so
// that a postback can be checked with one read, without a scan; integrations
// keep only its hash.
package postbacktoken

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/trackly/tune-integration/internal/ids"
)

// New returns a fresh postback token for an integration and the hash to store with it.
func New(integrationID string) (token, hash string) {
	token = integrationID + "." + ids.Secret(24)
	return token, hashOf(token)
}

// hashOf returns the hex SHA-256 of a token, which is what integrations keep.
func hashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IntegrationID returns the integration a token names.
func IntegrationID(token string) (string, bool) {
	id, secret, ok := strings.Cut(token, ".")
	return id, ok && id != "" && secret != ""
}

// Matches reports, in constant time, whether token hashes to hash.
func Matches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(hashOf(token)), []byte(hash)) == 1
}

// Mask hides all of a token but the integration it names.
func Mask(token string) string {
	if id, ok := IntegrationID(token); ok {
		return id + ".****"
	}
	return "****"
}
