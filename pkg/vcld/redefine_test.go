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

// TestInlineTermsNamedAfterTheirIRIs: verification reads an inline context's terms only when
// each is named after its IRI (or is a prefix, or id/type for @id/@type), wherever the context
// stands in the document.
func TestInlineTermsNamedAfterTheirIRIs(t *testing.T) {
	for _, tt := range []struct {
		term, target string
		ok           bool
	}{
		{"uen", "https://idport.dev/ns#uen", true},
		{"name", "https://schema.org/name", true},
		{"uen", "ns:uen", true},
		{"ns", "https://idport.dev/ns#", true},
		{"id", "@id", true},
		{"type", "@type", true},
		{"wrap", "@nest", true},
		{"uen", "https://idport.dev/ns#legalName", false},
		{"uen", "legalName", false},
		{"ident", "@id", false},
		{"kind", "@type", false},
		{"uen", "https://idport.dev/ns#uenx", false},
	} {
		if got := namedAfter(tt.term, tt.target); got != tt.ok {
			t.Errorf("namedAfter(%q, %q) = %v, want %v", tt.term, tt.target, got, tt.ok)
		}
	}
	swapped := map[string]any{"uen": "https://idport.dev/ns#legalName"}
	for name, doc := range map[string]map[string]any{
		"top-level":       {"@context": []any{ContextCredentialsV2, swapped}},
		"scoped":          {"@context": map[string]any{"address": map[string]any{"@id": "https://idport.dev/ns#address", "@context": swapped}}},
		"embedded":        {"credentialSubject": map[string]any{"@context": swapped}},
		"in an array":     {"credentialSubject": []any{map[string]any{"x": 1}, map[string]any{"@context": swapped}}},
		"reverse":         {"@context": map[string]any{"uen": map[string]any{"@reverse": "https://idport.dev/ns#legalName"}}},
		"a keyword alias": {"@context": map[string]any{"ident": "@id"}},
	} {
		if err := checkInlineContexts(doc); !errors.Is(err, ErrUnsafeDocument) {
			t.Errorf("%s: err %v, want ErrUnsafeDocument", name, err)
		}
	}
	if err := checkInlineContexts(map[string]any{"@context": []any{ContextCredentialsV2, map[string]any{"uen": "https://idport.dev/ns#uen"}},
		"credentialSubject": map[string]any{"note": map[string]any{"@value": map[string]any{"@context": swapped}, "@type": "@json"}}}); err != nil {
		t.Errorf("named terms, and a JSON literal that only looks like a context: %v", err)
	}
}
