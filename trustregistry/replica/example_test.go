package replica_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/replica"
)

// An offline verifier pins the registry key, loads a signed snapshot file and asks whether a
// Singapore issuer is recognised in Lingang for BusinessRegistration.
func ExampleFromSnapshotFile() {
	// What the registry operator publishes: its public key and a signed snapshot.
	regKey, _ := keys.Generate(keys.EdDSA)
	state, _, _ := trustregistry.Apply(trustregistry.NewState(), demoseed.ChangeSet("did:web:registrar.example.sg", time.Now().Add(-time.Hour)), time.Now())
	now := time.Now()
	ck, _ := trustregistry.NewCheckpoint("lingang", state, trustregistry.GenesisHash, now)
	ckJWS, _ := trustregistry.SignCheckpoint(regKey, ck)
	jws, _ := trustregistry.SignSnapshot(regKey, &trustregistry.Snapshot{Issuer: "lingang", Sequence: 1, Version: state.Version,
		IssuedAt: now, NextUpdate: now.Add(24 * time.Hour), State: state, Checkpoint: string(ckJWS)})
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "registry.jws")
	os.WriteFile(file, jws, 0o644)
	pinned, _ := regKey.PublicJWK()

	// The verifier side.
	r, err := replica.FromSnapshotFile(file, pinned)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := r.Decide(trustregistry.Query{Entity: "did:web:registrar.example.sg", CredentialType: "BusinessRegistration", LocalScheme: "cn-sh-lg.corporate"})
	fmt.Println(d.Recognised, d.Code, d.LocalAssurance, d.ClaimMapping["uen"])
	// Output: true recognised L3 registrationNumber
}
