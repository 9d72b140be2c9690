// Package clickid issues and verifies click ids. A click id names the link it
// was issued for and carries an HMAC signature, so a postback's click id can be
// proven to come from this system without a lookup, and a conversion whose click
// has expired can still be traced to its link.
package clickid

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MaxLength is the longest click id this package issues.
const MaxLength = 64

// MinKeyLength is the shortest signing key accepted.
const MinKeyLength = 32

// ErrForged is returned for a click id this system did not issue.
var ErrForged = errors.New("click id was not issued by Trackly (bad signature or format)")

const (
	// encodedLength is the length of the random part and of the signature.
	encodedLength = 16
	randomBytes   = 12 // encodedLength base64url characters
	macBytes      = 12 // encodedLength base64url characters
	maxLinkID     = MaxLength - 2 - 2*encodedLength
)

var b64 = base64.RawURLEncoding

// Signer issues and verifies click ids with one secret key.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for key, which must be at least MinKeyLength bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinKeyLength {
		return nil, fmt.Errorf("clickid: signing key has %d bytes, need at least %d", len(key), MinKeyLength)
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// New issues a fresh click id for linkID: "<link id>.<random>.<signature>".
func (s *Signer) New(linkID string) (string, error) {
	if linkID == "" || len(linkID) > maxLinkID || strings.ContainsAny(linkID, ".") {
		return "", fmt.Errorf("clickid: link id %q must be 1 to %d characters without dots", linkID, maxLinkID)
	}
	r := make([]byte, randomBytes)
	rand.Read(r) // crypto/rand.Read never returns an error.
	body := linkID + "." + b64.EncodeToString(r)
	return body + "." + b64.EncodeToString(s.mac(body)), nil
}

// Verify checks that id was issued by this Signer and returns the link id it
// names. Only the exact string New issued verifies: the random part and the
// signature must each be 16 characters of the unpadded base64url alphabet, and
// the signature is compared as encoded, so that no other spelling of the same
// bytes (a CR or LF inserted, which base64 decoders skip) passes as that click.
func (s *Signer) Verify(id string) (linkID string, err error) {
	if len(id) > MaxLength {
		return "", ErrForged
	}
	linkID, rest, ok := strings.Cut(id, ".")
	if !ok || linkID == "" {
		return "", ErrForged
	}
	random, sig, ok := strings.Cut(rest, ".")
	if !ok || !canonical(random) || !canonical(sig) {
		return "", ErrForged
	}
	want := b64.EncodeToString(s.mac(linkID + "." + random))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "", ErrForged
	}
	return linkID, nil
}

// canonical reports whether part is encodedLength characters of the unpadded
// base64url alphabet, as New writes the random part and the signature. Both
// encode a whole number of 3-byte groups, so no spare bits can differ.
func canonical(part string) bool {
	if len(part) != encodedLength {
		return false
	}
	for _, c := range []byte(part) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Signer) mac(body string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(body))
	return h.Sum(nil)[:macBytes]
}
