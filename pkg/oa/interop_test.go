package oa

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/idport/idport/pkg/nodetest"
)

type jsOut struct {
	Documents []json.RawMessage `json:"documents"`
	Batch     []json.RawMessage `json:"batch"`
	Checks    []struct {
		Integrity bool   `json:"integrity"`
		Signer    string `json:"signer"`
	} `json:"checks"`
}

// TestInteropWeVerifyReference: documents wrapped, obfuscated and signed by
// @govtechsg/open-attestation (single and batched) pass our integrity and
// signature checks, with the same fields.
func TestInteropWeVerifyReference(t *testing.T) {
	addr := Address(testKey().PubKey())
	data := invoiceData("merlion.example.sg", "did:ethr:"+addr+"#controller")
	in := map[string]any{
		"documents": []any{
			map[string]any{"data": data, "privateKey": "0x" + testKeyHex},
			map[string]any{"data": data, "privateKey": "0x" + testKeyHex, "obfuscate": []string{"billTo.note", "items"}},
		},
		"batch": map[string]any{"data": []any{data, data, data}, "privateKey": "0x" + testKeyHex},
	}
	var out jsOut
	nodetest.Run(t, "oa-wrap.mjs", in, &out)
	docs := append(out.Documents, out.Batch...)
	if len(docs) != 5 {
		t.Fatalf("%d documents", len(docs))
	}
	for i, raw := range docs {
		d := mustParse(t, raw)
		if err := d.CheckIntegrity(); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if err := d.VerifyProof(d.Proofs[0]); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		f, err := d.Fields()
		if err != nil {
			t.Fatal(err)
		}
		if f["billFrom.peppolId"] != "0195:SGUEN201912345K" || f["items.0.unitPrice"] != nil && f["items.0.unitPrice"] != 120.5 {
			t.Fatalf("document %d fields %v", i, f)
		}
		if i >= 2 && len(d.Signature.Proof) == 0 {
			t.Fatalf("batched document %d has no Merkle proof", i)
		}
	}
	if len(mustParse(t, docs[1]).Obfuscated) != 7 {
		t.Fatal("obfuscation")
	}
}

// TestInteropReferenceVerifiesOurs: documents we wrap, obfuscate and sign
// pass the reference's verifySignature, and ethers recovers our signer.
func TestInteropReferenceVerifiesOurs(t *testing.T) {
	d, err := Wrap(invoiceData("merlion.example.sg", KeyDID(testKey().PubKey())))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sign(testKey(), time.Now()); err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(d)
	if err := d.Obfuscate("billTo.note", "items"); err != nil {
		t.Fatal(err)
	}
	hidden, _ := json.Marshal(d)
	var out jsOut
	nodetest.Run(t, "oa-wrap.mjs", map[string]any{"check": []json.RawMessage{plain, hidden}}, &out)
	for i, c := range out.Checks {
		if !c.Integrity || c.Signer != Address(testKey().PubKey()) {
			t.Fatalf("check %d: %+v", i, c)
		}
	}
}
