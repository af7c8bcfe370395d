package vcld

import (
	"errors"
	"testing"
)

// TestContextRedefinitionRefused: a context of a list may define a term an earlier one defined
// only identically; changing its IRI, its scoped context or removing it is refused, so an
// appended context cannot give the names of a signed document other meanings.
func TestContextRedefinitionRefused(t *testing.T) {
	p := newTestProcessor(t)
	issuerCtx := map[string]any{"uen": "https://idport.dev/ns#uen", "address": map[string]any{"@id": "https://idport.dev/ns#address"}}
	tests := []struct {
		name string
		ctx  []any
		ok   bool
	}{
		{"pinned contexts defining proof terms alike", []any{ContextCredentialsV2, ContextDataIntegrityV2}, true},
		{"an issuer's context after the base", []any{ContextCredentialsV2, issuerCtx}, true},
		{"a new term appended", []any{ContextCredentialsV2, issuerCtx, map[string]any{"other": "https://example.org/other"}}, true},
		{"a term defined again identically", []any{ContextCredentialsV2, issuerCtx, map[string]any{"uen": "https://idport.dev/ns#uen"}}, true},
		{"a term given another IRI", []any{ContextCredentialsV2, issuerCtx, map[string]any{"uen": "https://idport.dev/ns#legalName"}}, false},
		{"a term given a scoped context", []any{ContextCredentialsV2, issuerCtx, map[string]any{
			"address": map[string]any{"@id": "https://idport.dev/ns#address", "@context": map[string]any{"street": "https://idport.dev/ns#city"}},
		}}, false},
		{"a term given a type", []any{ContextCredentialsV2, issuerCtx, map[string]any{"uen": map[string]any{"@id": "https://idport.dev/ns#uen", "@type": "@id"}}}, false},
		{"a term removed", []any{ContextCredentialsV2, issuerCtx, map[string]any{"uen": nil}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.activeContext(tt.ctx)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrUnsafeDocument) {
				t.Fatalf("err %v, want ErrUnsafeDocument", err)
			}
		})
	}
}
