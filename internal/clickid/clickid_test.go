package clickid_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/internal/clickid"
)

func newSigner(t *testing.T, seed byte) *clickid.Signer {
	t.Helper()
	s, err := clickid.NewSigner(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssuedIDsVerifyAndNameTheirLink(t *testing.T) {
	s := newSigner(t, 1)
	seen := map[string]bool{}
	for range 1000 {
		id, err := s.New("lnk_AbC123xyz")
		if err != nil {
			t.Fatal(err)
		}
		if len(id) > clickid.MaxLength {
			t.Fatalf("id %q is %d characters", id, len(id))
		}
		if url.QueryEscape(id) != id {
			t.Fatalf("id %q is not URL-safe", id)
		}
		if seen[id] {
			t.Fatalf("id %q issued twice", id)
		}
		seen[id] = true
		link, err := s.Verify(id)
		if err != nil || link != "lnk_AbC123xyz" {
			t.Fatalf("Verify(%q) = %q, %v", id, link, err)
		}
	}
}

func TestForgedIDsAreRefused(t *testing.T) {
	s := newSigner(t, 1)
	id, err := s.New("lnk_1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := newSigner(t, 2).New("lnk_1")
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(id, "lnk_1", "lnk_2", 1)
	for _, forged := range []string{"", "abc", "a.b.c", tampered, other, id + "x", strings.Repeat("a", 70), "{aff_sub}"} {
		if _, err := s.Verify(forged); !errors.Is(err, clickid.ErrForged) {
			t.Errorf("Verify(%q) error = %v, want ErrForged", forged, err)
		}
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	if _, err := clickid.NewSigner([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
	s := newSigner(t, 1)
	for _, link := range []string{"", "a.b", strings.Repeat("x", 40)} {
		if _, err := s.New(link); err == nil {
			t.Errorf("New(%q) accepted", link)
		}
	}
}

// Only the exact encoding a Signer issues verifies: base64 decoders skip CR and
// LF, so a click id with one inserted would otherwise verify as another string
// than the one issued, and become another conversion's click.
func TestOnlyTheCanonicalEncodingVerifies(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	s := newSigner(t, 1)
	id, err := s.New("lnk_1")
	if err != nil {
		t.Fatal(err)
	}
	sigAt := strings.LastIndexByte(id, '.') + 1
	randomAt := strings.IndexByte(id, '.') + 1
	// signed returns "<link id>.<random>.<signature of both>", signed with s's key.
	signed := func(linkID, random string) string {
		body := linkID + "." + random
		h := hmac.New(sha256.New, key)
		h.Write([]byte(body))
		return body + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
	}
	if got := signed("lnk_1", id[randomAt:sigAt-1]); got != id {
		t.Fatalf("the test signs %q, the signer issued %q", got, id)
	}
	tests := map[string]string{
		"a CR in the signature":             id[:sigAt+5] + "\r" + id[sigAt+5:],
		"an LF in the signature":            id[:sigAt+5] + "\n" + id[sigAt+5:],
		"CR LF ending the signature":        id + "\r\n",
		"an LF starting the signature":      id[:sigAt] + "\n" + id[sigAt:],
		"padding after the signature":       id + "==",
		"a signed random part with an LF":   signed("lnk_1", "AAAAAAAA\nAAAAAAA"),
		"a signed random part too short":    signed("lnk_1", "AAAAAAAAAAAAAAA"),
		"a signed random part too long":     signed("lnk_1", "AAAAAAAAAAAAAAAAA"),
		"a signed random part with padding": signed("lnk_1", "AAAAAAAAAAAAAA=="),
		"a signed random part of base64 +/": signed("lnk_1", "AAAAAAAAAAAAAA+/"),
		"a signed id with two random parts": signed("lnk_1", "AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA"),
		"a signed id without a link":        signed("", "AAAAAAAAAAAAAAAA"),
	}
	for name, forged := range tests {
		t.Run(name, func(t *testing.T) {
			if link, err := s.Verify(forged); !errors.Is(err, clickid.ErrForged) {
				t.Errorf("Verify(%q) = %q, %v; want ErrForged", forged, link, err)
			}
		})
	}
	t.Run("the issued id itself verifies", func(t *testing.T) {
		if link, err := s.Verify(id); err != nil || link != "lnk_1" {
			t.Errorf("Verify(%q) = %q, %v", id, link, err)
		}
	})
}
