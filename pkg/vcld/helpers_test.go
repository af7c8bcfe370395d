package vcld

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/nodetest"
	"github.com/mr-tron/base58"
)

// testKey is an Ed25519 key with its did:key identity.
type testKey struct {
	seedHex string
	priv    ed25519.PrivateKey
	did, vm string
}

func newTestKey(seedByte byte) testKey {
	seed := bytes.Repeat([]byte{seedByte}, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	fp := "z" + base58.Encode(append([]byte{0xed, 0x01}, priv.Public().(ed25519.PublicKey)...))
	did := "did:key:" + fp
	return testKey{seedHex: hex.EncodeToString(seed), priv: priv, did: did, vm: did + "#" + fp}
}

// didKeyResolver resolves Ed25519 did:key verification methods locally.
func didKeyResolver(_ context.Context, vm string) (crypto.PublicKey, error) {
	did, frag, _ := strings.Cut(vm, "#")
	fp, ok := strings.CutPrefix(did, "did:key:z")
	if !ok || (frag != "" && "z"+fp != frag) {
		return nil, fmt.Errorf("not an Ed25519 did:key URL: %q", vm)
	}
	b, err := base58.Decode(fp)
	if err != nil || len(b) != 2+ed25519.PublicKeySize || b[0] != 0xed || b[1] != 0x01 {
		return nil, fmt.Errorf("not an Ed25519 did:key: %q", vm)
	}
	return ed25519.PublicKey(b[2:]), nil
}

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func credV2(issuer string) map[string]any {
	return map[string]any{
		"@context":  []any{ContextCredentialsV2},
		"id":        "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
		"type":      []any{"VerifiableCredential"},
		"issuer":    issuer,
		"validFrom": "2026-01-01T00:00:00Z",
		"name":      "Business registration",
		"credentialSubject": map[string]any{
			"id":   "did:example:company-1",
			"name": "Acme Pte Ltd",
		},
	}
}

func credV1(issuer string) map[string]any {
	return map[string]any{
		"@context":     []any{ContextCredentialsV1},
		"id":           "urn:uuid:1f6f4f32-0f36-4a4b-9e1c-2b8a4d3c2f10",
		"type":         []any{"VerifiableCredential"},
		"issuer":       map[string]any{"id": issuer},
		"issuanceDate": "2026-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id": "did:example:company-1",
		},
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

func newTestProcessor(t testing.TB) *Processor {
	t.Helper()
	p, err := New(Options{Now: func() time.Time { return fixedTime }, Ed25519Signature2020: ownEd25519Signature2020})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ownEd25519Signature2020 is this package's own construction of the
// legacy suite, a ProofMaker for tests (pkg/vcld/ariessign makes it with
// aries and checks that its proofs are byte for byte these): the proof
// options, the signing input the Processor computes for them, an Ed25519
// signature.
func ownEd25519Signature2020(ctx context.Context, req ProofRequest) (map[string]any, error) {
	proof := map[string]any{
		"type":               string(Ed25519Signature2020),
		"created":            req.Created.Format(time.RFC3339),
		"verificationMethod": req.VerificationMethod,
		"proofPurpose":       req.ProofPurpose,
	}
	if req.Challenge != "" {
		proof["challenge"] = req.Challenge
	}
	if req.Domain != "" {
		proof["domain"] = req.Domain
	}
	data, err := req.SigningInput(ctx, proof)
	if err != nil {
		return nil, err
	}
	sig, err := req.Signer.Sign(rand.Reader, data, crypto.Hash(0))
	if err != nil {
		return nil, err
	}
	proof["proofValue"] = "z" + base58.Encode(sig)
	return proof, nil
}

// jsBatch runs one node process for many requests of an interop script
// (see serve in testdata/interop/vcld-lib.mjs).
func jsBatch[T any](t testing.TB, script string, reqs []any) []T {
	t.Helper()
	var out []T
	nodetest.Run(t, script, map[string]any{"batch": reqs}, &out)
	if len(out) != len(reqs) {
		t.Fatalf("%s: %d answers for %d requests", script, len(out), len(reqs))
	}
	return out
}
