package ariessign

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"testing"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/verifier"
	"github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"

	"github.com/idport/idport/pkg/vcld"
)

// pinnedLoader gives aries pkg/vcld's pinned contexts.
var pinnedLoader = loader(func(u string) ([]byte, error) {
	b, ok := vcld.PinnedContext(u)
	if !ok {
		return nil, fmt.Errorf("context %q: %w", u, vcld.ErrContextNotAllowed)
	}
	return b, nil
})

// aries-framework-go v0.3.2 has no eddsa-rdfc-2022, so the two meet on
// Ed25519Signature2020 (VC 1.1). SignCredential makes that suite with
// aries' document signer (aries.go); here aries' verifiable package checks
// it, and a proof made by aries' other signing entry point
// (Credential.AddLinkedDataProof) verifies on this package's path.

func ariesVerifyOpts(pub ed25519.PublicKey) []verifiable.CredentialOpt {
	return []verifiable.CredentialOpt{
		verifiable.WithJSONLDDocumentLoader(pinnedLoader),
		verifiable.WithPublicKeyFetcher(func(_, _ string) (*verifier.PublicKey, error) {
			return &verifier.PublicKey{Type: "Ed25519VerificationKey2020", Value: pub}, nil
		}),
		verifiable.WithEmbeddedSignatureSuites(ed25519signature2020.New(suite.WithVerifier(ed25519signature2020.NewPublicKeyVerifier()))),
	}
}

type ariesEd25519Signer struct{ priv ed25519.PrivateKey }

func (s ariesEd25519Signer) Sign(data []byte) ([]byte, error) { return ed25519.Sign(s.priv, data), nil }
func (s ariesEd25519Signer) Alg() string                      { return "EdDSA" }

// ariesSign adds an Ed25519Signature2020 proof with aries to an unsigned
// VC 1.1 credential (parsed once) and returns a function that re-signs it.
func ariesSigner(t testing.TB, k testKey) func() []byte {
	t.Helper()
	cred := credV1(k.did)
	cred["@context"] = []any{vcld.ContextCredentialsV1, vcld.ContextEd25519Signature2020V1}
	vc, err := verifiable.ParseCredential(mustJSON(t, cred), verifiable.WithDisabledProofCheck(), verifiable.WithJSONLDDocumentLoader(pinnedLoader))
	if err != nil {
		t.Fatal(err)
	}
	created := fixedTime
	ldpc := &verifiable.LinkedDataProofContext{
		SignatureType:           "Ed25519Signature2020",
		Suite:                   ed25519signature2020.New(suite.WithSigner(ariesEd25519Signer{k.priv})),
		SignatureRepresentation: verifiable.SignatureProofValue,
		Created:                 &created,
		VerificationMethod:      k.vm,
		Purpose:                 vcld.PurposeAssertionMethod,
	}
	return func() []byte {
		vc.Proofs = nil
		if err := vc.AddLinkedDataProof(ldpc, ariesjsonld.WithDocumentLoader(pinnedLoader)); err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(vc)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func TestAriesInterop(t *testing.T) {
	p := newTestProcessor(t)
	k := newTestKey(40)
	pub := k.priv.Public().(ed25519.PublicKey)
	ours, err := p.SignCredential(context.Background(), mustJSON(t, credV1(k.did)), vcld.SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: vcld.Ed25519Signature2020})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifiable.ParseCredential(ours, ariesVerifyOpts(pub)...); err != nil {
		t.Fatalf("aries does not verify our Ed25519Signature2020 credential: %v", err)
	}
	theirs := ariesSigner(t, k)()
	r, err := p.VerifyCredential(context.Background(), theirs, DIDKeyResolver)
	if err != nil {
		t.Fatalf("aries-signed credential does not verify here: %v\n%s", err, theirs)
	}
	if r.Suite != vcld.Ed25519Signature2020 || r.Issuer != k.did {
		t.Fatalf("result %+v", r)
	}
}
