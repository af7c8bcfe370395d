package oidfed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/idport/idport/trustregistry/oidfed/oidfedtest"
)

const markType = "https://anchor.example/trust-marks/eidas-qtsp"

// fed is anchor -> intermediate -> leaf, with a trust mark issuer under the anchor.
type fed struct {
	f                   *oidfedtest.Federation
	anchor, inter, leaf *oidfedtest.Entity
	tmi                 *oidfedtest.Entity
	leafSub, interSub   *oidfedtest.Sub
	resolver            *oidfed.Resolver
}

func newFed(t *testing.T) *fed {
	f := oidfedtest.New(t)
	x := &fed{f: f, anchor: f.Entity(), inter: f.Entity(), leaf: f.Entity(), tmi: f.Entity()}
	x.interSub = x.anchor.Subordinate(x.inter, oidfed.Policy{"openid_credential_issuer": {
		"credential_signing_alg_values_supported": {"subset_of": []any{"ES256", "EdDSA", "RS256"}},
		"display_name": {"essential": true},
	}})
	x.leafSub = x.inter.Subordinate(x.leaf, oidfed.Policy{"openid_credential_issuer": {
		"credential_signing_alg_values_supported": {"subset_of": []any{"ES256", "EdDSA"}, "superset_of": []any{"ES256"}},
		"country": {"value": "SG"},
		"scopes":  {"add": []any{"openid"}, "default": []any{"openid"}},
		"format":  {"one_of": []any{"jwt_vc_json", "vc+sd-jwt"}},
	}})
	x.anchor.Subordinate(x.tmi, nil)
	x.anchor.Set(func(e *oidfedtest.Entity) { e.TrustMarkIssuers = map[string][]string{markType: {x.tmi.ID}} })
	x.leaf.Set(func(e *oidfedtest.Entity) {
		e.Metadata["openid_credential_issuer"] = map[string]any{
			"credential_signing_alg_values_supported": []any{"ES256", "EdDSA", "ES512"},
			"display_name": "Leaf Issuer", "format": "jwt_vc_json", "country": "XX",
		}
	})
	x.tmi.IssueTrustMark(x.leaf, markType, time.Now().Add(time.Hour))
	x.resolver = &oidfed.Resolver{Client: oidfedtest.Client(x.anchor)}
	return x
}

func (x *fed) resolve(t *testing.T) (*oidfed.Chain, error) {
	t.Helper()
	return x.resolver.Resolve(context.Background(), x.leaf.ID, x.anchor.ID, x.anchor.JWKS())
}

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Fatalf("err = %v (code %q), want code %q", err, errs.CodeOf(err), code)
	}
}

func TestResolveChainAppliesPolicy(t *testing.T) {
	x := newFed(t)
	c, err := x.resolve(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Statements) != 4 || len(c.Entities) != 3 || c.Entities[0] != x.leaf.ID || c.Entities[2] != x.anchor.ID {
		t.Fatalf("chain %s with %d statements", c.Describe(), len(c.Statements))
	}
	md := c.Metadata["openid_credential_issuer"]
	if got := md["credential_signing_alg_values_supported"].([]any); len(got) != 2 || got[0] != "ES256" || got[1] != "EdDSA" {
		t.Errorf("subset_of: %v", got)
	}
	if md["country"] != "SG" {
		t.Errorf("value: %v", md["country"])
	}
	if s := md["scopes"].([]any); len(s) != 1 || s[0] != "openid" {
		t.Errorf("add/default: %v", s)
	}
	if c.ExpiresAt.IsZero() || c.Expired(time.Now()) {
		t.Errorf("expiry %v", c.ExpiresAt)
	}
	if err := x.resolver.CheckTrustMark(context.Background(), c, markType, x.anchor.JWKS()); err != nil {
		t.Fatal(err)
	}
	if len(c.TrustMarks) != 1 || c.TrustMarks[0].Issuer != x.tmi.ID {
		t.Fatalf("trust marks %+v", c.TrustMarks)
	}
}

func TestBrokenChains(t *testing.T) {
	t.Run("wrong anchor key", func(t *testing.T) {
		x := newFed(t)
		_, err := x.resolver.Resolve(context.Background(), x.leaf.ID, x.anchor.ID, x.leaf.JWKS())
		wantCode(t, err, oidfed.CodeStatementInvalid)
	})
	t.Run("superior does not vouch for the leaf", func(t *testing.T) {
		x := newFed(t)
		x.inter.Set(func(*oidfedtest.Entity) { x.leafSub.Removed = true })
		_, err := x.resolve(t)
		wantCode(t, err, oidfed.CodeFetchFailed)
		if !oidfed.NotServed(err) {
			t.Errorf("want not served: %v", err)
		}
	})
	t.Run("no hint reaches the anchor", func(t *testing.T) {
		x := newFed(t)
		x.leaf.Set(func(e *oidfedtest.Entity) { e.Hints = nil })
		_, err := x.resolve(t)
		wantCode(t, err, oidfed.CodeChainBroken)
	})
	t.Run("wrong typ", func(t *testing.T) {
		x := newFed(t)
		x.inter.Set(func(e *oidfedtest.Entity) { e.Typ = "JWT" })
		_, err := x.resolve(t)
		wantCode(t, err, oidfed.CodeStatementInvalid)
	})
}

func TestExpiredStatement(t *testing.T) {
	x := newFed(t)
	x.inter.Set(func(e *oidfedtest.Entity) { x.leafSub.Exp = time.Now().Add(-time.Minute) })
	_, err := x.resolve(t)
	wantCode(t, err, oidfed.CodeStatementExpired)
}

func TestPolicyViolation(t *testing.T) {
	x := newFed(t)
	x.leaf.Set(func(e *oidfedtest.Entity) { e.Metadata["openid_credential_issuer"]["format"] = "ldp_vc" })
	_, err := x.resolve(t)
	wantCode(t, err, oidfed.CodePolicyViolation)

	x = newFed(t)
	x.leaf.Set(func(e *oidfedtest.Entity) { delete(e.Metadata["openid_credential_issuer"], "display_name") })
	_, err = x.resolve(t)
	wantCode(t, err, oidfed.CodePolicyViolation) // essential

	x = newFed(t) // conflicting values between levels
	x.anchor.Set(func(e *oidfedtest.Entity) {
		x.interSub.Policy["openid_credential_issuer"]["country"] = map[string]any{"value": "HK"}
	})
	_, err = x.resolve(t)
	wantCode(t, err, oidfed.CodePolicyViolation)
}

func TestTrustMarkFromUnrecognisedIssuer(t *testing.T) {
	x := newFed(t)
	rogue := x.f.Entity()
	x.anchor.Subordinate(rogue, nil) // in the federation, but not a listed trust mark issuer
	x.leaf.Set(func(e *oidfedtest.Entity) { e.TrustMarks = nil })
	rogue.IssueTrustMark(x.leaf, markType, time.Now().Add(time.Hour))
	c, err := x.resolve(t)
	if err != nil {
		t.Fatal(err)
	}
	err = x.resolver.CheckTrustMark(context.Background(), c, markType, x.anchor.JWKS())
	wantCode(t, err, oidfed.CodeTrustMarkInvalid)

	x = newFed(t) // expired mark
	x.leaf.Set(func(e *oidfedtest.Entity) { e.TrustMarks = nil })
	x.tmi.IssueTrustMark(x.leaf, markType, time.Now().Add(-time.Second))
	c, _ = x.resolve(t)
	wantCode(t, x.resolver.CheckTrustMark(context.Background(), c, markType, x.anchor.JWKS()), oidfed.CodeTrustMarkInvalid)
}

func TestLoopAndLength(t *testing.T) {
	x := newFed(t)
	// inter also names the leaf as its authority, and the leaf vouches for it: a loop, tried first.
	x.leaf.Subordinate(x.inter, nil)
	x.inter.Set(func(e *oidfedtest.Entity) { e.Hints = []string{x.leaf.ID} })
	_, err := x.resolve(t)
	wantCode(t, err, oidfed.CodeChainLoop)

	f := oidfedtest.New(t)
	anchor := f.Entity()
	es := []*oidfedtest.Entity{anchor}
	for range oidfed.MaxChainLength {
		next := f.Entity()
		es[len(es)-1].Subordinate(next, nil)
		es = append(es, next)
	}
	r := &oidfed.Resolver{Client: oidfedtest.Client(anchor)}
	_, err = r.Resolve(context.Background(), es[len(es)-1].ID, anchor.ID, anchor.JWKS())
	wantCode(t, err, oidfed.CodeChainTooLong)
	// The longest allowed chain resolves: MaxChainLength statements, MaxChainLength-1 entities.
	if _, err := r.Resolve(context.Background(), es[oidfed.MaxChainLength-2].ID, anchor.ID, anchor.JWKS()); err != nil {
		t.Fatal(err)
	}
}

func TestCacheIsFailClosed(t *testing.T) {
	x := newFed(t)
	now := time.Now()
	cache := oidfed.NewCache(x.resolver, nil)
	req := oidfed.Request{Leaf: x.leaf.ID, Anchor: x.anchor.ID, AnchorKeys: x.anchor.JWKS(), TrustMark: markType}
	if _, ok := cache.Get(x.leaf.ID, x.anchor.ID, markType, now); ok {
		t.Fatal("empty cache answered")
	}
	c, err := cache.Load(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cache.Get(x.leaf.ID, x.anchor.ID, markType, now); !ok {
		t.Fatal("loaded chain not cached")
	}
	if _, ok := cache.Get(x.leaf.ID, x.anchor.ID, markType, c.ExpiresAt); ok {
		t.Fatal("expired chain answered")
	}
	// The federation stops vouching for the leaf: the next refresh drops it.
	x.inter.Set(func(*oidfedtest.Entity) { x.leafSub.Removed = true })
	cache.Refresh(context.Background())
	if _, ok := cache.Get(x.leaf.ID, x.anchor.ID, markType, now); ok {
		t.Fatal("revoked chain still answered")
	}
}

func TestMergePoliciesSpecExample(t *testing.T) {
	// OpenID Federation 1.0 §6.1.4.1 style: superior and subordinate policies combine.
	sup := oidfed.Policy{"openid_relying_party": {
		"grant_types":                {"default": []any{"authorization_code"}, "subset_of": []any{"authorization_code", "refresh_token"}, "superset_of": []any{"authorization_code"}},
		"token_endpoint_auth_method": {"one_of": []any{"private_key_jwt", "self_signed_tls_client_auth"}, "essential": true},
		"contacts":                   {"add": []any{"helpdesk@federation.example.org"}},
	}}
	sub := oidfed.Policy{"openid_relying_party": {
		"grant_types":                {"subset_of": []any{"authorization_code"}},
		"token_endpoint_auth_method": {"one_of": []any{"self_signed_tls_client_auth"}},
		"contacts":                   {"add": []any{"helpdesk@org.example.org"}},
	}}
	m, err := oidfed.MergePolicies(sup, sub)
	if err != nil {
		t.Fatal(err)
	}
	md := map[string]map[string]any{"openid_relying_party": {
		"grant_types": []any{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "self_signed_tls_client_auth",
		"contacts": []any{"rp_admins@cs.example.com"},
	}}
	if err := oidfed.ApplyPolicy(m, md); err != nil {
		t.Fatal(err)
	}
	rp := md["openid_relying_party"]
	if g := rp["grant_types"].([]any); len(g) != 1 || g[0] != "authorization_code" {
		t.Errorf("grant_types %v", g)
	}
	if c := rp["contacts"].([]any); len(c) != 3 {
		t.Errorf("contacts %v", c)
	}
	md["openid_relying_party"]["token_endpoint_auth_method"] = "client_secret_basic"
	if err := oidfed.ApplyPolicy(m, md); !errors.Is(err, oidfed.ErrPolicyViolation) {
		t.Errorf("one_of: %v", err)
	}
	if _, err := oidfed.MergePolicies(sup, oidfed.Policy{"openid_relying_party": {"contacts": {"regexp": "x"}}}); err == nil {
		t.Error("unknown operator merged")
	}
}
