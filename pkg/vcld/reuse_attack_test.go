package vcld

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// reuseAttacks are embedded credentials crafted against the expansion reuse
// (reuse.go), each built from a credential the issuer signed: terms and
// aliases that reach the proof property, keyword containers, contexts that
// differ between the presentation and the credential, proofs under other
// keys, and changes made after signing. The holder (the attacker) signs the
// presentation over whatever it embeds.
func reuseAttacks(t testing.TB, p *Processor, issuer testKey) map[string][]map[string]any {
	ctx := context.Background()
	sign := func(c map[string]any) map[string]any {
		signed, err := p.SignCredential(ctx, mustJSON(t, c), SignOptions{Signer: issuer.priv, VerificationMethod: issuer.vm})
		if err != nil {
			t.Fatalf("sign %v: %v", c, err)
		}
		return mustMap(t, signed)
	}
	clone := func(m map[string]any) map[string]any { return mustMap(t, mustJSON(t, m)) }
	withCtx := func(extra map[string]any) map[string]any {
		c := credV2(issuer.did)
		c["@context"] = []any{ContextCredentialsV2, extra}
		return c
	}
	base := sign(credV2(issuer.did))
	proof := base["proof"]
	out := map[string][]map[string]any{}

	// A term of the credential's own context aliased to sec:proof,
	// signed with a proof-like graph under it, then carrying the proof.
	aliased := withCtx(map[string]any{"sig": map[string]any{"@id": "https://w3id.org/security#proof", "@type": "@id", "@container": "@graph"}})
	aliased["sig"] = map[string]any{"id": "urn:uuid:x", "type": "DataIntegrityProof"}
	signedAliased := sign(aliased)
	out["alias signed"] = []map[string]any{signedAliased}
	moved := clone(signedAliased)
	moved["sig"] = moved["proof"] // the proof under the alias as well
	out["alias carries the proof"] = []map[string]any{moved}
	dropped := clone(signedAliased)
	delete(dropped, "sig") // the alias's graph removed after signing
	out["alias removed"] = []map[string]any{dropped}
	// The alias only, no proof member: nothing to verify.
	only := clone(signedAliased)
	only["sig"] = only["proof"]
	delete(only, "proof")
	out["proof under alias only"] = []map[string]any{only}
	// A compact and an absolute IRI key for the proof property.
	for _, key := range []string{"https://w3id.org/security#proof", "sec:proof"} {
		c := clone(base)
		c[key] = proof
		out["second proof under "+key] = []map[string]any{c}
	}

	// @nest: a nesting term holding a second proof (or the only one).
	nest := credV2(issuer.did)
	nest["@nest"] = map[string]any{"description": "nested"}
	signedNest := sign(nest)
	out["@nest signed"] = []map[string]any{signedNest}
	nested := clone(signedNest)
	nested["@nest"] = map[string]any{"description": "nested", "proof": proof}
	out["@nest carries a proof"] = []map[string]any{nested}
	nestOnly := clone(signedNest)
	nestOnly["@nest"] = map[string]any{"description": "nested", "proof": proof}
	delete(nestOnly, "proof")
	nestOnly["proof"] = proof
	out["@nest and top-level proof"] = []map[string]any{nestOnly}
	aliasNest := clone(signedNest)
	aliasNest["@context"] = []any{ContextCredentialsV2, map[string]any{"wrap": "@nest"}}
	aliasNest["wrap"] = map[string]any{"proof": proof}
	out["@nest alias"] = []map[string]any{aliasNest}

	// @included and @graph members added to, or signed with, the credential.
	incl := clone(base)
	incl["@included"] = []any{map[string]any{"id": "urn:x", "proof": proof}}
	out["@included added"] = []map[string]any{incl}
	inclSigned := credV2(issuer.did)
	inclSigned["@included"] = []any{map[string]any{"id": "urn:x", "name": "included"}}
	out["@included signed"] = []map[string]any{sign(inclSigned)}
	graphAdded := clone(base)
	graphAdded["@graph"] = []any{map[string]any{"id": "urn:y", "name": "g"}}
	out["@graph added"] = []map[string]any{graphAdded}

	// Keyword aliases for @id and @type.
	kw := withCtx(map[string]any{"ident": "@id"})
	delete(kw, "id")
	kw["ident"] = "urn:uuid:aliased"
	out["keyword aliases"] = []map[string]any{sign(kw)}

	// @propagate: false and a presentation-only redefinition of a term the
	// credential defines too.
	prop := withCtx(map[string]any{"@propagate": false, "licence": "https://example.org/ns#licence"})
	prop["licence"] = "L-1"
	prop["credentialSubject"] = map[string]any{"id": "did:example:company-1", "name": "Acme"}
	out["@propagate false"] = []map[string]any{sign(prop)}
	lic := withCtx(map[string]any{"licence": "https://example.org/ns#licence"})
	lic["licence"] = "L-1"
	out["own licence term"] = []map[string]any{sign(lic)}

	// Redefining the protected proof term, at the top or in a type-scoped
	// context (refused by the credential's own processing).
	redef := clone(base)
	redef["@context"] = []any{ContextCredentialsV2, map[string]any{"proof": map[string]any{"@id": "https://example.org/notproof"}}}
	out["proof redefined"] = []map[string]any{redef}
	scoped := clone(base)
	scoped["@context"] = []any{ContextCredentialsV2, map[string]any{"Evil": map[string]any{"@id": "https://example.org/Evil", "@context": map[string]any{"sig": "https://w3id.org/security#proof"}}}}
	scoped["type"] = []any{"VerifiableCredential", "Evil"}
	out["type-scoped alias"] = []map[string]any{scoped}
	unprotected := clone(base)
	unprotected["@context"] = []any{ContextCredentialsV2, map[string]any{"@version": 1.1, "proof": map[string]any{"@id": "https://example.org/notproof", "@protected": false}}}
	out["proof redefined unprotected"] = []map[string]any{unprotected}

	// A VC 1.1 credential in a VC 2.0 presentation, and one without a
	// context of its own.
	out["vc1 in vc2"] = []map[string]any{sign(credV1(issuer.did))}
	noCtx := clone(base)
	delete(noCtx, "@context")
	out["no own context"] = []map[string]any{noCtx}

	// Twice the same credential, and the same one next to a tampered copy.
	tampered := clone(base)
	tampered["credentialSubject"].(map[string]any)["name"] = "Other Ltd"
	out["twice"] = []map[string]any{base, clone(base)}
	out["good then tampered"] = []map[string]any{base, tampered}
	out["tampered then good"] = []map[string]any{tampered, base}

	// Changes that some expansion could hide: a null member, an @index, a
	// relative id, a member mapped to null by an added context, an added
	// type, a changed context.
	for name, change := range map[string]func(map[string]any){
		"null member":  func(c map[string]any) { c["name"] = nil },
		"@index added": func(c map[string]any) { c["@index"] = "i" },
		"relative id":  func(c map[string]any) { c["id"] = "x" },
		"id dropped":   func(c map[string]any) { delete(c, "id") },
		"type added":   func(c map[string]any) { c["type"] = []any{"VerifiableCredential", "VerifiablePresentation"} },
		"name to null": func(c map[string]any) {
			c["@context"] = []any{ContextCredentialsV2, map[string]any{"extra": nil}}
			c["extra"] = "x"
		},
		"context added":    func(c map[string]any) { c["@context"] = []any{ContextCredentialsV2, ContextCredentialsExamplesV2} },
		"issuer as object": func(c map[string]any) { c["issuer"] = map[string]any{"id": issuer.did} },
	} {
		c := clone(base)
		change(c)
		out[name] = []map[string]any{c}
	}
	return out
}

// TestReuseVerdictEqualsOwnVerdict: for every crafted presentation, each
// embedded credential's verdict inside the presentation (through the
// reused expansion where the guards allow it) is the verdict of the
// credential verified on its own, and the reused canonical form, where
// taken, is the credential's own (checkReuse). A credential changed after
// the issuer signed never verifies.
func TestReuseVerdictEqualsOwnVerdict(t *testing.T) {
	p := newTestProcessor(t)
	checked := newTestProcessor(t)
	checked.checkReuse = true
	alone := newTestProcessor(t)
	issuer, holder := newTestKey(60), newTestKey(61)
	o := PresentationOptions{Challenge: "c", Domain: "d"}
	ctx := context.Background()
	reused := 0
	for name, creds := range reuseAttacks(t, p, issuer) {
		t.Run(name, func(t *testing.T) {
			vp := unsignedVP(holder.did, creds...)
			signed, err := p.SignPresentation(ctx, mustJSON(t, vp), SignOptions{Signer: holder.priv, VerificationMethod: holder.vm, Challenge: "c", Domain: "d"})
			if err != nil {
				t.Logf("%s: presentation not signable: %v", name, err)
				return
			}
			// The credentials alone: the first that fails is the one the
			// presentation must fail on.
			firstBad, badErr := -1, error(nil)
			for i, c := range creds {
				if _, has := c["@context"]; !has {
					c = withContext(c, vp["@context"])
				}
				if _, err := alone.VerifyCredential(ctx, mustJSON(t, c), didKeyResolver); err != nil {
					firstBad, badErr = i, err
					break
				}
			}
			for _, proc := range []*Processor{p, checked} {
				// Inline contexts are prepared after a few uses.
				for range prepareAfterUses + 1 {
					before := proc.reused.Load()
					_, err := proc.VerifyPresentation(ctx, signed, didKeyResolver, o)
					if proc.reused.Load() != before {
						reused++
					}
					if err != nil && strings.Contains(err.Error(), "reused expansion") {
						t.Fatalf("reused expansion differs: %v", err)
					}
					switch {
					case firstBad < 0 && err != nil && !strings.Contains(err.Error(), "verifiableCredential[") && name == "no own context":
						// refused at the presentation level (its own expansion)
					case firstBad < 0 && err != nil:
						t.Fatalf("presentation refused (%v), every credential verifies alone", err)
					case firstBad >= 0 && err == nil:
						t.Fatalf("presentation verified; credential %d alone: %v", firstBad, badErr)
					case firstBad >= 0 && !strings.Contains(err.Error(), "verifiableCredential[") && !strings.Contains(err.Error(), "expand") && !strings.Contains(err.Error(), "context"):
						t.Fatalf("presentation refused with %v; want credential %d's failure %v", err, firstBad, badErr)
					case firstBad >= 0 && strings.Contains(err.Error(), "verifiableCredential[") && !strings.Contains(err.Error(), fmt.Sprintf("verifiableCredential[%d]", firstBad)):
						t.Fatalf("presentation failed on %v; credential %d fails alone first (%v)", err, firstBad, badErr)
					case firstBad >= 0 && strings.Contains(err.Error(), "verifiableCredential[") && classOf(err) != classOf(badErr):
						t.Fatalf("credential %d: %v in the presentation, %v alone", firstBad, err, badErr)
					}
				}
			}
		})
	}
	if reused == 0 {
		t.Error("no crafted presentation took the reuse path")
	}
}

// classOf returns the sentinel error class of err.
func classOf(err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	return nil
}
