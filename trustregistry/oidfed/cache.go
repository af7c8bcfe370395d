package oidfed

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Request names a chain to keep: a leaf, its pinned trust anchor, and the trust mark type the
// leaf must carry ("" for none).
type Request struct {
	Leaf, Anchor string
	AnchorKeys   jwk.Set
	TrustMark    string
}

type cacheKey struct{ leaf, anchor, mark string }

type cacheEntry struct {
	req   Request
	chain *Chain
}

// Cache keeps verified chains in memory. Get never does I/O and is fail-closed: a chain past
// its expiry is not returned. Load and Refresh fetch: a chain whose statements are no longer
// served, or no longer verify, is dropped at once; a chain whose source is only unreachable is
// kept until it expires.
type Cache struct {
	r   *Resolver
	log *slog.Logger
	mu  sync.RWMutex
	m   map[cacheKey]*cacheEntry
}

// NewCache returns an empty cache resolving with r (nil logger: slog.Default()).
func NewCache(r *Resolver, log *slog.Logger) *Cache {
	if log == nil {
		log = slog.Default()
	}
	return &Cache{r: r, log: log, m: map[cacheKey]*cacheEntry{}}
}

// Get returns the verified chain of (leaf, anchor, trust mark) if it is cached and unexpired
// at now.
func (c *Cache) Get(leaf, anchor, mark string, now time.Time) (*Chain, bool) {
	c.mu.RLock()
	e, ok := c.m[cacheKey{leaf, anchor, mark}]
	c.mu.RUnlock()
	if !ok || e.chain == nil || e.chain.Expired(now) {
		return nil, false
	}
	return e.chain, true
}

// Len returns the number of cached chains, expired ones included.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// Load resolves and verifies req's chain (and trust mark), and caches it.
func (c *Cache) Load(ctx context.Context, req Request) (*Chain, error) {
	k := cacheKey{req.Leaf, req.Anchor, req.TrustMark}
	ch, err := c.resolve(ctx, req)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if e, ok := c.m[k]; ok && !NotServed(err) && isTransient(err) {
			return e.chain, err // unreachable: keep the verified copy until it expires
		}
		delete(c.m, k)
		return nil, err
	}
	c.m[k] = &cacheEntry{req: req, chain: ch}
	return ch, nil
}

func (c *Cache) resolve(ctx context.Context, req Request) (*Chain, error) {
	ch, err := c.r.Resolve(ctx, req.Leaf, req.Anchor, req.AnchorKeys)
	if err != nil {
		return nil, err
	}
	if req.TrustMark != "" {
		if err := c.r.CheckTrustMark(ctx, ch, req.TrustMark, req.AnchorKeys); err != nil {
			return nil, err
		}
	}
	return ch, nil
}

// Refresh re-resolves every cached chain (see Load for what is kept and dropped).
func (c *Cache) Refresh(ctx context.Context) {
	c.mu.RLock()
	reqs := make([]Request, 0, len(c.m))
	for _, e := range c.m {
		reqs = append(reqs, e.req)
	}
	c.mu.RUnlock()
	for _, req := range reqs {
		if _, err := c.Load(ctx, req); err != nil {
			c.log.Warn("federation chain refresh failed", "leaf", req.Leaf, "anchor", req.Anchor, "err", err)
		}
	}
}

// Run refreshes every cached chain each interval until ctx ends.
func (c *Cache) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			c.Refresh(ctx)
		}
	}
}

// isTransient reports whether err is a fetch failure other than "not served" (network, 5xx).
func isTransient(err error) bool {
	return codeOf(err) == CodeFetchFailed
}
