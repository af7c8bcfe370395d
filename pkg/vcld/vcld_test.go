package vcld

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/nodetest"
)

func TestPinnedContextsAreTheNPMBytes(t *testing.T) {
	t.Parallel()
	var out map[string]struct {
		File string `json:"file"`
		Text string `json:"text"`
	}
	nodetest.Run(t, "vcld-contexts.mjs", nil, &out)
	if len(out) == 0 {
		t.Fatal("no contexts from vcld-contexts.mjs")
	}
	for url, c := range out {
		b, ok := PinnedContext(url)
		if !ok {
			t.Errorf("%s is used by the JS peers but not pinned", url)
			continue
		}
		if string(b) != c.Text {
			t.Errorf("%s: embedded bytes differ from the npm package's (regenerate with node testdata/interop/vcld-contexts.mjs write pkg/vcld/contexts)", url)
		}
	}
	for _, url := range PinnedContexts() {
		if _, ok := out[url]; !ok && url != ContextDIDV1 && url != ContextCredentialsExamplesV2 {
			t.Errorf("%s is pinned but not checked against npm", url)
		}
	}
}

func TestLoaderNeverFetches(t *testing.T) {
	p := newTestProcessor(t)
	for _, u := range []string{"https://evil.example/ctx", "http://localhost/x", "file:///etc/passwd", "https://www.w3.org/ns/credentials/v3"} {
		if _, err := p.loader.LoadDocument(u); !errors.Is(err, ErrContextNotAllowed) {
			t.Errorf("%s: %v, want ErrContextNotAllowed", u, err)
		}
	}
	k := newTestKey(10)
	c := credV2(k.did)
	c["@context"] = []any{ContextCredentialsV2, "https://evil.example/ctx"}
	_, err := p.SignCredential(context.Background(), mustJSON(t, c), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
	if !errors.Is(err, ErrContextNotAllowed) {
		t.Fatalf("sign with unknown context: %v", err)
	}
}

const businessContextURL = "https://idport.example/contexts/business-registration/v1"

var businessContext = []byte(`{"@context": {"@protected": true,
  "BusinessRegistration": "https://idport.example/vocab#BusinessRegistration",
  "uen": "https://idport.example/vocab#uen",
  "legalName": "https://idport.example/vocab#legalName"}}`)

// TestRegisteredContext: a caller-registered credential-type context signs
// and verifies here and in JS (given the same document), and is needed.
func TestRegisteredContext(t *testing.T) {
	t.Parallel()
	p, err := New(Options{Contexts: map[string][]byte{businessContextURL: businessContext}})
	if err != nil {
		t.Fatal(err)
	}
	k := newTestKey(11)
	c := credV2(k.did)
	c["@context"] = []any{ContextCredentialsV2, businessContextURL}
	c["type"] = []any{"VerifiableCredential", "BusinessRegistration"}
	c["credentialSubject"] = map[string]any{"id": "did:example:acme", "uen": "201912345K", "legalName": "Acme Pte Ltd"}
	signed, err := p.SignCredential(context.Background(), mustJSON(t, c), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.VerifyCredential(context.Background(), signed, didKeyResolver)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject[0]["uen"] != "201912345K" || r.Types[1] != "BusinessRegistration" {
		t.Fatalf("result %+v", r)
	}
	if _, err := Default().VerifyCredential(context.Background(), signed, didKeyResolver); !errors.Is(err, ErrContextNotAllowed) {
		t.Fatalf("default processor without the context: %v", err)
	}
	var out jsVerified
	nodetest.Run(t, "vcld-verify.mjs", map[string]any{"credential": mustMap(t, signed), "contexts": map[string]any{businessContextURL: mustMap(t, businessContext)}}, &out)
	if !out.Verified {
		t.Fatalf("JS: %s", out.Error)
	}
	for _, bad := range []map[string][]byte{
		{"ftp://x.example/c": businessContext},
		{businessContextURL: []byte(`{"no": "context"}`)},
		{businessContextURL: []byte(`not json`)},
	} {
		if _, err := New(Options{Contexts: bad}); !errors.Is(err, ErrMalformed) {
			t.Errorf("New(%v): %v", bad, err)
		}
	}
}

// cliqueCredential has n blank nodes, each related to every other one: the
// classic RDFC-1.0 poison (an 8-node clique takes seconds unbounded).
func cliqueCredential(did string, n int) map[string]any {
	nodes := make([]any, n)
	for i := range n {
		var knows []any
		for j := range n {
			if i != j {
				knows = append(knows, map[string]any{"@id": fmt.Sprintf("_:n%d", j)})
			}
		}
		nodes[i] = map[string]any{"@id": fmt.Sprintf("_:n%d", i), "knows": knows}
	}
	return map[string]any{
		"@context":          []any{ContextCredentialsV2, map[string]any{"knows": map[string]any{"@id": "https://example.org/knows", "@type": "@id"}, "member": "https://example.org/member"}},
		"type":              "VerifiableCredential",
		"issuer":            did,
		"credentialSubject": map[string]any{"id": "did:example:s", "member": nodes},
	}
}

func TestBlankNodeCliqueRefusedByWorkBound(t *testing.T) {
	p := newTestProcessor(t)
	k := newTestKey(12)
	doc := mustJSON(t, cliqueCredential(k.did, 8))
	// A generous deadline: the refusal must come from the work bound, not
	// from running out of time.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.SignCredential(ctx, doc, SignOptions{Signer: k.priv, VerificationMethod: k.vm})
	if !errors.Is(err, ErrTooComplex) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("8-clique: %v, want ErrTooComplex from the work bound", err)
	}
	// The same refusal on verify, with a forged proof.
	m := cliqueCredential(k.did, 8)
	m["proof"] = map[string]any{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-01T00:00:00Z",
		"verificationMethod": k.vm, "proofPurpose": "assertionMethod", "proofValue": "z" + strings.Repeat("2", 87)}
	if _, err := p.VerifyCredential(ctx, mustJSON(t, m), didKeyResolver); !errors.Is(err, ErrTooComplex) && !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("8-clique verify: %v", err)
	}
	// Indistinguishable but acyclic blank nodes (twins) are fine, as in
	// rdf-canonize; even a 2-cycle exceeds its default work factor (see
	// canonRefused).
	if _, err := p.SignCredential(ctx, mustJSON(t, canonCorpus(k.did)["twins"]), SignOptions{Signer: k.priv, VerificationMethod: k.vm}); err != nil {
		t.Fatalf("twins: %v", err)
	}
}

func TestLimits(t *testing.T) {
	k := newTestKey(13)
	p, err := New(Options{Limits: Limits{MaxDocumentBytes: 4096, MaxDepth: 16, MaxBlankNodes: 4, MaxQuads: 30}})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(ctx context.Context, doc []byte) error {
		_, err := p.SignCredential(ctx, doc, SignOptions{Signer: k.priv, VerificationMethod: k.vm})
		return err
	}
	big := credV2(k.did)
	big["credentialSubject"].(map[string]any)["name"] = strings.Repeat("x", 5000)
	deep := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	many := credV2(k.did)
	var things []any
	for i := range 6 {
		things = append(things, map[string]any{"name": fmt.Sprint(i)})
	}
	many["credentialSubject"].(map[string]any)["name"] = things
	manyQuads := credV2(k.did)
	var names []any
	for i := range 40 {
		names = append(names, fmt.Sprint("n", i))
	}
	manyQuads["credentialSubject"].(map[string]any)["name"] = names
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		doc  []byte
	}{
		{"size", context.Background(), mustJSON(t, big)},
		{"depth 10000", context.Background(), []byte(deep)},
		{"blank nodes", context.Background(), mustJSON(t, withVocab(many))},
		{"quads", context.Background(), mustJSON(t, manyQuads)},
		{"cancelled", cancelled, mustJSON(t, credV2(k.did))},
	}
	for _, tc := range cases {
		if err := sign(tc.ctx, tc.doc); !errors.Is(err, ErrTooComplex) {
			t.Errorf("%s: %v, want ErrTooComplex", tc.name, err)
		}
		if _, err := p.VerifyCredential(tc.ctx, tc.doc, didKeyResolver); !errors.Is(err, ErrTooComplex) && !errors.Is(err, ErrNoProof) {
			t.Errorf("verify %s: %v, want ErrTooComplex", tc.name, err)
		}
	}
}

func withVocab(c map[string]any) map[string]any {
	c["@context"] = []any{ContextCredentialsV2, map[string]any{"@vocab": "https://example.org/vocab#"}}
	return c
}

func TestSignAndVerifyErrors(t *testing.T) {
	p := newTestProcessor(t)
	k, other := newTestKey(14), newTestKey(15)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good, err := p.SignCredential(context.Background(), mustJSON(t, credV2(k.did)), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
	if err != nil {
		t.Fatal(err)
	}
	signCases := []struct {
		name string
		doc  []byte
		o    SignOptions
		want error
	}{
		{"not the issuer's key", mustJSON(t, credV2(k.did)), SignOptions{Signer: other.priv, VerificationMethod: other.vm}, ErrProofMismatch},
		{"P-256 key", mustJSON(t, credV2(k.did)), SignOptions{Signer: ecKey, VerificationMethod: k.vm}, ErrUnsupportedSuite},
		{"no signer", mustJSON(t, credV2(k.did)), SignOptions{VerificationMethod: k.vm}, ErrMalformed},
		{"unknown suite", mustJSON(t, credV2(k.did)), SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: "ecdsa-rdfc-2019"}, ErrUnsupportedSuite},
		{"already signed", good, SignOptions{Signer: k.priv, VerificationMethod: k.vm}, ErrMalformed},
		{"not JSON", []byte(`{"@context":`), SignOptions{Signer: k.priv, VerificationMethod: k.vm}, ErrMalformed},
		{"not a credential", []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"Thing"}`), SignOptions{Signer: k.priv, VerificationMethod: k.vm}, ErrMalformed},
		{"no context", []byte(`{"type":"VerifiableCredential"}`), SignOptions{Signer: k.priv, VerificationMethod: k.vm}, ErrMalformed},
	}
	for _, tc := range signCases {
		if _, err := p.SignCredential(context.Background(), tc.doc, tc.o); !errors.Is(err, tc.want) {
			t.Errorf("sign %s: %v, want %v", tc.name, err, tc.want)
		}
	}
	resolverCases := []struct {
		name string
		keys KeyResolver
		want error
	}{
		{"resolver fails", func(context.Context, string) (crypto.PublicKey, error) { return nil, errors.New("no such key") }, ErrKeyNotFound},
		{"P-256 key", func(context.Context, string) (crypto.PublicKey, error) { return &ecKey.PublicKey, nil }, ErrUnsupportedSuite},
		{"other key", func(context.Context, string) (crypto.PublicKey, error) { return other.priv.Public(), nil }, ErrSignatureInvalid},
		{"nil resolver", nil, ErrKeyNotFound},
	}
	for _, tc := range resolverCases {
		if _, err := p.VerifyCredential(context.Background(), good, tc.keys); !errors.Is(err, tc.want) {
			t.Errorf("verify %s: %v, want %v", tc.name, err, tc.want)
		}
	}
	docCases := []struct {
		name   string
		mutate func(m map[string]any)
		want   error
	}{
		{"no proof", func(m map[string]any) { delete(m, "proof") }, ErrNoProof},
		{"other cryptosuite", func(m map[string]any) { m["proof"].(map[string]any)["cryptosuite"] = "ecdsa-rdfc-2019" }, ErrUnsupportedSuite},
		{"proof not object", func(m map[string]any) { m["proof"] = "x" }, ErrMalformed},
		{"proofValue not base58btc", func(m map[string]any) { m["proof"].(map[string]any)["proofValue"] = "uAAAA" }, ErrMalformed},
		{"issuer swapped", func(m map[string]any) { m["issuer"] = other.did }, ErrProofMismatch},
		{"proof context not a prefix", func(m map[string]any) {
			m["proof"].(map[string]any)["@context"] = []any{ContextCredentialsV1}
		}, ErrProofMismatch},
		{"second proof invalid", func(m map[string]any) {
			p1 := m["proof"].(map[string]any)
			p2 := map[string]any{}
			for k, v := range p1 {
				p2[k] = v
			}
			p2["created"] = "2020-01-01T00:00:00Z"
			m["proof"] = []any{p1, p2}
		}, ErrSignatureInvalid},
		{"validFrom not a date", func(m map[string]any) { m["validFrom"] = 5 }, ErrSignatureInvalid},
		{"proof expired", func(m map[string]any) { m["proof"].(map[string]any)["expires"] = "2026-01-01T00:00:00Z" }, ErrProofMismatch},
		{"proof expires not a date", func(m map[string]any) { m["proof"].(map[string]any)["expires"] = "soon" }, ErrMalformed},
		{"proof expires later (unsigned change)", func(m map[string]any) { m["proof"].(map[string]any)["expires"] = "2030-01-01T00:00:00Z" }, ErrSignatureInvalid},
	}
	for _, tc := range docCases {
		m := mustMap(t, good)
		tc.mutate(m)
		if _, err := p.VerifyCredential(context.Background(), mustJSON(t, m), didKeyResolver); !errors.Is(err, tc.want) {
			t.Errorf("verify %s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// sentinels lists every failure class.
var sentinels = []*errs.Error{ErrMalformed, ErrUnsafeDocument, ErrContextNotAllowed, ErrTooComplex,
	ErrSignatureInvalid, ErrUnsupportedSuite, ErrNoProof, ErrKeyNotFound, ErrProofMismatch, ErrChallenge, ErrProofChain}

// TestErrorsCarryCodes: every class is a pkg/errs sentinel with a stable
// code and a public message, found through any wrapping; no HTTP status.
func TestErrorsCarryCodes(t *testing.T) {
	for _, e := range sentinels {
		if e.Code == "" || e.Err != nil || !strings.HasPrefix(e.Error(), "vcld: ") || e.Message != e.Error() {
			t.Errorf("%v: %q", e, e.Code)
		}
		wrapped := fmt.Errorf("context: %w", e)
		if got := errs.As(wrapped); got != e || errs.CodeOf(wrapped) != e.Code || !errors.Is(wrapped, e) {
			t.Errorf("%v does not unwrap", e)
		}
	}
	if ErrContextNotAllowed.Code != "context_not_allowed" || ErrSignatureInvalid.Code != "signature_invalid" {
		t.Fatal("stable codes changed")
	}
}

// TestProofConfigTemplateEqualsFullPath: the template fast path gives the
// canonical form the full JSON-LD path gives, for awkward values too.
func TestProofConfigTemplateEqualsFullPath(t *testing.T) {
	p := newTestProcessor(t)
	k := newTestKey(16)
	values := []struct{ created, vm, challenge, domain string }{
		{"2026-01-02T03:04:05Z", k.vm, "", ""},
		{"2026-01-02T03:04:05.123+08:00", "did:web:issuer.example:sg#key-1", "abc", "verifier.example"},
		{"not a date \"quoted\" \\ \n", "https://issuer.example/keys/1?x=<y>", "tab\tnl\n\u0001", "\U0001F600"},
		{"", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "x", ""},
	}
	for _, ctxVal := range []any{[]any{ContextCredentialsV2}, []any{ContextCredentialsV1, ContextDataIntegrityV2}} {
		for _, purpose := range []string{PurposeAssertionMethod, PurposeAuthentication} {
			for _, v := range values {
				cfg := map[string]any{"@context": ctxVal, "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
					"verificationMethod": v.vm, "proofPurpose": purpose}
				if v.created != "" {
					cfg["created"] = v.created
				}
				if v.challenge != "" {
					cfg["challenge"] = v.challenge
				}
				if v.domain != "" {
					cfg["domain"] = v.domain
					cfg["expires"] = v.created
				}
				for range 2 { // first call makes the template, second uses it
					fast, err1 := p.canonicalProofConfig(context.Background(), cfg)
					full, err2 := p.canonicalize(context.Background(), cfg)
					if err1 != nil || err2 != nil || fast != full {
						t.Fatalf("%v\nfast (%v):\n%s\nfull (%v):\n%s", cfg, err1, fast, err2, full)
					}
				}
			}
		}
	}
	// A verification method the fast path must not take: a compact IRI.
	cfg := map[string]any{"@context": []any{ContextCredentialsV2}, "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
		"verificationMethod": "sec:foo", "proofPurpose": PurposeAssertionMethod, "created": "2026-01-02T03:04:05Z"}
	fast, err1 := p.canonicalProofConfig(context.Background(), cfg)
	full, err2 := p.canonicalize(context.Background(), cfg)
	if fast != full || (err1 == nil) != (err2 == nil) {
		t.Fatalf("compact IRI: fast %q (%v), full %q (%v)", fast, err1, full, err2)
	}
}

func TestEd25519PrivateKeyPointerAndResolverForms(t *testing.T) {
	p := newTestProcessor(t)
	k := newTestKey(17)
	signed, err := p.SignCredential(context.Background(), mustJSON(t, credV1(k.did)), SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: Ed25519Signature2020})
	if err != nil {
		t.Fatal(err)
	}
	pub := k.priv.Public().(ed25519.PublicKey)
	if _, err := p.VerifyCredential(context.Background(), signed, func(context.Context, string) (crypto.PublicKey, error) { return &pub, nil }); err != nil {
		t.Fatalf("*ed25519.PublicKey: %v", err)
	}
}

// TestPresentationWithEnvelopedCredential: an enveloped (VC-JOSE)
// credential travels under the presentation proof and is handed back.
func TestPresentationWithEnvelopedCredential(t *testing.T) {
	p := newTestProcessor(t)
	issuer, holder := newTestKey(41), newTestKey(42)
	signedVC, err := p.SignCredential(context.Background(), mustJSON(t, credV2(issuer.did)), SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm})
	if err != nil {
		t.Fatal(err)
	}
	env := "data:application/vc+jwt,eyJhbGciOiJFZERTQSJ9.e30.c2ln"
	vp := vpSkeleton(2)
	vp["holder"] = holder.did
	vp["verifiableCredential"] = []any{mustMap(t, signedVC), map[string]any{"@context": ContextCredentialsV2, "id": env, "type": "EnvelopedVerifiableCredential"}}
	signed, err := p.SignPresentation(context.Background(), mustJSON(t, vp), SignOptions{Signer: holder.priv, VerificationMethod: holder.vm, Challenge: "x"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.VerifyPresentation(context.Background(), signed, didKeyResolver, PresentationOptions{Challenge: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Credentials) != 1 || len(r.Enveloped) != 1 || r.Enveloped[0] != env {
		t.Fatalf("result %+v", r)
	}
	m := mustMap(t, signed)
	m["verifiableCredential"].([]any)[1].(map[string]any)["id"] = "data:application/vc+jwt,other"
	if _, err := p.VerifyPresentation(context.Background(), mustJSON(t, m), didKeyResolver, PresentationOptions{Challenge: "x"}); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("swapped enveloped credential: %v", err)
	}
}

func TestDuplicateMembersRefused(t *testing.T) {
	p := newTestProcessor(t)
	k := newTestKey(44)
	signed, err := p.SignCredential(context.Background(), mustJSON(t, credV2(k.did)), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
	if err != nil {
		t.Fatal(err)
	}
	s := string(signed)
	for name, doc := range map[string]string{
		"top-level":    strings.Replace(s, `"issuer":`, `"issuer":"did:example:evil","issuer":`, 1),
		"escaped twin": strings.Replace(s, `"issuer":`, `"\u0069ssuer":"did:example:evil","issuer":`, 1),
		"nested":       strings.Replace(s, `"name":"Acme Pte Ltd"`, `"name":"Evil","name":"Acme Pte Ltd"`, 1),
		// Two names that differ only in invalid UTF-8 decode to the same
		// name (U+FFFD): one would silently replace the other.
		"invalid UTF-8 twins": strings.Replace(s, `"name":"Acme Pte Ltd"`, "\"\xff\":\"Evil\",\"\xfe\":\"Acme\",\"name\":\"Acme Pte Ltd\"", 1),
	} {
		if doc == s {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if _, err := p.VerifyCredential(context.Background(), []byte(doc), didKeyResolver); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	// Equal names in different objects, and strings that look like keys, are fine.
	if _, err := p.VerifyCredential(context.Background(), signed, didKeyResolver); err != nil {
		t.Fatal(err)
	}
	if err := checkDepth([]byte(`{"a":{"a":"\"a\":1,"},"b":["a","a"],"c":{"a":1}}`), 8); err != nil {
		t.Fatal(err)
	}
	// The checked path (its errors) refuses the invalid UTF-8 twins too.
	if err := checkDepth([]byte("{\"\xff\":1,\"\xfe\":2}"), 8); !errors.Is(err, ErrMalformed) {
		t.Errorf("checkDepth on invalid UTF-8 twins: %v, want ErrMalformed", err)
	}
}

func TestTemplateRefusesSchemeTerms(t *testing.T) {
	p, err := New(Options{Contexts: map[string][]byte{"https://x.example/did-term": []byte(`{"@context":{"did":"https://x.example/did#"}}`)}})
	if err != nil {
		t.Fatal(err)
	}
	k := newTestKey(45)
	cfg := map[string]any{"@context": []any{ContextCredentialsV2, "https://x.example/did-term"}, "type": "DataIntegrityProof",
		"cryptosuite": "eddsa-rdfc-2022", "verificationMethod": k.vm, "proofPurpose": PurposeAssertionMethod, "created": "2026-01-02T03:04:05Z"}
	fast, err1 := p.canonicalProofConfig(context.Background(), cfg)
	full, err2 := p.canonicalize(context.Background(), cfg)
	if fast != full || (err1 == nil) != (err2 == nil) {
		t.Fatalf("fast %q (%v), full %q (%v)", fast, err1, full, err2)
	}
	if !strings.Contains(full, "https://x.example/did#key:") {
		t.Fatalf("the did term should rewrite the verification method:\n%s", full)
	}
}

// TestConcurrentUse shares one Processor (and its cached, pre-processed
// json-gold contexts and templates) between goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	p := newTestProcessor(t)
	issuer, holder := newTestKey(46), newTestKey(47)
	var docs [][]byte
	for _, c := range []map[string]any{credV2(issuer.did), credV1(issuer.did), withStatus(credV2(issuer.did))} {
		signed, err := p.SignCredential(context.Background(), mustJSON(t, c), SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm})
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, signed)
	}
	vp := vpSkeleton(2)
	vp["holder"] = holder.did
	vp["verifiableCredential"] = []any{mustMap(t, docs[0])}
	signedVP, err := p.SignPresentation(context.Background(), mustJSON(t, vp), SignOptions{Signer: holder.priv, VerificationMethod: holder.vm, Challenge: "c"})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 64)
	for g := range 8 {
		go func() {
			for i := range 10 {
				var err error
				switch (g + i) % 5 {
				case 3:
					_, err = p.VerifyPresentation(context.Background(), signedVP, didKeyResolver, PresentationOptions{Challenge: "c"})
				case 4:
					_, err = p.SignCredential(context.Background(), mustJSON(t, credV2(issuer.did)), SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, Created: fixedTime.Add(time.Duration(i) * time.Second)})
				default:
					_, err = p.VerifyCredential(context.Background(), docs[(g+i)%5%3], didKeyResolver)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// manyMembers is a 256 KiB document made of one object with some thirty
// thousand members, ending with last.
func manyMembers(last string) []byte {
	var b strings.Builder
	b.WriteString(`{"@context":"https://www.w3.org/ns/credentials/v2",`)
	for i := 0; b.Len() < (256<<10)-100; i++ {
		fmt.Fprintf(&b, `"%x":0,`, i)
	}
	b.WriteString(last + `}`)
	return []byte(b.String())
}

// TestDuplicateCheckFindsTwinsInLargeObjects: checkDepth's duplicate check
// (a set beyond sixteen names) accepts a large object without twins and
// finds a twin far down it, or written with an escape.
// BenchmarkCheckDepthManyMembers measures that it stays linear (a pairwise
// check took 1.6 s on such a document).
func TestDuplicateCheckFindsTwinsInLargeObjects(t *testing.T) {
	if err := checkDepth(manyMembers(`"z":0`), 32); err != nil {
		t.Fatal(err)
	}
	for _, twin := range []string{`"1f":1`, `"\u0031f":1`, `"0":1`} {
		if err := checkDepth(manyMembers(twin), 32); !errors.Is(err, ErrMalformed) {
			t.Errorf("twin %s: %v, want ErrMalformed", twin, err)
		}
	}
}

// BenchmarkCheckDepthManyMembers checks the document of
// TestDuplicateCheckFindsTwinsInLargeObjects.
func BenchmarkCheckDepthManyMembers(b *testing.B) {
	doc := manyMembers(`"z":0`)
	for b.Loop() {
		if err := checkDepth(doc, 32); err != nil {
			b.Fatal(err)
		}
	}
}
