package vcld

import (
	"context"
	"errors"
	"testing"
)

func vpSkeleton(version int) map[string]any {
	c := ContextCredentialsV2
	if version == 1 {
		c = ContextCredentialsV1
	}
	return map[string]any{"@context": []any{c}, "type": []any{"VerifiablePresentation"}}
}

var versionName = map[int]string{1: "vc1", 2: "vc2"}

// TestInteropJSPresentationVerifiesInGo: presentations made by
// @digitalbazaar/vc (eddsa-rdfc-2022, challenge + domain) embedding a
// JS-signed credential verify here, VC 1.1 and 2.0; the canonical form of
// our view of each equals the JS one; wrong challenges and tampering fail.
func TestInteropJSPresentationVerifiesInGo(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	issuerKey, holderKey := newTestKey(5), newTestKey(6)
	versions := []int{2, 1}
	var vcReqs, vpReqs []any
	for _, v := range versions {
		cred := credV2(issuerKey.did)
		if v == 1 {
			cred = credV1(issuerKey.did)
		}
		vcReqs = append(vcReqs, map[string]any{"seed": issuerKey.seedHex, "credential": cred})
	}
	vcs := jsBatch[jsSigned](t, "vcld-sign.mjs", vcReqs)
	for i, v := range versions {
		vpReqs = append(vpReqs, map[string]any{
			"seed": holderKey.seedHex, "presentation": vpSkeleton(v),
			"credentials": []any{vcs[i].Signed}, "challenge": "c-123", "domain": "verifier.example",
		})
	}
	vps := jsBatch[jsSigned](t, "vcld-sign.mjs", vpReqs)
	unsecured := map[string]map[string]any{}
	for i, v := range versions {
		u := map[string]any{}
		for k, val := range vps[i].Signed {
			if k != "proof" {
				u[k] = val
			}
		}
		unsecured[versionName[v]] = u
	}
	jsCanon := jsCanonicalizeAll(t, unsecured)

	for i, v := range versions {
		t.Run(versionName[v], func(t *testing.T) {
			vp := vps[i].Signed
			got, err := p.canonicalize(context.Background(), p.presentationView(unsecured[versionName[v]]))
			if err != nil {
				t.Fatal(err)
			}
			if want := jsCanon[versionName[v]]; got != want.NQuads {
				t.Fatalf("presentation canonical forms differ\nGo:\n%s\nJS:\n%s%s", got, want.NQuads, want.Error)
			}
			opts := PresentationOptions{Challenge: "c-123", Domain: "verifier.example"}
			r, err := p.VerifyPresentation(context.Background(), mustJSON(t, vp), didKeyResolver, opts)
			if err != nil {
				t.Fatalf("JS presentation does not verify: %v", err)
			}
			if r.Holder != holderKey.did || len(r.Credentials) != 1 || r.Credentials[0].Issuer != issuerKey.did || r.Proof.Challenge != "c-123" || r.Version != v {
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
				{"unsigned addition to embedded credential", opts, func(m map[string]any) {
					m["verifiableCredential"].([]any)[0].(map[string]any)["credentialSubject"].(map[string]any)["nationality"] = "SG"
				}, ErrUnsafeDocument},
				{"holder swapped", opts, func(m map[string]any) { m["holder"] = issuerKey.did }, ErrProofMismatch},
				{"proof purpose", opts, func(m map[string]any) { m["proof"].(map[string]any)["proofPurpose"] = "assertionMethod" }, ErrProofMismatch},
				{"credential dropped", opts, func(m map[string]any) { delete(m, "verifiableCredential") }, ErrSignatureInvalid},
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
// domain included, VC 1.1 and 2.0; with another challenge they do not.
func TestInteropGoPresentationVerifiesInJS(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	issuerKey, holderKey := newTestKey(8), newTestKey(9)
	cases := []struct {
		version int
		suite   Suite // of the credential and the presentation
	}{{2, EddsaRdfc2022}, {1, EddsaRdfc2022}, {1, Ed25519Signature2020}, {2, Ed25519Signature2020}}
	var reqs []any
	for _, c := range cases {
		cred := credV2(issuerKey.did)
		if c.version == 1 {
			cred = credV1(issuerKey.did)
		}
		signedVC, err := p.SignCredential(context.Background(), mustJSON(t, cred), SignOptions{Signer: issuerKey.priv, VerificationMethod: issuerKey.vm, Suite: c.suite})
		if err != nil {
			t.Fatal(err)
		}
		vp := vpSkeleton(c.version)
		vp["holder"] = holderKey.did
		vp["verifiableCredential"] = []any{mustMap(t, signedVC)}
		signedVP, err := p.SignPresentation(context.Background(), mustJSON(t, vp), SignOptions{
			Signer: holderKey.priv, VerificationMethod: holderKey.vm, Challenge: "n-42", Domain: "verifier.example", Suite: c.suite,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.VerifyPresentation(context.Background(), signedVP, didKeyResolver, PresentationOptions{Challenge: "n-42", Domain: "verifier.example"}); err != nil {
			t.Fatalf("own presentation does not verify: %v", err)
		}
		tampered := mustMap(t, signedVP)
		tampered["holder"] = issuerKey.did
		tampered["proof"].(map[string]any)["verificationMethod"] = issuerKey.vm
		reqs = append(reqs,
			map[string]any{"presentation": mustMap(t, signedVP), "challenge": "n-42", "domain": "verifier.example"},
			map[string]any{"presentation": mustMap(t, signedVP), "challenge": "other", "domain": "verifier.example"},
			map[string]any{"presentation": tampered, "challenge": "n-42", "domain": "verifier.example"})
	}
	out := jsBatch[jsVerified](t, "vcld-verify.mjs", reqs)
	for i, c := range cases {
		name := versionName[c.version] + "-" + string(c.suite)
		if !out[3*i].Verified {
			t.Errorf("%s: JS does not verify our presentation: %s", name, out[3*i].Error)
		}
		if out[3*i+1].Verified {
			t.Errorf("%s: JS verified our presentation with another challenge", name)
		}
		if out[3*i+2].Verified {
			t.Errorf("%s: JS verified a tampered presentation", name)
		}
	}
}

// TestPresentationViewMatchesJS: unsecured presentations (embedded Data
// Integrity credential, enveloped credential, none, VC 1.1 and 2.0)
// canonicalise here, through presentationView, as in jsonld.js.
func TestPresentationViewMatchesJS(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	k := newTestKey(43)
	docs := map[string]map[string]any{}
	for _, v := range []int{1, 2} {
		cred := credV2(k.did)
		if v == 1 {
			cred = credV1(k.did)
		}
		signed, err := p.SignCredential(context.Background(), mustJSON(t, cred), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
		if err != nil {
			t.Fatal(err)
		}
		vp := vpSkeleton(v)
		vp["holder"] = k.did
		docs[versionName[v]+"-empty"] = mustMap(t, mustJSON(t, vp))
		vp["verifiableCredential"] = []any{mustMap(t, signed), mustMap(t, signed)}
		docs[versionName[v]+"-two-embedded"] = mustMap(t, mustJSON(t, vp))
	}
	vp := vpSkeleton(2)
	vp["verifiableCredential"] = map[string]any{"@context": ContextCredentialsV2, "id": "data:application/vc+jwt,eyJ9.e30.c2ln", "type": "EnvelopedVerifiableCredential"}
	docs["vc2-enveloped"] = mustMap(t, mustJSON(t, vp))
	js := jsCanonicalizeAll(t, docs)
	for name, doc := range docs {
		got, err := p.canonicalize(context.Background(), p.presentationView(doc))
		if err != nil || js[name].Error != "" || got != js[name].NQuads {
			t.Errorf("%s: ours (%v):\n%s\nJS (%s):\n%s", name, err, got, js[name].Error, js[name].NQuads)
		}
	}
}
