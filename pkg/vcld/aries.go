package vcld

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"
	"time"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	ariesproof "github.com/hyperledger/aries-framework-go/pkg/doc/signature/proof"
	ariessigner "github.com/hyperledger/aries-framework-go/pkg/doc/signature/signer"
	ariessuite "github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
	"github.com/hyperledger/aries-framework-go/pkg/vdr/fingerprint"
)

// This file is where aries-framework-go works in production, behind this
// package's own types: the Ed25519Signature2020 linked-data proof suite
// (signing, off the hot path) and did:key fingerprints.

// ariesKeySigner adapts a crypto.Signer holding an Ed25519 key to the signer
// aries' suites call.
// It keeps the signer's own error, which aries would only flatten.
type ariesKeySigner struct {
	s   crypto.Signer
	err error
}

func (a *ariesKeySigner) Sign(data []byte) ([]byte, error) {
	sig, err := a.s.Sign(rand.Reader, data, crypto.Hash(0))
	if err != nil {
		a.err = err
	}
	return sig, err
}

func (a *ariesKeySigner) Alg() string { return "EdDSA" }

// ariesCall runs f and turns a panic inside aries into an error: aries code
// is not written for hostile input (a short did:key BLS fingerprint slices
// out of range, a missing document loader is a nil dereference).
func ariesCall(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vcld: aries %s panicked: %v", what, r)
		}
	}()
	return f()
}

// signEd25519Signature2020 makes an Ed25519Signature2020 proof over
// unsecured (the document as canonicalised, with its @context final) with
// aries' linked-data proof suite and document signer, on this Processor's
// pinned contexts (never the network). Before aries runs, the document goes
// through this package's canonicaliser: safe mode and the work bounds hold
// for this suite as for the other, and aries (json-gold's URDNA2015, which
// has neither bound nor deadline) only ever sees a document already proven
// small and well-formed. After it, the proof is checked with this package's
// verifier path, so a document on which json-gold and jsonld.js disagree
// fails here (ErrUnsafeDocument) instead of leaving as a credential no peer
// can verify.
func (p *Processor) signEd25519Signature2020(ctx context.Context, unsecured map[string]any, o SignOptions, created time.Time) (map[string]any, error) {
	docHash, err := p.canonicalHash(ctx, unsecured)
	if err != nil {
		return nil, err
	}
	// A presentation view stands for embedded credentials' contexts with
	// markers (embeddedContext); aries is given the JSON they stand for.
	plain := maps.Clone(unsecured)
	substituteEmbedded(plain, true)
	raw, err := marshal(plain)
	if err != nil {
		return nil, fmt.Errorf("vcld: sign: encode: %v: %w", err, ErrMalformed)
	}
	sc := &ariessigner.Context{
		SignatureType:           string(Ed25519Signature2020),
		SignatureRepresentation: ariesproof.SignatureProofValue,
		Created:                 &created,
		VerificationMethod:      o.VerificationMethod,
		Purpose:                 o.ProofPurpose,
		Challenge:               o.Challenge,
		Domain:                  o.Domain,
	}
	ks := &ariesKeySigner{s: o.Signer}
	s := ariessigner.New(ed25519signature2020.New(ariessuite.WithSigner(ks)))
	var out []byte
	err = ariesCall("Ed25519Signature2020 signer", func() (err error) {
		out, err = s.Sign(sc, raw, ariesjsonld.WithDocumentLoader(p.loader))
		return err
	})
	if ks.err != nil {
		return nil, fmt.Errorf("vcld: sign: %w", ks.err)
	}
	if err != nil {
		// Our canonicaliser accepted the document, so this is aries
		// refusing what json-gold cannot represent.
		return nil, fmt.Errorf("vcld: sign: Ed25519Signature2020 (aries): %v: %w", err, ErrUnsafeDocument)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vcld: sign: %v: %w", err, ErrTooComplex)
	}
	var signed struct {
		Proof json.RawMessage `json:"proof"`
	}
	if err := json.Unmarshal(out, &signed); err != nil {
		return nil, fmt.Errorf("vcld: sign: aries output: %v: %w", err, ErrMalformed)
	}
	var proofs []map[string]any
	if err := json.Unmarshal(signed.Proof, &proofs); err != nil || len(proofs) != 1 {
		return nil, fmt.Errorf("vcld: sign: aries output has no single proof: %w", ErrMalformed)
	}
	proof := proofs[0]
	_, info, sig, err := parseProof(proof)
	if err != nil {
		return nil, fmt.Errorf("vcld: sign: aries proof: %w", err)
	}
	if info.Suite != Ed25519Signature2020 || info.VerificationMethod != o.VerificationMethod ||
		info.ProofPurpose != o.ProofPurpose || info.Challenge != o.Challenge || info.Domain != o.Domain || !info.Created.Equal(created) {
		return nil, fmt.Errorf("vcld: sign: aries proof %+v does not carry the options asked for: %w", info, ErrProofMismatch)
	}
	data, err := p.hashDataWith(ctx, unsecured, proof, docHash)
	if err != nil {
		return nil, err
	}
	if !ed25519.Verify(o.Signer.Public().(ed25519.PublicKey), data, sig) {
		return nil, fmt.Errorf("vcld: sign: aries' Ed25519Signature2020 proof does not verify here (json-gold and jsonld.js canonicalise this document differently): %w", ErrUnsafeDocument)
	}
	return proof, nil
}

// didKeyPrefix starts every did:key DID.
const didKeyPrefix = "did:key:"

// didKeyParts splits a did:key DID or DID URL and decodes its Ed25519 key
// with aries' fingerprint package. The DID must be the canonical encoding
// of the key (what fingerprint.CreateDIDKey gives for it), so one key has
// one DID. keyID is the one verification method a did:key document has
// (did#fingerprint).
func didKeyParts(vm string) (pub ed25519.PublicKey, did, keyID string, err error) {
	did, _, _ = strings.Cut(vm, "#")
	fp, ok := strings.CutPrefix(did, didKeyPrefix)
	if !ok || fp == "" {
		return nil, "", "", fmt.Errorf("%q is not a did:key", vm)
	}
	var (
		raw  []byte
		code uint64
	)
	err = ariesCall("did:key fingerprint", func() (err error) {
		raw, code, err = fingerprint.PubKeyFromFingerprint(fp)
		return err
	})
	if err != nil {
		return nil, "", "", fmt.Errorf("did:key %q: %w", did, err)
	}
	if code != fingerprint.ED25519PubKeyMultiCodec || len(raw) != ed25519.PublicKeySize {
		return nil, "", "", fmt.Errorf("did:key %q is not an Ed25519 key (multicodec 0x%x, %d bytes)", did, code, len(raw))
	}
	wantDID, wantKeyID := fingerprint.CreateDIDKey(raw)
	if wantDID != did {
		return nil, "", "", fmt.Errorf("did:key %q is not the canonical encoding of its key (%s)", did, wantDID)
	}
	return ed25519.PublicKey(raw), did, wantKeyID, nil
}

// DIDKeyResolver is a KeyResolver for Ed25519 did:key verification methods
// (did:key:z6Mk...#z6Mk...), for callers with no DID resolver: the key is
// decoded from the DID itself (aries-framework-go's did:key fingerprint
// code). The fragment must be the key's fingerprint, the only verification
// method of a did:key document (a bare did:key DID is accepted too). Every
// other DID, and a did:key of another key type, fails with ErrKeyNotFound.
func DIDKeyResolver(_ context.Context, verificationMethod string) (crypto.PublicKey, error) {
	pub, did, keyID, err := didKeyParts(verificationMethod)
	if err != nil {
		return nil, fmt.Errorf("vcld: resolve: %v: %w", err, ErrKeyNotFound)
	}
	if verificationMethod != did && verificationMethod != keyID {
		return nil, fmt.Errorf("vcld: resolve %q: a did:key document has one verification method, %s: %w", verificationMethod, keyID, ErrKeyNotFound)
	}
	return pub, nil
}

// CheckDIDKeyVerificationMethod checks a did:key verification method: its
// DID is an Ed25519 did:key (ErrMalformed otherwise) and its fragment is
// that key's fingerprint (ErrProofMismatch otherwise), as in
// did:key:z6Mk...#z6Mk... A verification method of another DID method is
// not checked (nil).
func CheckDIDKeyVerificationMethod(verificationMethod string) error {
	if !strings.HasPrefix(verificationMethod, didKeyPrefix) {
		return nil
	}
	_, err := didKeyVerificationMethod(verificationMethod)
	return err
}

// didKeyVerificationMethod is CheckDIDKeyVerificationMethod for a did:key
// verification method, returning its key.
func didKeyVerificationMethod(vm string) (ed25519.PublicKey, error) {
	pub, _, keyID, err := didKeyParts(vm)
	if err != nil {
		return nil, fmt.Errorf("vcld: %v: %w", err, ErrMalformed)
	}
	if vm != keyID {
		return nil, fmt.Errorf("vcld: verification method %q: the fragment of a did:key verification method is its key's fingerprint (%s): %w", vm, keyID, ErrProofMismatch)
	}
	return pub, nil
}

// signerKeyCache remembers the last did:key verification method a signer
// was checked against: issuers sign with one key for a long time, and the
// check (base58 decoding, in aries) stays off the eddsa-rdfc-2022 signing
// path after the first credential. The mapping is a pure function of the
// string, so a stale entry cannot be wrong, only missed.
var signerKeyCache atomic.Pointer[signerKeyEntry]

type signerKeyEntry struct {
	vm  string
	pub ed25519.PublicKey
}

// checkSignerVerificationMethod: signing with a did:key verification
// method whose key is not the signer's makes a proof nobody can verify,
// so it is refused (ErrProofMismatch), as is a malformed did:key
// verification method. Other DID methods are the caller's to get right.
func checkSignerVerificationMethod(vm string, pub ed25519.PublicKey) error {
	if !strings.HasPrefix(vm, didKeyPrefix) {
		return nil
	}
	var want ed25519.PublicKey
	if e := signerKeyCache.Load(); e != nil && e.vm == vm {
		want = e.pub
	} else {
		var err error
		if want, err = didKeyVerificationMethod(vm); err != nil {
			return fmt.Errorf("vcld: sign: %w", err)
		}
		signerKeyCache.Store(&signerKeyEntry{vm, want})
	}
	if !want.Equal(pub) {
		return fmt.Errorf("vcld: sign: verification method %q is not the signer's key: %w", vm, ErrProofMismatch)
	}
	return nil
}
