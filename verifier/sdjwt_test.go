package verifier_test

import (
	"context"
	"slices"
	"testing"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

func residentClaims() map[string]any {
	return map[string]any{"given_name": "Mei", "family_name": "Chan", "resident": true, "birthdate": "1990-01-01", "hkid": "A123456(7)"}
}

func TestSDJWTCredential(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(5, is.Authority())
	issued := is.SDJWT(t, "HKResidentIdentity", residentClaims(), holder, nil)
	minimal, err := vcjwt.Present(issued, []string{"given_name", "family_name", "resident"})
	if err != nil {
		t.Fatal(err)
	}

	v := newVerifier(t, trust, nil, verifier.Policy{})
	res, err := v.VerifyCredential(ctx, []byte(minimal))
	if err != nil || !res.Verified {
		t.Fatalf("minimal disclosure: %v %+v", err, res.Errors)
	}
	if res.Claims["given_name"] != "Mei" || res.Claims["hkid"] != nil || len(res.Disclosed) != 3 {
		t.Fatalf("claims %v disclosed %v", res.Claims, res.Disclosed)
	}

	res, _ = v.VerifyCredential(ctx, []byte(issued))
	if res.Verified || !res.HasError(verifier.CodeClaimNotAllowedAcrossBorder) {
		t.Fatalf("over-disclosure refused: %+v", res.Errors)
	}

	strip := newVerifier(t, trust, nil, verifier.Policy{CrossBorder: verifier.ClaimsStrip})
	res, _ = strip.VerifyCredential(ctx, []byte(issued))
	slices.Sort(res.Stripped)
	if !res.Verified || !slices.Equal(res.Stripped, []string{"birthdate", "hkid"}) || res.Claims["hkid"] != nil || !res.HasWarning(verifier.CodeClaimStripped) {
		t.Fatalf("strip: %+v stripped %v claims %v", res.Errors, res.Stripped, res.Claims)
	}

	// Token status list: 2 = suspended, 1 = invalid.
	sus := is.SDJWT(t, "HKResidentIdentity", map[string]any{"resident": true}, holder, &vcjwt.TokenStatusRef{Idx: 7, URI: "https://status.example/tok"})
	st := &testutil.Status{Values: map[string]uint8{"https://status.example/tok#7": 2}}
	res, _ = newVerifier(t, trust, st, verifier.Policy{}).VerifyCredential(ctx, []byte(sus))
	if res.Verified || res.FirstError() != verifier.CodeSuspended {
		t.Fatalf("token status suspended: %+v", res.Errors)
	}
	// Tampered disclosure (another value under the same digest is impossible:
	// a disclosure not in the payload is refused).
	res, _ = v.VerifyCredential(ctx, []byte(minimal[:len(minimal)-3]+"x~"))
	if res.Verified {
		t.Fatal("tampered disclosure verified")
	}
}

func TestSDJWTPresentation(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	thief := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(5, is.Authority())
	v := newVerifier(t, trust, nil, verifier.Policy{})
	issued := is.SDJWT(t, "HKResidentIdentity", residentClaims(), holder, nil)
	keep := []string{"given_name", "resident"}
	const aud = "https://verifier.lingang.example"

	nonce, _, err := v.IssueChallenge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vp := holder.Present(t, issued, keep, nonce, aud)
	res, err := v.VerifyPresentation(ctx, []byte(vp), verifier.PresentationOptions{Domain: aud})
	if err != nil || !res.Verified {
		t.Fatalf("%v %+v", err, res.Errors)
	}
	res, _ = v.VerifyPresentation(ctx, []byte(vp), verifier.PresentationOptions{Domain: aud})
	if res.Verified || res.FirstError() != verifier.CodeChallengeReused {
		t.Fatalf("replay: %+v", res.Errors)
	}

	nonce, _, _ = v.IssueChallenge(ctx)
	tests := []struct {
		name string
		vp   string
		opts verifier.PresentationOptions
		want verifier.Code
	}{
		{"key binding by another key", thief.Present(t, issued, keep, nonce, aud), verifier.PresentationOptions{}, verifier.CodeHolderBindingFailed},
		{"wrong audience", holder.Present(t, issued, keep, nonce, "https://elsewhere.example"), verifier.PresentationOptions{Domain: aud}, verifier.CodeChallengeInvalid},
		{"unknown nonce", holder.Present(t, issued, keep, "not-issued", aud), verifier.PresentationOptions{}, verifier.CodeChallengeInvalid},
		{"no key binding", issued, verifier.PresentationOptions{}, verifier.CodeHolderBindingFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.VerifyPresentation(ctx, []byte(tt.vp), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !res.HasError(tt.want) {
				t.Fatalf("errors %+v, want %s", res.Errors, tt.want)
			}
		})
	}
	// The failures above did not burn the challenge.
	res, _ = v.VerifyPresentation(ctx, []byte(holder.Present(t, issued, keep, nonce, aud)), verifier.PresentationOptions{Domain: aud})
	if !res.Verified {
		t.Fatalf("fresh use after failed attempts: %+v", res.Errors)
	}
}
