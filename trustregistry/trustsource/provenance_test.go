package trustsource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/replica"
	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

// replicaOf returns a replica holding st, signed by a fresh registry key.
func replicaOf(t testing.TB, st *trustregistry.State) *replica.Replica {
	t.Helper()
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ck, err := trustregistry.NewCheckpoint("t", st, trustregistry.GenesisHash, now)
	if err != nil {
		t.Fatal(err)
	}
	ckJWS, err := trustregistry.SignCheckpoint(k, ck)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := trustregistry.SignSnapshot(k, &trustregistry.Snapshot{Issuer: "t", Sequence: 1, Version: st.Version,
		IssuedAt: now, NextUpdate: now.Add(time.Hour), State: st, Checkpoint: string(ckJWS)})
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := k.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	r, err := replica.New(replica.Config{PinnedKey: pinned, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Accept(snap, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

// signedCredential returns a VC-JOSE-COSE BusinessRegistration credential of issuer, signed by key.
func signedCredential(t testing.TB, key *keys.Key, issuer string, validFrom time.Time) []byte {
	t.Helper()
	cred, err := vc.ParseCredential(fmt.Appendf(nil, `{"@context":["https://www.w3.org/ns/credentials/v2"],
		"type":["VerifiableCredential",%q],"issuer":%q,"validFrom":%q,
		"credentialSubject":{"id":"did:example:acme","uen":"201912345K","legalName":"Acme Trading Pte. Ltd."}}`,
		demoseed.Type, issuer, validFrom.UTC().Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	token, err := vcjwt.SignVCJOSE(key, cred)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(token)
}

// An authority whose key was imported from an ETSI trusted list: the verdict's grounds name the
// list, the provider and the service, and who imported it when.
func TestVerdictNamesTheTrustedListTheKeyCameFrom(t *testing.T) {
	ctx := context.Background()
	key, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	issuerDID, kid, err := did.KeyDID(key.Public)
	if err != nil {
		t.Fatal(err)
	}
	key.ID = kid
	thumb, err := keys.Thumbprint(key.Public)
	if err != nil {
		t.Fatal(err)
	}
	effective := time.Now().Add(-time.Hour)
	st, _, err := trustregistry.Apply(trustregistry.NewState(), demoseed.ChangeSet(issuerDID, effective), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	imported := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := *st.Authorities[demoseed.AuthorityID]
	a.Keys = []trustregistry.AuthorityKey{{Thumbprint: thumb, Provenance: trustregistry.Provenance{
		Method: trustregistry.ProvenanceTrustedList, CheckedBy: "alice", CheckedAt: imported,
		TrustedList: &trustregistry.TrustedListSource{Territory: "FR", SequenceNumber: 42, TSPName: "X", ServiceName: "Y", SignerSHA256: "s"}}}}
	st.Authorities[a.ID] = &a

	v, err := verifier.New(verifier.Config{TrustSource: trustsource.New(replicaOf(t, st)),
		Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyCredential(ctx, signedCredential(t, key, issuerDID, effective))
	if err != nil || !res.Verified {
		t.Fatalf("not verified: %v %+v", err, res.Errors)
	}
	p := res.Recognition.Provenance
	if p == nil || p.Kind != verifier.ProvenanceTrustedList || p.Description != "EU trusted list FR seq 42, TSP X, service Y" ||
		p.ImportedBy != "alice" || !p.ImportedAt.Equal(imported) {
		t.Fatalf("provenance %+v", p)
	}
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"provenance":{"kind":"trusted_list","description":"EU trusted list FR seq 42, TSP X, service Y","importedBy":"alice"`) {
		t.Fatalf("rendered result does not name the source: %s", b)
	}

	// An authority registered by hand (no pinned key) is reported as such.
	st2, _, _ := trustregistry.Apply(trustregistry.NewState(), demoseed.ChangeSet(issuerDID, effective), time.Now())
	v2, _ := verifier.New(verifier.Config{TrustSource: trustsource.New(replicaOf(t, st2)),
		Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme}, Logger: quiet()})
	res, _ = v2.VerifyCredential(ctx, signedCredential(t, key, issuerDID, effective))
	if !res.Verified || res.Recognition.Provenance == nil || res.Recognition.Provenance.Kind != verifier.ProvenanceManual {
		t.Fatalf("manual authority: %+v %+v", res.Errors, res.Recognition)
	}
}
