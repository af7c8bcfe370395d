package verifier_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/idport/idport/pkg/oa"
)

// benchInvoice is an invoice of about 50 fields.
func benchInvoice(keyDID string) map[string]any {
	data := oaInvoice(oaDomain, keyDID)
	items := make([]any, 10)
	for i := range items {
		items[i] = map[string]any{"description": fmt.Sprintf("item %d", i), "quantity": "1", "unitPrice": "10.00", "taxCategory": "SR"}
	}
	data["items"] = items
	return data
}

// BenchmarkVerifyDocument verifies a ~50-field OpenAttestation invoice
// end to end in-process (parse, integrity, signature recovery, cached DNS
// answer, recognition); compare with BenchmarkSecp256k1Recover, the raw
// signature recovery alone.
func BenchmarkVerifyDocument(b *testing.B) {
	f := newOAFixture(b)
	raw := f.sign(b, benchInvoice(oa.KeyDID(f.key.PubKey())), f.key)
	if r := f.verify(b, raw); !r.Verified {
		b.Fatalf("%+v", r.Errors)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := f.v.VerifyDocument(ctx, raw)
		if err != nil || !r.Verified {
			b.Fatal(err)
		}
	}
}

// BenchmarkSecp256k1Recover is the baseline: recovering the signer of one
// personal-signed Merkle root.
func BenchmarkSecp256k1Recover(b *testing.B) {
	f := newOAFixture(b)
	d, _ := oa.Wrap(benchInvoice(oa.KeyDID(f.key.PubKey())))
	_ = d.Sign(f.key, testNow)
	root, _ := hex.DecodeString(d.Signature.MerkleRoot)
	sig := d.Proofs[0].Signature
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := oa.RecoverAddress(root, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyDocumentRatio runs the two above alternately on one
// locked OS thread and reports their thread CPU time per operation and
// the ratio (x-raw): on a loaded machine this ratio is the stable one.
func BenchmarkVerifyDocumentRatio(b *testing.B) {
	f := newOAFixture(b)
	raw := f.sign(b, benchInvoice(oa.KeyDID(f.key.PubKey())), f.key)
	d, err := oa.Parse(raw, oa.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	root, _ := hex.DecodeString(d.Signature.MerkleRoot)
	sig := d.Proofs[0].Signature
	ctx := context.Background()
	interleaved(b, func() {
		if _, err := oa.RecoverAddress(root, sig); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if r, err := f.v.VerifyDocument(ctx, raw); err != nil || !r.Verified {
			b.Fatal(err)
		}
	})
}
