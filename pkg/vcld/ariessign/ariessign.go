// Package ariessign is where aries-framework-go works in idport, behind
// pkg/vcld's types: it signs Ed25519Signature2020 proofs with aries'
// linked-data proof suite, and decodes did:key verification methods with
// aries' fingerprint code. It is the signing side of pkg/vcld; a verifier
// needs pkg/vcld only, which verifies both suites without aries.
//
// New and Default give a vcld.Processor that signs Ed25519Signature2020
// through aries (vcld.Options.Ed25519Signature2020) and refuses to sign
// with a did:key verification method that is not the signer's key
// (vcld.Options.CheckSigner). SignCredential and SignPresentation run on
// Default.
//
// The Processor keeps its guarantees around aries: the document passes
// pkg/vcld's canonicaliser before aries sees it (safe mode, work bounds,
// deadline; aries and json-gold have none), aries is given only the
// Processor's pinned or registered contexts (it has no network guard and
// panics without a loader), and the proof aries returns is checked on
// pkg/vcld's verification path before it is written, so a document
// json-gold canonicalises differently from jsonld.js (a control character
// in a literal, say) is refused with vcld.ErrUnsafeDocument instead of
// leaving with a proof no peer verifies. The proofs are byte-identical to
// pkg/vcld's own construction and verify with
// @digitalbazaar/ed25519-signature-2020. Measured: 1.3 ms CPU and 3,760
// allocations a VC 1.1 credential (BenchmarkSignEd25519Signature2020;
// aries' AddLinkedDataProof alone 1.1-1.2 ms), against 0.15 ms for
// eddsa-rdfc-2022, which pkg/vcld signs itself.
//
// did:key: DIDKeyResolver, CheckDIDKeyVerificationMethod and the signer
// check decode did:key with aries' vdr/fingerprint (PubKeyFromFingerprint,
// CreateDIDKey: one canonical DID per key); aries' panics on hostile
// fingerprints are turned into errors. About 2 us a resolution; the signer
// check keeps its last answer, so signing with one issuer key does not pay
// it.
package ariessign

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	ariesproof "github.com/hyperledger/aries-framework-go/pkg/doc/signature/proof"
	ariessigner "github.com/hyperledger/aries-framework-go/pkg/doc/signature/signer"
	ariessuite "github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
	"github.com/piprate/json-gold/ld"

	"github.com/idport/idport/pkg/vcld"
)

// New returns a vcld.Processor over o that signs Ed25519Signature2020 with
// aries and checks did:key verification methods against the signer's key.
// o.Ed25519Signature2020 and o.CheckSigner are replaced.
func New(o vcld.Options) (*vcld.Processor, error) {
	o.Ed25519Signature2020 = MakeEd25519Signature2020
	o.CheckSigner = CheckSigner
	p, err := vcld.New(o)
	if err != nil {
		return nil, fmt.Errorf("ariessign: %w", err)
	}
	return p, nil
}

var defaultProcessor = sync.OnceValue(func() *vcld.Processor {
	p, err := New(vcld.Options{})
	if err != nil {
		panic(err) // pinned contexts are embedded; cannot fail
	}
	return p
})

// Default returns a shared Processor with the pinned contexts only,
// default limits, and aries' signing.
func Default() *vcld.Processor { return defaultProcessor() }

// SignCredential is Default().SignCredential.
func SignCredential(ctx context.Context, doc []byte, o vcld.SignOptions) ([]byte, error) {
	return Default().SignCredential(ctx, doc, o)
}

// SignPresentation is Default().SignPresentation.
func SignPresentation(ctx context.Context, doc []byte, o vcld.SignOptions) ([]byte, error) {
	return Default().SignPresentation(ctx, doc, o)
}

// keySigner adapts a crypto.Signer holding an Ed25519 key to the signer
// aries' suites call. It keeps the signer's own error, which aries would
// only flatten.
type keySigner struct {
	s   crypto.Signer
	err error
}

func (a *keySigner) Sign(data []byte) ([]byte, error) {
	sig, err := a.s.Sign(rand.Reader, data, crypto.Hash(0))
	if err != nil {
		a.err = err
	}
	return sig, err
}

func (a *keySigner) Alg() string { return "EdDSA" }

// ariesCall runs f and turns a panic inside aries into an error: aries code
// is not written for hostile input (a short did:key BLS fingerprint slices
// out of range, a missing document loader is a nil dereference).
func ariesCall(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ariessign: aries %s panicked: %v", what, r)
		}
	}()
	return f()
}

// MakeEd25519Signature2020 is a vcld.ProofMaker: it makes an
// Ed25519Signature2020 proof over req.Document with aries' linked-data
// proof suite and document signer, on the Processor's contexts (never the
// network). Plug it into vcld.Options.Ed25519Signature2020 (New does).
func MakeEd25519Signature2020(_ context.Context, req vcld.ProofRequest) (map[string]any, error) {
	if req.Suite != vcld.Ed25519Signature2020 {
		return nil, fmt.Errorf("ariessign: suite %q: %w", req.Suite, vcld.ErrUnsupportedSuite)
	}
	created := req.Created
	sc := &ariessigner.Context{
		SignatureType:           string(vcld.Ed25519Signature2020),
		SignatureRepresentation: ariesproof.SignatureProofValue,
		Created:                 &created,
		VerificationMethod:      req.VerificationMethod,
		Purpose:                 req.ProofPurpose,
		Challenge:               req.Challenge,
		Domain:                  req.Domain,
	}
	ks := &keySigner{s: req.Signer}
	s := ariessigner.New(ed25519signature2020.New(ariessuite.WithSigner(ks)))
	var out []byte
	err := ariesCall("Ed25519Signature2020 signer", func() (err error) {
		out, err = s.Sign(sc, req.Document, ariesjsonld.WithDocumentLoader(loader(req.LoadContext)))
		return err
	})
	if ks.err != nil {
		return nil, fmt.Errorf("ariessign: %w", ks.err)
	}
	if err != nil {
		// pkg/vcld's canonicaliser accepted the document, so this is
		// aries refusing what json-gold cannot represent.
		return nil, fmt.Errorf("ariessign: Ed25519Signature2020 (aries): %v: %w", err, vcld.ErrUnsafeDocument)
	}
	var signed struct {
		Proof json.RawMessage `json:"proof"`
	}
	if err := json.Unmarshal(out, &signed); err != nil {
		return nil, fmt.Errorf("ariessign: aries output: %v: %w", err, vcld.ErrMalformed)
	}
	var proofs []map[string]any
	if err := json.Unmarshal(signed.Proof, &proofs); err != nil || len(proofs) != 1 {
		return nil, fmt.Errorf("ariessign: aries output has no single proof: %w", vcld.ErrMalformed)
	}
	return proofs[0], nil
}

// loader adapts a context source (vcld.ProofRequest.LoadContext) to the
// json-gold document loader aries calls. It never touches the network.
type loader func(url string) ([]byte, error)

// LoadDocument implements ld.DocumentLoader, with a fresh copy each time
// (json-gold may modify the documents it loads).
func (l loader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	b, err := l(u)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("ariessign: context %q: %v: %w", u, err, vcld.ErrMalformed)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}
