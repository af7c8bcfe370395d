package verifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// fuzzSeeds returns valid credentials and presentations of every format,
// and a verifier that trusts their issuer.
func fuzzSeeds(f *testing.F) (*verifier.Verifier, []string) {
	is := testutil.NewParty(f, keys.EdDSA)
	holder := testutil.NewParty(f, keys.EdDSA)
	v := newVerifier(f, verifier.NewStaticTrust(1, is.Authority()), &testutil.Status{}, verifier.Policy{AllowCallerChallenge: true})
	jose := is.JOSE(f, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testNow.Add(-time.Hour), Status: testutil.StatusEntry("revocation", "5")}.JSON())
	sd := is.SDJWT(f, "HKResidentIdentity", map[string]any{"given_name": "Mei", "resident": true, "address": map[string]any{"city": "HK"}}, holder, &vcjwt.TokenStatusRef{Idx: 3, URI: "https://status.example/t"})
	kb := holder.Present(f, sd, []string{"given_name"}, "nonce-1", "aud")
	vp := holder.JWTVP(f, "nonce-2", "aud", jose)
	env := `{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"data:application/vc+jwt,` + jose + `","type":"EnvelopedVerifiableCredential"}`
	di, err := vcld.SignCredential(context.Background(), testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testNow.Add(-time.Hour), LD: true}.JSON(),
		vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testNow.Add(-time.Hour)})
	if err != nil {
		f.Fatal(err)
	}
	return v, []string{jose, sd, kb, vp, env, string(di), `"` + jose + `"`, "{}", "~", "a.b.c", `{"proof":{}}`}
}

// FuzzVerifyCredential: any input gives a result, never a panic, and a
// verified result only for an input whose signature checks.
func FuzzVerifyCredential(f *testing.F) {
	v, seeds := fuzzSeeds(f)
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := v.VerifyCredential(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Verified && len(res.Errors) == 0 {
			t.Fatalf("not verified without an error: %+v", res)
		}
		if res.Verified && (res.Recognition == nil || res.Issuer == "") {
			t.Fatalf("verified without grounds: %+v", res)
		}
	})
}

// FuzzVerifyPresentation: presentation parsing and verification of any input.
func FuzzVerifyPresentation(f *testing.F) {
	v, seeds := fuzzSeeds(f)
	for _, s := range seeds {
		f.Add([]byte(s), "nonce-1")
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw []byte, challenge string) {
		res, err := v.VerifyPresentation(ctx, raw, verifier.PresentationOptions{Challenge: challenge})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Verified && len(res.Errors) == 0 {
			t.Fatalf("not verified without an error: %+v", res)
		}
	})
}
