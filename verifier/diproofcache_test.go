package verifier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestDataIntegrityProofCache: with Config.DataIntegrityProofCache a
// credential verified before skips only its proof cryptography: status,
// validity time and tampering are still caught on the next call, in a
// credential and in a presentation.
func TestDataIntegrityProofCache(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	ss := testutil.NewStatusServer(t, is)
	now := testNow
	v, err := verifier.New(verifier.Config{
		TrustSource: verifier.NewStaticTrust(2, is.Authority()), StatusFetcher: verifier.StatusLists(ss.Fetcher),
		Policy: verifier.Policy{AllowCallerChallenge: true}, Clock: func() time.Time { return now },
		DataIntegrityProofCache: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(entry string) []byte {
		t.Helper()
		return is.SignLD(t, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testNow.Add(-time.Hour), Until: testNow.Add(time.Hour),
			Status: ss.Entry(entry), LD: true}.JSON(), testNow.Add(-time.Hour))
	}
	good, revoked := sign("1234"), sign("4242")
	o := verifier.PresentationOptions{Challenge: "n", Domain: "d"}
	for round := range 3 {
		if res, _ := v.VerifyCredential(ctx, good); !res.Verified {
			t.Fatalf("round %d: %+v", round, res.Errors)
		}
		if res, _ := v.VerifyPresentation(ctx, holder.PresentLD(t, "n", "d", good), o); !res.Verified {
			t.Fatalf("round %d, presented: %+v", round, res.Errors)
		}
		// Revoked on every call, its proofs cached or not.
		if res, _ := v.VerifyCredential(ctx, revoked); res.Verified || res.FirstError() != verifier.CodeRevoked {
			t.Fatalf("round %d, revoked: %+v", round, res.Errors)
		}
		if res, _ := v.VerifyPresentation(ctx, holder.PresentLD(t, "n", "d", revoked), o); res.Verified {
			t.Fatalf("round %d, revoked credential presented: verified", round)
		}
		// Tampered credentials are never hits.
		tampered := []byte(strings.Replace(string(good), "ACME Pte Ltd", "EVIL Pte Ltd", 1))
		if res, _ := v.VerifyCredential(ctx, tampered); res.Verified || res.FirstError() != verifier.CodeSignatureInvalid {
			t.Fatalf("round %d, tampered: %+v", round, res.Errors)
		}
		if res, _ := v.VerifyPresentation(ctx, holder.PresentLD(t, "n", "d", tampered), o); res.Verified {
			t.Fatalf("round %d, tampered credential presented: verified", round)
		}
	}
	// Past validUntil: expired, though its proofs are cached.
	now = testNow.Add(2 * time.Hour)
	if res, _ := v.VerifyCredential(ctx, good); res.Verified || res.FirstError() != verifier.CodeExpired {
		t.Fatalf("expired: %+v", res.Errors)
	}
}

// TestDataIntegrityProofCacheKeyedByResolvedKey: the cache remembers a proof
// with the key its verification method resolved to, and the key is resolved
// for the proof's purpose on every call. Once the issuer's did:web document
// no longer lists the key for assertions, or names another key under the
// same id, the same credential bytes fail: a cache keyed by the credential
// alone would still take them.
func TestDataIntegrityProofCacheKeyedByResolvedKey(t *testing.T) {
	ctx := context.Background()
	party := func() *testutil.Party {
		k, err := keys.Generate(keys.EdDSA)
		if err != nil {
			t.Fatal(err)
		}
		k.ID = "key-1"
		d := did.WebDID("issuer.example")
		return &testutil.Party{Key: k, DID: d, Kid: d + "#key-1"}
	}
	is, rotated := party(), party()
	r := docResolver{is.DID: did.NewDocument(is.DID, []*keys.Key{is.Key})}
	now := testNow
	v, err := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(1, is.Authority()), Resolver: r,
		Clock: func() time.Time { return now }, KeyCacheTTL: time.Minute, DataIntegrityProofCache: 16})
	if err != nil {
		t.Fatal(err)
	}
	cred := is.SignLD(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), Until: testNow.Add(time.Hour), LD: true}.JSON(), testNow.Add(-time.Hour))
	for range 2 {
		if res, _ := v.VerifyCredential(ctx, cred); !res.Verified {
			t.Fatalf("before the rotation: %+v", res.Errors)
		}
	}
	// The same key, no longer listed for assertions: refused, though the
	// proof and its key are those cached.
	notForAssertion := *did.NewDocument(is.DID, []*keys.Key{is.Key})
	notForAssertion.AssertionMethod = nil
	r[is.DID] = &notForAssertion
	now = testNow.Add(2 * time.Minute) // past the key cache's TTL
	if res, _ := v.VerifyCredential(ctx, cred); res.Verified || res.FirstError() != verifier.CodeKeyNotFound {
		t.Fatalf("key no longer for assertions: verified=%v %+v", res.Verified, res.Errors)
	}
	r[is.DID] = did.NewDocument(is.DID, []*keys.Key{rotated.Key})
	now = testNow.Add(4 * time.Minute)
	if res, _ := v.VerifyCredential(ctx, cred); res.Verified || res.FirstError() != verifier.CodeSignatureInvalid {
		t.Fatalf("after the rotation: verified=%v %+v", res.Verified, res.Errors)
	}
}

// TestReleasedClaimsAreNotShared: the claims a verification releases are
// its own: a caller that edits them changes nothing in the next
// verification of the same credential, its proofs cached or not.
func TestReleasedClaimsAreNotShared(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	cred := is.SignLD(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), LD: true}.JSON(), testNow.Add(-time.Hour))
	for _, size := range []int{0, 16} {
		v, err := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(1, is.Authority()), Clock: testutil.Clock,
			DataIntegrityProofCache: size})
		if err != nil {
			t.Fatal(err)
		}
		first, _ := v.VerifyCredential(ctx, cred)
		if !first.Verified {
			t.Fatalf("cache %d: %+v", size, first.Errors)
		}
		first.Claims["legalName"] = "EVIL Pte Ltd"
		first.Claims["admin"] = true
		second, _ := v.VerifyCredential(ctx, cred)
		if !second.Verified || second.Claims["legalName"] != "ACME Pte Ltd" || second.Claims["admin"] != nil {
			t.Fatalf("cache %d: the second verification reads %v", size, second.Claims)
		}
	}
}
