package vcjwt

import (
	"encoding/json"

	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"math/big"
	"syscall"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
)

// The raw baselines and the lean paths below are meant to be read as ratios
// in one run: go test ./pkg/vcjwt -run '^$' -bench . -benchmem -count 3
//
// Each benchmark also reports cpu-ns/op, the process CPU time (user + system,
// GC included) per operation: on a shared, loaded machine wall time per op
// mostly measures the wait for a core, CPU time still measures the work.

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs fn b.N times (b.Loop) and reports cpu-ns/op.
func loop(b *testing.B, fn func()) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		fn()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// benchToken signs the sample VC-JOSE credential and returns the token and
// its signing input (the bytes a raw verify covers).
func benchToken(b *testing.B, alg keys.Alg) (*keys.Key, string, []byte) {
	k := mustKey(b, alg)
	tok, err := SignVCJOSE(k, sampleCredential(b, 2))
	if err != nil {
		b.Fatal(err)
	}
	parsed, err := Parse(tok)
	if err != nil {
		b.Fatal(err)
	}
	return k, tok, parsed.SigningInput
}

func BenchmarkRawEd25519Verify(b *testing.B) {
	k, tok, input := benchToken(b, keys.EdDSA)
	p, _ := Parse(tok)
	pub := k.Public.(ed25519.PublicKey)
	loop(b, func() {
		if !ed25519.Verify(pub, input, p.Signature) {
			b.Fatal("verify")
		}
	})
}

func BenchmarkVerifyVCJOSE_EdDSA(b *testing.B) {
	k, tok, _ := benchToken(b, keys.EdDSA)
	benchVerify(b, k, tok)
}

func BenchmarkRawECDSAVerify(b *testing.B) {
	k, tok, input := benchToken(b, keys.ES256)
	p, _ := Parse(tok)
	pub := k.Public.(*ecdsa.PublicKey)
	loop(b, func() {
		d := sha256.Sum256(input)
		r := new(big.Int).SetBytes(p.Signature[:32])
		s := new(big.Int).SetBytes(p.Signature[32:])
		if !ecdsa.Verify(pub, d[:], r, s) {
			b.Fatal("verify")
		}
	})
}

func BenchmarkVerifyVCJOSE_ES256(b *testing.B) {
	k, tok, _ := benchToken(b, keys.ES256)
	benchVerify(b, k, tok)
}

func benchVerify(b *testing.B, k *keys.Key, tok string) {
	loop(b, func() {
		p, err := ParseCredential(tok)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Verify(k.Public); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkVerifySDJWT_9Disclosures(b *testing.B) {
	k := mustKey(b, keys.EdDSA)
	sd, err := SignSDJWT(k, sdParams(9, nil))
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, k, sd)
}

func BenchmarkRawEd25519Sign(b *testing.B) {
	k := mustKey(b, keys.EdDSA)
	_, _, input := benchToken(b, keys.EdDSA)
	priv := k.Signer.(ed25519.PrivateKey)
	loop(b, func() {
		ed25519.Sign(priv, input)
	})
}

func BenchmarkSignVCJOSE(b *testing.B) {
	k := mustKey(b, keys.EdDSA)
	c := sampleCredential(b, 2)
	loop(b, func() {
		if _, err := SignVCJOSE(k, c); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseVCJOSE is the lean path without the signature check: the
// whole overhead over a raw verify.
func BenchmarkParseVCJOSE(b *testing.B) {
	_, tok, _ := benchToken(b, keys.EdDSA)
	loop(b, func() {
		if _, err := ParseCredential(tok); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseSDJWT_9Disclosures is the SD-JWT work without the signature check.
func BenchmarkParseSDJWT_9Disclosures(b *testing.B) {
	k := mustKey(b, keys.EdDSA)
	sd, err := SignSDJWT(k, sdParams(9, nil))
	if err != nil {
		b.Fatal(err)
	}
	loop(b, func() {
		if _, err := ParseCredential(sd); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkJWXVerifyVCJOSE_EdDSA is jwx's jws.Verify plus encoding/json of the
// payload into a map: what the lean path replaces, on the same token.
func BenchmarkJWXVerifyVCJOSE_EdDSA(b *testing.B) {
	k, tok, _ := benchToken(b, keys.EdDSA)
	loop(b, func() {
		payload, err := jws.Verify([]byte(tok), jws.WithKey(jwa.EdDSA, k.Public))
		if err != nil {
			b.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkSignVC11(b *testing.B) {
	k := mustKey(b, keys.EdDSA)
	c := sampleCredential(b, 1)
	loop(b, func() {
		if _, err := SignVC11(k, c); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkSignSDJWT_9Disclosures(b *testing.B) {
	k, holder := mustKey(b, keys.EdDSA), mustKey(b, keys.EdDSA)
	p := sdParams(9, holder)
	loop(b, func() {
		if _, err := SignSDJWT(k, p); err != nil {
			b.Fatal(err)
		}
	})
}
