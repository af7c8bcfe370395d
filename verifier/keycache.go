package verifier

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
)

// DefaultKeyCacheTTL bounds how long a did:web key is reused without
// resolving its DID again.
const DefaultKeyCacheTTL = 10 * time.Minute

// maxCachedKeys bounds the key cache; past it, entries are evicted.
const maxCachedKeys = 16384

// errKeyNotFound is wrapped by key lookup failures.
var errKeyNotFound = errors.New("key not found")

type keyEntry struct {
	pub     crypto.PublicKey
	alg     keys.Alg
	thumb   string
	expires time.Time // zero: never (did:key, did:jwk)
}

type keyRef struct {
	kid     string
	purpose did.Purpose
}

// keyCache resolves verification methods once and keeps them: the hot path
// is one read-locked map lookup without allocation.
type keyCache struct {
	r   did.Resolver
	ttl time.Duration
	mu  sync.RWMutex
	m   map[keyRef]*keyEntry
}

func newKeyCache(r did.Resolver, ttl time.Duration) *keyCache {
	return &keyCache{r: r, ttl: ttl, m: make(map[keyRef]*keyEntry)}
}

// get returns the key kid names in its DID's document, for purpose.
func (k *keyCache) get(ctx context.Context, kid string, purpose did.Purpose, now time.Time) (*keyEntry, error) {
	ref := keyRef{kid: kid, purpose: purpose}
	k.mu.RLock()
	e, ok := k.m[ref]
	k.mu.RUnlock()
	if ok && (e.expires.IsZero() || now.Before(e.expires)) {
		return e, nil
	}
	e, err := k.resolve(ctx, kid, purpose, now)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if len(k.m) >= maxCachedKeys {
		for r := range k.m { // evict an arbitrary eighth
			delete(k.m, r)
			if len(k.m) < maxCachedKeys*7/8 {
				break
			}
		}
	}
	k.m[ref] = e
	k.mu.Unlock()
	return e, nil
}

func (k *keyCache) resolve(ctx context.Context, kid string, purpose did.Purpose, now time.Time) (*keyEntry, error) {
	u, err := did.ParseURL(kid)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errKeyNotFound, err)
	}
	// did.ResolveKeyFor refreshes a cached did:web document once (bounded
	// by the resolver's MinRefresh) when the key is newer than it.
	pub, alg, err := did.ResolveKeyFor(ctx, k.r, kid, purpose)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errKeyNotFound, err)
	}
	thumb, err := keys.Thumbprint(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errKeyNotFound, err)
	}
	e := &keyEntry{pub: pub, alg: alg, thumb: thumb}
	if u.DID.Method == did.MethodWeb {
		e.expires = now.Add(k.ttl)
	}
	return e, nil
}

// firstMethod returns the id of the first key listed for purpose in the
// DID document of d (for JWTs without kid).
func (k *keyCache) firstMethod(ctx context.Context, d string, purpose did.Purpose) (string, error) {
	doc, err := k.r.Resolve(ctx, d)
	if err != nil {
		return "", fmt.Errorf("%w: resolve %s: %w", errKeyNotFound, d, err)
	}
	rel := doc.AssertionMethod
	if purpose == did.Authentication {
		rel = doc.Authentication
	}
	for _, e := range rel {
		var id string
		switch v := e.(type) {
		case string:
			id = v
		case map[string]any:
			id, _ = v["id"].(string)
		}
		if strings.HasPrefix(id, "#") {
			id = doc.ID + id
		}
		if id != "" {
			return id, nil
		}
	}
	return "", fmt.Errorf("%w: %s lists no %s key", errKeyNotFound, d, purpose)
}
