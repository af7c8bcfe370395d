package vcld

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type jsSigned struct {
	DID                string         `json:"did"`
	VerificationMethod string         `json:"verificationMethod"`
	Signed             map[string]any `json:"signed"`
}

type jsVerified struct {
	Verified bool   `json:"verified"`
	Error    string `json:"error"`
}

type interopCase struct {
	name  string
	cred  map[string]any
	suite Suite
	vocab bool // the credential's contexts define @vocab
}

// interopCases are the credential shapes both directions exercise.
func interopCases(k testKey) []interopCase {
	return []interopCase{
		{"vc2-eddsa-rdfc-2022", credV2(k.did), EddsaRdfc2022, false},
		{"vc1-eddsa-rdfc-2022", credV1(k.did), EddsaRdfc2022, false},
		{"vc1-Ed25519Signature2020", credV1(k.did), Ed25519Signature2020, false},
		{"vc2-Ed25519Signature2020", credV2(k.did), Ed25519Signature2020, false},
		{"vc1-status-Ed25519Signature2020", vc1WithStatus(k.did), Ed25519Signature2020, false},
		{"vc2-examples-context", examplesCred(k.did), EddsaRdfc2022, true},
		{"vc2-status", vc2WithStatus(k.did), EddsaRdfc2022, false},
		{"vc1-status-list-context", vc1WithStatus(k.did), EddsaRdfc2022, false},
	}
}

// vc2WithStatus is a VC 2.0 credential with a Bitstring Status List entry.
func vc2WithStatus(did string) map[string]any {
	c := withStatus(credV2(did))
	delete(c, "evidence")
	return c
}

// vc1WithStatus is a VC 1.1 credential with a Bitstring Status List entry
// (its terms from the pinned status list context).
func vc1WithStatus(did string) map[string]any {
	c := credV1(did)
	c["@context"] = []any{ContextCredentialsV1, ContextBitstringStatusListV1}
	c["credentialStatus"] = map[string]any{
		"id": "https://issuer.example/status/1#7", "type": "BitstringStatusListEntry", "statusPurpose": "suspension",
		"statusListIndex": "7", "statusListCredential": "https://issuer.example/status/1",
	}
	return c
}

// examplesCred is shaped like the W3C VC 2.0 test suite's credentials.
func examplesCred(did string) map[string]any {
	c := credV2(did)
	c["@context"] = []any{ContextCredentialsV2, ContextCredentialsExamplesV2}
	c["type"] = []any{"VerifiableCredential", "ExampleAlumniCredential"}
	c["credentialSubject"] = map[string]any{"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}
	return c
}

// TestInteropGoSignedVerifiesInJS: credentials signed here verify with
// @digitalbazaar/vc and its suites, and tampered copies do not (so the
// check checks).
func TestInteropGoSignedVerifiesInJS(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	k := newTestKey(2)
	var reqs []any
	cases := interopCases(k)
	for _, tc := range cases {
		signed, err := p.SignCredential(context.Background(), mustJSON(t, tc.cred), SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: tc.suite})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		tampered := mustMap(t, signed)
		tampered["credentialSubject"].(map[string]any)["id"] = "did:example:someone-else"
		reqs = append(reqs, map[string]any{"credential": mustMap(t, signed)}, map[string]any{"credential": tampered})
	}
	out := jsBatch[jsVerified](t, "vcld-verify.mjs", reqs)
	for i, tc := range cases {
		if !out[2*i].Verified {
			t.Errorf("%s: JS did not verify our credential: %s", tc.name, out[2*i].Error)
		}
		if out[2*i+1].Verified {
			t.Errorf("%s: JS verified a tampered credential", tc.name)
		}
	}
}

// TestInteropJSSignedVerifiesInGo: credentials signed by @digitalbazaar/vc
// verify here, and tampered or extended copies fail with the right class.
func TestInteropJSSignedVerifiesInGo(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	k := newTestKey(3)
	cases := interopCases(k)
	var reqs []any
	for _, tc := range cases {
		reqs = append(reqs, map[string]any{"seed": k.seedHex, "credential": tc.cred, "suite": string(tc.suite)})
	}
	signedByJS := jsBatch[jsSigned](t, "vcld-sign.mjs", reqs)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			js := signedByJS[i]
			if js.DID != k.did {
				t.Fatalf("JS derived %s, we derive %s", js.DID, k.did)
			}
			signed := mustJSON(t, js.Signed)
			r, err := p.VerifyCredential(context.Background(), signed, didKeyResolver)
			if err != nil {
				t.Fatalf("JS-signed credential does not verify: %v\n%s", err, signed)
			}
			if r.Issuer != k.did || r.Suite != tc.suite || r.VerificationMethod != js.VerificationMethod {
				t.Fatalf("result %+v", r)
			}

			mutations := []struct {
				name   string
				mutate func(m map[string]any)
				want   error
			}{
				{"tampered subject", func(m map[string]any) { m["credentialSubject"].(map[string]any)["id"] = "did:example:other" }, ErrSignatureInvalid},
				{"tampered proof created", func(m map[string]any) { m["proof"].(map[string]any)["created"] = "2020-01-01T00:00:00Z" }, ErrSignatureInvalid},
				{"unsigned undefined term", func(m map[string]any) { m["credentialSubject"].(map[string]any)["nationality"] = "SG" }, ErrUnsafeDocument},
				{"unsigned top-level undefined term", func(m map[string]any) { m["approvedBy"] = "regulator" }, ErrUnsafeDocument},
				{"unsigned @-junk key", func(m map[string]any) { m["@approved"] = true }, ErrUnsafeDocument},
				{"unsigned term mapped to null by an inline context", func(m map[string]any) {
					m["@context"] = append(m["@context"].([]any), map[string]any{"extra": nil})
					m["extra"] = "unsigned"
				}, ErrUnsafeDocument},
				{"unknown context", func(m map[string]any) {
					m["@context"] = append(m["@context"].([]any), "https://evil.example/ctx")
				}, ErrContextNotAllowed},
				{"relative type", func(m map[string]any) {
					m["@context"] = append(m["@context"].([]any), map[string]any{"@base": "https://x.example/"})
				}, nil},
				{"proofValue garbage", func(m map[string]any) { m["proof"].(map[string]any)["proofValue"] = "z111" }, ErrSignatureInvalid},
				{"proof purpose", func(m map[string]any) { m["proof"].(map[string]any)["proofPurpose"] = "authentication" }, ErrProofMismatch},
			}
			for _, mu := range mutations {
				m := mustMap(t, signed)
				mu.mutate(m)
				_, err := p.VerifyCredential(context.Background(), mustJSON(t, m), didKeyResolver)
				if mu.want == nil {
					continue
				}
				want := mu.want
				if tc.vocab && strings.HasPrefix(mu.name, "unsigned") && strings.HasSuffix(mu.name, "undefined term") {
					// Under an @vocab every term is defined: the addition is
					// data the signature does not cover.
					want = ErrSignatureInvalid
				}
				if !errors.Is(err, want) {
					t.Errorf("%s: got %v, want %v", mu.name, err, want)
				}
			}
		})
	}
}
