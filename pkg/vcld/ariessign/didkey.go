package ariessign

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/hyperledger/aries-framework-go/pkg/vdr/fingerprint"

	"github.com/idport/idport/pkg/vcld"
)

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

// DIDKeyResolver is a vcld.KeyResolver for Ed25519 did:key verification
// methods (did:key:z6Mk...#z6Mk...), for callers with no DID resolver: the
// key is decoded from the DID itself (aries-framework-go's did:key
// fingerprint code). The fragment must be the key's fingerprint, the only
// verification method of a did:key document (a bare did:key DID is
// accepted too). Every other DID, and a did:key of another key type, fails
// with vcld.ErrKeyNotFound.
func DIDKeyResolver(_ context.Context, verificationMethod string) (crypto.PublicKey, error) {
	pub, did, keyID, err := didKeyParts(verificationMethod)
	if err != nil {
		return nil, fmt.Errorf("ariessign: resolve: %v: %w", err, vcld.ErrKeyNotFound)
	}
	if verificationMethod != did && verificationMethod != keyID {
		return nil, fmt.Errorf("ariessign: resolve %q: a did:key document has one verification method, %s: %w", verificationMethod, keyID, vcld.ErrKeyNotFound)
	}
	return pub, nil
}

// CheckDIDKeyVerificationMethod checks a did:key verification method: its
// DID is an Ed25519 did:key (vcld.ErrMalformed otherwise) and its fragment
// is that key's fingerprint (vcld.ErrProofMismatch otherwise), as in
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
		return nil, fmt.Errorf("ariessign: %v: %w", err, vcld.ErrMalformed)
	}
	if vm != keyID {
		return nil, fmt.Errorf("ariessign: verification method %q: the fragment of a did:key verification method is its key's fingerprint (%s): %w", vm, keyID, vcld.ErrProofMismatch)
	}
	return pub, nil
}

// signerKeyCache remembers the last did:key verification method a signer
// was checked against: issuers sign with one key for a long time, and the
// check (base58 decoding, in aries) stays off the signing path after the
// first credential. The mapping is a pure function of the string, so a
// stale entry cannot be wrong, only missed.
var signerKeyCache atomic.Pointer[signerKeyEntry]

type signerKeyEntry struct {
	vm  string
	pub ed25519.PublicKey
}

// CheckSigner is a vcld.SignerCheck: signing with a did:key verification
// method whose key is not the signer's makes a proof nobody can verify, so
// it is refused (vcld.ErrProofMismatch), as is a malformed did:key
// verification method. Other DID methods are the caller's to get right.
func CheckSigner(vm string, pub ed25519.PublicKey) error {
	if !strings.HasPrefix(vm, didKeyPrefix) {
		return nil
	}
	var want ed25519.PublicKey
	if e := signerKeyCache.Load(); e != nil && e.vm == vm {
		want = e.pub
	} else {
		var err error
		if want, err = didKeyVerificationMethod(vm); err != nil {
			return err
		}
		signerKeyCache.Store(&signerKeyEntry{vm, want})
	}
	if !want.Equal(pub) {
		return fmt.Errorf("ariessign: verification method %q is not the signer's key: %w", vm, vcld.ErrProofMismatch)
	}
	return nil
}

var (
	_ vcld.KeyResolver = DIDKeyResolver
	_ vcld.SignerCheck = CheckSigner
	_ vcld.ProofMaker  = MakeEd25519Signature2020
)
