package oidfed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// MaxChainLength bounds the statements of a chain: the leaf's entity configuration, the
// subordinate statements and the anchor's entity configuration.
const MaxChainLength = 8

// WellKnownPath is where an entity serves its entity configuration.
const WellKnownPath = "/.well-known/openid-federation"

// Resolver fetches and verifies trust chains.
type Resolver struct {
	// Client sends every request: give it an SSRF-guarded client (pkg/did.SafeHTTPClient).
	Client *http.Client
	// MaxBytes bounds one statement (default 64 KiB).
	MaxBytes int64
	// MaxFetches bounds the requests of one resolution, trust mark issuers included (default 32).
	MaxFetches int
	// Skew is the clock skew tolerated on iat (default 1 minute).
	Skew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Chain is a verified trust chain from a leaf to its trust anchor.
type Chain struct {
	// Leaf and Anchor are the entity identifiers at both ends.
	Leaf, Anchor string
	// Entities are the entities from the leaf up to the anchor.
	Entities []string
	// Statements are the leaf's entity configuration, the subordinate statements upwards and
	// the anchor's entity configuration.
	Statements []*Statement
	// ExpiresAt is the earliest exp of the statements: the chain is not usable from then on.
	ExpiresAt time.Time
	// VerifiedAt is when the chain was fetched and verified.
	VerifiedAt time.Time
	// Metadata is the leaf's metadata with the chain's metadata policy applied.
	Metadata map[string]map[string]any
	// TrustMarks are the trust marks of the leaf verified against the anchor (CheckTrustMark).
	TrustMarks []TrustMark
}

// LeafConfiguration returns the leaf's entity configuration.
func (c *Chain) LeafConfiguration() *Statement { return c.Statements[0] }

// AnchorConfiguration returns the anchor's entity configuration.
func (c *Chain) AnchorConfiguration() *Statement { return c.Statements[len(c.Statements)-1] }

// Describe names the chain in one line: "leaf -> intermediate -> anchor".
func (c *Chain) Describe() string { return strings.Join(c.Entities, " -> ") }

// Expired reports whether the chain is past its expiry at now.
func (c *Chain) Expired(now time.Time) bool { return !now.Before(c.ExpiresAt) }

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// resolution is the state of one Resolve call.
type resolution struct {
	r          *Resolver
	anchor     string
	anchorKeys jwk.Set
	fetches    int
	now        time.Time
}

// Resolve fetches leaf's entity configuration and the statements up to anchor, whose keys are
// pinned (anchorKeys), verifies them all, applies the metadata policy and returns the chain.
func (r *Resolver) Resolve(ctx context.Context, leaf, anchor string, anchorKeys jwk.Set) (*Chain, error) {
	if anchorKeys == nil || anchorKeys.Len() == 0 {
		return nil, fail(CodeChainBroken, "the trust anchor's keys are not pinned")
	}
	for _, id := range []string{leaf, anchor} {
		if err := checkEntityID(id); err != nil {
			return nil, err
		}
	}
	x := &resolution{r: r, anchor: anchor, anchorKeys: anchorKeys, now: r.now()}
	return x.resolve(ctx, leaf)
}

func (x *resolution) resolve(ctx context.Context, leaf string) (*Chain, error) {
	ec, err := x.configuration(ctx, leaf)
	if err != nil {
		return nil, err
	}
	var stmts []*Statement
	if leaf == x.anchor {
		if err := verifyWith([]byte(ec.Raw), ec.header, x.anchorKeys, "the anchor's entity configuration"); err != nil {
			return nil, err
		}
		stmts = []*Statement{ec.Statement}
	} else {
		up, err := x.climb(ctx, ec, []string{leaf})
		if err != nil {
			return nil, err
		}
		stmts = append([]*Statement{ec.Statement}, up...)
	}
	c := &Chain{Leaf: leaf, Anchor: x.anchor, Statements: stmts, VerifiedAt: x.now}
	c.Entities = append(c.Entities, leaf)
	for _, s := range stmts[1:] {
		c.Entities = append(c.Entities, s.Issuer)
	}
	c.Entities = slices.Compact(c.Entities)
	c.ExpiresAt = stmts[0].ExpiresAt()
	for _, s := range stmts[1:] {
		if s.ExpiresAt().Before(c.ExpiresAt) {
			c.ExpiresAt = s.ExpiresAt()
		}
	}
	md, err := resolveMetadata(stmts)
	if err != nil {
		return nil, err
	}
	c.Metadata = md
	return c, nil
}

// climb follows the authority hints of sub (whose entity configuration is ec) until the
// anchor, and returns the subordinate statements upwards and the anchor's configuration. path
// holds the entities below, for loop detection.
func (x *resolution) climb(ctx context.Context, ec *parsed, path []string) ([]*Statement, error) {
	if len(ec.AuthorityHints) == 0 {
		return nil, fail(CodeChainBroken, "%s has no authority_hints and is not the trust anchor", ec.Subject)
	}
	var firstErr error
	note := func(err error) {
		// Prefer the most telling failure: a loop or a length breach over a dead end.
		if firstErr == nil || errs.CodeOf(firstErr) == CodeChainBroken || errs.CodeOf(firstErr) == CodeFetchFailed {
			firstErr = err
		}
	}
	for _, hint := range ec.AuthorityHints {
		if slices.Contains(path, hint) {
			note(fail(CodeChainLoop, "%s names %s as its authority, which is already on the chain (%s)", ec.Subject, hint, strings.Join(path, " -> ")))
			continue
		}
		// statements so far: leaf EC + one subordinate statement per step + the anchor EC.
		if len(path)+2 > MaxChainLength {
			note(fail(CodeChainTooLong, "no chain of at most %d statements reaches %s (%s)", MaxChainLength, x.anchor, strings.Join(path, " -> ")))
			continue
		}
		if err := checkEntityID(hint); err != nil {
			note(err)
			continue
		}
		up, err := x.step(ctx, ec, hint, path)
		if err != nil {
			note(err)
			continue
		}
		return up, nil
	}
	return nil, firstErr
}

// step verifies the statement hint issues about ec's subject, and climbs on from hint.
func (x *resolution) step(ctx context.Context, ec *parsed, hint string, path []string) ([]*Statement, error) {
	sup, err := x.configuration(ctx, hint)
	if err != nil {
		return nil, err
	}
	if hint == x.anchor {
		if err := verifyWith([]byte(sup.Raw), sup.header, x.anchorKeys, "the anchor's entity configuration"); err != nil {
			return nil, err
		}
	}
	fe := sup.FetchEndpoint()
	if fe == "" {
		return nil, fail(CodeChainBroken, "%s publishes no federation_fetch_endpoint", hint)
	}
	u, err := url.Parse(fe)
	if err != nil {
		return nil, fail(CodeStatementInvalid, "%s has a malformed federation_fetch_endpoint", hint)
	}
	q := u.Query()
	q.Set("sub", ec.Subject)
	u.RawQuery = q.Encode()
	raw, err := x.fetch(ctx, u.String())
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("the statement of %s about %s", hint, ec.Subject)
	st, h, err := parseStatement(raw, TypeEntityStatement)
	if err != nil {
		return nil, errs.Wrap(errs.CodeOf(err), what+": "+messageOf(err), err)
	}
	if st.Issuer != hint || st.Subject != ec.Subject {
		return nil, fail(CodeChainBroken, "%s has iss %q and sub %q", what, st.Issuer, st.Subject)
	}
	if err := verifyWith(raw, h, sup.keys, what); err != nil {
		return nil, err
	}
	if err := checkTime(st, x.now, x.r.skew(), what); err != nil {
		return nil, err
	}
	// The subordinate's own configuration must be signed with a key its superior vouches for.
	if err := verifyWith([]byte(ec.Raw), ec.header, st.keys, "the entity configuration of "+ec.Subject); err != nil {
		return nil, err
	}
	if hint == x.anchor {
		return []*Statement{st, sup.Statement}, nil
	}
	up, err := x.climb(ctx, sup, append(slices.Clone(path), hint))
	if err != nil {
		return nil, err
	}
	return append([]*Statement{st}, up...), nil
}

// parsed is a parsed entity configuration with its signature header.
type parsed struct {
	*Statement
	header jws.Headers
}

// configuration fetches and checks entity's configuration: typ, iss == sub == entity, time,
// self-signature.
func (x *resolution) configuration(ctx context.Context, entity string) (*parsed, error) {
	raw, err := x.fetch(ctx, strings.TrimRight(entity, "/")+WellKnownPath)
	if err != nil {
		return nil, err
	}
	what := "the entity configuration of " + entity
	st, h, err := parseStatement(raw, TypeEntityStatement)
	if err != nil {
		return nil, errs.Wrap(errs.CodeOf(err), what+": "+messageOf(err), err)
	}
	if st.Issuer != entity || st.Subject != entity {
		return nil, fail(CodeChainBroken, "%s has iss %q and sub %q", what, st.Issuer, st.Subject)
	}
	if err := checkTime(st, x.now, x.r.skew(), what); err != nil {
		return nil, err
	}
	if err := verifyWith(raw, h, st.keys, what); err != nil {
		return nil, err
	}
	return &parsed{Statement: st, header: h}, nil
}

func (r *Resolver) skew() time.Duration {
	if r.Skew > 0 {
		return r.Skew
	}
	return time.Minute
}

// errNotServed marks a fetch answered 404 or 410: the federation no longer serves the
// statement.
var errNotServed = errors.New("statement not served")

// NotServed reports whether err says a statement is no longer served (HTTP 404 or 410).
func NotServed(err error) bool { return errors.Is(err, errNotServed) }

func (x *resolution) fetch(ctx context.Context, u string) ([]byte, error) {
	max := x.r.MaxFetches
	if max <= 0 {
		max = 32
	}
	if x.fetches++; x.fetches > max {
		return nil, fail(CodeChainTooLong, "resolution needs more than %d requests", max)
	}
	return fetchStatement(ctx, x.r.client(), u, x.r.maxBytes())
}

func (r *Resolver) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return http.DefaultClient
}

func (r *Resolver) maxBytes() int64 {
	if r.MaxBytes > 0 {
		return r.MaxBytes
	}
	return 64 << 10
}

func fetchStatement(ctx context.Context, c *http.Client, u string, maxBytes int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, errs.Wrap(CodeFetchFailed, "malformed federation URL "+u, err)
	}
	req.Header.Set("Accept", "application/entity-statement+jwt, application/trust-mark+jwt")
	resp, err := c.Do(req)
	if err != nil {
		return nil, errs.Wrap(CodeFetchFailed, "fetching "+u+" failed", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, errs.Wrap(CodeFetchFailed, fmt.Sprintf("%s is no longer served (HTTP %d)", u, resp.StatusCode), errNotServed)
	case resp.StatusCode != http.StatusOK:
		return nil, fail(CodeFetchFailed, "fetching %s answered HTTP %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, errs.Wrap(CodeFetchFailed, "reading "+u+" failed", err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fail(CodeFetchFailed, "%s is larger than %d bytes", u, maxBytes)
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

// checkEntityID refuses an entity identifier that is not an https (or, for tests, http) URL
// without query or fragment.
func checkEntityID(id string) error {
	u, err := url.Parse(id)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fail(CodeStatementInvalid, "%q is not an entity identifier (an https URL without query or fragment)", id)
	}
	return nil
}
