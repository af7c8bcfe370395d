package trustsource_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/idport/idport/trustregistry/oidfed/oidfedtest"
	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

const fedMark = "https://anchor.example/trust-marks/qualified-registrar"

// fedStory is a TLS test federation anchor -> intermediate -> leaf, whose leaf is a did:web
// issuer (its DID document served at its own origin) and carries a trust mark, and a registry
// that recognises, by framework, every entity of that anchor holding that trust mark.
type fedStory struct {
	anchor, inter, leaf *oidfedtest.Entity
	leafSub             *oidfedtest.Sub
	key                 *keys.Key
	issuer              string
	state               *trustregistry.State
}

func newFedStory(t testing.TB) *fedStory {
	t.Helper()
	f := oidfedtest.NewTLS(t)
	x := &fedStory{anchor: f.Entity(), inter: f.Entity(), leaf: f.Entity()}
	x.anchor.Subordinate(x.inter, nil)
	x.leafSub = x.inter.Subordinate(x.leaf, nil)
	x.anchor.Set(func(e *oidfedtest.Entity) { e.TrustMarkIssuers = map[string][]string{fedMark: {x.anchor.ID}} })
	x.anchor.IssueTrustMark(x.leaf, fedMark, time.Now().Add(24*time.Hour))

	var err error
	if x.key, err = keys.Generate(keys.EdDSA); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(x.leaf.ID)
	x.issuer = did.WebDID(u.Host)
	x.key.ID = x.issuer + "#k1"
	doc, err := did.NewDocument(x.issuer, []*keys.Key{{ID: "k1", Alg: x.key.Alg, Public: x.key.Public}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.PublicJWK(x.key.Public, "k1")
	if err != nil {
		t.Fatal(err)
	}
	x.leaf.Set(func(e *oidfedtest.Entity) {
		e.Metadata["openid_credential_issuer"] = map[string]any{"jwks": map[string]any{"keys": []json.RawMessage{pub}}}
		e.Routes = map[string]http.Handler{"/.well-known/did.json": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/did+json")
			_, _ = w.Write(doc)
		})}
	})

	// The registry: the demo story (one authority, so the source is ready) and a recognition
	// by framework of the federation's anchor by Lingang.
	effective := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	cs := demoseed.ChangeSet("did:web:registrar.sg.example", effective)
	cs.Ops = append(cs.Ops,
		trustregistry.Op{Op: trustregistry.OpUpsertScheme, Scheme: &trustregistry.Scheme{ID: "fed.registrars", Jurisdiction: "SG",
			Name: "Federated registrars", AssuranceLevels: []string{"substantial", "high"}}},
		trustregistry.Op{Op: trustregistry.OpUpsertRecognition, Recognition: &trustregistry.Recognition{ID: "lg-fed", LocalScheme: demoseed.LocalScheme,
			ForeignScheme: "fed.registrars", Agreement: demoseed.AgreementID, CredentialTypes: []string{demoseed.Type},
			AssuranceMapping: map[string]string{"high": "L3"}, ValidFrom: effective,
			Framework: &trustregistry.FrameworkRule{TrustAnchor: x.anchor.ID, AnchorJWKS: x.anchor.JWKSJSON(), TrustMark: fedMark, Assurance: "high"}}},
	)
	if x.state, _, err = trustregistry.Apply(trustregistry.NewState(), cs, time.Now()); err != nil {
		t.Fatal(err)
	}
	return x
}

// verifier returns a verifier whose trust source is the registry state with live federation
// recognition (refreshing every refresh), and the source.
func (x *fedStory) verifier(t testing.TB, ctx context.Context, refresh time.Duration) (*verifier.Verifier, *trustsource.Source) {
	t.Helper()
	client := oidfedtest.Client(x.anchor, x.inter, x.leaf)
	cache := oidfed.NewCache(&oidfed.Resolver{Client: client}, quiet())
	src := trustsource.New(replicaOf(t, x.state)).WithFederation(trustsource.FederationConfig{
		Cache: cache, Refresh: refresh, RetryAfter: time.Millisecond, LoadTimeout: 5 * time.Second})
	go func() { _ = src.Run(ctx) }()
	resolver := did.NewResolver(did.ResolverOptions{RootCAs: oidfedtest.RootCAs(x.leaf), AllowHosts: []string{x.leaf.Host()}})
	v, err := verifier.New(verifier.Config{TrustSource: src, Resolver: resolver,
		Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return v, src
}

func TestEntityID(t *testing.T) {
	for in, want := range map[string]string{
		"https://issuer.example":              "https://issuer.example",
		"https://issuer.example/":             "https://issuer.example",
		"did:web:issuer.example":              "https://issuer.example",
		"did:web:issuer.example%3A8443:users": "https://issuer.example:8443",
		"did:key:z6Mk":                        "",
		"http://issuer.example":               "",
		"https://issuer.example/?q=1":         "",
	} {
		if got, _ := trustsource.EntityID(in); got != want {
			t.Errorf("EntityID(%q) = %q, want %q", in, got, want)
		}
	}
}

// A did:web issuer no authority of the registry names is recognised live by framework, its
// verdict naming the trust chain; when the federation withdraws its subordinate statement, the
// next refresh refuses it without any registry change; and a chain whose statements expire
// fails closed.
func TestRecognitionByFrameworkFollowsTheFederation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x := newFedStory(t)
	v, src := x.verifier(t, ctx, 50*time.Millisecond)
	version := src.Status().Version
	cred := signedCredential(t, x.key, x.issuer, time.Now().Add(-time.Minute))

	res, err := v.VerifyCredential(ctx, cred)
	if err != nil || !res.Verified {
		t.Fatalf("not verified: %v %+v", err, res.Errors)
	}
	r := res.Recognition
	wantChain := x.leaf.ID + " -> " + x.inter.ID + " -> " + x.anchor.ID
	if r.Recognition != "lg-fed" || r.Chain != wantChain || r.Scheme != "fed.registrars" || r.LocalAssurance != "L3" || r.Authority != x.leaf.ID {
		t.Fatalf("grounds %+v", r)
	}
	if p := r.Provenance; p == nil || p.Kind != verifier.ProvenanceFederation || !strings.HasPrefix(p.Description, "federation chain "+wantChain+", expires ") {
		t.Fatalf("provenance %+v", r.Provenance)
	}

	// The intermediate withdraws the leaf: no registry proposal, the next refresh refuses it.
	x.inter.Set(func(*oidfedtest.Entity) { x.leafSub.Removed = true })
	waitFor(t, ctx, "the withdrawal to take effect", func() bool {
		res, _ := v.VerifyCredential(ctx, cred)
		return !res.Verified && res.FirstError() == verifier.CodeFederationChainUnavailable
	})
	if src.Status().Version != version {
		t.Fatal("the registry changed")
	}

	// Reinstated with a statement expiring in two seconds: recognised until then, refused after.
	exp := time.Now().Add(2 * time.Second)
	x.inter.Set(func(*oidfedtest.Entity) { x.leafSub.Removed, x.leafSub.Exp = false, exp })
	waitFor(t, ctx, "the reinstatement", func() bool {
		res, _ := v.VerifyCredential(ctx, cred)
		return res.Verified
	})
	time.Sleep(time.Until(exp) + 100*time.Millisecond)
	res, _ = v.VerifyCredential(ctx, cred)
	if res.Verified || res.FirstError() != verifier.CodeFederationChainUnavailable {
		t.Fatalf("expired chain: %+v", res.Errors)
	}
}

// Without a chain cache, the same issuer is not recognised: recognition by framework is
// opt-in on the verifier.
func TestWithoutFederationTheIssuerIsNotRecognised(t *testing.T) {
	x := newFedStory(t)
	resolver := did.NewResolver(did.ResolverOptions{RootCAs: oidfedtest.RootCAs(x.leaf), AllowHosts: []string{x.leaf.Host()}})
	v, err := verifier.New(verifier.Config{TrustSource: trustsource.New(replicaOf(t, x.state)), Resolver: resolver,
		Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := v.VerifyCredential(context.Background(), signedCredential(t, x.key, x.issuer, time.Now().Add(-time.Minute)))
	if res.Verified || res.FirstError() != verifier.CodeIssuerNotRecognised {
		t.Fatalf("%+v", res.Errors)
	}
}
