package ariessign

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/vcld"
)

// TestEd25519Signature2020SignedByAries: the legacy suite is signed by
// aries' linked-data proof suite. Its proofs are byte for byte what
// pkg/vcld's own construction gives (Ed25519 is deterministic: same
// canonical data, same signature), verify on pkg/vcld's path, keep the
// input's member order, and tampering fails. Credentials and
// presentations, VC 1.1 and 2.0 (a VC 2.0 presentation goes to aries as
// the explicit-graph view).
func TestEd25519Signature2020SignedByAries(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	own, err := vcld.New(vcld.Options{Now: func() time.Time { return fixedTime }, Ed25519Signature2020: ownEd25519Signature2020})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	issuer, holder := newTestKey(50), newTestKey(51)
	signVC := func(cred map[string]any) []byte {
		t.Helper()
		b, err := p.SignCredential(ctx, mustJSON(t, cred), vcld.SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, Suite: vcld.Ed25519Signature2020})
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
				signed, ownSigned []byte
				err, ownErr       error
				verify            func([]byte) error
			)
			if tc.presentation {
				o := vcld.SignOptions{Signer: holder.priv, VerificationMethod: holder.vm, Suite: vcld.Ed25519Signature2020, Challenge: "c-1", Domain: "d.example"}
				signed, err = p.SignPresentation(ctx, in, o)
				ownSigned, ownErr = own.SignPresentation(ctx, in, o)
				verify = func(b []byte) error {
					r, err := p.VerifyPresentation(ctx, b, DIDKeyResolver, vcld.PresentationOptions{Challenge: "c-1", Domain: "d.example"})
					if err == nil && (r.Proof.Suite != vcld.Ed25519Signature2020 || r.Proof.Challenge != "c-1") {
						t.Errorf("result %+v", r.Proof)
					}
					return err
				}
			} else {
				o := vcld.SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, Suite: vcld.Ed25519Signature2020}
				signed, err = p.SignCredential(ctx, in, o)
				ownSigned, ownErr = own.SignCredential(ctx, in, o)
				verify = func(b []byte) error {
					r, err := p.VerifyCredential(ctx, b, DIDKeyResolver)
					if err == nil && (r.Suite != vcld.Ed25519Signature2020 || !r.Proofs[0].Created.Equal(fixedTime)) {
						t.Errorf("result %+v", r)
					}
					return err
				}
			}
			if err != nil || ownErr != nil {
				t.Fatal(err, ownErr)
			}
			if err := verify(signed); err != nil {
				t.Fatalf("aries-made proof does not verify here: %v\n%s", err, signed)
			}

			// Same bytes as pkg/vcld's own construction.
			proof, ok := mustMap(t, signed)["proof"].(map[string]any)
			if !ok {
				t.Fatalf("proof is %T, want one object", mustMap(t, signed)["proof"])
			}
			if want := mustMap(t, ownSigned)["proof"].(map[string]any)["proofValue"]; proof["proofValue"] != want {
				t.Fatalf("aries proofValue %v, own construction %s", proof["proofValue"], want)
			}

			// Input members keep their order; proof is appended.
			if inKeys, outKeys := topLevelKeys(t, in), topLevelKeys(t, signed); !slices.Equal(append(inKeys, "proof"), outKeys) {
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
					m["type"] = append(m["type"].([]any), other)
				}},
				{"id", func(m map[string]any) { m["id"] = "urn:uuid:00000000-0000-4000-8000-000000000000" }},
				{"proof created", func(m map[string]any) { m["proof"].(map[string]any)["created"] = "2020-01-01T00:00:00Z" }},
			} {
				m := mustMap(t, signed)
				mu.mutate(m)
				if err := verify(mustJSON(t, m)); !errors.Is(err, vcld.ErrSignatureInvalid) {
					t.Errorf("tampered %s: %v, want ErrSignatureInvalid", mu.name, err)
				}
			}
		})
	}
}

type failingSigner struct{ pub ed25519.PublicKey }

var errHSM = errors.New("hsm unavailable")

func (f failingSigner) Public() crypto.PublicKey { return f.pub }
func (f failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errHSM
}

// TestEd25519Signature2020SignErrors: what aries is not given (unsafe or
// too complex documents are refused by pkg/vcld first, with the same
// classes as for eddsa-rdfc-2022), a failing signer's own error, and a
// document json-gold canonicalises differently from jsonld.js (caught by
// the self-check instead of leaving unverifiable).
func TestEd25519Signature2020SignErrors(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	ctx := context.Background()
	k := newTestKey(52)
	sign := func(cred map[string]any, o vcld.SignOptions) error {
		_, err := p.SignCredential(ctx, mustJSON(t, cred), o)
		return err
	}
	opts := vcld.SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: vcld.Ed25519Signature2020}

	undefined := credV1(k.did)
	undefined["credentialSubject"].(map[string]any)["nationality"] = "SG"
	if err := sign(undefined, opts); !errors.Is(err, vcld.ErrUnsafeDocument) {
		t.Errorf("undefined term: %v, want ErrUnsafeDocument", err)
	}
	unknownCtx := credV1(k.did)
	unknownCtx["@context"] = []any{vcld.ContextCredentialsV1, "https://evil.example/ctx"}
	if err := sign(unknownCtx, opts); !errors.Is(err, vcld.ErrContextNotAllowed) {
		t.Errorf("unknown context: %v, want ErrContextNotAllowed", err)
	}
	fo := opts
	fo.Signer = failingSigner{k.priv.Public().(ed25519.PublicKey)}
	if err := sign(credV1(k.did), fo); !errors.Is(err, errHSM) {
		t.Errorf("failing signer: %v, want its error", err)
	}

	// json-gold writes a control character in a literal differently from
	// rdf-canonize; pkg/vcld's canonicaliser writes what the JS peers do.
	// eddsa-rdfc-2022 (pkg/vcld's own) signs it; aries' signature over its
	// own canonical form would not verify anywhere else, and is refused.
	ctrl := credV2(k.did)
	ctrl["credentialSubject"].(map[string]any)["name"] = "Acme\u0007Pte"
	if err := sign(ctrl, vcld.SignOptions{Signer: k.priv, VerificationMethod: k.vm}); err != nil {
		t.Fatalf("eddsa-rdfc-2022: %v", err)
	}
	if err := sign(ctrl, opts); !errors.Is(err, vcld.ErrUnsafeDocument) || !strings.Contains(err.Error(), "does not verify here") {
		t.Errorf("control character via aries: %v, want ErrUnsafeDocument", err)
	}
}

// TestWithoutAriesTheLegacySuiteIsNotSigned: a plain pkg/vcld Processor
// verifies Ed25519Signature2020 but does not sign it.
func TestWithoutAriesTheLegacySuiteIsNotSigned(t *testing.T) {
	k := newTestKey(53)
	_, err := vcld.SignCredential(context.Background(), mustJSON(t, credV1(k.did)), vcld.SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: vcld.Ed25519Signature2020})
	if !errors.Is(err, vcld.ErrUnsupportedSuite) {
		t.Fatalf("vcld.SignCredential(Ed25519Signature2020) = %v, want ErrUnsupportedSuite", err)
	}
	signed, err := SignCredential(context.Background(), mustJSON(t, credV1(k.did)), vcld.SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: vcld.Ed25519Signature2020})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vcld.VerifyCredential(context.Background(), signed, DIDKeyResolver); err != nil {
		t.Fatalf("pkg/vcld does not verify the aries-signed credential: %v", err)
	}
}
