package verifier_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// withoutSubjectID returns the credential JSON with no credentialSubject.id:
// a bearer credential.
func withoutSubjectID(t *testing.T, cred []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(cred, &m); err != nil {
		t.Fatal(err)
	}
	delete(m["credentialSubject"].(map[string]any), "id")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHolderBinding: with Policy.RequireHolderBinding a presentation is
// refused (holder_binding_failed) when a credential names no subject, so
// that no binding to the presenter can be established; without it such a
// bearer credential is accepted. A credential of someone else is refused
// either way.
func TestHolderBinding(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(1, is.Authority())
	from := testNow.Add(-time.Hour)
	bound := is.JOSE(t, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: from}.JSON())
	bearer := is.JOSE(t, withoutSubjectID(t, testutil.Cred{Issuer: is.DID, From: from}.JSON()))
	other := is.JOSE(t, testutil.Cred{Issuer: is.DID, Subject: "did:example:someone-else", From: from}.JSON())

	// A Data Integrity presentation of a bearer credential.
	ldBearer, err := vcld.SignCredential(ctx, withoutSubjectID(t, testutil.Cred{Issuer: is.DID, From: from, LD: true}.JSON()),
		vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: from})
	if err != nil {
		t.Fatal(err)
	}
	diVP := func(nonce string) []byte {
		vp := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"holder":"` + holder.DID + `","verifiableCredential":[` + string(ldBearer) + `]}`
		signed, err := vcld.SignPresentation(ctx, []byte(vp), vcld.SignOptions{Signer: holder.Key.Signer, VerificationMethod: holder.Kid, Challenge: nonce, Domain: "aud", Created: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	jwtVP := func(creds ...any) func(string) []byte {
		return func(nonce string) []byte { return []byte(holder.JWTVP(t, nonce, "aud", creds...)) }
	}

	for _, tt := range []struct {
		name    string
		vp      func(nonce string) []byte
		require bool
		want    verifier.Code // "" = verified
	}{
		{"bound, required", jwtVP(bound), true, ""},
		{"bound, not required", jwtVP(bound), false, ""},
		{"bearer, required", jwtVP(bearer), true, verifier.CodeHolderBindingFailed},
		{"bearer, not required", jwtVP(bearer), false, ""},
		{"bound and bearer, required", jwtVP(bound, bearer), true, verifier.CodeHolderBindingFailed},
		{"bound and bearer, not required", jwtVP(bound, bearer), false, ""},
		{"someone else's, required", jwtVP(other), true, verifier.CodeHolderBindingFailed},
		{"someone else's, not required", jwtVP(other), false, verifier.CodeHolderBindingFailed},
		{"Data Integrity bearer, required", diVP, true, verifier.CodeHolderBindingFailed},
		{"Data Integrity bearer, not required", diVP, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, trust, nil, verifier.Policy{RequireHolderBinding: tt.require})
			nonce, _, err := v.IssueChallenge(ctx)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyPresentation(ctx, tt.vp(nonce), verifier.PresentationOptions{Domain: "aud"})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.FirstError(); res.Verified != (tt.want == "") || got != tt.want {
				t.Fatalf("verified=%v errors=%+v, want %q", res.Verified, res.Errors, tt.want)
			}
			if !res.Verified && res.Errors[0].Message == "" {
				t.Fatal("no message")
			}
		})
	}
}
