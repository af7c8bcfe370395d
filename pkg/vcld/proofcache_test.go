package vcld

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
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

// TestProofCacheSameVerdictAsUncached: after a credential is cached, each
// variant of its JSON (numbers written otherwise, equal strings escaped
// otherwise, Unicode in another normal form, a changed proof purpose,
// verification method or proof value, a member added or dropped, a key
// the verification method now resolves to) gets exactly the verdict a
// processor without a cache gives it, and a failing variant is never a
// hit.
func TestProofCacheSameVerdictAsUncached(t *testing.T) {
	now := fixedTime
	cached := cachingProcessor(t, 8, &now)
	plain := cachingProcessor(t, 0, &now)
	issuer, other := newTestKey(53), newTestKey(54)
	ctx := context.Background()
	cred := credV2(issuer.did)
	cred["@context"] = []any{ContextCredentialsV2, map[string]any{"count": map[string]any{"@id": "https://example.org/ns#count"}}}
	cred["credentialSubject"] = map[string]any{"id": "did:example:company-1", "name": "Café", "count": 1}
	signed := mustJSON(t, signCred(t, cached, issuer, cred))
	resolveTo := func(k testKey) KeyResolver {
		return func(ctx context.Context, vm string) (crypto.PublicKey, error) { return didKeyResolver(ctx, k.vm) }
	}
	// did:web-like resolution: the same verification method, the key the
	// controller's document names at the time.
	webVM := "did:web:issuer.example#key-1"
	webCred := credV2("did:web:issuer.example")
	webSigned, err := cached.SignCredential(ctx, mustJSON(t, webCred), SignOptions{Signer: issuer.priv, VerificationMethod: webVM})
	if err != nil {
		t.Fatal(err)
	}
	authSigned, err := cached.SignCredential(ctx, mustJSON(t, credV2(issuer.did)), SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, ProofPurpose: PurposeAuthentication})
	if err != nil {
		t.Fatal(err)
	}
	s := string(signed)
	replace := func(old, new string) []byte {
		t.Helper()
		if !strings.Contains(s, old) {
			t.Fatalf("%q not in %s", old, s)
		}
		return []byte(strings.Replace(s, old, new, 1))
	}
	proofValue := mustMap(t, signed)["proof"].(map[string]any)["proofValue"].(string)
	flipped := proofValue[:len(proofValue)-1] + map[bool]string{true: "2", false: "3"}[proofValue[len(proofValue)-1] == '3']
	type variant struct {
		doc  []byte
		keys KeyResolver
	}
	variants := map[string]variant{
		"original":            {signed, didKeyResolver},
		"1.0":                 {replace(`"count":1`, `"count":1.0`), didKeyResolver},
		"1e0":                 {replace(`"count":1`, `"count":1e0`), didKeyResolver},
		"10E-1":               {replace(`"count":1`, `"count":10E-1`), didKeyResolver},
		"2":                   {replace(`"count":1`, `"count":2`), didKeyResolver},
		"string 1":            {replace(`"count":1`, `"count":"1"`), didKeyResolver},
		"escaped é":           {replace(`Café`, `Caf\u00e9`), didKeyResolver},
		"decomposed é":        {replace(`Café`, "Cafe\u0301"), didKeyResolver},
		"purpose changed":     {replace(`"proofPurpose":"assertionMethod"`, `"proofPurpose":"authentication"`), didKeyResolver},
		"method changed":      {replace(`"verificationMethod":"`+issuer.vm, `"verificationMethod":"`+other.vm), didKeyResolver},
		"proof value changed": {replace(proofValue, flipped), didKeyResolver},
		"member added":        {replace(`"name":"Business registration"`, `"name":"Business registration","description":"x"`), didKeyResolver},
		"member dropped":      {replace(`"name":"Business registration",`, ``), didKeyResolver},
		"other key":           {signed, resolveTo(other)},
		"web, key 1":          {webSigned, resolveTo(issuer)},
		"web, rotated":        {webSigned, resolveTo(other)},
		"web, back":           {webSigned, resolveTo(issuer)},
		"authentication":      {authSigned, didKeyResolver},
	}
	names := []string{"original", "web, key 1", "authentication"} // cached first where they verify
	for name := range variants {
		names = append(names, name)
	}
	for round := range 2 {
		for _, name := range names {
			v := variants[name]
			hits := cached.proofs.hits.Load()
			_, got := cached.VerifyCredential(ctx, v.doc, v.keys)
			_, want := plain.VerifyCredential(ctx, v.doc, v.keys)
			if (got == nil) != (want == nil) || classOf(got) != classOf(want) {
				t.Errorf("round %d, %s: cached %v, uncached %v", round, name, got, want)
			}
			if want != nil && cached.proofs.hits.Load() != hits {
				t.Errorf("round %d, %s: failing variant was a cache hit", round, name)
			}
		}
	}
	for _, name := range []string{"original", "1.0", "1e0", "10E-1", "escaped é", "web, key 1", "web, back"} {
		if _, err := plain.VerifyCredential(ctx, variants[name].doc, variants[name].keys); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"2", "string 1", "decomposed é", "purpose changed", "method changed", "proof value changed", "member added", "member dropped", "other key", "web, rotated", "authentication"} {
		if _, err := plain.VerifyCredential(ctx, variants[name].doc, variants[name].keys); err == nil {
			t.Errorf("%s verifies", name)
		}
	}
}

// TestProofCacheKeyUnambiguous: moving bytes between the document, a
// verification method and a key, or adding a proof, changes the key.
func TestProofCacheKeyUnambiguous(t *testing.T) {
	pp := func(vms ...string) []parsedProof {
		out := make([]parsedProof, len(vms))
		for i, vm := range vms {
			out[i].info.VerificationMethod = vm
		}
		return out
	}
	k := func(b ...byte) ed25519.PublicKey { return ed25519.PublicKey(b) }
	keys := map[[32]byte]string{}
	for name, c := range map[string]struct {
		doc  string
		ps   []parsedProof
		keys []ed25519.PublicKey
	}{
		"base":          {"ab", pp("c"), []ed25519.PublicKey{k(1)}},
		"doc into vm":   {"a", pp("bc"), []ed25519.PublicKey{k(1)}},
		"vm into key":   {"ab", pp(""), []ed25519.PublicKey{k('c', 1)}},
		"two proofs":    {"ab", pp("c", ""), []ed25519.PublicKey{k(1), k()}},
		"split key":     {"ab", pp("c", ""), []ed25519.PublicKey{k(), k(1)}},
		"other key":     {"ab", pp("c"), []ed25519.PublicKey{k(2)}},
		"length in doc": {"ab\x00\x00\x00\x00\x00\x00\x00\x01c", nil, nil},
		"no proof":      {"ab", nil, nil},
	} {
		key := proofCacheKey([]byte(c.doc), c.ps, c.keys)
		if prev, dup := keys[key]; dup {
			t.Errorf("%s and %s share a cache key", name, prev)
		}
		keys[key] = name
	}
}

// TestProofCacheConcurrent: concurrent verifications of good and tampered
// credentials through a small cache (entries evicted all the time) give
// each its own verdict (run with -race).
func TestProofCacheConcurrent(t *testing.T) {
	now := fixedTime
	p := cachingProcessor(t, 2, &now)
	issuer := newTestKey(55)
	var good, bad [][]byte
	for i := range 4 {
		c := credV2(issuer.did)
		c["id"] = fmt.Sprintf("urn:uuid:c-%d", i)
		signed := signCred(t, p, issuer, c)
		good = append(good, mustJSON(t, signed))
		signed["credentialSubject"].(map[string]any)["name"] = "Other"
		bad = append(bad, mustJSON(t, signed))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				j := (g + i) % len(good)
				if _, err := p.VerifyCredential(context.Background(), good[j], didKeyResolver); err != nil {
					t.Errorf("good %d: %v", j, err)
				}
				if _, err := p.VerifyCredential(context.Background(), bad[j], didKeyResolver); !errors.Is(err, ErrSignatureInvalid) {
					t.Errorf("tampered %d: %v", j, err)
				}
			}
		})
	}
	wg.Wait()
	if p.proofs.hits.Load() == 0 {
		t.Error("no cache hit")
	}
}
