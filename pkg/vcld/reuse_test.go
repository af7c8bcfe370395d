package vcld

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// unsignedVP is a VC 2.0 presentation by holder embedding creds, without proof.
func unsignedVP(holder string, creds ...map[string]any) map[string]any {
	vp := vpSkeleton(2)
	vp["holder"] = holder
	items := make([]any, len(creds))
	for i, c := range creds {
		items[i] = c
	}
	vp["verifiableCredential"] = items
	return vp
}

// signVP signs a VC 2.0 presentation by holder embedding creds.
func signVP(t *testing.T, p *Processor, holder testKey, creds ...map[string]any) []byte {
	t.Helper()
	vp := unsignedVP(holder.did, creds...)
	signed, err := p.SignPresentation(context.Background(), mustJSON(t, vp), SignOptions{Signer: holder.priv, VerificationMethod: holder.vm, Challenge: "c", Domain: "d"})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func signCred(t *testing.T, p *Processor, k testKey, cred map[string]any) map[string]any {
	t.Helper()
	signed, err := p.SignCredential(context.Background(), mustJSON(t, cred), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
	if err != nil {
		t.Fatal(err)
	}
	return mustMap(t, signed)
}

// TestEmbeddedExpansionReuseEqualsFullPath: verifying presentations that
// embed the canonicalisation corpus (pinned and inline contexts, status,
// literals, lists, nested nodes) and credentials with proof sets and
// chains, the credential's unsecured form derived from the presentation's
// expanded form canonicalises exactly as the credential does on its own
// (checkReuse compares the two on every reuse), and the reuse is taken.
func TestEmbeddedExpansionReuseEqualsFullPath(t *testing.T) {
	p := newTestProcessor(t)
	p.checkReuse = true
	issuer, holder, witness := newTestKey(40), newTestKey(41), newTestKey(42)
	var creds []map[string]any
	names := []string{}
	for name, doc := range canonCorpus(issuer.did) {
		if !slices.Contains(stringsOf(doc["type"]), "VerifiableCredential") {
			continue
		}
		signed, err := p.SignCredential(context.Background(), mustJSON(t, doc), SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm})
		if err != nil {
			continue // documents safe mode refuses are not credentials to embed
		}
		creds = append(creds, mustMap(t, signed))
		names = append(names, name)
	}
	// A proof set and a proof chain.
	set := signCred(t, p, issuer, credV2(issuer.did))
	more, err := p.AddProof(context.Background(), mustJSON(t, set), SignOptions{Signer: witness.priv, VerificationMethod: witness.vm, ProofPurpose: PurposeAssertionMethod})
	if err != nil {
		t.Fatal(err)
	}
	creds, names = append(creds, mustMap(t, more)), append(names, "proof-set")
	first, err := p.SignCredential(context.Background(), mustJSON(t, credV2(issuer.did)), SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm, ID: "urn:uuid:proof-1"})
	if err != nil {
		t.Fatal(err)
	}
	chained, err := p.AddProof(context.Background(), first, SignOptions{Signer: witness.priv, VerificationMethod: witness.vm, ProofPurpose: PurposeAssertionMethod, PreviousProof: []string{"urn:uuid:proof-1"}})
	if err != nil {
		t.Fatal(err)
	}
	creds, names = append(creds, mustMap(t, chained)), append(names, "proof-chain")
	if len(creds) < 5 {
		t.Fatalf("only %d corpus credentials", len(creds))
	}
	o := PresentationOptions{Challenge: "c", Domain: "d"}
	for i, cred := range creds {
		vp := signVP(t, p, holder, cred)
		before := p.reused.Load()
		// Inline contexts are prepared (and reused) once they come back.
		for range prepareAfterUses + 1 {
			if _, err := p.VerifyPresentation(context.Background(), vp, didKeyResolver, o); err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
		}
		if p.reused.Load() == before {
			t.Errorf("%s: the credential's expansion was never reused", names[i])
		}
	}
	// Several credentials in one presentation, each matched to its graph.
	a, b := credV2(issuer.did), credV2(issuer.did)
	a["id"], b["id"] = "urn:uuid:a", "urn:uuid:b"
	b["credentialSubject"] = map[string]any{"id": "did:example:other", "name": "Other Ltd"}
	vp := signVP(t, p, holder, signCred(t, p, issuer, a), signCred(t, p, issuer, b), creds[0])
	before := p.reused.Load()
	r, err := p.VerifyPresentation(context.Background(), vp, didKeyResolver, o)
	if err != nil || len(r.Credentials) != 3 || r.Credentials[0].ID != "urn:uuid:a" || r.Credentials[1].ID != "urn:uuid:b" {
		t.Fatalf("three credentials: %v %+v", err, r)
	}
	if got := p.reused.Load() - before; got != 3 {
		t.Errorf("%d of 3 expansions reused", got)
	}
}

// TestReuseCannotHideTampering: with the credential expansions reused from
// the presentation's, a presentation whose holder signed a tampered
// credential, or a swapped one carrying another credential's proof, fails
// on the credential's proof; a presentation changed after the holder
// signed it fails on the presentation's. Pinned and inline contexts.
func TestReuseCannotHideTampering(t *testing.T) {
	inline := credV2("")
	inline["@context"] = []any{ContextCredentialsV2, map[string]any{"licence": "https://example.org/ns#licence"}}
	inline["credentialSubject"] = map[string]any{"id": "did:example:company-1", "licence": "L-1"}
	for _, cache := range []int{0, 16} {
		for name, base := range map[string]map[string]any{"pinned": credV2(""), "inline": inline} {
			t.Run(fmt.Sprintf("%s/proof-cache-%d", name, cache), func(t *testing.T) {
				tamperCases(t, base, cache)
			})
		}
	}
}

func tamperCases(t *testing.T, base map[string]any, cache int) {
	p, err := New(Options{Now: func() time.Time { return fixedTime }, ProofCacheSize: cache})
	if err != nil {
		t.Fatal(err)
	}
	issuer, holder, other := newTestKey(43), newTestKey(44), newTestKey(45)
	cred := mustMap(t, mustJSON(t, base))
	cred["issuer"] = issuer.did
	signed := signCred(t, p, issuer, cred)
	o := PresentationOptions{Challenge: "c", Domain: "d"}
	good := signVP(t, p, holder, signed)
	for range prepareAfterUses + 1 {
		if _, err := p.VerifyPresentation(context.Background(), good, didKeyResolver, o); err != nil {
			t.Fatal(err)
		}
	}
	// Each case must fail, and (for the holder-signed ones) fail
	// where the reused expansion was used.
	check := func(what string, vp []byte, reuse bool) {
		t.Helper()
		before := p.reused.Load()
		_, err := p.VerifyPresentation(context.Background(), vp, didKeyResolver, o)
		if !errors.Is(err, ErrSignatureInvalid) && !errors.Is(err, ErrProofMismatch) {
			t.Errorf("%s: %v, want a signature failure", what, err)
		}
		if reuse && p.reused.Load() == before {
			t.Errorf("%s: the reused expansion was not the one checked", what)
		}
		if reuse && !strings.Contains(err.Error(), "verifiableCredential[0]") {
			t.Errorf("%s: %v, want the credential's proof to fail", what, err)
		}
	}

	// A claim of the embedded credential changed after the issuer
	// signed, the presentation signed over the changed credential.
	claim := mustMap(t, mustJSON(t, signed))
	subj := claim["credentialSubject"].(map[string]any)
	for k, v := range subj {
		if k != "id" {
			subj[k] = v.(string) + " (changed)"
		}
	}
	check("changed claim", signVP(t, p, holder, claim), true)

	// Another credential (other subject) carrying the first one's
	// proof.
	swapped := mustMap(t, mustJSON(t, cred))
	swapped["credentialSubject"] = map[string]any{"id": "did:example:someone-else"}
	swapped["proof"] = signed["proof"]
	check("swapped credential", signVP(t, p, holder, swapped), true)

	// A claim added to the credential.
	added := mustMap(t, mustJSON(t, signed))
	added["validUntil"] = "2099-01-01T00:00:00Z"
	check("added member", signVP(t, p, holder, added), true)

	// The presentation's holder changed after signing.
	vp := mustMap(t, good)
	vp["holder"] = other.did
	check("changed holder", mustJSON(t, vp), false)

	// The embedded credential changed after the holder signed.
	vp = mustMap(t, good)
	vp["verifiableCredential"].([]any)[0].(map[string]any)["credentialSubject"] = map[string]any{"id": "did:example:x"}
	check("credential changed after the holder signed", mustJSON(t, vp), false)
}

// TestReuseGuards: members that could add to the proof property (a term
// mapped to it, an IRI, @nest and the like) rule the reuse out.
func TestReuseGuards(t *testing.T) {
	p := newTestProcessor(t)
	doc := map[string]any{
		"@context": []any{ContextCredentialsV2, map[string]any{"alias": "https://w3id.org/security#proof", "plain": "https://example.org/plain"}},
		"type":     []any{"VerifiableCredential"},
	}
	pc, err := p.activeContext(doc["@context"])
	if err != nil {
		t.Fatal(err)
	}
	pc = pc.withFastContext()
	c := nodeContext(pc, doc)
	if c == nil || c.TermDefinitions["proof"] == nil {
		t.Fatal("no node context with the VerifiableCredential scoped context")
	}
	for key, want := range map[string]bool{
		"alias": true, "https://w3id.org/security#proof": true, "sec:proof": true, "@nest": true, "@included": true,
		"plain": false, "issuer": false, "id": false, "type": false, "@id": false, "undefinedTerm": false,
	} {
		if got := mayExpandTo(c, key, secProof); got != want {
			t.Errorf("mayExpandTo(%q) = %v, want %v", key, got, want)
		}
	}
	// Two scoped types: the node's context is not known here.
	doc["type"] = []any{"VerifiableCredential", "VerifiablePresentation"}
	if nodeContext(pc, doc) != nil {
		t.Error("node context with two scoped types")
	}
}

// FuzzEmbeddedExpansionReuse: for any presentation, wherever a credential's
// unsecured expanded form is derived from the presentation's expansion, it
// canonicalises exactly as the credential does on its own (signatures play
// no part, so mutated documents reach the derivation).
func FuzzEmbeddedExpansionReuse(f *testing.F) {
	p := newTestProcessor(f)
	k, h := newTestKey(46), newTestKey(47)
	for _, doc := range canonCorpus(k.did) {
		signed, err := p.SignCredential(context.Background(), mustJSON(f, doc), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
		if err != nil {
			continue
		}
		vp := vpSkeleton(2)
		vp["holder"] = h.did
		vp["verifiableCredential"] = []any{mustMap(f, signed)}
		f.Add(mustJSON(f, vp))
	}
	// The crafted credentials of TestReuseVerdictEqualsOwnVerdict.
	for _, creds := range reuseAttacks(f, p, k) {
		f.Add(mustJSON(f, unsignedVP(h.did, creds...)))
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := p.decode(b)
		if err != nil {
			return
		}
		unsecured := make(map[string]any, len(m))
		for k, v := range m {
			if k != "proof" {
				unsecured[k] = v
			}
		}
		// Several rounds: inline contexts are prepared once they repeat.
		for range prepareAfterUses + 1 {
			expanded, err := p.expand(ctx, p.presentationView(unsecured))
			if err != nil {
				return
			}
			nodes := p.embeddedNodes(unsecured, expanded)
			for i, it := range asSlice(unsecured["verifiableCredential"]) {
				cm, ok := it.(map[string]any)
				if !ok || i >= len(nodes) {
					continue
				}
				cred := make(map[string]any, len(cm))
				for k, v := range cm {
					if k != "proof" {
						cred[k] = v
					}
				}
				derived := p.unsecuredFromEmbedded(cred, nodes[i])
				if derived == nil {
					continue
				}
				a, errA := p.canonicalExpanded(ctx, derived)
				b, errB := p.canonicalize(ctx, cred)
				if a != b || (errA == nil) != (errB == nil) {
					t.Fatalf("credential %d: derived (%v):\n%s\nown (%v):\n%s", i, errA, a, errB, b)
				}
			}
		}
	})
}
