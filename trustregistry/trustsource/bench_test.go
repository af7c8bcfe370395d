package trustsource_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

// BenchmarkVerifyThroughRegistry10k measures the SDK on the real trust path: a registry service
// holding 10,000 authorities in 50 schemes plus the demo authority, a replica synced over HTTP
// and signature-checked, adapted by trustsource. Compare with BenchmarkRawEd25519Verify in the
// same run:
//
//	go test ./trustregistry/trustsource -run '^$' -bench 'Registry10k|RawEd25519' -count 3
func BenchmarkVerifyThroughRegistry10k(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	key, err := keys.Generate(keys.EdDSA)
	if err != nil {
		b.Fatal(err)
	}
	issuerDID, kid, err := did.KeyDID(key.Public)
	if err != nil {
		b.Fatal(err)
	}
	key.ID = kid
	svc, err := trustregistry.NewService(trustregistry.Config{Store: memstore.New(), Dev: true, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	go svc.Run(ctx)
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	defer cancel() // before srv.Close: ends the replica's long-poll
	alice, _, err := svc.CreateAccount(ctx, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	if err != nil {
		b.Fatal(err)
	}
	bob, _, err := svc.CreateAccount(ctx, "bob", []trustregistry.Role{trustregistry.RoleApprover})
	if err != nil {
		b.Fatal(err)
	}
	effective := time.Now().Add(-time.Hour)
	for _, cs := range append(trustregistry.SyntheticChangeSets(10000, 50, effective), demoseed.ChangeSet(issuerDID, effective)) {
		p, err := svc.Propose(ctx, alice, cs, "benchmark", 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Approve(ctx, bob, p.ID, ""); err != nil {
			b.Fatal(err)
		}
	}
	pinned, err := svc.PublicKeyJWK()
	if err != nil {
		b.Fatal(err)
	}
	v, err := trustsource.NewVerifier(ctx, trustsource.SyncConfig{URL: srv.URL, PinnedKey: pinned, Logger: quiet()},
		verifier.Config{Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme}, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	cred, err := vc.ParseCredential(fmt.Appendf(nil, `{"@context":["https://www.w3.org/ns/credentials/v2"],
		"type":["VerifiableCredential","BusinessRegistration"],"issuer":%q,"validFrom":%q,
		"credentialSubject":{"id":"did:example:acme","uen":"201912345K","legalName":"Acme Trading Pte. Ltd."}}`,
		issuerDID, effective.UTC().Format(time.RFC3339)))
	if err != nil {
		b.Fatal(err)
	}
	token, err := vcjwt.SignVCJOSE(key, cred)
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(token)
	if res, _ := v.VerifyCredential(ctx, raw); !res.Verified || res.Recognition.RegistryVersion < 2 {
		b.Fatalf("setup credential not verified: %+v", res.Errors)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, _ := v.VerifyCredential(ctx, raw)
		if !res.Verified {
			b.Fatal(res.Errors)
		}
	}
}

// BenchmarkRawEd25519Verify is the baseline of BenchmarkVerifyThroughRegistry10k.
func BenchmarkRawEd25519Verify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 700)
	sig := ed25519.Sign(priv, msg)
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("raw verify failed")
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// BenchmarkVerifyByFramework and BenchmarkVerifyByRegistryDirect compare, in one run, the
// verification of one did:web credential whose issuer is recognised by federation framework
// (a cached, verified trust chain) with the same credential whose issuer is an authority of
// the registry (docs/performance.md):
//
//	go test ./trustregistry/trustsource -run '^$' -bench 'ByFramework|ByRegistryDirect' -count 3
func BenchmarkVerifyByFramework(b *testing.B) { benchFederation(b, false) }

// BenchmarkVerifyByRegistryDirect: see BenchmarkVerifyByFramework.
func BenchmarkVerifyByRegistryDirect(b *testing.B) { benchFederation(b, true) }

func benchFederation(b *testing.B, direct bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	x := newFedStory(b)
	if direct {
		// The same issuer as an authority of the registry, recognised by scheme.
		st, _, err := trustregistry.Apply(x.state, demoseed.ChangeSet(x.issuer, time.Now().Add(-time.Hour)), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		x.state = st
	}
	v, _ := x.verifier(b, ctx, time.Hour)
	raw := signedCredential(b, x.key, x.issuer, time.Now().Add(-time.Minute))
	res, _ := v.VerifyCredential(ctx, raw)
	if !res.Verified || (res.Recognition.Chain == "") == !direct {
		b.Fatalf("setup credential: %+v %+v", res.Errors, res.Recognition)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res, _ := v.VerifyCredential(ctx, raw); !res.Verified {
			b.Fatal(res.Errors)
		}
	}
}
