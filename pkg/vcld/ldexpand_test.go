package vcld

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/piprate/json-gold/ld"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/vcld/internal/ldexpand"
)

// goldProcessor expands every document with json-gold (never ldexpand).
func goldProcessor(t testing.TB) *Processor {
	p := newTestProcessor(t)
	p.goldExpansion = true
	return p
}

// expansionDocs are the canonicalisation corpus, signed credentials and
// presentations, and crafted documents over inline contexts: scoped
// contexts, attempts to redefine protected terms, @vocab, @type coercion,
// @json, property-scoped and nested contexts, @graph, lists, and the
// features ldexpand leaves to json-gold (@reverse, @nest, @included,
// maps).
func expansionDocs(t testing.TB) map[string]map[string]any {
	k := newTestKey(32)
	docs := canonCorpus(k.did)
	docs["clique-4"] = cliqueCredential(k.did, 4)
	docs["vc2-status"] = withStatus(credV2(k.did))
	p := newTestProcessor(t)
	for _, v := range []int{1, 2} {
		cred := credV2(k.did)
		if v == 1 {
			cred = credV1(k.did)
		}
		signed, err := p.SignCredential(context.Background(), mustJSON(t, cred), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
		if err != nil {
			t.Fatal(err)
		}
		docs[versionName[v]+"-signed"] = mustMap(t, signed)
		vp := vpSkeleton(v)
		vp["holder"] = k.did
		vp["verifiableCredential"] = []any{mustMap(t, signed), mustMap(t, signed), "https://issuer.example/credentials/1"}
		docs[versionName[v]+"-presentation"] = vp
		one := vpSkeleton(v)
		one["verifiableCredential"] = mustMap(t, signed)
		docs[versionName[v]+"-presentation-one"] = one
	}
	inline := func(terms map[string]any, subject map[string]any, extra ...any) map[string]any {
		ctx := []any{ContextCredentialsV2, terms}
		ctx = append(ctx, extra...)
		return map[string]any{"@context": ctx, "type": []any{"VerifiableCredential"}, "issuer": k.did, "credentialSubject": subject}
	}
	ex := "https://example.org/terms#"
	docs["scoped-type"] = inline(map[string]any{
		"Thing":  map[string]any{"@id": ex + "Thing", "@context": map[string]any{"inner": ex + "inner", "note": map[string]any{"@id": ex + "note", "@type": "@id"}}},
		"Person": map[string]any{"@id": ex + "Person", "@context": map[string]any{"age": map[string]any{"@id": ex + "age", "@type": "http://www.w3.org/2001/XMLSchema#integer"}}},
		"label":  ex + "label", "knows": map[string]any{"@id": ex + "knows", "@type": "@id"},
	}, map[string]any{
		"id": "did:example:s", "type": "Person", "age": "42", "label": "n",
		"knows": []any{"did:example:k", map[string]any{"type": "Person", "age": 7}},
	})
	docs["property-scoped"] = inline(map[string]any{
		"Thing": ex + "Thing",
		"role":  map[string]any{"@id": ex + "role", "@type": "@vocab", "@context": map[string]any{"admin": ex + "roles/admin", "@vocab": ex + "roles/"}},
		"who":   map[string]any{"@id": ex + "who", "@context": map[string]any{"label": ex + "label"}},
	}, map[string]any{"role": []any{"admin", "guest"}, "who": map[string]any{"label": "x"}})
	docs["protected-redefinition"] = inline(map[string]any{"Thing": ex + "Thing", "issuer": ex + "notTheIssuer"}, map[string]any{"name": "x"})
	docs["protected-redefinition-scoped"] = inline(map[string]any{
		"Thing": map[string]any{"@id": ex + "Thing", "@context": map[string]any{"credentialSubject": ex + "other"}},
	}, map[string]any{"id": "did:example:s", "type": "Thing", "credentialSubject": "x"})
	docs["property-scoped-scalars"] = inline(map[string]any{
		"role": map[string]any{"@id": ex + "role", "@type": "@vocab", "@context": map[string]any{"admin": ex + "roles/admin", "@vocab": ex + "roles/"}},
	}, map[string]any{"role": []any{"admin", "guest"}, "nested": map[string]any{"@id": "did:example:n"}}, map[string]any{"nested": ex + "nested"})
	docs["vocab-coercion"] = inline(map[string]any{
		"@vocab": ex, "kind": map[string]any{"@id": ex + "kind", "@type": "@vocab"}, "link": map[string]any{"@id": ex + "link", "@type": "@id"},
		"when": map[string]any{"@id": ex + "when", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
		"ex":   map[string]any{"@id": ex, "@prefix": true},
	}, map[string]any{
		"kind": []any{"Thing", "ex:Other", "https://abs.example/x"}, "link": "relative/path", "when": "2024-01-01T00:00:00Z",
		"ex:curie": "c", "free": map[string]any{"@value": "v", "@language": "EN"}, "nothing": nil,
		"typedNode": map[string]any{"@type": []any{"B", "A"}, "x": 1},
	})
	docs["json-literal"] = inline(map[string]any{
		"Thing": ex + "Thing", "data": map[string]any{"@id": ex + "data", "@type": "@json"},
	}, map[string]any{"data": map[string]any{"b": []any{1, 2.5, "x", nil, true}, "a": map[string]any{"z": 1}}})
	docs["json-value-object"] = inline(map[string]any{"Thing": ex + "Thing", "@vocab": ex},
		map[string]any{"data": map[string]any{"@value": map[string]any{"k": "v"}, "@type": "@json"}})
	docs["nested-context"] = inline(map[string]any{"Thing": ex + "Thing", "@vocab": ex},
		map[string]any{"deep": map[string]any{"@context": map[string]any{"x": ex + "x2"}, "x": 1}})
	docs["graph-and-lists"] = inline(map[string]any{
		"Thing": ex + "Thing", "@vocab": ex,
		"ordered": map[string]any{"@id": ex + "ordered", "@container": "@list"},
		"bag":     map[string]any{"@id": ex + "bag", "@container": "@set"},
		"g":       map[string]any{"@id": ex + "g", "@container": "@graph"},
	}, map[string]any{
		"ordered": []any{3, 1, map[string]any{"@id": "did:example:o"}, map[string]any{"v": 1}},
		"bag":     []any{"a", "b"}, "single": map[string]any{"@list": []any{"x"}}, "set": map[string]any{"@set": []any{"y", "z"}},
		"g": map[string]any{"p": "in a graph"}, "ng": map[string]any{"@graph": map[string]any{"@id": "did:example:g", "p": 1}},
		"idOnly": map[string]any{"@id": "did:example:ref"}, "indexed": map[string]any{"@value": "i", "@index": "k"},
	})
	docs["reverse-nest-included"] = inline(map[string]any{
		"Thing": ex + "Thing", "@vocab": ex, "parentOf": map[string]any{"@reverse": ex + "child"}, "wrap": "@nest",
	}, map[string]any{"parentOf": map[string]any{"@id": "did:example:c"}, "wrap": map[string]any{"nested": 1},
		"@included": []any{map[string]any{"@id": "did:example:i", "p": 2}}})
	docs["maps"] = inline(map[string]any{
		"Thing": ex + "Thing", "@vocab": ex,
		"byLang": map[string]any{"@id": ex + "byLang", "@container": "@language"},
		"byIdx":  map[string]any{"@id": ex + "byIdx", "@container": "@index"},
		"byID":   map[string]any{"@id": ex + "byID", "@container": "@id"},
		"byType": map[string]any{"@id": ex + "byType", "@container": "@type"},
	}, map[string]any{"byLang": map[string]any{"en": "hi", "de": []any{"hallo"}}, "byIdx": map[string]any{"a": "x"},
		"byID": map[string]any{"did:example:m": map[string]any{"p": 1}}, "byType": map[string]any{"T": map[string]any{"p": 1}}})
	docs["two-scoped-types"] = inline(map[string]any{
		"Thing": map[string]any{"@id": ex + "Thing", "@context": map[string]any{"a": ex + "a"}},
	}, map[string]any{"type": []any{"Thing", "VerifiableCredential"}, "a": 1})
	docs["null-property-scoped"] = inline(map[string]any{
		"Thing": ex + "Thing", "raw": map[string]any{"@id": ex + "raw", "@context": nil},
	}, map[string]any{"raw": map[string]any{"@id": "https://abs.example/x", "https://abs.example/p": "v"}})
	docs["value-reverted"] = inline(map[string]any{
		"Thing":  map[string]any{"@id": ex + "Thing", "@context": map[string]any{"v": map[string]any{"@id": ex + "v", "@type": "@id"}, "@vocab": ex + "scoped/"}},
		"@vocab": ex,
	}, map[string]any{"type": "Thing", "v": "relative", "child": map[string]any{"@value": "lit"}, "ref": map[string]any{"@id": "did:example:r"},
		"node": map[string]any{"v": "again", "w": 1}})
	return docs
}

// sameFailure reports whether two results fail alike: both not at all, or
// both with the same class (the message may name another member: safe
// mode's checks walk maps).
func sameFailure(a, b error) bool {
	return (a == nil) == (b == nil) && errs.As(a) == errs.As(b)
}

// expansionOf expands doc with p as verification does (presentations
// through their view), round after round: an inline context is prepared
// for the fast path once it is used again.
func expansionOf(p *Processor, doc map[string]any) (string, error) {
	expanded, err := p.expand(context.Background(), p.presentationView(doc))
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(expanded)
	return string(b), nil
}

// TestOwnExpansionEqualsJSONGold: ldexpand gives json-gold's expanded form
// (the same values: maps compared by content) on every document, before
// and after inline contexts are prepared, and refuses what json-gold
// refuses.
func TestOwnExpansionEqualsJSONGold(t *testing.T) {
	own, gold := newTestProcessor(t), goldProcessor(t)
	docs := expansionDocs(t)
	var viaOwn []string
	for name, raw := range docs {
		for round := range prepareAfterUses + 2 {
			n := own.ownExpansions.Load()
			doc := mustMap(t, mustJSON(t, raw))
			before := mustJSON(t, doc)
			a, errA := own.expand(context.Background(), own.presentationView(doc))
			b, errB := gold.expand(context.Background(), gold.presentationView(doc))
			if !reflect.DeepEqual(a, b) || (errA == nil) != (errB == nil) {
				t.Errorf("%s, round %d:\nldexpand (%v): %s\njson-gold (%v): %s", name, round, errA, mustJSON(t, a), errB, mustJSON(t, b))
			}
			if !sameFailure(errA, errB) {
				t.Errorf("%s, round %d: errors differ: %v / %v", name, round, errA, errB)
			}
			if after := mustJSON(t, doc); string(after) != string(before) {
				t.Errorf("%s: expansion changed the document", name)
			}
			if round == prepareAfterUses+1 && own.ownExpansions.Load() > n {
				viaOwn = append(viaOwn, name)
			}
		}
	}
	slices.Sort(viaOwn)
	t.Logf("expanded by ldexpand once prepared: %v", viaOwn)
	for _, name := range []string{"vc2", "vc1", "vc2-signed", "vc2-presentation", "vc2-presentation-one", "literals", "named-graph",
		"scoped-type", "property-scoped-scalars", "protected-redefinition-scoped", "vocab-coercion", "json-literal", "json-value-object", "graph-and-lists", "value-reverted", "null-property-scoped"} {
		if !slices.Contains(viaOwn, name) {
			t.Errorf("%s was not expanded by ldexpand", name)
		}
	}
	if gold.ownExpansions.Load() != 0 {
		t.Fatal("goldExpansion used ldexpand")
	}
}

// FuzzOwnExpansionEqualsJSONGold compares ldexpand with json-gold on
// arbitrary documents (each expanded several times, so that inline
// contexts get prepared).
func FuzzOwnExpansionEqualsJSONGold(f *testing.F) {
	for _, doc := range expansionDocs(f) {
		f.Add(mustJSON(f, doc))
	}
	own, gold := newTestProcessor(f), goldProcessor(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := own.decode(b)
		if err != nil {
			return
		}
		for round := range prepareAfterUses + 1 {
			x, errX := expansionOf(own, doc)
			y, errY := expansionOf(gold, doc)
			if x != y || !sameFailure(errX, errY) {
				t.Fatalf("round %d: ldexpand (%v):\n%s\njson-gold (%v):\n%s", round, errX, x, errY, y)
			}
		}
	})
}

// datasetsAgree compares toDataset with ldexpand's node map and with
// json-gold's on the expanded form of doc, and reports whether ldexpand's
// node map took it.
func datasetsAgree(t testing.TB, p *Processor, doc map[string]any) bool {
	t.Helper()
	expanded, err := p.expand(context.Background(), p.presentationView(doc))
	if err != nil {
		return false
	}
	// json-gold's node map rewrites @type members: each gets a copy.
	_, nmErr := ldexpand.NodeMap(expanded, ld.NewIdentifierIssuer("_:b"))
	own, errOwn := toDataset(ld.CloneDocument(expanded).([]any), p.limits.MaxQuads, false)
	gold, errGold := toDataset(ld.CloneDocument(expanded).([]any), p.limits.MaxQuads, true)
	if !reflect.DeepEqual(own, gold) || !sameFailure(errOwn, errGold) {
		t.Fatalf("datasets differ:\nldexpand (%v): %v\njson-gold (%v): %v", errOwn, own, errGold, gold)
	}
	return nmErr == nil
}

// TestOwnNodeMapEqualsJSONGold: ldexpand.NodeMap gives the quads (order and
// blank node labels included) json-gold's node map gives.
func TestOwnNodeMapEqualsJSONGold(t *testing.T) {
	p := newTestProcessor(t)
	var viaOwn []string
	for name, raw := range expansionDocs(t) {
		for range prepareAfterUses + 1 {
			if datasetsAgree(t, p, mustMap(t, mustJSON(t, raw))) {
				viaOwn = append(viaOwn, name)
			}
		}
	}
	slices.Sort(viaOwn)
	viaOwn = slices.Compact(viaOwn)
	for _, name := range []string{"vc2", "vc1-signed", "vc2-presentation", "literals", "named-graph", "graph-and-lists", "twins", "cycle"} {
		if !slices.Contains(viaOwn, name) {
			t.Errorf("%s did not take ldexpand's node map", name)
		}
	}
}

// FuzzOwnNodeMapEqualsJSONGold compares both node maps on arbitrary
// documents.
func FuzzOwnNodeMapEqualsJSONGold(f *testing.F) {
	for _, doc := range expansionDocs(f) {
		f.Add(mustJSON(f, doc))
	}
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2",{"@vocab":"https://ex.org/"}],"type":"VerifiableCredential","@index":"i","p":[{"@id":"_:x","@type":"T","@index":"j","q":{"@list":[{"@id":"_:x"},{"@list":[1]}]}},{"@id":"_:x","@type":["T","U"]}],"g":{"@graph":[{"@id":"_:y","p":1},{"p":2}]}}`))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2",{"@vocab":"https://ex.org/"}],"type":["VerifiableCredential","_:t"],"p":{"@type":"_:t","@id":"_:t"}}`))
	p := newTestProcessor(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := p.decode(b)
		if err != nil {
			return
		}
		for range prepareAfterUses + 1 {
			datasetsAgree(t, p, doc)
		}
	})
}

// TestOwnExpansionKeepsSafeMode: once its context is prepared (ldexpand's
// path), a document with an undefined term, a term defined as null, a
// relative type or a keyword-like member is refused as before. (Protected
// term redefinitions are compared with json-gold's verdict by
// TestOwnExpansionEqualsJSONGold.)
func TestOwnExpansionKeepsSafeMode(t *testing.T) {
	k := newTestKey(34)
	ex := "https://example.org/terms#"
	terms := map[string]any{"label": ex + "label", "dropped": nil, "rel": map[string]any{"@id": ex + "rel", "@type": "@vocab"}}
	for name, subject := range map[string]map[string]any{
		"undefined-term": {"label": "x", "undefinedTerm": "y"},
		"null-term":      {"label": "x", "dropped": "y"},
		"relative-type":  {"type": "relative/Type", "label": "x"},
		"keyword-like":   {"label": "x", "@unknown": "y"},
	} {
		p := newTestProcessor(t)
		doc := map[string]any{"@context": []any{ContextCredentialsV2, terms}, "type": []any{"VerifiableCredential"}, "issuer": k.did, "credentialSubject": subject}
		ok := mustMap(t, mustJSON(t, map[string]any{"@context": doc["@context"], "type": doc["type"], "issuer": k.did, "credentialSubject": map[string]any{"label": "x"}}))
		for range prepareAfterUses + 1 {
			if _, err := p.expand(context.Background(), ok); err != nil {
				t.Fatalf("%s: the valid document: %v", name, err)
			}
		}
		n := p.ownExpansions.Load()
		if _, err := p.expand(context.Background(), mustMap(t, mustJSON(t, doc))); !errors.Is(err, ErrUnsafeDocument) {
			t.Errorf("%s: %v, want ErrUnsafeDocument", name, err)
		}
		if n == 0 {
			t.Errorf("%s: the valid document never took ldexpand's path", name)
		}
	}
}
