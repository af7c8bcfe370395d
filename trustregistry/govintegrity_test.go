package trustregistry_test

// Governance commits under the registry's integrity checks: governance-only records keep the
// state digest and carry a signed checkpoint, offline bootstrap records are anchored at the
// first start only, and a key rotation applied by proposal survives a stop right after it.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
)

func reopen(t *testing.T, dir string) *trustregistry.Service {
	t.Helper()
	svc, err := newService(trustregistry.Config{DataDir: dir, KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func registryPub(t *testing.T, svc *trustregistry.Service) any {
	t.Helper()
	jwk, err := svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := keysParse(jwk)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func auditLog(t *testing.T, svc *trustregistry.Service) []trustregistry.AuditRecord {
	t.Helper()
	recs, err := svc.Store().Audit(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestGovernanceCommitsKeepTheDigestAndAreCheckpointed(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	root := e.admin(t, "root")
	p, err := root.ProposeGovernance(ctx, "shorter cooling-off", trustregistry.SetPolicyOp(trustregistry.Policy{CoolingOff: "48h"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auditor.Approve(ctx, p.ID, "agreed at the board"); err != nil {
		t.Fatal(err)
	}
	_, en := newToken(t)
	if _, err := root.RotateOwnToken(ctx, "root", en); err != nil {
		t.Fatal(err)
	}
	pub := registryPub(t, e.svc)
	recs := appliedRecords(auditLog(t, e.svc))
	if len(recs) != 3 {
		t.Fatalf("%d records, want seed, policy, token rotation", len(recs))
	}
	for i, r := range recs[1:] {
		if len(r.Diff) != 0 || len(r.Governance) != 1 || r.StateDigest != recs[0].StateDigest {
			t.Fatalf("governance record %d: diff %d, governance %d, digest %s (seed %s)", r.Seq, len(r.Diff), len(r.Governance), r.StateDigest, recs[0].StateDigest)
		}
		ck, err := trustregistry.VerifyCheckpoint([]byte(r.Checkpoint), pub)
		if err != nil || ck.Seq != r.Seq || ck.RecordHash != r.Hash || ck.StateDigest != r.StateDigest {
			t.Fatalf("checkpoint of governance record %d: %+v %v", i+2, ck, err)
		}
	}
	if a := recs[1].Approvals; len(a) != 1 || a[0].Account != "audrey" || a[0].Comment != "agreed at the board" {
		t.Fatalf("approvals in the audit record: %+v", a)
	}
	e.srv.Close()
	e.svc.Close()
	svc := reopen(t, e.dir)
	if err := svc.Ready(); err != nil {
		t.Fatalf("restart after governance commits: %v", err)
	}
	if got := svc.Policy().CoolingOff; got != "48h0m0s" {
		t.Fatalf("policy after restart: cooling-off %s", got)
	}
	svc.Close()
	if rep := offlineReport(t, e.dir+"/registry.db", pub); !rep.OK || rep.CheckpointSeq != 5 { // with the two filings
		t.Fatalf("offline check with the key: %+v", rep)
	}
}

func TestBootstrapAnchoredOnlyBeforeAnySignedCheckpoint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, n := range []string{"root", "ruth"} {
		if _, err := bootstrap(ctx, dir, n, []trustregistry.Role{trustregistry.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	// First start: the bootstrap records precede any signed checkpoint; the registry anchors them.
	svc := reopen(t, dir)
	if err := svc.Ready(); err != nil {
		t.Fatalf("first start over bootstrap records: %v", err)
	}
	pub := registryPub(t, svc)
	svc.Close()
	if rep := offlineReport(t, dir+"/registry.db", pub); !rep.OK || rep.CheckpointSeq != 2 {
		t.Fatalf("bootstrap records not anchored: %+v", rep)
	}
	// A second start accepts the anchored chain.
	svc = reopen(t, dir)
	if err := svc.Ready(); err != nil {
		t.Fatalf("second start: %v", err)
	}
	svc.Close()

	// The bootstrap command refuses to write without the key now; someone holding only the
	// file writes the same record into it directly.
	if _, err := bootstrap(ctx, dir, "mallory", []trustregistry.Role{trustregistry.RoleAdmin}); !errors.Is(err, trustregistry.ErrBootstrapNeedsKey) {
		t.Fatalf("unsigned bootstrap after the first start: %v", err)
	}
	if err := forgeAccount(ctx, dir, "mallory"); err != nil {
		t.Fatal(err)
	}
	if rep, err := checkAudit(ctx, dir); err != nil || !rep.OK {
		t.Fatalf("without the key the chain itself is sound: %+v %v", rep, err)
	}
	if rep := offlineReport(t, dir+"/registry.db", pub); rep.OK || rep.BrokenAt != 3 {
		t.Fatalf("forged bootstrap not detected offline: %+v", rep)
	}
	svc = reopen(t, dir)
	if err := svc.Ready(); errs.CodeOf(err) != trustregistry.CodeStateIntegrity {
		t.Fatalf("a registry over a bootstrap forged after its checkpoint must refuse to serve: %v", err)
	}
	if _, ok := svc.Snapshot(); ok {
		t.Fatal("snapshot served over a forged chain")
	}
}

// A bootstrap record forged after registry-written records (each with its own checkpoint) is
// caught too, even with the stored checkpoint deleted.
func TestBootstrapAfterAppliedChangesIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	pub := registryPub(t, e.svc)
	e.srv.Close()
	e.svc.Close()
	if err := forgeAccount(ctx, e.dir, "mallory"); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(e.dir+"/registry.db", boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSecret(ctx, "checkpoint", nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if rep := offlineReport(t, e.dir+"/registry.db", pub); rep.OK {
		t.Fatalf("forged bootstrap not detected: %+v", rep)
	}
	svc := reopen(t, e.dir)
	if err := svc.Ready(); errs.CodeOf(err) != trustregistry.CodeStateIntegrity {
		t.Fatalf("ready over a forged bootstrap: %v", err)
	}
}

// The registry stops right after applying a rotate_registry_key proposal, before storing the
// new key: the next start finishes the rotation.
func TestKeyRotationProposalFinishedAfterStop(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	root := e.admin(t, "root")
	p, err := root.ProposeGovernance(ctx, "yearly rotation", trustregistry.RotateRegistryKeyOp())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := e.svc.PublicKeyJWK()
	stopped := errors.New("stopped after the commit")
	trustregistry.SetAppliedHook(func() { panic(stopped) })
	t.Cleanup(func() { trustregistry.SetAppliedHook(nil) })
	audrey, err := e.svc.Store().GetAccount(ctx, "audrey")
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != stopped {
				t.Fatalf("hook: %v", r)
			}
		}()
		e.svc.Approve(ctx, audrey, p.ID, "")
	}()
	trustregistry.SetAppliedHook(nil)
	if cur, _ := e.svc.PublicKeyJWK(); string(cur) != string(old) {
		t.Fatal("the key rotated before the stop")
	}
	e.srv.Close()
	e.svc.Close()
	svc := reopen(t, e.dir)
	if err := svc.Ready(); err != nil {
		t.Fatal(err)
	}
	cur, _ := svc.PublicKeyJWK()
	if string(cur) == string(old) {
		t.Fatal("the applied rotation was not finished on start")
	}
	rots, err := svc.Store().Rotations(ctx)
	if err != nil || len(rots) != 1 {
		t.Fatalf("rotation announcements: %d %v", len(rots), err)
	}
	svc.Close()
	svc = reopen(t, e.dir)
	if err := svc.Ready(); err != nil {
		t.Fatalf("restart after the finished rotation: %v", err)
	}
	if again, _ := svc.PublicKeyJWK(); string(again) != string(cur) {
		t.Fatal("the key rotated again on a later start")
	}
}
