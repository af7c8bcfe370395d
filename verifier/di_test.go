package verifier_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
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

// docResolver serves fixed DID documents.
type docResolver map[string]*did.Document

func (r docResolver) Resolve(_ context.Context, d string) (*did.Document, error) {
	if doc, ok := r[d]; ok {
		return doc, nil
	}
	return nil, fmt.Errorf("%w: %s", did.ErrResolution, d)
}

// TestDataIntegrityPresentationKeys: each credential of a Data Integrity
// presentation is verified once, with the presentation, yet its proof key
// must still be listed under assertionMethod, and the presentation's under
// authentication; enveloped (VC-JOSE) credentials beside Data Integrity ones
// go through the JOSE path.
func TestDataIntegrityPresentationKeys(t *testing.T) {
	ctx := context.Background()
	party := func(name string) *testutil.Party {
		k, err := keys.Generate(keys.EdDSA)
		if err != nil {
			t.Fatal(err)
		}
		k.ID = "key-1"
		d := did.WebDID(name + ".example")
		return &testutil.Party{Key: k, DID: d, Kid: d + "#key-1"}
	}
	doc := func(p *testutil.Party, assertion, authentication bool) *did.Document {
		full := did.NewDocument(p.DID, []*keys.Key{p.Key})
		d := *full
		if !assertion {
			d.AssertionMethod = nil
		}
		if !authentication {
			d.Authentication = nil
		}
		return &d
	}
	is, authOnly, holder, assertOnly := party("issuer"), party("auth-only-issuer"), party("holder"), party("assert-only-holder")
	r := docResolver{is.DID: doc(is, true, true), authOnly.DID: doc(authOnly, false, true),
		holder.DID: doc(holder, true, true), assertOnly.DID: doc(assertOnly, true, false)}
	v, err := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(1, is.Authority(), authOnly.Authority()),
		Resolver: r, Clock: testutil.Clock, Policy: verifier.Policy{AllowCallerChallenge: true}})
	if err != nil {
		t.Fatal(err)
	}
	diCred := func(issuer *testutil.Party, subject string, n int) string {
		unsigned := strings.Replace(string(testutil.Cred{Issuer: issuer.DID, Subject: subject, From: testNow.Add(-time.Hour), LD: true}.JSON()),
			"000000000001", fmt.Sprintf("%012d", n), 1)
		signed, err := vcld.SignCredential(ctx, []byte(unsigned), vcld.SignOptions{Signer: issuer.Key.Signer, VerificationMethod: issuer.Kid, Created: testNow.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return string(signed)
	}
	present := func(h *testutil.Party, creds ...string) []byte {
		vp := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"holder":"` + h.DID +
			`","verifiableCredential":[` + strings.Join(creds, ",") + `]}`
		signed, err := vcld.SignPresentation(ctx, []byte(vp), vcld.SignOptions{Signer: h.Key.Signer, VerificationMethod: h.Kid, Challenge: "n-1", Domain: "verifier.example", Created: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	enveloped := string(vc.Envelope(vc.MediaTypeVCJWT, is.JOSE(t, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testNow.Add(-time.Hour)}.JSON())))
	tests := []struct {
		name  string
		vp    []byte
		want  verifier.Code
		creds int
	}{
		{"two credentials", present(holder, diCred(is, holder.DID, 1), diCred(is, holder.DID, 2)), "", 2},
		{"enveloped between data integrity", present(holder, diCred(is, holder.DID, 1), enveloped, diCred(is, holder.DID, 2)), "", 3},
		{"credential key not for assertion", present(holder, diCred(is, holder.DID, 1), diCred(authOnly, holder.DID, 2)), verifier.CodeKeyNotFound, 2},
		{"presentation key not for authentication", present(assertOnly, diCred(is, assertOnly.DID, 1)), verifier.CodeKeyNotFound, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.VerifyPresentation(ctx, tt.vp, verifier.PresentationOptions{Challenge: "n-1", Domain: "verifier.example"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Credentials) != tt.creds {
				t.Fatalf("%d credential results, want %d: %+v", len(res.Credentials), tt.creds, res.Errors)
			}
			if tt.want == "" {
				if !res.Verified || res.Holder != holder.DID {
					t.Fatalf("%+v", res.Errors)
				}
				for _, c := range res.Credentials {
					if !c.Verified || c.Claims["registrationNumber"] != "201912345K" || c.Recognition == nil {
						t.Fatalf("credential: %+v", c)
					}
				}
				return
			}
			if res.Verified || res.FirstError() != tt.want {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
			}
		})
	}
}
