package ariessign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/mr-tron/base58"

	"github.com/idport/idport/pkg/vcld"
)

// testKey is an Ed25519 key with its did:key identity.
type testKey struct {
	priv    ed25519.PrivateKey
	did, vm string
}

func newTestKey(seedByte byte) testKey {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seedByte}, ed25519.SeedSize))
	fp := multibaseKey(0xed, priv.Public().(ed25519.PublicKey))
	did := "did:key:" + fp
	return testKey{priv: priv, did: did, vm: did + "#" + fp}
}

func multibaseKey(code uint64, key []byte) string {
	return "z" + base58.Encode(append(binary.AppendUvarint(nil, code), key...))
}

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func credV2(issuer string) map[string]any {
	return map[string]any{
		"@context":  []any{vcld.ContextCredentialsV2},
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
		"@context":     []any{vcld.ContextCredentialsV1},
		"id":           "urn:uuid:1f6f4f32-0f36-4a4b-9e1c-2b8a4d3c2f10",
		"type":         []any{"VerifiableCredential"},
		"issuer":       map[string]any{"id": issuer},
		"issuanceDate": "2026-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id": "did:example:company-1",
		},
	}
}

// vc2WithStatus is a VC 2.0 credential with a Bitstring Status List entry.
func vc2WithStatus(did string) map[string]any {
	c := credV2(did)
	c["credentialStatus"] = map[string]any{
		"id":                   "https://issuer.example/status/1#94567",
		"type":                 "BitstringStatusListEntry",
		"statusPurpose":        "revocation",
		"statusListIndex":      "94567",
		"statusListCredential": "https://issuer.example/status/1",
	}
	return c
}

func vpSkeleton(version int) map[string]any {
	c := vcld.ContextCredentialsV2
	if version == 1 {
		c = vcld.ContextCredentialsV1
	}
	return map[string]any{"@context": []any{c}, "type": []any{"VerifiablePresentation"}}
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

// topLevelKeys returns the member names of a JSON object in order.
func topLevelKeys(t testing.TB, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// newTestProcessor is an aries-signing Processor with a fixed clock.
func newTestProcessor(t testing.TB) *vcld.Processor {
	t.Helper()
	p, err := New(vcld.Options{Now: func() time.Time { return fixedTime }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ownEd25519Signature2020 is pkg/vcld's own construction of the suite:
// the proof options, the signing input the Processor computes for them,
// an Ed25519 signature. aries' proofs must be byte for byte the same.
func ownEd25519Signature2020(ctx context.Context, req vcld.ProofRequest) (map[string]any, error) {
	proof := map[string]any{
		"type":               string(vcld.Ed25519Signature2020),
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

// cpuTimer reports process CPU time per operation as "cpu-ns/op" beside
// the wall-clock ns/op (see pkg/vcld's benchmarks).
func cpuTimer(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
