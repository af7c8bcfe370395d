package ariessign

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"

	"github.com/idport/idport/pkg/vcld"
)

// The benchmarks compare aries-framework-go's own paths with pkg/vcld's
// (go test -run '^$' -bench . -benchmem ./pkg/vcld/...): aries v0.3.2 has
// no eddsa-rdfc-2022, so they meet on Ed25519Signature2020.

// BenchmarkSignEd25519Signature2020 is the legacy signing path: pkg/vcld's
// checks and canonical hash, aries' Ed25519Signature2020 suite and
// document signer, and the self-check of its proof. Compare
// BenchmarkAriesAddLinkedDataProof (aries alone, credential parsed once)
// and pkg/vcld's BenchmarkSignEddsaRdfc2022.
func BenchmarkSignEd25519Signature2020(b *testing.B) {
	p := newTestProcessor(b)
	k := newTestKey(7)
	in := mustJSON(b, credV1(k.did))
	ctx := context.Background()
	o := vcld.SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: vcld.Ed25519Signature2020}
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuTimer(b)()
	for b.Loop() {
		if _, err := p.SignCredential(ctx, in, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAriesParseCredentialWithProof: aries verifiable.ParseCredential
// with its linked-data proof check (Ed25519Signature2020), the pinned
// contexts, on the VC 1.1 credential. Compare pkg/vcld's
// BenchmarkVerifyEd25519Signature2020.
func BenchmarkAriesParseCredentialWithProof(b *testing.B) {
	p := newTestProcessor(b)
	k := newTestKey(7)
	signed, err := p.SignCredential(context.Background(), mustJSON(b, credV1(k.did)), vcld.SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: vcld.Ed25519Signature2020})
	if err != nil {
		b.Fatal(err)
	}
	opts := ariesVerifyOpts(k.priv.Public().(ed25519.PublicKey))
	if _, err := verifiable.ParseCredential(signed, opts...); err != nil {
		b.Fatalf("aries does not verify our Ed25519Signature2020 credential: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuTimer(b)()
	for b.Loop() {
		if _, err := verifiable.ParseCredential(signed, opts...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAriesAddLinkedDataProof: aries AddLinkedDataProof
// (Ed25519Signature2020) on the VC 1.1 credential, parsed once outside the
// loop, plus marshalling the result.
func BenchmarkAriesAddLinkedDataProof(b *testing.B) {
	sign := ariesSigner(b, newTestKey(7))
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuTimer(b)()
	for b.Loop() {
		sign()
	}
}

// BenchmarkDIDKeyResolver: an Ed25519 did:key verification method decoded
// and checked with aries' fingerprint package.
func BenchmarkDIDKeyResolver(b *testing.B) {
	vm := newTestKey(7).vm
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DIDKeyResolver(ctx, vm); err != nil {
			b.Fatal(err)
		}
	}
}
