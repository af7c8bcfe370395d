package vcld

import (
	"context"
	"errors"
	"testing"

	"github.com/idport/idport/pkg/nodetest"
)

func vpSkeleton(version int) map[string]any {
	c := ContextCredentialsV2
	if version == 1 {
		c = ContextCredentialsV1
	}
	return map[string]any{"@context": []any{c}, "type": []any{"VerifiablePresentation"}}
}

// TestInteropJSPresentationVerifiesInGo: a presentation made by
// @digitalbazaar/vc (eddsa-rdfc-2022, challenge + domain) embedding a
// JS-signed credential verifies here; the canonical form of our view of it
// equals the JS one; wrong challenges and tampering fail.
func TestInteropJSPresentationVerifiesInGo(t *testing.T) {
	p := newTestProcessor(t)
	issuerKey, holderKey := newTestKey(5), newTestKey(6)
	for _, version := range []int{2, 1} {
		t.Run(map[int]string{1: "vc1", 2: "vc2"}[version], func(t *testing.T) {
			cred := credV2(issuerKey.did)
			if version == 1 {
				cred = credV1(issuerKey.did)
			}
			var vcOut jsSigned
			nodetest.Run(t, "vcld-sign.mjs", map[string]any{"seed": issuerKey.seedHex, "credential": cred}, &vcOut)
			var vpOut jsSigned
			nodetest.Run(t, "vcld-sign.mjs", map[string]any{
				"seed": holderKey.seedHex, "presentation": vpSkeleton(version),
				"credentials": []any{vcOut.Signed}, "challenge": "c-123", "domain": "verifier.example",
			}, &vpOut)
			vp := vpOut.Signed

			// Canonical form of the unsecured presentation, ours vs JS.
			unsecured := map[string]any{}
			for k, v := range vp {
				if k != "proof" {
					unsecured[k] = v
				}
			}
			got, err := p.canonicalize(context.Background(), p.presentationView(unsecured))
			if err != nil {
				t.Fatal(err)
			}
			if want := jsCanonicalize(t, unsecured); got != want.NQuads {
				t.Fatalf("presentation canonical forms differ\nGo:\n%s\nJS:\n%s%s", got, want.NQuads, want.Error)
			}

			opts := PresentationOptions{Challenge: "c-123", Domain: "verifier.example"}
			r, err := p.VerifyPresentation(context.Background(), mustJSON(t, vp), didKeyResolver, opts)
			if err != nil {
				t.Fatalf("JS presentation does not verify: %v", err)
			}
			if r.Holder != holderKey.did || len(r.Credentials) != 1 || r.Credentials[0].Issuer != issuerKey.did || r.Proof.Challenge != "c-123" {
				t.Fatalf("result %+v", r)
			}

			cases := []struct {
				name   string
				opts   PresentationOptions
				mutate func(m map[string]any)
				want   error
			}{
				{"wrong challenge", PresentationOptions{Challenge: "other", Domain: "verifier.example"}, nil, ErrChallenge},
				{"wrong domain", PresentationOptions{Challenge: "c-123", Domain: "evil.example"}, nil, ErrChallenge},
				{"tampered embedded credential", opts, func(m map[string]any) {
					m["verifiableCredential"].([]any)[0].(map[string]any)["credentialSubject"].(map[string]any)["id"] = "did:example:x"
				}, ErrSignatureInvalid},
				{"unsigned addition to presentation", opts, func(m map[string]any) { m["note"] = "unsigned" }, ErrUnsafeDocument},
				{"holder swapped", opts, func(m map[string]any) { m["holder"] = issuerKey.did }, ErrProofMismatch},
				{"proof purpose", opts, func(m map[string]any) { m["proof"].(map[string]any)["proofPurpose"] = "assertionMethod" }, ErrProofMismatch},
			}
			for _, tc := range cases {
				m := mustMap(t, mustJSON(t, vp))
				if tc.mutate != nil {
					tc.mutate(m)
				}
				_, err := p.VerifyPresentation(context.Background(), mustJSON(t, m), didKeyResolver, tc.opts)
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
				}
			}
		})
	}
}

// TestInteropGoPresentationVerifiesInJS: presentations made here (embedding
// credentials made here) verify with @digitalbazaar/vc, challenge and
// domain included.
func TestInteropGoPresentationVerifiesInJS(t *testing.T) {
	p := newTestProcessor(t)
	issuerKey, holderKey := newTestKey(8), newTestKey(9)
	for _, version := range []int{2, 1} {
		t.Run(map[int]string{1: "vc1", 2: "vc2"}[version], func(t *testing.T) {
			cred := credV2(issuerKey.did)
			if version == 1 {
				cred = credV1(issuerKey.did)
			}
			signedVC, err := p.SignCredential(context.Background(), mustJSON(t, cred), SignOptions{Signer: issuerKey.priv, VerificationMethod: issuerKey.vm})
			if err != nil {
				t.Fatal(err)
			}
			vp := vpSkeleton(version)
			vp["holder"] = holderKey.did
			vp["verifiableCredential"] = []any{mustMap(t, signedVC)}
			signedVP, err := p.SignPresentation(context.Background(), mustJSON(t, vp), SignOptions{
				Signer: holderKey.priv, VerificationMethod: holderKey.vm, Challenge: "n-42", Domain: "verifier.example",
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.VerifyPresentation(context.Background(), signedVP, didKeyResolver, PresentationOptions{Challenge: "n-42", Domain: "verifier.example"}); err != nil {
				t.Fatalf("own presentation does not verify: %v", err)
			}
			var out jsVerified
			nodetest.Run(t, "vcld-verify.mjs", map[string]any{"presentation": mustMap(t, signedVP), "challenge": "n-42", "domain": "verifier.example"}, &out)
			if !out.Verified {
				t.Fatalf("JS does not verify our presentation: %s\n%s", out.Error, signedVP)
			}
			nodetest.Run(t, "vcld-verify.mjs", map[string]any{"presentation": mustMap(t, signedVP), "challenge": "other", "domain": "verifier.example"}, &out)
			if out.Verified {
				t.Fatal("JS verified our presentation with another challenge")
			}
		})
	}
}
