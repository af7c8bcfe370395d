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

func TestDataIntegrity(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(2, is.Authority())
	v := newVerifier(t, trust, nil, verifier.Policy{})

	unsigned := testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testNow.Add(-time.Hour), LD: true}.JSON()
	signed, err := vcld.SignCredential(ctx, unsigned, vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testNow.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyCredential(ctx, signed)
	if err != nil || !res.Verified {
		t.Fatalf("%v %+v", err, res.Errors)
	}
	if res.Format != "ldp_vc" || res.Claims["registrationNumber"] != "201912345K" || res.Recognition == nil {
		t.Fatalf("%+v", res)
	}
	tampered := []byte(strings.Replace(string(signed), "ACME Pte Ltd", "EVIL Pte Ltd", 1))
	res, _ = v.VerifyCredential(ctx, tampered)
	if res.Verified || res.FirstError() != verifier.CodeSignatureInvalid {
		t.Fatalf("tampered: %+v", res.Errors)
	}

	// A Data Integrity presentation of the credential by its subject.
	nonce, _, err := v.IssueChallenge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vp := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"holder":"` + holder.DID + `","verifiableCredential":[` + string(signed) + `]}`)
	signedVP, err := vcld.SignPresentation(ctx, vp, vcld.SignOptions{Signer: holder.Key.Signer, VerificationMethod: holder.Kid, Challenge: nonce, Domain: "verifier.example", Created: testNow})
	if err != nil {
		t.Fatal(err)
	}
	res, err = v.VerifyPresentation(ctx, signedVP, verifier.PresentationOptions{Domain: "verifier.example"})
	if err != nil || !res.Verified || res.Holder != holder.DID {
		t.Fatalf("DI presentation: %v %+v", err, res.Errors)
	}
	res, _ = v.VerifyPresentation(ctx, signedVP, verifier.PresentationOptions{Domain: "verifier.example"})
	if res.Verified || res.FirstError() != verifier.CodeChallengeReused {
		t.Fatalf("DI replay: %+v", res.Errors)
	}
}
