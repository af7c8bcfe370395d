package did

import (
	"context"
	"crypto"
	"strings"
	"testing"
)

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"did:web:example.com#key-1", "did:web:example.com%3A8443:user:alice", "did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th#z6Mk",
		"did:jwk:eyJjcnYiOiJQLTI1NiJ9#0", "did:web:a/../b#k", "did:web:a#../../x", "did:web:a%2", "did::", "did:web:a?x=1#k",
	} {
		f.Add(s)
	}
	r := NewResolver(ResolverOptions{})
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			return
		}
		if u.String() != s {
			t.Fatalf("ParseURL(%q).String() = %q", s, u.String())
		}
		if strings.ContainsAny(u.DID.ID, "/?#") || strings.ContainsAny(u.Fragment, "/?#") {
			t.Fatalf("path or query slipped through: %+v", u)
		}
		if u.Method == MethodWeb {
			if w, err := WebURL(u.DID.String()); err == nil && (strings.Contains(w, "/../") || strings.Contains(w, "/./")) {
				t.Fatalf("WebURL(%q) = %q has a dot segment", s, w)
			}
			return // no network in fuzzing
		}
		if doc, err := r.Resolve(context.Background(), u.DID.String()); err == nil && doc.ID != u.DID.String() {
			t.Fatalf("Resolve(%q).ID = %q", u.DID.String(), doc.ID)
		}
	})
}

func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(`{"id":"did:web:a","verificationMethod":[{"id":"#k","type":"JsonWebKey2020","controller":"did:web:a","publicKeyJwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}],"assertionMethod":["#k"]}`))
	f.Add([]byte(`{"id":"did:web:a","verificationMethod":[{"id":"did:web:a#m","type":"Multikey","publicKeyMultibase":"zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"}],"authentication":[{"id":"#e","type":"JsonWebKey","publicKeyJwk":{"kty":"EC","crv":"P-256","x":"igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns","y":"efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM"}}]}`))
	f.Add([]byte(`{"id":"did:web:a","assertionMethod":[1,{"id":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := ParseDocument(b)
		if err != nil {
			return
		}
		for _, vm := range doc.VerificationMethod {
			if !strings.HasPrefix(vm.ID, "did:") {
				t.Fatalf("method id %q not absolute", vm.ID)
			}
			got, err := doc.FindMethod(vm.ID, AnyPurpose)
			if err == nil {
				if !strings.HasPrefix(got.ID, doc.ID+"#") {
					t.Fatalf("FindMethod returned foreign key %q for %q", got.ID, doc.ID)
				}
				got.PublicKey()
			}
		}
		for _, rel := range [][]any{doc.AssertionMethod, doc.Authentication} {
			for _, e := range rel {
				if s, ok := e.(string); ok {
					if vm, err := doc.FindMethod(s, AssertionMethod); err == nil {
						vm.PublicKey()
					}
				}
			}
		}
	})
}

func FuzzParseMultibaseKey(f *testing.F) {
	f.Add("z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th")
	f.Add("zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv")
	f.Add("z111")
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := ParseMultibaseKey(s)
		if err != nil {
			return
		}
		again, err := MultibaseKey(pub)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := ParseMultibaseKey(again)
		if err != nil || !back.(interface{ Equal(x crypto.PublicKey) bool }).Equal(pub) {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}
