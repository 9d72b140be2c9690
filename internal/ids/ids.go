// Package ids makes random identifiers and secret values that are unique,
// URL-safe and unguessable.
package ids

import (
	"crypto/rand"
	"encoding/base64"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// New returns prefix followed by n random characters from [0-9A-Za-z].
// Twelve characters carry about 71 bits of randomness.
func New(prefix string, n int) string {
	b := make([]byte, n)
	out := make([]byte, 0, len(prefix)+n)
	out = append(out, prefix...)
	for len(out) < len(prefix)+n {
		rand.Read(b) // crypto/rand.Read never returns an error.
		for _, c := range b {
			// 62*4 = 248: rejecting bytes >= 248 keeps the choice uniform.
			if c < 248 && len(out) < len(prefix)+n {
				out = append(out, alphabet[c%62])
			}
		}
	}
	return string(out)
}

// Secret returns n random bytes encoded as unpadded base64url: the value of
// a token or a key.
func Secret(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(b)
}
