package clickid_test

import (
	"bytes"
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
