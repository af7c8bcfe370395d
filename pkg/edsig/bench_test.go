package edsig

import (
	"crypto/ed25519"
	"testing"
)

// benchKey signs a 300-byte message, about the size of a JWS signing input
// of a small credential.
func benchKey() (ed25519.PublicKey, ed25519.PrivateKey, []byte, []byte) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	msg := make([]byte, 300)
	return priv.Public().(ed25519.PublicKey), priv, msg, ed25519.Sign(priv, msg)
}

// BenchmarkVerify verifies with a key already in the cache: the issuer key
// of every credential of a busy verifier.
func BenchmarkVerify(b *testing.B) {
	pub, _, msg, sig := benchKey()
	b.ReportAllocs()
	for b.Loop() {
		if !Verify(pub, msg, sig) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkStdlibVerify is the baseline of BenchmarkVerify.
func BenchmarkStdlibVerify(b *testing.B) {
	pub, _, msg, sig := benchKey()
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkVerifyFreshKey verifies with a key seen for the first time
// (expansion included): the cost a sender with a new key per request makes.
func BenchmarkVerifyFreshKey(b *testing.B) {
	pub, _, msg, sig := benchKey()
	b.ReportAllocs()
	for b.Loop() {
		cache.mu.Lock()
		clear(cache.keys)
		cache.mu.Unlock()
		if !Verify(pub, msg, sig) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkSign and BenchmarkStdlibSign compare signing.
func BenchmarkSign(b *testing.B) {
	_, priv, msg, _ := benchKey()
	b.ReportAllocs()
	for b.Loop() {
		Sign(priv, msg)
	}
}

func BenchmarkStdlibSign(b *testing.B) {
	_, priv, msg, _ := benchKey()
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(priv, msg)
	}
}
