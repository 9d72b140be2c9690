// Package secrets keeps the product's secrets (TUNE API keys, postback tokens,
// the click signing key): in AWS as SSM Parameter Store SecureStrings, locally
// as files of mode 0600 under the local data directory. Secret values are never
// logged and never part of an error message.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/trackly/tune-integration/internal/ids"
)

// ErrNotFound is returned when a secret does not exist.
var ErrNotFound = errors.New("secret not found")

// ErrExists is returned by Create when the secret already exists.
var ErrExists = errors.New("secret already exists")

// Backend stores secret values by name. Names are relative ("click-signing-key",
// "integrations/in_x/api-key"); a backend adds its own prefix.
type Backend interface {
	Get(ctx context.Context, name string) (string, error)
	// Put creates or replaces a secret.
	Put(ctx context.Context, name, value string) error
	// Create stores a secret only if it does not exist yet, returning ErrExists otherwise.
	Create(ctx context.Context, name, value string) error
	// Delete removes a secret; removing one that does not exist is not an error.
	Delete(ctx context.Context, name string) error
}

// Store reads secrets through a Backend and caches them for the life of the
// execution environment, as Lambda functions should. A secret that changes
// (an API key, a postback token) is stored under a new name each time, so a
// cached value is never stale.
type Store struct {
	backend Backend
	mu      sync.Mutex
	cache   map[string]string
}

// NewStore returns a caching Store over backend.
func NewStore(backend Backend) *Store {
	return &Store{backend: backend, cache: map[string]string{}}
}

// Get returns the named secret, from the cache when it was read before.
func (s *Store) Get(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	v, ok := s.cache[name]
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := s.backend.Get(ctx, name)
	if err != nil {
		return "", err
	}
	s.remember(name, v)
	return v, nil
}

// Put stores the named secret and updates the cache.
func (s *Store) Put(ctx context.Context, name, value string) error {
	if err := s.backend.Put(ctx, name, value); err != nil {
		return err
	}
	s.remember(name, value)
	return nil
}

// Delete removes the named secret and forgets it.
func (s *Store) Delete(ctx context.Context, name string) error {
	s.mu.Lock()
	delete(s.cache, name)
	s.mu.Unlock()
	return s.backend.Delete(ctx, name)
}

// GetOrCreate returns the named secret, creating it with a random value of
// n bytes (base64url) when it does not exist. Concurrent creators agree on one value.
func (s *Store) GetOrCreate(ctx context.Context, name string, n int) (string, error) {
	v, err := s.Get(ctx, name)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return v, err
	}
	fresh := ids.Secret(n)
	switch err := s.backend.Create(ctx, name, fresh); {
	case err == nil:
		s.remember(name, fresh)
		return fresh, nil
	case errors.Is(err, ErrExists):
		return s.Get(ctx, name)
	default:
		return "", err
	}
}

func (s *Store) remember(name, value string) {
	s.mu.Lock()
	s.cache[name] = value
	s.mu.Unlock()
}

func notFound(name string) error { return fmt.Errorf("%w: %s", ErrNotFound, name) }
