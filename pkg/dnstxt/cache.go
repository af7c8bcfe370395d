package dnstxt

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache keeps the answers of a Resolver for their TTL, bounded by MinTTL
// and MaxTTL, and makes one lookup at a time per name. Failures are not
// cached. It is safe for concurrent use.
type Cache struct {
	// Resolver answers misses.
	Resolver Resolver
	// MinTTL and MaxTTL bound how long an answer is kept (defaults 30s
	// and 1h). MaxEntries bounds the cache (default 10000; when full, the
	// cache is emptied).
	MinTTL, MaxTTL time.Duration
	MaxEntries     int
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
	group   singleflight.Group
}

type cacheEntry struct {
	a       Answer
	expires time.Time
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// LookupTXT implements Resolver.
func (c *Cache) LookupTXT(ctx context.Context, name string) (Answer, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		a := e.a
		a.Cached = true
		a.TTL = e.expires.Sub(now)
		return a, nil
	}
	v, err, _ := c.group.Do(name, func() (any, error) {
		a, err := c.Resolver.LookupTXT(ctx, name)
		if err != nil {
			return Answer{}, err
		}
		c.store(name, a)
		return a, nil
	})
	if err != nil {
		return Answer{}, err
	}
	return v.(Answer), nil
}

func (c *Cache) store(name string, a Answer) {
	lo, hi, limit := c.MinTTL, c.MaxTTL, c.MaxEntries
	if lo <= 0 {
		lo = 30 * time.Second
	}
	if hi <= 0 {
		hi = time.Hour
	}
	if limit <= 0 {
		limit = 10000
	}
	ttl := min(max(a.TTL, lo), hi)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= limit {
		c.entries = make(map[string]cacheEntry)
	}
	c.entries[name] = cacheEntry{a: a, expires: c.now().Add(ttl)}
}
