// Package keys generates, uses, publishes and seals the signing keys of
// idport: Ed25519 (JOSE alg EdDSA) and ECDSA P-256 (ES256), nothing else.
//
// Signatures are in JOSE form (RFC 7515/7518/8037): Ed25519 signatures as
// they are, ES256 as the 64-byte concatenation r||s. Verify takes the
// algorithm explicitly and refuses any algorithm outside Allowed.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/idport/idport/pkg/edsig"
)

// Alg is a JOSE signature algorithm name.
type Alg string

// The algorithms idport signs and verifies with.
const (
	EdDSA Alg = "EdDSA"
	ES256 Alg = "ES256"
)

// Allowed is the allow-list of signature algorithms.
var Allowed = []Alg{EdDSA, ES256}

// Sentinel errors; every error of this package wraps one of them.
var (
	// ErrAlgNotAllowed: the algorithm is not on the allow-list.
	ErrAlgNotAllowed = errors.New("keys: algorithm not allowed")
	// ErrSignatureInvalid: the signature does not verify.
	ErrSignatureInvalid = errors.New("keys: signature invalid")
	// ErrInvalidKey: a key is of an unsupported type, malformed, or does not
	// match its algorithm.
	ErrInvalidKey = errors.New("keys: invalid key")
	// ErrPublicOnly: a signing operation on a key without its private part.
	ErrPublicOnly = errors.New("keys: key has no private part")
	// ErrSealed: sealed key material cannot be opened (wrong secret, altered
	// or truncated data).
	ErrSealed = errors.New("keys: cannot open sealed key")
)

// Key is a signing key pair, or a public key alone when Signer is nil.
type Key struct {
	// ID is the key id (kid); by default the RFC 7638 thumbprint.
	ID string
	// Alg is the JOSE algorithm of the key.
	Alg Alg
	// Signer is the private key (ed25519.PrivateKey or *ecdsa.PrivateKey); nil for public keys.
	Signer crypto.Signer
	// Public is ed25519.PublicKey or *ecdsa.PublicKey.
	Public crypto.PublicKey
	// Created is when the key was generated.
	Created time.Time
	// RetiredAt is when the key stopped signing; nil while it is current.
	RetiredAt *time.Time
}

// Generate makes a new key from crypto/rand. Its ID is its thumbprint.
func Generate(alg Alg) (*Key, error) {
	var signer crypto.Signer
	switch alg {
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: generate Ed25519: %w", err)
		}
		signer = priv
	case ES256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: generate P-256: %w", err)
		}
		signer = priv
	default:
		return nil, fmt.Errorf("%w: %q", ErrAlgNotAllowed, alg)
	}
	return FromSigner(signer, "", time.Now().UTC())
}

// FromSigner wraps an existing private key (ed25519.PrivateKey or
// *ecdsa.PrivateKey on P-256). An empty id becomes the key's thumbprint.
func FromSigner(signer crypto.Signer, id string, created time.Time) (*Key, error) {
	if signer == nil {
		return nil, fmt.Errorf("%w: nil signer", ErrInvalidKey)
	}
	pub := signer.Public()
	alg, err := AlgOf(pub)
	if err != nil {
		return nil, err
	}
	if p, ok := signer.(*ed25519.PrivateKey); ok { // normalise pointer form
		signer = *p
	}
	if id == "" {
		if id, err = Thumbprint(pub); err != nil {
			return nil, err
		}
	}
	return &Key{ID: id, Alg: alg, Signer: signer, Public: pub, Created: created}, nil
}

// AlgOf returns the JOSE algorithm for a public key: EdDSA for Ed25519,
// ES256 for ECDSA on P-256. Anything else is ErrInvalidKey.
func AlgOf(pub crypto.PublicKey) (Alg, error) {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return "", fmt.Errorf("%w: Ed25519 key of %d bytes", ErrInvalidKey, len(p))
		}
		return EdDSA, nil
	case *ecdsa.PublicKey:
		if p == nil || p.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: ECDSA key not on P-256", ErrInvalidKey)
		}
		return ES256, nil
	}
	return "", fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, pub)
}

// IsAllowed reports whether alg is on the allow-list.
func IsAllowed(alg Alg) bool {
	for _, a := range Allowed {
		if a == alg {
			return true
		}
	}
	return false
}

// Sign signs signingInput (for JWS: ASCII(base64url(header) || '.' ||
// base64url(payload))) and returns the JOSE signature.
func (k *Key) Sign(signingInput []byte) ([]byte, error) {
	switch priv := k.Signer.(type) {
	case nil:
		return nil, fmt.Errorf("%w: %s", ErrPublicOnly, k.ID)
	case ed25519.PrivateKey:
		return edsig.Sign(priv, signingInput), nil
	case *ecdsa.PrivateKey:
		digest := sha256.Sum256(signingInput)
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
		if err != nil {
			return nil, fmt.Errorf("keys: ES256 sign: %w", err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	}
	return nil, fmt.Errorf("%w: unsupported signer %T", ErrInvalidKey, k.Signer)
}

// Verify checks a JOSE signature with an explicit algorithm. The algorithm
// must be allowed and match the key type.
func Verify(alg Alg, pub crypto.PublicKey, signingInput, sig []byte) error {
	switch alg {
	case EdDSA:
		p, ok := pub.(ed25519.PublicKey)
		if !ok || len(p) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: EdDSA needs an Ed25519 key, got %T", ErrInvalidKey, pub)
		}
		if len(sig) != ed25519.SignatureSize || !edsig.Verify(p, signingInput, sig) {
			return ErrSignatureInvalid
		}
		return nil
	case ES256:
		p, ok := pub.(*ecdsa.PublicKey)
		if !ok || p == nil || p.Curve != elliptic.P256() {
			return fmt.Errorf("%w: ES256 needs a P-256 key, got %T", ErrInvalidKey, pub)
		}
		if len(sig) != 64 {
			return fmt.Errorf("%w: ES256 signature of %d bytes", ErrSignatureInvalid, len(sig))
		}
		digest := sha256.Sum256(signingInput)
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(p, digest[:], r, s) {
			return ErrSignatureInvalid
		}
		return nil
	}
	return fmt.Errorf("%w: %q", ErrAlgNotAllowed, alg)
}

// PublicOnly returns a copy of k without its private part.
func (k *Key) PublicOnly() *Key {
	cp := *k
	cp.Signer = nil
	return &cp
}

// Active reports whether the key may sign at t: it exists and is not retired.
func (k *Key) Active(t time.Time) bool {
	return k.Signer != nil && (k.RetiredAt == nil || t.Before(*k.RetiredAt))
}
