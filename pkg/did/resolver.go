package did

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/idport/idport/pkg/keys"
)

// Resolver resolves a DID to its document. Implementations must return a
// document whose ID equals the DID asked for.
type Resolver interface {
	Resolve(ctx context.Context, did string) (*Document, error)
}

// ResolverOptions configures NewResolver. The zero value resolves did:key
// and did:jwk, and did:web over HTTPS to public addresses only.
type ResolverOptions struct {
	// CacheSize bounds the number of cached did:web documents (default 1024).
	CacheSize int
	// TTL is how long a fetched did:web document is used (default 5 min).
	TTL time.Duration
	// Timeout bounds one did:web fetch (default 5 s).
	Timeout time.Duration
	// MinRefresh is the minimum age of a cached document that Refresh (and
	// ResolveKey on an unknown key id) fetches again (default 30 s).
	MinRefresh time.Duration
	// MaxInFlight bounds concurrent did:web fetches (default
	// DefaultMaxInFlight, 64).
	MaxInFlight int
	// MaxInFlightPerHost bounds concurrent did:web fetches to one host
	// (default DefaultMaxInFlightPerHost, 4). Concurrent resolutions of one
	// DID share one fetch.
	MaxInFlightPerHost int
	// MaxDocumentBytes bounds a did:web response body (default and maximum
	// MaxDocumentBytes, 256 KiB).
	MaxDocumentBytes int64
	// AllowHosts, AllowPrivate, RootCAs, ExtraRoots and AllowHTTP are passed
	// to SafeHTTPClient; see NetOptions.
	AllowHosts   []string
	AllowPrivate bool
	RootCAs      *x509.CertPool
	ExtraRoots   []*x509.Certificate
	AllowHTTP    bool
	// WrapTransport, when set, wraps the transport of the SafeHTTPClient
	// (see NetOptions.WrapTransport).
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// HTTPClient replaces the SafeHTTPClient built from the fields above.
	// The SSRF guard is then the caller's business.
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives fetch failures at debug level (default slog.Default()).
	Logger *slog.Logger
}

// Net returns the NetOptions embedded in o.
func (o ResolverOptions) Net() NetOptions {
	return NetOptions{
		Timeout: o.Timeout, AllowHosts: o.AllowHosts, AllowPrivate: o.AllowPrivate,
		RootCAs: o.RootCAs, ExtraRoots: o.ExtraRoots, AllowHTTP: o.AllowHTTP,
		WrapTransport: o.WrapTransport,
	}
}

// CachingResolver resolves did:key and did:jwk locally and did:web over
// HTTPS, caching did:web documents (LRU + TTL) and running at most one
// fetch per DID at a time. It is safe for concurrent use.
type CachingResolver struct {
	client     *http.Client
	cache      *lru
	local      *lru
	group      singleflight.Group
	ttl        time.Duration
	minRefresh time.Duration
	limit      *FetchLimiter
	timeout    time.Duration
	maxBytes   int64
	scheme     string
	now        func() time.Time
	log        *slog.Logger
}

// NewResolver returns a CachingResolver configured by o.
func NewResolver(o ResolverOptions) *CachingResolver {
	r := &CachingResolver{
		client: o.HTTPClient, ttl: o.TTL, timeout: o.Timeout,
		maxBytes: o.MaxDocumentBytes, scheme: "https", now: o.Now, log: o.Logger,
	}
	if r.client == nil {
		r.client = SafeHTTPClient(o.Net())
	}
	size := o.CacheSize
	if size <= 0 {
		size = 1024
	}
	r.cache = newLRU(size)
	r.local = newLRU(size)
	if r.ttl <= 0 {
		r.ttl = 5 * time.Minute
	}
	if r.timeout <= 0 {
		r.timeout = defaultTimeout
	}
	r.minRefresh = o.MinRefresh
	if r.minRefresh <= 0 {
		r.minRefresh = 30 * time.Second
	}
	r.limit = NewFetchLimiter(o.MaxInFlight, o.MaxInFlightPerHost)
	if r.maxBytes <= 0 || r.maxBytes > MaxDocumentBytes {
		r.maxBytes = MaxDocumentBytes
	}
	if o.AllowHTTP {
		// Tests serve did:web over plain HTTP from httptest.NewServer.
		r.scheme = "http"
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r
}

// Resolve returns the DID document of did. did:key and did:jwk documents
// are derived from the DID itself; did:web documents come from the cache or
// are fetched, checked (ParseDocument, id equal to did) and cached.
func (r *CachingResolver) Resolve(ctx context.Context, did string) (*Document, error) {
	d, err := Parse(did)
	if err != nil {
		return nil, err
	}
	switch d.Method {
	case MethodKey, MethodJWK:
		return r.resolveLocal(did, d)
	case MethodWeb:
		return r.resolveWeb(ctx, did, d)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedMethod, d.Method)
	}
}

// resolveLocal derives did:key and did:jwk documents, keeping them in their
// own LRU (they never change, so only its size bounds them).
func (r *CachingResolver) resolveLocal(key string, d DID) (*Document, error) {
	now := r.now()
	if e, ok := r.local.get(key, now); ok {
		return e.doc, nil
	}
	var (
		doc *Document
		err error
	)
	if d.Method == MethodKey {
		doc, err = resolveKeyDID(d)
	} else {
		doc, err = resolveJWKDID(d)
	}
	if err != nil {
		return nil, err
	}
	r.local.put(lruEntry{key: key, doc: doc, fetched: now, expires: now.Add(localTTL)})
	return doc, nil
}

// localTTL is the lifetime of cached did:key and did:jwk documents.
const localTTL = 24 * time.Hour

// CacheLen returns the number of cached did:web documents.
func (r *CachingResolver) CacheLen() int { return r.cache.len() }

func (r *CachingResolver) resolveWeb(ctx context.Context, key string, d DID) (*Document, error) {
	// key is the DID as given: Parse accepted it, so it is canonical.
	if e, ok := r.cache.get(key, r.now()); ok {
		return e.doc, nil
	}
	return r.fetchShared(ctx, key, d, func(lruEntry) bool { return true })
}

// Refresh resolves did again, bypassing a cached did:web document unless it
// was fetched less than MinRefresh ago (so bogus key ids cannot make the
// resolver fetch more than once per MinRefresh). ResolveKey calls it when
// a key id is missing from a cached document, so that a freshly rotated key
// is found without waiting for the TTL. For did:key and did:jwk it is Resolve.
func (r *CachingResolver) Refresh(ctx context.Context, did string) (*Document, error) {
	d, err := Parse(did)
	if err != nil {
		return nil, err
	}
	if d.Method != MethodWeb {
		return r.Resolve(ctx, did)
	}
	now := r.now()
	recent := func(e lruEntry) bool { return now.Sub(e.fetched) < r.minRefresh }
	if e, ok := r.cache.get(did, now); ok && recent(e) {
		return e.doc, nil
	}
	return r.fetchShared(ctx, did, d, recent)
}

// fetchShared fetches the document of d, one fetch per DID at a time,
// unless the cache holds an entry that usable accepts.
func (r *CachingResolver) fetchShared(ctx context.Context, key string, d DID, usable func(lruEntry) bool) (*Document, error) {
	u, err := webURL(d, r.scheme)
	if err != nil {
		return nil, err
	}
	ch := r.group.DoChan(key, func() (any, error) {
		// A caller that missed the cache just before the previous flight
		// stored its result finds it here instead of fetching again.
		if e, ok := r.cache.get(key, r.now()); ok && usable(e) {
			return e.doc, nil
		}
		// The fetch is shared by every waiting caller, so it must not die
		// with the first caller's context; it has its own timeout.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
		defer cancel()
		release, err := r.limit.Acquire(fctx, webHostOf(u))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrResolution, key, err)
		}
		defer release()
		doc, err := r.fetch(fctx, key, u)
		if err != nil {
			r.log.Debug("did:web resolution failed", "did", key, "err", err)
			return nil, err
		}
		now := r.now()
		r.cache.put(lruEntry{key: key, doc: doc, fetched: now, expires: now.Add(r.ttl)})
		return doc, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*Document), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %s: %w", ErrResolution, key, ctx.Err())
	}
}

// webHostOf returns the host[:port] of an http(s) URL built by webURL.
func webHostOf(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	host, _, _ := strings.Cut(rest, "/")
	return host
}

func (r *CachingResolver) fetch(ctx context.Context, did, u string) (*Document, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrResolution, did, err)
	}
	req.Header.Set("Accept", "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8, */*;q=0.1")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrResolution, did, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("%w: %s: HTTP %d from %s", ErrNotFound, did, resp.StatusCode, u)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: %s: HTTP %d from %s", ErrResolution, did, resp.StatusCode, u)
	}
	// Content type is deliberately not checked: servers publish did.json as
	// application/json, application/did+json, application/did+ld+json,
	// text/plain or octet-stream. The body must parse as a DID document.
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: reading body: %w", ErrResolution, did, err)
	}
	if int64(len(body)) > r.maxBytes {
		return nil, fmt.Errorf("%w: %s: document larger than %d bytes", ErrInvalidDocument, did, r.maxBytes)
	}
	doc, err := ParseDocument(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", did, err)
	}
	if doc.ID != did {
		return nil, fmt.Errorf("%w: document id %q is not the DID %q", ErrInvalidDocument, truncate(doc.ID), did)
	}
	doc.predecode()
	return doc, nil
}

// ResolveKey resolves a key id (a DID URL with a fragment) to the public key
// and algorithm of the verification method it names, looking in the DID's
// own document for any purpose. When the key is missing and r is a
// Refresher (CachingResolver is), the document is fetched again once, so
// that keys rotated in since it was cached are found. It fails with ErrKeyNotFound when the key
// id has no fragment or the document has no such method, and with
// ErrInvalidDocument when the resolver returns a document for another DID.
func ResolveKey(ctx context.Context, r Resolver, kid string) (crypto.PublicKey, keys.Alg, error) {
	return ResolveKeyFor(ctx, r, kid, AnyPurpose)
}

// ResolveKeyFor is ResolveKey restricted to the methods the document lists
// under purpose (AssertionMethod for credentials, Authentication for
// presentations).
func ResolveKeyFor(ctx context.Context, r Resolver, kid string, purpose Purpose) (crypto.PublicKey, keys.Alg, error) {
	u, err := ParseURL(kid)
	if err != nil {
		return nil, "", err
	}
	if u.Fragment == "" {
		return nil, "", fmt.Errorf("%w: %q: %w", ErrKeyNotFound, truncate(kid), errNoFragment)
	}
	did := kid[:len(kid)-len(u.Fragment)-1] // the DID part, without allocating
	doc, err := r.Resolve(ctx, did)
	if err != nil {
		return nil, "", err
	}
	if doc.ID != did {
		return nil, "", fmt.Errorf("%w: document id %q is not the DID %q", ErrInvalidDocument, truncate(doc.ID), did)
	}
	vm, err := doc.findMethod(kid, purpose)
	if errors.Is(err, ErrKeyNotFound) {
		// The key may be newer than the cached document (a rotation).
		if rf, ok := r.(Refresher); ok {
			fresh, rerr := rf.Refresh(ctx, did)
			if rerr == nil && fresh != doc && fresh.ID == did {
				vm, err = fresh.findMethod(kid, purpose)
			}
		}
	}
	if err != nil {
		return nil, "", err
	}
	return vm.PublicKey()
}

// Refresher is a Resolver that can bypass its cache for one DID.
type Refresher interface {
	Refresh(ctx context.Context, did string) (*Document, error)
}
