package vcld

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// proofSetFixture: a credential signed by its issuer (proof id urn:uuid:p1).
func proofSetFixture(t *testing.T) (*Processor, testKey, testKey, []byte) {
	t.Helper()
	p := newTestProcessor(t)
	issuer, witness := newTestKey(61), newTestKey(62)
	signed, err := p.SignCredential(context.Background(), mustJSON(t, credV2(issuer.did)),
		SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, ID: "urn:uuid:p1"})
	if err != nil {
		t.Fatal(err)
	}
	return p, issuer, witness, signed
}

func TestProofSetAndChain(t *testing.T) {
	ctx := context.Background()
	p, issuer, witness, signed := proofSetFixture(t)

	set, err := p.AddProof(ctx, signed, SignOptions{Signer: witness.priv, VerificationMethod: witness.vm, ID: "urn:uuid:w1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.VerifyCredential(ctx, set, didKeyResolver)
	if err != nil {
		t.Fatalf("proof set: %v", err)
	}
	if len(res.Proofs) != 2 || res.VerificationMethod != issuer.vm || res.Proofs[1].Controller() != witness.did || res.IssuerProof().ID != "urn:uuid:p1" {
		t.Fatalf("proof set result: %+v", res)
	}

	chain, err := p.AddProof(ctx, signed, SignOptions{Signer: witness.priv, VerificationMethod: witness.vm, ID: "urn:uuid:w1", PreviousProof: []string{"urn:uuid:p1"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err = p.VerifyCredential(ctx, chain, didKeyResolver)
	if err != nil {
		t.Fatalf("proof chain: %v", err)
	}
	if got := res.Proofs[1].PreviousProof; len(got) != 1 || got[0] != "urn:uuid:p1" {
		t.Fatalf("chain previousProof: %+v", res.Proofs[1])
	}
	// A third link chained to both earlier proofs (previousProof array).
	chain3, err := p.AddProof(ctx, chain, SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, ID: "urn:uuid:p3", PreviousProof: []string{"urn:uuid:p1", "urn:uuid:w1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.VerifyCredential(ctx, chain3, didKeyResolver); err != nil {
		t.Fatalf("chain of three: %v", err)
	}
	// The chained proof covers the proof it names: moved into a set (no
	// previousProof), it no longer verifies, and neither does the chain
	// when the earlier proof changes.
	m := mustMap(t, chain)
	delete(m["proof"].([]any)[1].(map[string]any), "previousProof")
	if _, err := p.VerifyCredential(ctx, mustJSON(t, m), didKeyResolver); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("chain link without previousProof: %v", err)
	}

	cases := []struct {
		name   string
		doc    []byte
		mutate func(proofs []any)
		want   error
	}{
		{"tampered second proof", chain, func(ps []any) { ps[1].(map[string]any)["created"] = "2020-01-01T00:00:00Z" }, ErrSignatureInvalid},
		{"tampered witness proof of a set", set, func(ps []any) { ps[1].(map[string]any)["created"] = "2020-01-01T00:00:00Z" }, ErrSignatureInvalid},
		{"dangling previousProof", chain, func(ps []any) { ps[1].(map[string]any)["previousProof"] = "urn:uuid:missing" }, ErrProofChain},
		{"dangling in an array", chain, func(ps []any) {
			ps[1].(map[string]any)["previousProof"] = []any{"urn:uuid:p1", "urn:uuid:missing"}
		}, ErrProofChain},
		{"self reference", chain, func(ps []any) { ps[1].(map[string]any)["previousProof"] = "urn:uuid:w1" }, ErrProofChain},
		{"cycle", chain, func(ps []any) { ps[0].(map[string]any)["previousProof"] = "urn:uuid:w1" }, ErrProofChain},
		{"repeated id", set, func(ps []any) { ps[1].(map[string]any)["id"] = "urn:uuid:p1" }, ErrProofChain},
		{"previousProof not a string", chain, func(ps []any) { ps[1].(map[string]any)["previousProof"] = 7.0 }, ErrMalformed},
		{"empty previousProof array", chain, func(ps []any) { ps[1].(map[string]any)["previousProof"] = []any{} }, ErrMalformed},
		{"witness proof twice", set, func(ps []any) { ps[0] = ps[1] }, ErrProofChain},
	}
	for _, tc := range cases {
		m := mustMap(t, tc.doc)
		tc.mutate(m["proof"].([]any))
		if _, err := p.VerifyCredential(ctx, mustJSON(t, m), didKeyResolver); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}

	// Only the witness proof is valid: the issuer's is missing (a witness
	// proof alone) or does not verify.
	m = mustMap(t, set)
	m["proof"] = m["proof"].([]any)[1:]
	if _, err := p.VerifyCredential(ctx, mustJSON(t, m), didKeyResolver); !errors.Is(err, ErrProofMismatch) || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("witness proof alone: %v", err)
	}
	m = mustMap(t, set)
	m["proof"].([]any)[0].(map[string]any)["created"] = "2020-01-01T00:00:00Z"
	if _, err := p.VerifyCredential(ctx, mustJSON(t, m), didKeyResolver); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("issuer proof invalid: %v", err)
	}
}

func TestAddProofRefusals(t *testing.T) {
	ctx := context.Background()
	p, _, witness, signed := proofSetFixture(t)
	for _, tc := range []struct {
		name string
		o    SignOptions
		want error
	}{
		{"previousProof names no proof", SignOptions{PreviousProof: []string{"urn:uuid:nope"}}, ErrProofChain},
		{"id taken", SignOptions{ID: "urn:uuid:p1"}, ErrProofChain},
		{"relative id", SignOptions{ID: "p2"}, ErrMalformed},
		{"chain with the legacy suite", SignOptions{Suite: Ed25519Signature2020, PreviousProof: []string{"urn:uuid:p1"}}, ErrUnsupportedSuite},
	} {
		tc.o.Signer, tc.o.VerificationMethod = witness.priv, witness.vm
		if _, err := p.AddProof(ctx, signed, tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestInteropJSProofSet: a proof set made by the JavaScript peers (the
// issuer's proof by @digitalbazaar/vc, a witness's added by
// jsonld-signatures) verifies here, both proofs reported; a tampered
// witness proof fails.
func TestInteropJSProofSet(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	issuer, witness := newTestKey(63), newTestKey(64)
	type jsSet struct {
		jsSigned
		Witness string `json:"witnessVerificationMethod"`
	}
	out := jsBatch[jsSet](t, "vcld-sign.mjs", []any{map[string]any{
		"seed": issuer.seedHex, "witnessSeed": witness.seedHex, "credential": credV2(issuer.did),
	}})
	js := out[0]
	if js.Witness != witness.vm {
		t.Fatalf("JS witness %s, we derive %s", js.Witness, witness.vm)
	}
	doc := mustJSON(t, js.Signed)
	res, err := p.VerifyCredential(context.Background(), doc, didKeyResolver)
	if err != nil {
		t.Fatalf("JS proof set does not verify: %v\n%s", err, doc)
	}
	if len(res.Proofs) != 2 || res.VerificationMethod != issuer.vm || res.Proofs[1].VerificationMethod != witness.vm {
		t.Fatalf("result %+v", res)
	}
	m := mustMap(t, doc)
	m["proof"].([]any)[1].(map[string]any)["created"] = "2020-01-01T00:00:00Z"
	if _, err := p.VerifyCredential(context.Background(), mustJSON(t, m), didKeyResolver); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("tampered JS witness proof: %v", err)
	}
}
