package vcld

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mr-tron/base58"
)

// TestEd25519Signature2020SignedByAries: the legacy suite is signed by
// aries' linked-data proof suite. Its proofs are byte for byte what this
// package's own construction gives (Ed25519 is deterministic: same
// canonical data, same signature), verify here, keep the input's member
// order, and tampering fails. Credentials and presentations, VC 1.1 and
// 2.0 (a VC 2.0 presentation goes to aries as the explicit-graph view).
func TestEd25519Signature2020SignedByAries(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	ctx := context.Background()
	issuer, holder := newTestKey(50), newTestKey(51)
	signVC := func(cred map[string]any) []byte {
		t.Helper()
		b, err := p.SignCredential(ctx, mustJSON(t, cred), SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, Suite: Ed25519Signature2020})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	vp := func(version int) map[string]any {
		cred := credV2(issuer.did)
		if version == 1 {
			cred = credV1(issuer.did)
		}
		m := vpSkeleton(version)
		m["holder"] = holder.did
		m["verifiableCredential"] = []any{mustMap(t, signVC(cred))}
		return m
	}
	cases := []struct {
		name         string
		doc          map[string]any
		presentation bool
	}{
		{"vc1", credV1(issuer.did), false},
		{"vc2", credV2(issuer.did), false},
		{"vc2-status", vc2WithStatus(issuer.did), false},
		{"vp1", vp(1), true},
		{"vp2", vp(2), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := mustJSON(t, tc.doc)
			var (
				signed []byte
				err    error
				verify func([]byte) error
				key    = issuer
			)
			if tc.presentation {
				key = holder
				signed, err = p.SignPresentation(ctx, in, SignOptions{Signer: holder.priv, VerificationMethod: holder.vm, Suite: Ed25519Signature2020, Challenge: "c-1", Domain: "d.example"})
				verify = func(b []byte) error {
					r, err := p.VerifyPresentation(ctx, b, DIDKeyResolver, PresentationOptions{Challenge: "c-1", Domain: "d.example"})
					if err == nil && (r.Proof.Suite != Ed25519Signature2020 || r.Proof.Challenge != "c-1") {
						t.Errorf("result %+v", r.Proof)
					}
					return err
				}
			} else {
				signed, err = p.SignCredential(ctx, in, SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, Suite: Ed25519Signature2020})
				verify = func(b []byte) error {
					r, err := p.VerifyCredential(ctx, b, DIDKeyResolver)
					if err == nil && (r.Suite != Ed25519Signature2020 || !r.Proofs[0].Created.Equal(fixedTime)) {
						t.Errorf("result %+v", r)
					}
					return err
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := verify(signed); err != nil {
				t.Fatalf("aries-made proof does not verify here: %v\n%s", err, signed)
			}

			// Same bytes as this package's own construction.
			m := mustMap(t, signed)
			proof, ok := m["proof"].(map[string]any)
			if !ok {
				t.Fatalf("proof is %T, want one object", m["proof"])
			}
			unsecured := p.decodeForTest(t, signed)
			delete(unsecured, "proof")
			view := unsecured
			if tc.presentation {
				view = p.presentationView(unsecured)
			}
			data, err := p.hashData(ctx, view, proof)
			if err != nil {
				t.Fatal(err)
			}
			if want := "z" + base58.Encode(ed25519.Sign(key.priv, data)); proof["proofValue"] != want {
				t.Fatalf("aries proofValue %v, own construction %s", proof["proofValue"], want)
			}

			// Input members keep their order; proof is appended.
			inMembers, _ := topLevelMembers(in)
			outMembers, _ := topLevelMembers(signed)
			var inKeys, outKeys []string
			for _, mb := range inMembers {
				inKeys = append(inKeys, mb.key)
			}
			for _, mb := range outMembers {
				outKeys = append(outKeys, mb.key)
			}
			if !slices.Equal(append(inKeys, "proof"), outKeys) {
				t.Errorf("members %v, want %v + proof", outKeys, inKeys)
			}

			for _, mu := range []struct {
				name   string
				mutate func(m map[string]any)
			}{
				{"type", func(m map[string]any) {
					other := "VerifiablePresentation"
					if tc.presentation {
						other = "VerifiableCredential"
					}
					m["type"] = append(asSlice(m["type"]), other)
				}},
				{"id", func(m map[string]any) { m["id"] = "urn:uuid:00000000-0000-4000-8000-000000000000" }},
				{"proof created", func(m map[string]any) { m["proof"].(map[string]any)["created"] = "2020-01-01T00:00:00Z" }},
			} {
				m := mustMap(t, signed)
				mu.mutate(m)
				if err := verify(mustJSON(t, m)); !errors.Is(err, ErrSignatureInvalid) {
					t.Errorf("tampered %s: %v, want ErrSignatureInvalid", mu.name, err)
				}
			}
		})
	}
}

func (p *Processor) decodeForTest(t *testing.T, b []byte) map[string]any {
	t.Helper()
	m, err := p.decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type failingSigner struct{ pub ed25519.PublicKey }

var errHSM = errors.New("hsm unavailable")

func (f failingSigner) Public() crypto.PublicKey { return f.pub }
func (f failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errHSM
}

// TestEd25519Signature2020SignErrors: what aries is not given (unsafe or
// too complex documents are refused by this package first, with the same
// classes as for eddsa-rdfc-2022), a failing signer's own error, and a
// document json-gold canonicalises differently from jsonld.js (caught by
// the self-check instead of leaving unverifiable).
func TestEd25519Signature2020SignErrors(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	ctx := context.Background()
	k := newTestKey(52)
	sign := func(cred map[string]any, o SignOptions) error {
		_, err := p.SignCredential(ctx, mustJSON(t, cred), o)
		return err
	}
	opts := SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: Ed25519Signature2020}

	undefined := credV1(k.did)
	undefined["credentialSubject"].(map[string]any)["nationality"] = "SG"
	if err := sign(undefined, opts); !errors.Is(err, ErrUnsafeDocument) {
		t.Errorf("undefined term: %v, want ErrUnsafeDocument", err)
	}
	unknownCtx := credV1(k.did)
	unknownCtx["@context"] = []any{ContextCredentialsV1, "https://evil.example/ctx"}
	if err := sign(unknownCtx, opts); !errors.Is(err, ErrContextNotAllowed) {
		t.Errorf("unknown context: %v, want ErrContextNotAllowed", err)
	}
	fo := opts
	fo.Signer = failingSigner{k.priv.Public().(ed25519.PublicKey)}
	if err := sign(credV1(k.did), fo); !errors.Is(err, errHSM) {
		t.Errorf("failing signer: %v, want its error", err)
	}

	// json-gold writes a control character in a literal differently from
	// rdf-canonize; this package's canonicaliser writes what the JS peers
	// do. eddsa-rdfc-2022 (ours) signs it; aries' signature over its own
	// canonical form would not verify anywhere else, and is refused.
	ctrl := credV2(k.did)
	ctrl["credentialSubject"].(map[string]any)["name"] = "Acme\u0007Pte"
	if err := sign(ctrl, SignOptions{Signer: k.priv, VerificationMethod: k.vm}); err != nil {
		t.Fatalf("eddsa-rdfc-2022: %v", err)
	}
	if err := sign(ctrl, opts); !errors.Is(err, ErrUnsafeDocument) || !strings.Contains(err.Error(), "does not verify here") {
		t.Errorf("control character via aries: %v, want ErrUnsafeDocument", err)
	}
}
