package postbacks

import (
	"sync"
	"time"
)

// cacheSize bounds how many links, and how many integrations, a handler keeps.
const cacheSize = 4096

// IntegrationTTL is how long a handler keeps an integration it read: a
// rotated-out postback token is accepted for at most this long, and a token
// newly required is required after at most this long. A handler refuses only
// on what it has just read, so a new token and a requirement lifted take effect
// at once. Links never change integration, so they are kept for good.
const IntegrationTTL = time.Minute

// cache keeps records read from a table, each for ttl (for good when ttl is
// 0), at most cacheSize of them. It is safe for concurrent use.
type cache[V any] struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]cached[V]
}

type cached[V any] struct {
	v     V
	until time.Time // zero: kept for good
}

func newCache[V any](ttl time.Duration) *cache[V] {
	return &cache[V]{ttl: ttl, entries: map[string]cached[V]{}}
}

// get returns the record kept under key, if it is kept and not expired at now.
func (c *cache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || (!e.until.IsZero() && !now.Before(e.until)) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put keeps v under key from now on. When the cache is full it first drops
// the expired records and, if that is not enough, one record at random.
func (c *cache[V]) put(key string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= cacheSize {
		for k, e := range c.entries {
			if !e.until.IsZero() && !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < cacheSize {
				break
			}
			delete(c.entries, k)
		}
	}
	e := cached[V]{v: v}
	if c.ttl > 0 {
		e.until = now.Add(c.ttl)
	}
	c.entries[key] = e
}

// forget drops the record kept under key.
func (c *cache[V]) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
