package vcld

import (
	"context"
	"testing"
)

func slowProcessor(t testing.TB) *Processor {
	p := newTestProcessor(t)
	p.slowContexts = true
	return p
}

// TestFastContextEqualsSlowPath: the pre-processed type-scoped contexts give
// the canonical form json-gold's own per-call processing gives.
func TestFastContextEqualsSlowPath(t *testing.T) {
	fast, slow := newTestProcessor(t), slowProcessor(t)
	k := newTestKey(30)
	docs := canonCorpus(k.did)
	docs["clique-4"] = cliqueCredential(k.did, 4)
	b := credV2(k.did)
	b["credentialSubject"] = map[string]any{"id": "did:example:x", "type": "VerifiableCredential", "name": "nested typed"}
	docs["nested-scoped-type"] = b
	two := credV2(k.did)
	two["type"] = []any{"VerifiableCredential", "VerifiablePresentation"}
	docs["two-scoped-types"] = two
	for _, v := range []int{1, 2} {
		cred := credV2(k.did)
		if v == 1 {
			cred = credV1(k.did)
		}
		signed, err := fast.SignCredential(context.Background(), mustJSON(t, cred), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
		if err != nil {
			t.Fatal(err)
		}
		vp := vpSkeleton(v)
		vp["holder"] = k.did
		vp["verifiableCredential"] = []any{mustMap(t, signed), mustMap(t, signed), "https://issuer.example/credentials/1"}
		docs[versionName[v]+"-presentation"] = vp
	}
	eligible, inline := 0, 0
	for name, raw := range docs {
		// Inline contexts are prepared once they are used again: compare
		// before and after.
		for round := range prepareAfterUses + 2 {
			doc := fast.presentationView(mustMap(t, mustJSON(t, raw)))
			pc, err := fast.activeContext(doc["@context"])
			if err != nil {
				t.Fatal(err)
			}
			if round == prepareAfterUses+1 && pc.fast.fastEligible(doc) {
				eligible++
				if !onlyURLs(doc["@context"]) && len(pc.fast.scopedTypes) > 0 {
					inline++
				}
			}
			a, errA := fast.canonicalize(context.Background(), doc)
			b, errB := slow.canonicalize(context.Background(), doc)
			if a != b || (errA == nil) != (errB == nil) {
				t.Errorf("%s, round %d: fast (%v):\n%s\nslow (%v):\n%s", name, round, errA, a, errB, b)
			}
		}
	}
	if eligible < 5 || inline < 1 {
		t.Fatalf("only %d corpus documents take the fast path, %d of them with a prepared inline context", eligible, inline)
	}
}

// FuzzFastContextEqualsSlowPath compares both paths on arbitrary documents.
func FuzzFastContextEqualsSlowPath(f *testing.F) {
	k := newTestKey(31)
	for _, doc := range canonCorpus(k.did) {
		f.Add(mustJSON(f, doc))
	}
	f.Add(mustJSON(f, withStatus(credV2(k.did))))
	fast, slow := newTestProcessor(f), slowProcessor(f)
	for _, v := range []int{1, 2} {
		cred := credV2(k.did)
		if v == 1 {
			cred = credV1(k.did)
		}
		signed, err := fast.SignCredential(context.Background(), mustJSON(f, cred), SignOptions{Signer: k.priv, VerificationMethod: k.vm})
		if err != nil {
			f.Fatal(err)
		}
		vp := vpSkeleton(v)
		vp["verifiableCredential"] = []any{mustMap(f, signed)}
		f.Add(mustJSON(f, vp))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := fast.decode(b)
		if err != nil {
			return
		}
		// Presentation views (a no-op for other documents) exercise the
		// embedded-context substitution too.
		x, errX := fast.canonicalize(context.Background(), fast.presentationView(doc))
		y, errY := slow.canonicalize(context.Background(), slow.presentationView(doc))
		if x != y || (errX == nil) != (errY == nil) {
			t.Fatalf("fast (%v):\n%s\nslow (%v):\n%s", errX, x, errY, y)
		}
	})
}
