package verifier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcld"
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
		unsigned := testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testNow.Add(-time.Hour), Until: testNow.Add(time.Hour),
			Status: ss.Entry(entry), LD: true}.JSON()
		signed, err := vcld.SignCredential(ctx, unsigned, vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testNow.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	good, revoked := sign("1234"), sign("4242")
	present := func(creds ...[]byte) []byte {
		t.Helper()
		items := make([]string, len(creds))
		for i, c := range creds {
			items[i] = string(c)
		}
		vp := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"holder":"` + holder.DID +
			`","verifiableCredential":[` + strings.Join(items, ",") + `]}`)
		signed, err := vcld.SignPresentation(ctx, vp, vcld.SignOptions{Signer: holder.Key.Signer, VerificationMethod: holder.Kid, Challenge: "n", Domain: "d", Created: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	o := verifier.PresentationOptions{Challenge: "n", Domain: "d"}
	for round := range 3 {
		if res, _ := v.VerifyCredential(ctx, good); !res.Verified {
			t.Fatalf("round %d: %+v", round, res.Errors)
		}
		if res, _ := v.VerifyPresentation(ctx, present(good), o); !res.Verified {
			t.Fatalf("round %d, presented: %+v", round, res.Errors)
		}
		// Revoked on every call, its proofs cached or not.
		if res, _ := v.VerifyCredential(ctx, revoked); res.Verified || res.FirstError() != verifier.CodeRevoked {
			t.Fatalf("round %d, revoked: %+v", round, res.Errors)
		}
		if res, _ := v.VerifyPresentation(ctx, present(revoked), o); res.Verified {
			t.Fatalf("round %d, revoked credential presented: verified", round)
		}
		// Tampered credentials are never hits.
		tampered := []byte(strings.Replace(string(good), "ACME Pte Ltd", "EVIL Pte Ltd", 1))
		if res, _ := v.VerifyCredential(ctx, tampered); res.Verified || res.FirstError() != verifier.CodeSignatureInvalid {
			t.Fatalf("round %d, tampered: %+v", round, res.Errors)
		}
		if res, _ := v.VerifyPresentation(ctx, present(tampered), o); res.Verified {
			t.Fatalf("round %d, tampered credential presented: verified", round)
		}
	}
	// Past validUntil: expired, though its proofs are cached.
	now = testNow.Add(2 * time.Hour)
	if res, _ := v.VerifyCredential(ctx, good); res.Verified || res.FirstError() != verifier.CodeExpired {
		t.Fatalf("expired: %+v", res.Errors)
	}
}
