package verifier_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestProofSetsAndChains: Data Integrity credentials with a witness's proof
// beside (set) or after (chain) the issuer's, through the SDK. The witness
// is a did:web resolved by the verifier's resolver.
func TestProofSetsAndChains(t *testing.T) {
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
	is, witness, authOnly := party("issuer"), party("witness"), party("auth-only-witness")
	authDoc := *did.NewDocument(authOnly.DID, []*keys.Key{authOnly.Key})
	authDoc.AssertionMethod = nil
	r := docResolver{
		is.DID:       did.NewDocument(is.DID, []*keys.Key{is.Key}),
		witness.DID:  did.NewDocument(witness.DID, []*keys.Key{witness.Key}),
		authOnly.DID: &authDoc,
	}
	newV := func(p verifier.Policy) *verifier.Verifier {
		v, err := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(1, is.Authority()), Resolver: r, Clock: testutil.Clock, Policy: p})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	created := testNow.Add(-time.Hour)
	unsigned := testutil.Cred{Issuer: is.DID, From: created, LD: true}.JSON()
	signed, err := vcld.SignCredential(ctx, unsigned, vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: created, ID: "urn:uuid:issuer-proof"})
	if err != nil {
		t.Fatal(err)
	}
	add := func(doc []byte, by *testutil.Party, id string, prev ...string) []byte {
		t.Helper()
		out, err := vcld.AddProof(ctx, doc, vcld.SignOptions{Signer: by.Key.Signer, VerificationMethod: by.Kid, Created: testNow, ID: id, PreviousProof: prev})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	set := add(signed, witness, "urn:uuid:witness-proof")
	chain := add(signed, witness, "urn:uuid:witness-proof", "urn:uuid:issuer-proof")
	// mutate edits the proofs of a copy of doc.
	mutate := func(doc []byte, f func(proofs []any) []any) []byte {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		m["proof"] = f(m["proof"].([]any))
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	proof := func(ps []any, i int) map[string]any { return ps[i].(map[string]any) }

	tests := []struct {
		name   string
		doc    []byte
		policy verifier.Policy
		want   verifier.Code
	}{
		{"issuer proof alone", signed, verifier.Policy{}, ""},
		{"issuer and witness proof set", set, verifier.Policy{}, ""},
		{"chain of two", chain, verifier.Policy{}, ""},
		{"witness required and present (set)", set, verifier.Policy{RequiredProofsBy: []string{witness.DID}}, ""},
		{"witness required and present (chain)", chain, verifier.Policy{RequiredProofsBy: []string{witness.DID}}, ""},
		{"witness required, issuer proof alone", signed, verifier.Policy{RequiredProofsBy: []string{witness.DID}}, verifier.CodeProofMissing},
		{"tampered second proof", mutate(chain, func(ps []any) []any { proof(ps, 1)["created"] = "2020-01-01T00:00:00Z"; return ps }), verifier.Policy{}, verifier.CodeSignatureInvalid},
		{"chained proof moved into the set", mutate(chain, func(ps []any) []any { delete(proof(ps, 1), "previousProof"); return ps }), verifier.Policy{}, verifier.CodeSignatureInvalid},
		{"chain to a missing id", mutate(chain, func(ps []any) []any { proof(ps, 1)["previousProof"] = "urn:uuid:gone"; return ps }), verifier.Policy{}, verifier.CodeProofChainInvalid},
		{"chain cycle", mutate(chain, func(ps []any) []any { proof(ps, 0)["previousProof"] = "urn:uuid:witness-proof"; return ps }), verifier.Policy{}, verifier.CodeProofChainInvalid},
		{"only the witness proof", mutate(set, func(ps []any) []any { return ps[1:] }), verifier.Policy{}, verifier.CodeProofMissing},
		{"issuer proof invalid, witness proof valid", mutate(set, func(ps []any) []any { proof(ps, 0)["created"] = "2020-01-01T00:00:00Z"; return ps }), verifier.Policy{}, verifier.CodeSignatureInvalid},
		{"witness key not for assertion", add(signed, authOnly, "urn:uuid:w2"), verifier.Policy{}, verifier.CodeKeyNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newV(tt.policy).VerifyCredential(ctx, tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if !res.Verified || res.Issuer != is.DID || res.Claims["registrationNumber"] != "201912345K" || !res.IssuedAt.Equal(created) {
					t.Fatalf("verified=%v %+v issuedAt=%v", res.Verified, res.Errors, res.IssuedAt)
				}
				return
			}
			if res.Verified || res.FirstError() != tt.want {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
			}
		})
	}

	// A JOSE credential carries one signature: a policy requiring a
	// witness refuses it.
	jose := is.JOSE(t, testutil.Cred{Issuer: is.DID, From: created}.JSON())
	res, err := newV(verifier.Policy{RequiredProofsBy: []string{witness.DID}}).VerifyCredential(ctx, []byte(jose))
	if err != nil || res.Verified || res.FirstError() != verifier.CodeProofMissing {
		t.Fatalf("JOSE with a required witness: %v %+v", err, res)
	}

	// A presentation of the chained credential: verified once, with it.
	holder := party("holder")
	r[holder.DID] = did.NewDocument(holder.DID, []*keys.Key{holder.Key})
	vp := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"holder":"` + holder.DID + `","verifiableCredential":[` + string(chain) + `]}`
	signedVP, err := vcld.SignPresentation(ctx, []byte(vp), vcld.SignOptions{Signer: holder.Key.Signer, VerificationMethod: holder.Kid, Challenge: "n-1", Domain: "verifier.example", Created: testNow})
	if err != nil {
		t.Fatal(err)
	}
	pv := newV(verifier.Policy{AllowCallerChallenge: true, HolderBinding: verifier.HolderBindingNone, RequiredProofsBy: []string{witness.DID}})
	res, err = pv.VerifyPresentation(ctx, signedVP, verifier.PresentationOptions{Challenge: "n-1", Domain: "verifier.example"})
	if err != nil || !res.Verified || len(res.Credentials) != 1 || !res.Credentials[0].Verified {
		t.Fatalf("presentation of a chained credential: %v %+v", err, res)
	}
}
