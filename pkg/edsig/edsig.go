// Package edsig signs and verifies Ed25519 signatures about twice as fast as
// crypto/ed25519, with the same verdict on every input.
//
// Verification is the hot path of every credential check, and the same few
// issuer keys verify signature after signature. edsig keeps each public key
// it has seen in its expanded form (the decompressed point with its
// precomputed multiples, about 1.5 KiB; at most [CacheSize] keys, dropped all
// at once when full), so a repeated key skips decompression and table
// building. The arithmetic comes from github.com/oasisprotocol/curve25519-voi,
// run with the standard library's verification rules
// (VerifyOptionsStdLib: cofactorless equation, canonical S, any encoding of
// A, small-order points allowed), so a signature that crypto/ed25519 accepts
// is accepted here and one it refuses is refused. The tests compare both on
// the speccheck and ed25519vectors edge cases and under fuzzing.
//
// Only the public key is cached, never a verdict: every call verifies its
// signature in full.
//
// The package takes and returns crypto/ed25519 types, so callers keep the
// standard library's key types.
package edsig

import (
	"crypto/ed25519"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// CacheSize bounds the number of expanded public keys kept (about 1.5 KiB
// each). When the cache is full it is emptied and filled again, so a stream
// of fresh keys (a sender who makes a key per request) costs one expansion
// per call and memory stays bounded.
const CacheSize = 4096

// stdlibRules makes verification follow crypto/ed25519.Verify exactly.
var stdlibRules = &voi.Options{Verify: voi.VerifyOptionsStdLib}

type keyCache struct {
	mu   sync.RWMutex
	keys map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey
}

var cache = keyCache{keys: make(map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey)}

// expanded returns pub's expanded form, from the cache or newly made; nil
// when pub is not the encoding of a curve point.
func (c *keyCache) expanded(pub ed25519.PublicKey) *voi.ExpandedPublicKey {
	k := [ed25519.PublicKeySize]byte(pub)
	c.mu.RLock()
	e, ok := c.keys[k]
	c.mu.RUnlock()
	if ok {
		return e
	}
	e, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
	if err != nil {
		e = nil // not a point: remembered so it is refused at once next time
	}
	c.mu.Lock()
	if len(c.keys) >= CacheSize {
		clear(c.keys)
	}
	c.keys[k] = e
	c.mu.Unlock()
	return e
}

// Verify reports whether sig is a valid Ed25519 signature of message by pub,
// with the verdict of crypto/ed25519.Verify. Unlike crypto/ed25519.Verify it
// does not panic on a public key of the wrong length: it returns false.
func Verify(pub ed25519.PublicKey, message, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	e := cache.expanded(pub)
	if e == nil {
		return false
	}
	return voi.VerifyExpandedWithOptions(e, message, sig, stdlibRules)
}

// Sign signs message with priv and returns the signature, the same bytes as
// crypto/ed25519.Sign (Ed25519 signatures are deterministic). It panics, as
// crypto/ed25519.Sign does, if len(priv) is not ed25519.PrivateKeySize.
func Sign(priv ed25519.PrivateKey, message []byte) []byte {
	return voi.Sign(voi.PrivateKey(priv), message)
}
