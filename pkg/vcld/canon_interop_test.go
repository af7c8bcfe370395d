package vcld

import (
	"context"
	"testing"
)

type jsCanon struct {
	NQuads string `json:"nquads"`
	Error  string `json:"error"`
}

// jsCanonicalizeAll returns what @digitalbazaar/eddsa-rdfc-2022-cryptosuite
// canonicalises each document to (jsonld.js toRDF in safe mode +
// rdf-canonize), in one node run.
func jsCanonicalizeAll(t *testing.T, docs map[string]map[string]any) map[string]jsCanon {
	t.Helper()
	names := make([]string, 0, len(docs))
	var reqs []any
	for name, doc := range docs {
		names = append(names, name)
		reqs = append(reqs, map[string]any{"doc": doc})
	}
	out := jsBatch[jsCanon](t, "vcld-canon.mjs", reqs)
	m := make(map[string]jsCanon, len(out))
	for i, name := range names {
		m[name] = out[i]
	}
	return m
}

// canonCorpus are documents that exercise literal forms, escaping, sort
// order, lists, graphs and indistinguishable blank nodes.
func canonCorpus(did string) map[string]map[string]any {
	vocab := map[string]any{"@vocab": "https://example.org/vocab#"}
	return map[string]map[string]any{
		"vc2":        credV2(did),
		"vc1":        credV1(did),
		"vc2-status": withStatus(credV2(did)),
		"literals": {
			"@context": []any{ContextCredentialsV2, vocab},
			"type":     []any{"VerifiableCredential", "Thing"},
			"issuer":   did,
			"credentialSubject": map[string]any{
				"int": 42, "neg": -7, "zero": 0, "dbl": 1.5, "small": 0.00001, "tiny": 1.25e-12, "big": 1e21, "huge": 6.02e23,
				"bool": true, "no": false,
				"str":       "tab\there \"q\" \\ nl\n cr\r ff\f bs\b ctrl\u0001 del\u007f",
				"lang":      map[string]any{"@value": "colour", "@language": "en-GB"},
				"dir":       map[string]any{"@value": "مرحبا", "@language": "ar", "@direction": "rtl"},
				"typed":     map[string]any{"@value": "2.50", "@type": "http://www.w3.org/2001/XMLSchema#double"},
				"custom":    map[string]any{"@value": "x", "@type": "https://example.org/types#T"},
				"list":      map[string]any{"@list": []any{1, "a", map[string]any{"@id": "did:example:2"}}},
				"emptyList": map[string]any{"@list": []any{}},
				"iri":       map[string]any{"@id": "https://example.org/a?q=<x>&r={y}|^`\\"},
			},
		},
		"utf16-order": {
			"@context": []any{ContextCredentialsV2, vocab},
			"type":     "VerifiableCredential",
			"issuer":   did,
			"credentialSubject": map[string]any{
				"id":   "did:example:s",
				"word": []any{"\uff61", "\U0001F600", "\ue000", "z", "é", "\U00010000"},
			},
		},
		"twins": {
			"@context": []any{ContextCredentialsV2, vocab},
			"type":     "VerifiableCredential",
			"issuer":   did,
			"credentialSubject": map[string]any{
				"knows": []any{
					map[string]any{"name": "x", "friend": map[string]any{"name": "y"}},
					map[string]any{"name": "x", "friend": map[string]any{"name": "y"}},
				},
			},
		},
		"cycle": {
			"@context": []any{ContextCredentialsV2, vocab},
			"type":     "VerifiableCredential",
			"issuer":   did,
			"credentialSubject": map[string]any{
				"@id":   "_:a",
				"knows": map[string]any{"@id": "_:b", "knows": map[string]any{"@id": "_:c", "knows": map[string]any{"@id": "_:a"}}},
			},
		},
		"named-graph": {
			"@context": []any{ContextCredentialsV2, vocab},
			"type":     "VerifiableCredential",
			"issuer":   did,
			"credentialSubject": map[string]any{
				"claims": map[string]any{"@graph": []any{map[string]any{"@id": "did:example:g", "p": "v"}, map[string]any{"p": "w"}}},
			},
		},
	}
}

func withStatus(c map[string]any) map[string]any {
	c["credentialStatus"] = map[string]any{
		"id":                   "https://issuer.example/status/1#94567",
		"type":                 "BitstringStatusListEntry",
		"statusPurpose":        "revocation",
		"statusListIndex":      "94567",
		"statusListCredential": "https://issuer.example/status/1",
	}
	c["evidence"] = []any{map[string]any{"id": "https://issuer.example/evidence/1"}}
	return c
}

// canonRefused are documents both sides must refuse.
func canonRefused(did string) map[string]map[string]any {
	c := canonCorpus(did)
	refused := map[string]map[string]any{"cycle": c["cycle"], "clique-2": cliqueCredential(did, 2)}
	sp := credV2(did)
	sp["credentialSubject"].(map[string]any)["id"] = "https://example.org/a b"
	refused["iri-with-space"] = sp
	rel := credV2(did)
	rel["credentialSubject"].(map[string]any)["id"] = "relative/path"
	refused["relative-id"] = rel
	und := credV2(did)
	und["type"] = []any{"VerifiableCredential", "UndefinedType"}
	refused["undefined-type"] = und
	return refused
}

// TestCanonicalRefusalsMatchJS: documents JS refuses in safe mode (or for
// canonicalisation work) we refuse too.
func TestCanonicalRefusalsMatchJS(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	docs := canonRefused(newTestKey(4).did)
	for name, doc := range docs {
		docs[name] = mustMap(t, mustJSON(t, doc))
	}
	js := jsCanonicalizeAll(t, docs)
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			want := js[name]
			_, err := p.canonicalize(context.Background(), doc)
			if want.Error == "" || err == nil {
				t.Fatalf("JS error %q, ours %v: both must refuse", want.Error, err)
			}
		})
	}
}

// TestCanonicalFormMatchesJS proves our JSON-LD -> RDF -> RDFC-1.0 path is
// byte-identical to the JS peers' on the corpus.
func TestCanonicalFormMatchesJS(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	docs := canonCorpus(newTestKey(4).did)
	delete(docs, "cycle") // refused by both, see TestCanonicalRefusalsMatchJS
	for name, doc := range docs {
		docs[name] = mustMap(t, mustJSON(t, doc)) // numbers as JSON gives them
	}
	js := jsCanonicalizeAll(t, docs)
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			want := js[name]
			got, err := p.canonicalize(context.Background(), doc)
			if want.Error != "" {
				t.Fatalf("JS refuses a corpus document: %s (we: %v)", want.Error, err)
			}
			if err != nil {
				t.Fatalf("we refuse what JS accepts: %v", err)
			}
			if got != want.NQuads {
				t.Fatalf("canonical forms differ\nGo:\n%s\nJS:\n%s", got, want.NQuads)
			}
		})
	}
}
