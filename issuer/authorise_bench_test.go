package issuer_test

import (
	"context"
	"testing"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/trustregistry/issuerauth"
)

// BenchmarkRegistryCheck is in-process issuance (vc+jwt, in-memory store) without and with the
// registry check (trustregistry/issuerauth over an index, the path a replica answers from),
// in the same run; the registry question alone is the third figure.
//
//	go test -run '^$' -bench '^BenchmarkRegistryCheck$' -benchtime 20000x -count 5 ./issuer/
func BenchmarkRegistryCheck(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, is *issuer.Issuer) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := is.Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: benchSubject}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("issue/off", func(b *testing.B) { run(b, newAuthorisedIssuer(b, issuer.CheckOff, activeRegistry(b))) })
	b.Run("issue/enforce", func(b *testing.B) { run(b, newAuthorisedIssuer(b, issuer.CheckEnforce, activeRegistry(b))) })
	b.Run("check-only", func(b *testing.B) {
		src := activeRegistry(b)("did:web:issuer.lingang.example")
		auth := issuerauth.New(src, "")
		b.ReportAllocs()
		for b.Loop() {
			if g, _ := auth.Authorise(ctx, "did:web:issuer.lingang.example", "", []string{"BusinessRegistration"}, regEpoch.AddDate(1, 0, 0)); !g.Authorised {
				b.Fatal(g)
			}
		}
	})
}
