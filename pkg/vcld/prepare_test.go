package vcld

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestInlineContextPreparedOnlyWhenItComesBack: an inline context is
// pre-processed (fast path, ldexpand, proof templates) only once documents
// bring it back. A sender with a new inline context in every request gets
// each processed once and never prepared, however many requests it sends;
// a context that does come back is prepared within a few verifications.
func TestInlineContextPreparedOnlyWhenItComesBack(t *testing.T) {
	k := newTestKey(35)
	signer := newTestProcessor(t)
	signed := func(ns string) []byte {
		cred := credV2(k.did)
		cred["@context"] = []any{ContextCredentialsV2, map[string]any{"ex": ns}}
		b, err := signer.SignCredential(context.Background(), mustJSON(t, cred), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prepared := func(p *Processor, doc []byte) bool {
		t.Helper()
		key, err := valueKey(mustMap(t, doc)["@context"])
		if err != nil {
			t.Fatal(err)
		}
		pc, ok := p.cache.get(key)
		if !ok {
			t.Fatal("the context was not processed")
		}
		return pc.prepared
	}
	p := newTestProcessor(t)
	for i := range 2 * prepareAfterUses {
		doc := signed("https://example.org/fresh/" + string(rune('a'+i)) + "#")
		if _, err := p.VerifyCredential(context.Background(), doc, didKeyResolver); err != nil {
			t.Fatal(err)
		}
		if prepared(p, doc) {
			t.Fatalf("request %d: a context seen in one verification was prepared", i)
		}
	}
	if n := p.ownExpansions.Load(); n != 0 {
		t.Fatalf("%d expansions by ldexpand over contexts never prepared", n)
	}
	again := signed("https://example.org/again#")
	for range prepareAfterUses {
		if _, err := p.VerifyCredential(context.Background(), again, didKeyResolver); err != nil {
			t.Fatal(err)
		}
	}
	if !prepared(p, again) {
		t.Fatalf("not prepared after %d verifications", prepareAfterUses)
	}
}

// TestLimitsHoldOnPreparedContexts: the blank node and quad limits refuse a
// document as before once its inline context is prepared and the document
// is expanded, and its node map built, by ldexpand.
func TestLimitsHoldOnPreparedContexts(t *testing.T) {
	k := newTestKey(36)
	p, err := New(Options{Limits: Limits{MaxBlankNodes: 4, MaxQuads: 30}})
	if err != nil {
		t.Fatal(err)
	}
	ok := withVocab(credV2(k.did))
	var things, names []any
	for i := range 6 {
		things = append(things, map[string]any{"name": fmt.Sprint(i)})
	}
	for i := range 40 {
		names = append(names, fmt.Sprint("n", i))
	}
	blank, quads := withVocab(credV2(k.did)), withVocab(credV2(k.did))
	blank["credentialSubject"].(map[string]any)["name"] = things
	quads["credentialSubject"].(map[string]any)["name"] = names
	for range prepareAfterUses + 1 {
		if err := p.ValidateCredential(context.Background(), mustJSON(t, ok)); err != nil {
			t.Fatal(err)
		}
	}
	for name, doc := range map[string]map[string]any{"blank nodes": blank, "quads": quads} {
		n := p.ownExpansions.Load()
		if err := p.ValidateCredential(context.Background(), mustJSON(t, doc)); !errors.Is(err, ErrTooComplex) {
			t.Errorf("%s: %v, want ErrTooComplex", name, err)
		}
		if p.ownExpansions.Load() == n {
			t.Errorf("%s: not expanded by ldexpand", name)
		}
	}
}
