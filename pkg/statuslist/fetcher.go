package statuslist

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
)

// KeyFunc returns the public key a list signer's kid names.
type KeyFunc func(ctx context.Context, kid string) (crypto.PublicKey, error)

// FetcherOptions configures NewFetcher. Keys or Resolver is required.
type FetcherOptions struct {
	// Net configures the SSRF-guarded HTTP client (did.SafeHTTPClient):
	// timeouts, hosts allowed to be private, extra roots, plain HTTP for tests,
	// and a transport wrapper (Net.WrapTransport, e.g. for tracing).
	Net did.NetOptions
	// HTTPClient replaces the client built from Net (the guard is then the
	// caller's business).
	HTTPClient *http.Client
	// Keys resolves a kid to a key. When nil, Resolver is used: the kid must
	// be a DID URL of the list issuer listed under assertionMethod.
	Keys KeyFunc
	// Resolver resolves DIDs when Keys is nil.
	Resolver did.Resolver
	// VerifyDataIntegrity, when set, checks the embedded proof of a list
	// credential served as JSON-LD (pkg/vcld). Without it such lists are
	// refused: an unsigned list is never trusted.
	VerifyDataIntegrity func(ctx context.Context, credential []byte) error
	// MaxTTL bounds how long a decoded list is used (default 5 min). A
	// shorter ttl, validUntil/exp or Cache-Control max-age shortens it.
	MaxTTL time.Duration
	// StaleIfError, when positive, lets a list whose refresh fails be used
	// for that long past its expiry, reported as Meta.Stale.
	StaleIfError time.Duration
	// ErrorTTL is how long a failed fetch is remembered: lookups of that list
	// fail at once with the same error instead of waiting on a list that is
	// down (default 5 s; negative disables).
	ErrorTTL time.Duration
	// MaxBytes bounds a response body (default 1 MiB; a JWS is further
	// bounded by vcjwt.MaxTokenBytes, 256 KiB).
	MaxBytes int64
	// MaxInFlight bounds concurrent list fetches (default
	// did.DefaultMaxInFlight, 64) and MaxInFlightPerHost those to one host
	// (default did.DefaultMaxInFlightPerHost, 4). Concurrent lookups of
	// one list share one fetch.
	MaxInFlight, MaxInFlightPerHost int
	// MaxLists bounds the number of cached lists (default 1024).
	MaxLists int
	// Skew is the clock skew allowed on iat/validFrom/exp/validUntil (default 1 min).
	Skew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives fetch failures at debug level (default slog.Default()).
	Logger *slog.Logger
}

// Meta describes the cached copy of a list a status was read from.
type Meta struct {
	// URL is the list URL (the credential's statusListCredential or the
	// token's status_list uri).
	URL string
	// Issuer is the list issuer (credential issuer, or token iss; for a token
	// without iss, the DID of its kid).
	Issuer string
	// Kid is the key id the list was verified with.
	Kid string
	// Purposes are the statusPurpose values of a Bitstring list.
	Purposes []string
	// FetchedAt is when the copy was fetched and verified.
	FetchedAt time.Time
	// Expires is when the copy stops being used without a refresh.
	Expires time.Time
	// Age is how old the copy was at the lookup.
	Age time.Duration
	// Stale is true when the copy is past Expires and was served because a
	// refresh failed (StaleIfError).
	Stale bool
}

type entry struct {
	bits       *Bitstring
	tok        *TokenList
	meta       Meta
	staleUntil time.Time
}

// Fetcher fetches, verifies and caches status lists for verifiers. Lookups
// of a cached list take a read lock and a bit test. It is safe for
// concurrent use.
type Fetcher struct {
	o      FetcherOptions
	client *http.Client
	group  singleflight.Group
	limit  *did.FetchLimiter

	// lists holds one immutable map per list kind, replaced whole on every
	// store (copy on write): lookups take no lock at all.
	lists [2]atomic.Pointer[map[string]*entry]
	mu    sync.Mutex // serialises stores

	errMu  sync.Mutex
	failed map[string]failure // flight key -> recent failure
}

type failure struct {
	err   error
	until time.Time
}

// NewFetcher returns a Fetcher.
func NewFetcher(o FetcherOptions) (*Fetcher, error) {
	if o.Keys == nil && o.Resolver == nil {
		return nil, fmt.Errorf("statuslist: a fetcher needs Keys or a Resolver to verify lists")
	}
	if o.MaxTTL <= 0 {
		o.MaxTTL = 5 * time.Minute
	}
	if o.ErrorTTL == 0 {
		o.ErrorTTL = 5 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = vc.MaxDocumentBytes
	}
	if o.MaxLists <= 0 {
		o.MaxLists = 1024
	}
	if o.Skew <= 0 {
		o.Skew = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	f := &Fetcher{o: o, client: o.HTTPClient, failed: map[string]failure{},
		limit: did.NewFetchLimiter(o.MaxInFlight, o.MaxInFlightPerHost)}
	for i := range f.lists {
		f.lists[i].Store(&map[string]*entry{})
	}
	if f.client == nil {
		f.client = did.SafeHTTPClient(o.Net)
	}
	return f, nil
}

// Bitstring returns the verified, decoded Bitstring Status List published at
// listURL, from the cache while it is fresh. Errors wrap ErrUnavailable (the
// list cannot be had) or ErrInvalidList (it is not an acceptable list).
func (f *Fetcher) Bitstring(ctx context.Context, listURL string) (*Bitstring, Meta, error) {
	e, err := f.get(ctx, kindBitstring, listURL)
	if err != nil {
		return nil, Meta{}, err
	}
	return e.bits, e.meta, nil
}

// TokenList returns the verified, decoded Token Status List of uri.
func (f *Fetcher) TokenList(ctx context.Context, uri string) (*TokenList, Meta, error) {
	e, err := f.get(ctx, kindToken, uri)
	if err != nil {
		return nil, Meta{}, err
	}
	return e.tok, e.meta, nil
}

// BitstringStatus reads entry index of the Bitstring list at listURL, which
// must serve purpose (revocation, suspension). true means revoked or
// suspended.
func (f *Fetcher) BitstringStatus(ctx context.Context, listURL, purpose string, index int) (bool, Meta, error) {
	b, m, err := f.Bitstring(ctx, listURL)
	if err != nil {
		return false, m, err
	}
	if !slices.Contains(m.Purposes, purpose) {
		return false, m, invalidf("list %s serves %v, not %q", listURL, m.Purposes, purpose)
	}
	v, err := b.Get(index)
	if err != nil {
		return false, m, fmt.Errorf("%w: %w", ErrInvalidList, err)
	}
	return v, m, nil
}

// TokenStatus reads entry index of the Token Status List at uri (Valid,
// Invalid, Suspended or an application-specific value).
func (f *Fetcher) TokenStatus(ctx context.Context, uri string, index int) (uint8, Meta, error) {
	l, m, err := f.TokenList(ctx, uri)
	if err != nil {
		return 0, m, err
	}
	v, err := l.Get(index)
	if err != nil {
		return 0, m, fmt.Errorf("%w: %w", ErrInvalidList, err)
	}
	return v, m, nil
}

type listKind int

const (
	kindBitstring listKind = iota
	kindToken
)

// get serves a fresh cached entry, or fetches one (one fetch per list at a
// time), or serves a stale entry within StaleIfError when the fetch fails.
// A fresh cache hit takes no lock and does not allocate.
func (f *Fetcher) get(ctx context.Context, kind listKind, u string) (entry, error) {
	now := f.o.Now()
	e, ok := (*f.lists[kind].Load())[u]
	if ok && now.Before(e.meta.Expires) {
		out := *e
		out.meta.Age = now.Sub(e.meta.FetchedAt)
		return out, nil
	}
	return f.miss(ctx, kind, u, e)
}

func (f *Fetcher) miss(ctx context.Context, kind listKind, u string, old *entry) (entry, error) {
	key := strconv.Itoa(int(kind)) + " " + u
	ch := f.group.DoChan(key, func() (any, error) {
		cur, ok := (*f.lists[kind].Load())[u]
		if ok && f.o.Now().Before(cur.meta.Expires) {
			return cur, nil
		}
		if err := f.recentFailure(key); err != nil {
			return nil, err
		}
		// Shared by every waiter: detached from the first caller's context.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.timeout())
		defer cancel()
		decode := f.fetchBitstring
		if kind == kindToken {
			decode = f.fetchToken
		}
		fresh, err := f.fetch(fctx, u, decode)
		if err != nil {
			f.o.Logger.Debug("status list fetch failed", "url", u, "err", err)
			f.remember(key, err)
			return nil, err
		}
		f.store(kind, u, fresh)
		return fresh, nil
	})
	var res singleflight.Result
	select {
	case res = <-ch:
	case <-ctx.Done():
		return entry{}, fmt.Errorf("%w: %s: %w", ErrUnavailable, u, ctx.Err())
	}
	now := f.o.Now()
	if res.Err != nil {
		if old != nil && now.Before(old.staleUntil) {
			out := *old
			out.meta.Age, out.meta.Stale = now.Sub(old.meta.FetchedAt), true
			return out, nil
		}
		return entry{}, res.Err
	}
	out := *res.Val.(*entry)
	out.meta.Age = now.Sub(out.meta.FetchedAt)
	return out, nil
}

// recentFailure returns the error of a fetch of key that failed less than
// ErrorTTL ago.
func (f *Fetcher) recentFailure(key string) error {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	fl, ok := f.failed[key]
	if !ok {
		return nil
	}
	if !f.o.Now().Before(fl.until) {
		delete(f.failed, key)
		return nil
	}
	return fl.err
}

func (f *Fetcher) remember(key string, err error) {
	if f.o.ErrorTTL < 0 {
		return
	}
	now := f.o.Now()
	f.errMu.Lock()
	defer f.errMu.Unlock()
	if len(f.failed) >= f.o.MaxLists {
		for k, fl := range f.failed {
			if !now.Before(fl.until) || len(f.failed) >= f.o.MaxLists {
				delete(f.failed, k)
			}
		}
	}
	f.failed[key] = failure{err: err, until: now.Add(f.o.ErrorTTL)}
}

func (f *Fetcher) timeout() time.Duration {
	if f.o.Net.Timeout > 0 {
		return f.o.Net.Timeout
	}
	return 5 * time.Second
}

func (f *Fetcher) store(kind listKind, u string, e *entry) {
	now := f.o.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	total := len(*f.lists[0].Load()) + len(*f.lists[1].Load())
	next := make([][]string, len(f.lists)) // keys to drop per kind
	if _, ok := (*f.lists[kind].Load())[u]; !ok && total >= f.o.MaxLists {
		for k := range f.lists { // drop what is past its stale window
			for key, old := range *f.lists[k].Load() {
				if !now.Before(old.staleUntil) {
					next[k] = append(next[k], key)
					total--
				}
			}
		}
		for key := range *f.lists[kind].Load() { // still full: drop arbitrary entries
			if total < f.o.MaxLists {
				break
			}
			next[kind] = append(next[kind], key)
			total--
		}
	}
	for k := range f.lists {
		if len(next[k]) == 0 && k != int(kind) {
			continue
		}
		m := maps.Clone(*f.lists[k].Load())
		for _, key := range next[k] {
			delete(m, key)
		}
		if k == int(kind) {
			m[u] = e
		}
		f.lists[k].Store(&m)
	}
}

// fetch downloads u and hands the body to decode.
func (f *Fetcher) fetch(ctx context.Context, u string,
	decode func(ctx context.Context, u string, body []byte, maxAge time.Duration) (*entry, error)) (*entry, error) {
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" || pu.User != nil || pu.Fragment != "" ||
		(pu.Scheme != "https" && !(f.o.Net.AllowHTTP && pu.Scheme == "http")) {
		return nil, invalidf("status list URL %q is not an acceptable https URL", u)
	}
	release, err := f.limit.Acquire(ctx, pu.Host)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, u, err)
	}
	defer release()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, u, err)
	}
	req.Header.Set("Accept", "application/statuslist+jwt, application/vc+jwt, application/vc+ld+json;q=0.9, application/vc, application/jwt;q=0.8, application/json;q=0.5, */*;q=0.1")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: HTTP %d", ErrUnavailable, u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.o.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: reading body: %w", ErrUnavailable, u, err)
	}
	if int64(len(body)) > f.o.MaxBytes {
		return nil, invalidf("%s: response larger than %d bytes", u, f.o.MaxBytes)
	}
	e, err := decode(ctx, u, bytes.TrimSpace(body), maxAge(resp.Header.Get("Cache-Control")))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return e, nil
}

// maxAge reads max-age from a Cache-Control header (0 when absent).
func maxAge(cc string) time.Duration {
	for _, d := range strings.Split(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(strings.ToLower(d)), "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}

// fetchBitstring verifies and decodes a Bitstring Status List credential:
// a VC-JOSE-COSE vc+jwt, a VC 1.1 JWT with a vc claim, an enveloped
// credential, or a JSON-LD credential checked by VerifyDataIntegrity.
func (f *Fetcher) fetchBitstring(ctx context.Context, u string, body []byte, httpMaxAge time.Duration) (*entry, error) {
	var (
		credJSON  []byte
		kid       string
		enveloped bool
	)
	if len(body) > 0 && body[0] == '{' {
		if vc.IsEnveloped(body) {
			env, err := vc.ParseEnveloped(body)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidList, err)
			}
			if env.Presentation || env.MediaType != vc.MediaTypeVCJWT {
				return nil, invalidf("enveloped list credential of media type %q (want %s)", env.MediaType, vc.MediaTypeVCJWT)
			}
			body, enveloped = []byte(env.Data), true
		} else {
			if f.o.VerifyDataIntegrity == nil {
				return nil, invalidf("list credential is JSON-LD and no Data Integrity verifier is configured")
			}
			if err := f.o.VerifyDataIntegrity(ctx, body); err != nil {
				return nil, fmt.Errorf("%w: data integrity proof: %w", ErrInvalidList, err)
			}
			credJSON = body
		}
	}
	if credJSON == nil {
		tok, err := parseJWS(body)
		if err != nil {
			return nil, err
		}
		switch tok.Typ {
		case vcjwt.TypVCJOSE, "vc+ld+json+jwt", "vc+ld+jwt", "JWT", "jwt", "":
		default:
			return nil, invalidf("list credential JWS typ %q", tok.Typ)
		}
		if enveloped && tok.Typ != vcjwt.TypVCJOSE {
			return nil, invalidf("enveloped media type %s does not match the JWS typ %q", vc.MediaTypeVCJWT, tok.Typ)
		}
		if credJSON, err = credentialFromJWT(tok.Payload); err != nil {
			return nil, err
		}
		lc, err := ParseBitstringCredential(credJSON)
		if err != nil {
			return nil, err
		}
		if kid, err = f.verify(ctx, tok, lc.Issuer); err != nil {
			return nil, err
		}
		return f.bitstringEntry(u, lc, kid, httpMaxAge)
	}
	lc, err := ParseBitstringCredential(credJSON)
	if err != nil {
		return nil, err
	}
	return f.bitstringEntry(u, lc, kid, httpMaxAge)
}

func (f *Fetcher) bitstringEntry(u string, lc *ListCredential, kid string, httpMaxAge time.Duration) (*entry, error) {
	now := f.o.Now()
	if lc.ID != "" && lc.ID != u {
		return nil, invalidf("list credential id %q is not its URL %q", lc.ID, u)
	}
	if !lc.ValidFrom.IsZero() && lc.ValidFrom.After(now.Add(f.o.Skew)) {
		return nil, invalidf("list credential valid only from %s", lc.ValidFrom.Format(time.RFC3339))
	}
	if !lc.ValidUntil.IsZero() && !now.Add(-f.o.Skew).Before(lc.ValidUntil) {
		return nil, invalidf("list credential expired at %s", lc.ValidUntil.Format(time.RFC3339))
	}
	ttl := f.ttl(now, lc.TTL, lc.ValidUntil, httpMaxAge)
	return &entry{
		bits:       lc.List,
		meta:       Meta{URL: u, Issuer: lc.Issuer, Kid: kid, Purposes: lc.Purposes, FetchedAt: now, Expires: now.Add(ttl)},
		staleUntil: now.Add(ttl + f.o.StaleIfError),
	}, nil
}

// fetchToken verifies and decodes a Status List Token (statuslist+jwt).
func (f *Fetcher) fetchToken(ctx context.Context, u string, body []byte, httpMaxAge time.Duration) (*entry, error) {
	tok, err := parseJWS(body)
	if err != nil {
		return nil, err
	}
	if tok.Typ != typStatusListJWT {
		return nil, invalidf("status list token typ %q, want %s", tok.Typ, typStatusListJWT)
	}
	c, err := ParseTokenClaims(tok.Payload)
	if err != nil {
		return nil, err
	}
	issuer := c.Issuer
	if issuer == "" {
		if du, err := did.ParseURL(tok.Kid); err == nil {
			issuer = du.DID.String()
		}
	}
	kid, err := f.verify(ctx, tok, issuer)
	if err != nil {
		return nil, err
	}
	now := f.o.Now()
	if c.Subject != u {
		return nil, invalidf("status list token sub %q is not its URI %q", c.Subject, u)
	}
	if c.IssuedAt.After(now.Add(f.o.Skew)) {
		return nil, invalidf("status list token issued in the future (%s)", c.IssuedAt.Format(time.RFC3339))
	}
	if !c.Expiry.IsZero() && !now.Add(-f.o.Skew).Before(c.Expiry) {
		return nil, invalidf("status list token expired at %s", c.Expiry.Format(time.RFC3339))
	}
	ttl := f.ttl(now, c.TTL, c.Expiry, httpMaxAge)
	return &entry{
		tok:        c.List,
		meta:       Meta{URL: u, Issuer: issuer, Kid: kid, FetchedAt: now, Expires: now.Add(ttl)},
		staleUntil: now.Add(ttl + f.o.StaleIfError),
	}, nil
}

// ttl is min(MaxTTL, the list's ttl, time to its expiry, HTTP max-age).
func (f *Fetcher) ttl(now time.Time, listTTL time.Duration, until time.Time, httpMaxAge time.Duration) time.Duration {
	ttl := f.o.MaxTTL
	if listTTL > 0 {
		ttl = min(ttl, listTTL)
	}
	if httpMaxAge > 0 {
		ttl = min(ttl, httpMaxAge)
	}
	if !until.IsZero() {
		ttl = min(ttl, until.Sub(now))
	}
	return max(ttl, 0)
}

// parseJWS reads a compact JWS on vcjwt's lean path (EdDSA/ES256 only, no
// jku/jwk/x5u/x5c/crit, kid path tricks refused, size bounded).
func parseJWS(body []byte) (*vcjwt.Token, error) {
	tok, err := vcjwt.Parse(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidList, err)
	}
	return tok, nil
}

// verify checks the JWS signature with the key its kid names and returns
// the absolute kid. With a Resolver, the kid (made absolute against a DID
// issuer) must be a DID URL of the issuer listed under assertionMethod.
func (f *Fetcher) verify(ctx context.Context, tok *vcjwt.Token, issuer string) (string, error) {
	var (
		pub crypto.PublicKey
		err error
	)
	kid := tok.Kid
	if strings.HasPrefix(kid, "#") && strings.HasPrefix(issuer, "did:") {
		kid = issuer + kid
	}
	if f.o.Keys != nil {
		pub, err = f.o.Keys(ctx, kid)
	} else {
		du, perr := did.ParseURL(kid)
		if perr != nil {
			return "", fmt.Errorf("%w: kid: %w", ErrInvalidList, perr)
		}
		if du.DID.String() != issuer {
			return "", invalidf("kid %q is not a key of the list issuer %q", kid, issuer)
		}
		pub, _, err = did.ResolveKeyFor(ctx, f.o.Resolver, kid, did.AssertionMethod)
	}
	if err != nil {
		if isUnavailable(err) {
			return "", fmt.Errorf("%w: list signing key %q: %w", ErrUnavailable, kid, err)
		}
		return "", fmt.Errorf("%w: list signing key %q: %w", ErrInvalidList, kid, err)
	}
	if err := tok.Verify(pub); err != nil {
		return "", fmt.Errorf("%w: list signature: %w", ErrInvalidList, err)
	}
	return kid, nil
}

// isUnavailable reports whether a key resolution error is transient.
func isUnavailable(err error) bool {
	return errors.Is(err, did.ErrResolution) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// credentialFromJWT returns the credential of a JWT payload: the payload
// itself (VC-JOSE-COSE) or its vc claim (VC-JWT 1.1), completed from the
// registered claims iss, jti, nbf and exp.
func credentialFromJWT(payload []byte) ([]byte, error) {
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, invalidf("JWT payload: %v", err)
	}
	vcClaim, ok := claims["vc"]
	if !ok {
		return payload, nil
	}
	var cred map[string]json.RawMessage
	if err := json.Unmarshal(vcClaim, &cred); err != nil {
		return nil, invalidf("vc claim: %v", err)
	}
	fill := func(member, claim string, conv func(json.RawMessage) (json.RawMessage, bool)) {
		if _, has := cred[member]; has {
			return
		}
		if raw, ok := claims[claim]; ok {
			if v, ok := conv(raw); ok {
				cred[member] = v
			}
		}
	}
	same := func(r json.RawMessage) (json.RawMessage, bool) { return r, true }
	date := func(r json.RawMessage) (json.RawMessage, bool) {
		var n float64
		if json.Unmarshal(r, &n) != nil {
			return nil, false
		}
		t, err := numericDate(n)
		if err != nil {
			return nil, false
		}
		b, _ := json.Marshal(t.Format(time.RFC3339))
		return b, true
	}
	fill("issuer", "iss", same)
	fill("id", "jti", same)
	fill("issuanceDate", "nbf", date)
	fill("issuanceDate", "iat", date)
	fill("expirationDate", "exp", date)
	b, err := json.Marshal(cred)
	if err != nil {
		return nil, invalidf("vc claim: %v", err)
	}
	return b, nil
}
