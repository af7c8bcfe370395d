package vcld

import (
	"context"
	"slices"
	"testing"

	"github.com/idport/idport/pkg/errs"
)

func fuzzSeeds(f *testing.F) {
	p := newTestProcessor(f)
	k, h := newTestKey(20), newTestKey(21)
	var vcs []map[string]any
	for _, c := range []struct {
		cred  map[string]any
		suite Suite
	}{{credV2(k.did), EddsaRdfc2022}, {credV1(k.did), EddsaRdfc2022}, {credV1(k.did), Ed25519Signature2020}, {withStatus(credV2(k.did)), EddsaRdfc2022}} {
		signed, err := p.SignCredential(context.Background(), mustJSON(f, c.cred), SignOptions{Signer: k.priv, VerificationMethod: k.vm, Suite: c.suite})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(signed)
		vcs = append(vcs, mustMap(f, signed))
	}
	vp := vpSkeleton(2)
	vp["holder"] = h.did
	vp["verifiableCredential"] = []any{vcs[0]}
	signedVP, err := p.SignPresentation(context.Background(), mustJSON(f, vp), SignOptions{Signer: h.priv, VerificationMethod: h.vm, Challenge: "c", Domain: "d"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signedVP)
	f.Add(mustJSON(f, cliqueCredential(k.did, 4)))
	f.Add(mustJSON(f, canonCorpus(k.did)["literals"]))
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"@context":null}`, `{"@context":[{"@import":"https://x.example/"}]}`,
		`{"@context":"https://www.w3.org/ns/credentials/v2","type":"VerifiableCredential","issuer":"did:x:y","credentialSubject":{"@context":{"@base":"x"}}}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2",{"@version":1.1,"x":{"@id":"_:b","@reverse":"y"}}],"type":["VerifiablePresentation"]}`} {
		f.Add([]byte(s))
	}
}

// isClass reports whether err wraps one of our sentinel errors.
func isClass(err error) bool {
	e := errs.As(err)
	return e != nil && slices.Contains(sentinels, e)
}

// checkClass fails the fuzz run when an error is not one of our classes.
func checkClass(t *testing.T, err error) {
	if err != nil && !isClass(err) {
		t.Fatalf("unclassified error: %v", err)
	}
}

func FuzzVerifyCredential(f *testing.F) {
	fuzzSeeds(f)
	p := newTestProcessor(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := p.VerifyCredential(context.Background(), doc, didKeyResolver)
		checkClass(t, err)
		if err == nil && (r.Issuer == "" || len(r.Proofs) == 0) {
			t.Fatalf("verified without issuer or proof: %+v", r)
		}
	})
}

func FuzzVerifyPresentation(f *testing.F) {
	fuzzSeeds(f)
	p := newTestProcessor(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := p.VerifyPresentation(context.Background(), doc, didKeyResolver, PresentationOptions{Challenge: "c", Domain: "d"})
		checkClass(t, err)
		if err == nil && len(r.Proofs) == 0 {
			t.Fatalf("verified without proof: %+v", r)
		}
	})
}
