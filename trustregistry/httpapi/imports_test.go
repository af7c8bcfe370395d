package httpapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/importer"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/idport/idport/trustregistry/oidfed/oidfedtest"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

func issuerJWKS(t *testing.T) map[string]any {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, _ := jwk.FromRaw(priv.Public())
	_ = k.Set(jwk.KeyIDKey, "cred-1")
	b, _ := json.Marshal(k)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return map[string]any{"keys": []any{m}}
}

// A federation import is a proposal; once approved, the leaf's keys are pinned with the chain as
// provenance. A chain with an expired statement is refused with its code; a re-check proposes
// a key the leaf rotated.
func TestImportFederationIsAProposal(t *testing.T) {
	fed := oidfedtest.New(t)
	anchor, inter, leaf := fed.Entity(), fed.Entity(), fed.Entity()
	anchor.Subordinate(inter, nil)
	leafSub := inter.Subordinate(leaf, oidfed.Policy{"openid_credential_issuer": {"jwks": {"essential": true}}})
	leaf.Set(func(e *oidfedtest.Entity) {
		e.Metadata["openid_credential_issuer"] = map[string]any{"jwks": issuerJWKS(t),
			"credential_configurations_supported": map[string]any{"br": map[string]any{"format": "vc+sd-jwt", "vct": demoseed.Type}}}
		e.Metadata["federation_entity"] = map[string]any{"organization_name": "Leaf Registrar Pte Ltd"}
	})
	im := &importer.Importer{Chains: &oidfed.Resolver{Client: oidfedtest.Client(anchor)}}
	f := newFixture(t, func(o *httpapi.Options) { o.Importer = im })
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, f.admin("alice"), f.admin("bob"), "did:web:demo.example", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	before := f.svc.Index().Version()
	req := importer.FederationRequest{Target: importer.Target{Scheme: demoseed.ForeignScheme}, Entity: leaf.ID, TrustAnchor: anchor.ID,
		AnchorJWKS: anchor.JWKSJSON(), Reason: "Singapore registrar joins via the federation"}
	r, err := f.admin("alice").ImportFederation(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if r.Proposal.Status != trustregistry.ProposalPending || f.svc.Index().Version() != before+1 /* its filing only */ || !strings.Contains(r.Proposal.Reason, inter.ID) {
		t.Fatalf("not a pending proposal: %+v", r.Proposal)
	}
	if _, err := f.admin("bob").Approve(ctx, r.Proposal.ID, ""); err != nil {
		t.Fatal(err)
	}
	a := f.svc.Index().State().Authorities["fed:"+strings.TrimPrefix(leaf.ID, "http://")]
	if a == nil || len(a.Keys) != 1 || a.LegalName != "Leaf Registrar Pte Ltd" || a.CredentialTypes[0] != demoseed.Type {
		t.Fatalf("authority %+v", a)
	}
	p := a.Keys[0].Provenance
	if p.Method != trustregistry.ProvenanceFederation || p.CheckedBy != "alice" || p.Federation == nil ||
		len(p.Federation.Chain) != 3 || p.Federation.TrustAnchor != anchor.ID || p.Federation.ChainExpiresAt.IsZero() {
		t.Fatalf("provenance %+v", p)
	}

	// Nothing changed: a re-check proposes nothing.
	rc, err := f.admin("alice").Recheck(ctx, "")
	if err != nil || rc.Proposal != nil {
		t.Fatalf("recheck: %+v %v", rc, err)
	}
	// The leaf rotates its key: the re-check proposes it.
	leaf.Set(func(e *oidfedtest.Entity) { e.Metadata["openid_credential_issuer"]["jwks"] = issuerJWKS(t) })
	rc, err = f.admin("alice").Recheck(ctx, "weekly")
	if err != nil || rc.Proposal == nil || len(rc.Findings) != 1 || rc.Findings[0].Change != "changed" {
		t.Fatalf("recheck after rotation: %+v %v", rc, err)
	}
	// The federation stops vouching for the leaf: vanished.
	_, _ = f.admin("alice").Reject(ctx, rc.Proposal.ID, "superseded")
	inter.Set(func(*oidfedtest.Entity) { leafSub.Removed = true })
	rc, err = f.admin("alice").Recheck(ctx, "")
	if err != nil || rc.Proposal == nil || rc.Findings[0].Change != "vanished" ||
		rc.Proposal.ChangeSet.Ops[0].Op != trustregistry.OpSetAuthorityStatus {
		t.Fatalf("recheck after removal: %+v %v", rc, err)
	}

	// An expired subordinate statement is refused with its code.
	inter.Set(func(*oidfedtest.Entity) { leafSub.Removed, leafSub.Exp = false, time.Now().Add(-time.Minute) })
	_, err = f.admin("alice").ImportFederation(ctx, req)
	if p, ok := err.(*adminclient.Problem); !ok || p.Status != 422 || p.Code != string(oidfed.CodeStatementExpired) {
		t.Fatalf("expired: %v", err)
	}
	// Only proposers import.
	if _, err := f.admin("bob").ImportFederation(ctx, req); err == nil || err.(*adminclient.Problem).Status != 403 {
		t.Fatalf("approver imported: %v", err)
	}
}

type txt map[string][]string

func (m txt) LookupTXT(_ context.Context, name string) ([]string, error) { return m[name], nil }

func TestImportDNSDID(t *testing.T) {
	im := &importer.Importer{DNS: txt{"example.sg": {"v=spf1 -all", "openatts a=dns-did; p=did:ethr:0xE712878f6E8d5d4F9e87E10DA604F9cB564C9a89#controller; v=1.0;"}}, DNSName: "test"}
	f := newFixture(t, func(o *httpapi.Options) { o.Importer = im })
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, f.admin("alice"), f.admin("bob"), "did:web:demo.example", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err := f.admin("alice").ImportDNSDID(ctx, importer.DNSDIDRequest{Target: importer.Target{Scheme: demoseed.ForeignScheme, CredentialTypes: []string{demoseed.Type}},
		Domain: "example.sg", Reason: "OpenAttestation issuer"})
	if err != nil {
		t.Fatal(err)
	}
	a := r.Proposal.ChangeSet.Ops[0].Authority
	if a.ID != "dns:example.sg" || len(a.DIDs) != 1 || a.DIDs[0] != "did:ethr:0xE712878f6E8d5d4F9e87E10DA604F9cB564C9a89" || !strings.Contains(r.Proposal.Reason, "resolver test") {
		t.Fatalf("%+v %q", a, r.Proposal.Reason)
	}
	if _, err := f.admin("alice").ImportDNSDID(ctx, importer.DNSDIDRequest{Target: importer.Target{Scheme: demoseed.ForeignScheme}, Domain: "nothing.sg", Reason: "x"}); err == nil ||
		err.(*adminclient.Problem).Code != string(importer.CodeSourceUnusable) {
		t.Fatalf("no record: %v", err)
	}
}
