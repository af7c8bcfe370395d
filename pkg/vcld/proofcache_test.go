package vcld

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mr-tron/base58"
)

func cachingProcessor(t *testing.T, size int, now *time.Time) *Processor {
	t.Helper()
	p, err := New(Options{Now: func() time.Time { return *now }, ProofCacheSize: size})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProofCache: a credential verified again (alone or in another
// presentation) is a cache hit; a changed claim, a credential carrying
// another's proof, a changed key, a key that no longer resolves and an
// expired proof are not, and fail as without the cache.
func TestProofCache(t *testing.T) {
	now := fixedTime
	p := cachingProcessor(t, 4, &now)
	issuer, holder := newTestKey(50), newTestKey(51)
	ctx := context.Background()
	cred := credV2(issuer.did)
	signedMap := signCred(t, p, issuer, cred)
	signed := mustJSON(t, signedMap)
	for range 2 {
		if _, err := p.VerifyCredential(ctx, signed, didKeyResolver); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.proofs.hits.Load(); got != 1 {
		t.Fatalf("%d cache hits, want 1", got)
	}
	// The same credential in two presentations: one hit each.
	o := PresentationOptions{Challenge: "c", Domain: "d"}
	for range 2 {
		if _, err := p.VerifyPresentation(ctx, signVP(t, p, holder, signedMap), didKeyResolver, o); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.proofs.hits.Load(); got != 3 {
		t.Fatalf("%d cache hits, want 3", got)
	}

	fails := func(what string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
	}
	hits := p.proofs.hits.Load()
	changed := mustMap(t, signed)
	changed["credentialSubject"].(map[string]any)["name"] = "Other Ltd"
	_, err := p.VerifyCredential(ctx, mustJSON(t, changed), didKeyResolver)
	fails("changed claim", err, ErrSignatureInvalid)
	_, err = p.VerifyPresentation(ctx, signVP(t, p, holder, changed), didKeyResolver, o)
	fails("changed claim, presented", err, ErrSignatureInvalid)

	swapped := credV2(issuer.did)
	swapped["credentialSubject"] = map[string]any{"id": "did:example:else"}
	swapped["proof"] = signedMap["proof"]
	_, err = p.VerifyCredential(ctx, mustJSON(t, swapped), didKeyResolver)
	fails("swapped credential", err, ErrSignatureInvalid)

	// The verification method now resolves to another key.
	other := newTestKey(52)
	rotated := func(ctx context.Context, vm string) (crypto.PublicKey, error) {
		return didKeyResolver(ctx, other.vm)
	}
	_, err = p.VerifyCredential(ctx, signed, rotated)
	fails("rotated key", err, ErrSignatureInvalid)
	gone := func(context.Context, string) (crypto.PublicKey, error) { return nil, fmt.Errorf("deactivated") }
	_, err = p.VerifyCredential(ctx, signed, gone)
	fails("key gone", err, ErrKeyNotFound)
	if got := p.proofs.hits.Load(); got != hits {
		t.Fatalf("%d cache hits for failing credentials", got-hits)
	}

	// Expiry is checked on every call, cached or not.
	unsecured := credV2(issuer.did)
	proof := map[string]any{
		"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-01T00:00:00Z",
		"expires": fixedTime.Add(time.Hour).Format(time.RFC3339), "verificationMethod": issuer.vm, "proofPurpose": "assertionMethod",
	}
	data, err := p.hashData(ctx, unsecured, proof)
	if err != nil {
		t.Fatal(err)
	}
	proof["proofValue"] = "z" + base58.Encode(ed25519.Sign(issuer.priv, data))
	unsecured["proof"] = proof
	expiring := mustJSON(t, unsecured)
	for range 2 {
		if _, err := p.VerifyCredential(ctx, expiring, didKeyResolver); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.proofs.hits.Load(); got != hits+1 {
		t.Fatalf("expiring proof: %d hits, want 1", got-hits)
	}
	now = fixedTime.Add(2 * time.Hour)
	_, err = p.VerifyCredential(ctx, expiring, didKeyResolver)
	fails("expired proof, cached", err, ErrProofMismatch)
}

// TestProofCacheBounded: the cache holds at most its size, least recently
// used out first.
func TestProofCacheBounded(t *testing.T) {
	c := newProofCache(2)
	k := func(b byte) [32]byte { return [32]byte{b} }
	c.add(k(1))
	c.add(k(2))
	if !c.has(k(1)) { // 1 is now the most recently used
		t.Fatal("1 missing")
	}
	c.add(k(3))
	if c.has(k(2)) || !c.has(k(1)) || !c.has(k(3)) || len(c.at) != 2 {
		t.Fatalf("after 3: %d entries", len(c.at))
	}
	if newProofCache(0) != nil {
		t.Fatal("size 0 makes a cache")
	}
}
