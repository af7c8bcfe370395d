package vcld

import (
	"context"
	"errors"
	"testing"
)

// TestTermsReadMustBeSpeltByName: a member that readers take from the JSON by name (a status,
// a validity date, a proof's expiry) is refused when the document states it under another
// spelling, while a term of the same name that a context maps elsewhere is left alone.
func TestTermsReadMustBeSpeltByName(t *testing.T) {
	p := newTestProcessor(t)
	ctx := context.Background()
	proof := func(extra map[string]any) map[string]any {
		m := map[string]any{
			"@context": []any{ContextCredentialsV2}, "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
			"created": "2026-01-01T00:00:00Z", "proofPurpose": "assertionMethod", "verificationMethod": "did:example:i#k",
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	expiration := map[string]any{"@value": "2026-01-02T00:00:00Z", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}
	cred := func(subject map[string]any, ctxs ...any) map[string]any {
		return map[string]any{
			"@context": append([]any{ContextCredentialsV2}, ctxs...), "type": []any{"VerifiableCredential"},
			"issuer": "did:example:i", "credentialSubject": subject,
		}
	}
	tests := []struct {
		name string
		doc  map[string]any
		ok   bool
	}{
		{"proof expires by name", proof(map[string]any{"expires": "2026-01-02T00:00:00Z"}), true},
		{"proof expires as an IRI", proof(map[string]any{"https://w3id.org/security#expiration": expiration}), false},
		{"subject term named expires mapped elsewhere", cred(map[string]any{"id": "did:example:s", "expires": "soon"},
			map[string]any{"expires": "https://example.org/ns#expires"}), true},
		{"holder as an IRI", map[string]any{
			"@context": []any{ContextCredentialsV2}, "type": []any{"VerifiablePresentation"},
			"https://www.w3.org/2018/credentials#holder": map[string]any{"@id": "did:example:h"},
		}, false},
		{"validUntil in a set object", func() map[string]any {
			c := cred(map[string]any{"id": "did:example:s"})
			c["validUntil"] = map[string]any{"@set": []any{"2027-01-01T00:00:00Z"}}
			return c
		}(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.expand(ctx, tt.doc)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrUnsafeDocument) {
				t.Fatalf("err %v, want ErrUnsafeDocument", err)
			}
		})
	}
}
