package vcld

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/idport/idport/pkg/edsig"
)

// ProofMaker makes proofs of a suite that this package verifies but does
// not make itself: Ed25519Signature2020, made by pkg/vcld/ariessign with
// aries-framework-go. Keeping the maker outside lets a verifier link this
// package without any signing library.
//
// The Processor runs its own canonicaliser over the document before it
// calls the maker (safe mode and the work bounds hold), and checks the
// proof the maker returns on its verification path before writing it, so
// a maker whose canonical form differs from this package's (and the
// JavaScript peers') fails with ErrUnsafeDocument instead of producing a
// proof no peer verifies.
type ProofMaker func(ctx context.Context, req ProofRequest) (proof map[string]any, err error)

// ProofRequest is what a ProofMaker is asked to sign.
type ProofRequest struct {
	// Document is the unsecured document as JSON (a presentation with its
	// embedded credentials as JSON-LD processes them), already accepted by
	// this Processor's canonicaliser.
	Document []byte
	// Suite is the suite of the proof to make.
	Suite Suite
	// Signer holds the Ed25519 private key.
	Signer crypto.Signer
	// VerificationMethod, ProofPurpose, Challenge and Domain go into the
	// proof as given.
	VerificationMethod, ProofPurpose, Challenge, Domain string
	// Created is the proof's creation time, in UTC, to the second.
	Created time.Time
	// LoadContext returns a JSON-LD context document this Processor
	// allows (pinned or registered), or an error wrapping
	// ErrContextNotAllowed. Nothing is ever fetched.
	LoadContext func(url string) ([]byte, error)
	// SigningInput returns the data a proof signs, computed with this
	// Processor's canonicaliser: SHA-256 of the canonical proof
	// configuration (proof, without proofValue, under the document's
	// @context) followed by SHA-256 of the canonical document.
	SigningInput func(ctx context.Context, proof map[string]any) ([]byte, error)
}

// SignerCheck checks, before any proof is made, that a verification
// method may be used with the signer's public key (pkg/vcld/ariessign
// refuses a did:key verification method of another key). It returns an
// error wrapping one of this package's sentinels.
type SignerCheck func(verificationMethod string, pub ed25519.PublicKey) error

// signExternal makes a proof with the Processor's ProofMaker for o.Suite
// and checks it on this package's verification path.
func (p *Processor) signExternal(ctx context.Context, unsecured map[string]any, o SignOptions, created time.Time) (map[string]any, error) {
	maker := p.makers[o.Suite]
	if maker == nil {
		return nil, fmt.Errorf("vcld: sign: suite %q needs a ProofMaker (pkg/vcld/ariessign): %w", o.Suite, ErrUnsupportedSuite)
	}
	docHash, err := p.canonicalHash(ctx, unsecured)
	if err != nil {
		return nil, err
	}
	// A presentation view stands for embedded credentials' contexts with
	// markers (embeddedContext); the maker is given the JSON they stand for.
	plain := maps.Clone(unsecured)
	substituteEmbedded(plain, true, new([]*ctxInstance))
	raw, err := marshal(plain)
	if err != nil {
		return nil, fmt.Errorf("vcld: sign: encode: %v: %w", err, ErrMalformed)
	}
	proof, err := maker(ctx, ProofRequest{
		Document: raw, Suite: o.Suite, Signer: o.Signer,
		VerificationMethod: o.VerificationMethod, ProofPurpose: o.ProofPurpose,
		Challenge: o.Challenge, Domain: o.Domain, Created: created,
		LoadContext: p.loader.load,
		SigningInput: func(ctx context.Context, proof map[string]any) ([]byte, error) {
			return p.hashDataWith(ctx, unsecured, proof, docHash)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("vcld: sign: %s: %w", o.Suite, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vcld: sign: %v: %w", err, ErrTooComplex)
	}
	// The proof goes through JSON once, as it would on the wire.
	b, err := json.Marshal(proof)
	if err != nil {
		return nil, fmt.Errorf("vcld: sign: %s proof: %v: %w", o.Suite, err, ErrMalformed)
	}
	proof = nil
	if err := json.Unmarshal(b, &proof); err != nil {
		return nil, fmt.Errorf("vcld: sign: %s proof: %v: %w", o.Suite, err, ErrMalformed)
	}
	_, info, sig, err := parseProof(proof)
	if err != nil {
		return nil, fmt.Errorf("vcld: sign: %s proof: %w", o.Suite, err)
	}
	if info.Suite != o.Suite || info.VerificationMethod != o.VerificationMethod ||
		info.ProofPurpose != o.ProofPurpose || info.Challenge != o.Challenge || info.Domain != o.Domain || !info.Created.Equal(created) {
		return nil, fmt.Errorf("vcld: sign: %s proof %+v does not carry the options asked for: %w", o.Suite, info, ErrProofMismatch)
	}
	data, err := p.hashDataWith(ctx, unsecured, proof, docHash)
	if err != nil {
		return nil, err
	}
	if !edsig.Verify(o.Signer.Public().(ed25519.PublicKey), data, sig) {
		return nil, fmt.Errorf("vcld: sign: the %s proof does not verify here (the maker canonicalises this document differently from jsonld.js): %w", o.Suite, ErrUnsafeDocument)
	}
	return proof, nil
}
