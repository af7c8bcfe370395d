package trustregistry_test

// Attacks on pending proposals in registry.db: someone holding the file but not the key secret
// adds an approval, swaps a change set, brings back a closed proposal, files or deletes one while
// the registry is stopped. Each proposal write is an audit record written with the proposal in
// one commit, so the restarted registry refuses to serve naming the proposal, and the offline
// `idport admin audit verify --data` names it too.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/storeconfig"
	bolt "go.etcd.io/bbolt"
)

// proposalRegistry is a registry on a bbolt file with quorum q, proposer alice and approvers
// bob and carol (seeded at the first start).
type proposalRegistry struct {
	dir    string
	quorum int
	svc    *trustregistry.Service
}

func newProposalRegistry(t *testing.T, quorum int) *proposalRegistry {
	t.Helper()
	r := &proposalRegistry{dir: t.TempDir(), quorum: quorum}
	r.start(t)
	ctx := context.Background()
	for n, role := range map[string]trustregistry.Role{"alice": trustregistry.RoleProposer, "bob": trustregistry.RoleApprover, "carol": trustregistry.RoleApprover} {
		if _, _, err := r.svc.CreateAccount(ctx, n, []trustregistry.Role{role}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(r.stop)
	return r
}

func (r *proposalRegistry) start(t *testing.T) {
	t.Helper()
	svc, err := newService(trustregistry.Config{DataDir: r.dir, KeySecret: secret, Quorum: r.quorum, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	r.svc = svc
}

func (r *proposalRegistry) stop() {
	if r.svc != nil {
		r.svc.Close()
		r.svc = nil
	}
}

func (r *proposalRegistry) restart(t *testing.T) {
	t.Helper()
	r.stop()
	r.start(t)
}

func (r *proposalRegistry) file() string { return r.dir + "/registry.db" }

func (r *proposalRegistry) account(t *testing.T, name string) trustregistry.Account {
	t.Helper()
	a, err := r.svc.Store().GetAccount(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (r *proposalRegistry) propose(t *testing.T, cs trustregistry.ChangeSet, ttl time.Duration) *trustregistry.Proposal {
	t.Helper()
	p, err := r.svc.Propose(context.Background(), r.account(t, "alice"), cs, "proposal under attack", ttl)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (r *proposalRegistry) approve(t *testing.T, who, id string) *trustregistry.Proposal {
	t.Helper()
	p, err := r.svc.Approve(context.Background(), r.account(t, who), id, "checked")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rawProposal returns the stored record of proposal id.
func rawProposal(t *testing.T, file, id string) []byte {
	t.Helper()
	var out []byte
	db, err := bolt.Open(file, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		out = append([]byte(nil), tx.Bucket(boltstore.BucketProposals).Get([]byte(id))...)
		return nil
	})
	if out == nil {
		t.Fatalf("no stored proposal %s", id)
	}
	return out
}

// putRawProposal stores b as proposal id (nil deletes it), as an attacker editing the file.
func putRawProposal(t *testing.T, file, id string, b []byte) {
	t.Helper()
	editDB(t, file, func(tx *bolt.Tx) error {
		if b == nil {
			return tx.Bucket(boltstore.BucketProposals).Delete([]byte(id))
		}
		return tx.Bucket(boltstore.BucketProposals).Put([]byte(id), b)
	})
}

// editProposal rewrites the stored proposal id with fn.
func editProposal(t *testing.T, file, id string, fn func(p *trustregistry.Proposal)) {
	t.Helper()
	var p trustregistry.Proposal
	if err := json.Unmarshal(rawProposal(t, file, id), &p); err != nil {
		t.Fatal(err)
	}
	fn(&p)
	b, _ := json.Marshal(&p)
	putRawProposal(t, file, id, b)
}

// assertProposalRefused checks that the registry refuses to serve naming proposal/id, that
// nothing can be approved, and that the offline check names the proposal too.
func assertProposalRefused(t *testing.T, r *proposalRegistry, id, why string) {
	t.Helper()
	err := r.svc.Ready()
	if err == nil || errs.CodeOf(err) != trustregistry.CodeStateIntegrity || !strings.Contains(err.Error(), "proposal/"+id) || !strings.Contains(err.Error(), why) {
		t.Fatalf("Ready() = %v; want state_integrity naming proposal/%s (%s)", err, id, why)
	}
	if _, err := r.svc.Approve(context.Background(), r.account(t, "carol"), id, ""); errs.CodeOf(err) != trustregistry.CodeStateIntegrity {
		t.Fatalf("approving on a refusing registry: %v", err)
	}
	r.stop()
	if rep := offlineReport(t, r.file(), nil); rep.OK || rep.Object != "proposal/"+id {
		t.Fatalf("offline audit verify: %+v", rep)
	}
	r.start(t)
}

// With quorum 3, an approval added to the file would spare the attacker one real person.
func TestAttackApprovalAddedToPendingProposalOffline(t *testing.T) {
	r := newProposalRegistry(t, 3)
	p := r.propose(t, demoseed.ChangeSet(demoDID, time.Now()), 0)
	if got := r.approve(t, "bob", p.ID); got.Status != trustregistry.ProposalPending {
		t.Fatalf("first approval applied with quorum 3: %s", got.Status)
	}
	r.stop()
	before := rawProposal(t, r.file(), p.ID)
	editProposal(t, r.file(), p.ID, func(p *trustregistry.Proposal) {
		p.Approvals = append(p.Approvals, trustregistry.Approval{Account: "dave", At: time.Now().UTC(), Comment: "fine"})
	})
	r.start(t)
	assertProposalRefused(t, r, p.ID, "differs from the one audit record")
	// Put back as the registry left it, the file serves again and the quorum still takes carol.
	r.stop()
	putRawProposal(t, r.file(), p.ID, before)
	r.start(t)
	if err := r.svc.Ready(); err != nil {
		t.Fatalf("restored file: %v", err)
	}
	if got := r.approve(t, "carol", p.ID); got.Status != trustregistry.ProposalApplied {
		t.Fatalf("carol's approval: %s", got.Status)
	}
}

// A change set swapped after an approval would be applied by the next genuine approval.
func TestAttackChangeSetSwappedAfterApprovalOffline(t *testing.T) {
	r := newProposalRegistry(t, 3)
	p := r.propose(t, demoseed.ChangeSet(demoDID, time.Now()), 0)
	r.approve(t, "bob", p.ID)
	r.stop()
	editProposal(t, r.file(), p.ID, func(p *trustregistry.Proposal) {
		p.ChangeSet = demoseed.ChangeSet(forgedDID, time.Now())
	})
	r.start(t)
	assertProposalRefused(t, r, p.ID, "differs from the one audit record")
}

// A rejected, or withdrawn, proposal's older (pending) record put back.
func TestAttackClosedProposalRestoredOffline(t *testing.T) {
	for _, by := range []string{"bob", "alice"} { // rejected by an approver; withdrawn by its proposer
		t.Run(by, func(t *testing.T) {
			r := newProposalRegistry(t, 2)
			p := r.propose(t, demoseed.ChangeSet(demoDID, time.Now()), 0)
			r.stop()
			pending := rawProposal(t, r.file(), p.ID)
			r.start(t)
			if _, err := r.svc.Reject(context.Background(), r.account(t, by), p.ID, "not now"); err != nil {
				t.Fatal(err)
			}
			r.stop()
			putRawProposal(t, r.file(), p.ID, pending)
			r.start(t)
			assertProposalRefused(t, r, p.ID, "differs from the one audit record")
		})
	}
}

// A proposal filed in the file, and a pending proposal deleted from it.
func TestAttackProposalFiledOrDeletedOffline(t *testing.T) {
	r := newProposalRegistry(t, 2)
	p := r.propose(t, demoseed.ChangeSet(demoDID, time.Now()), 0)
	r.stop()
	raw := rawProposal(t, r.file(), p.ID)
	forged := strings.Replace(string(raw), p.ID, "p-forged", 1)
	putRawProposal(t, r.file(), "p-forged", []byte(forged))
	r.start(t)
	assertProposalRefused(t, r, "p-forged", "filed by no audit record")
	r.stop()
	putRawProposal(t, r.file(), "p-forged", nil)
	putRawProposal(t, r.file(), p.ID, nil)
	r.start(t)
	assertProposalRefused(t, r, p.ID, "missing from the store")
}

// Every lifecycle step, then a restart: the registry serves and the chain verifies, offline
// with the registry key too.
func TestProposalLifecycleServesAfterRestart(t *testing.T) {
	r := newProposalRegistry(t, 3)
	ctx := context.Background()
	applied := r.propose(t, demoseed.ChangeSet(demoDID, time.Now()), 0)
	seed := func() trustregistry.ChangeSet { return demoseed.ChangeSet(demoDID, time.Now()) }
	rejected, withdrawn, pending := r.propose(t, seed(), 0), r.propose(t, seed(), 0), r.propose(t, seed(), 0)
	expiring := r.propose(t, seed(), time.Millisecond)
	r.approve(t, "bob", applied.ID)
	r.approve(t, "bob", pending.ID)
	if _, err := r.svc.Reject(ctx, r.account(t, "carol"), rejected.ID, "no"); err != nil {
		t.Fatal(err)
	}
	r.restart(t)
	if _, err := r.svc.Reject(ctx, r.account(t, "alice"), withdrawn.ID, "mine, withdrawn"); err != nil {
		t.Fatal(err)
	}
	r.approve(t, "carol", applied.ID)
	time.Sleep(2 * time.Millisecond)
	if err := r.svc.ExpireProposals(ctx); err != nil {
		t.Fatal(err)
	}
	r.restart(t)
	if err := r.svc.Ready(); err != nil {
		t.Fatalf("restart after the lifecycle: %v", err)
	}
	for id, want := range map[string]trustregistry.ProposalStatus{applied.ID: trustregistry.ProposalApplied, rejected.ID: trustregistry.ProposalRejected,
		withdrawn.ID: trustregistry.ProposalRejected, expiring.ID: trustregistry.ProposalExpired, pending.ID: trustregistry.ProposalPending} {
		if got, _ := r.svc.GetProposal(ctx, id); got == nil || got.Status != want {
			t.Fatalf("proposal %s: %+v, want %s", id, got, want)
		}
	}
	recs := auditLog(t, r.svc)
	if n := len(appliedRecords(recs)); n != 1 {
		t.Fatalf("%d change sets applied, want 1", n)
	}
	pub := registryPub(t, r.svc)
	r.stop()
	if rep := offlineReport(t, r.file(), pub); !rep.OK || rep.Records != len(recs) {
		t.Fatalf("offline audit verify: %+v", rep)
	}
}

// The registry key rotates between an approval and the next: the lifecycle records signed
// under both keys verify after a restart, and the pending proposal still proves itself.
func TestProposalLifecycleAcrossKeyRotation(t *testing.T) {
	r := newProposalRegistry(t, 3)
	ctx := context.Background()
	p := r.propose(t, demoseed.ChangeSet(demoDID, time.Now()), 0)
	q := r.propose(t, demoseed.ChangeSet(demoDID, time.Now()), 0)
	r.approve(t, "bob", p.ID)
	oldJWK, _ := r.svc.PublicKeyJWK()
	if err := r.svc.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	r.restart(t)
	if err := r.svc.Ready(); err != nil {
		t.Fatalf("restart after the rotation: %v", err)
	}
	if jwk, _ := r.svc.PublicKeyJWK(); string(jwk) == string(oldJWK) {
		t.Fatal("the key did not rotate")
	}
	r.approve(t, "bob", q.ID)
	if _, err := r.svc.Reject(ctx, r.account(t, "carol"), q.ID, "duplicate"); err != nil {
		t.Fatal(err)
	}
	r.restart(t)
	if got := r.approve(t, "carol", p.ID); got.Status != trustregistry.ProposalApplied {
		t.Fatalf("approval after the rotation: %s", got.Status)
	}
	pub := registryPub(t, r.svc)
	r.stop()
	if rep := offlineReport(t, r.file(), pub); !rep.OK {
		t.Fatalf("offline audit verify with the new key: %+v", rep)
	}
	// An approval added under the new key is refused like any other.
	r.start(t)
	p2 := r.propose(t, trustregistry.SuspendAuthority(demoseed.AuthorityID, "review", time.Now()), 0)
	r.stop()
	editProposal(t, r.file(), p2.ID, func(p *trustregistry.Proposal) {
		p.Approvals = append(p.Approvals, trustregistry.Approval{Account: "bob", At: time.Now().UTC()})
	})
	r.start(t)
	assertProposalRefused(t, r, p2.ID, "differs from the one audit record")
}

// A registry whose chain predates the proposal lifecycle records (older release) adopts the
// proposals it stores at its first start, in one audit record; from then on they are covered.
func TestLegacyProposalsAdoptedAtFirstStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, n := range []string{"root", "ruth"} {
		if err := forgeAccount(ctx, dir, n); err != nil { // bootstrap records as an older release wrote them
			t.Fatal(err)
		}
	}
	st, err := storeconfig.Open(ctx, storeconfig.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, id := range []string{"p-legacy", "p-legacy-closed"} {
		p := &trustregistry.Proposal{ID: id, ChangeSet: trustregistry.ChangeSet{Ops: []trustregistry.Op{trustregistry.SetPolicyOp(trustregistry.Policy{CoolingOff: "48h"})}},
			Reason: "filed by an older release", Proposer: "root", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour), Status: trustregistry.ProposalPending}
		if id == "p-legacy-closed" {
			p.Status = trustregistry.ProposalRejected
		}
		if err := st.Store.CreateProposal(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if rep, err := checkAudit(ctx, dir); err != nil || !rep.OK {
		t.Fatalf("offline check of the older chain: %+v %v", rep, err)
	}
	r := &proposalRegistry{dir: dir, quorum: 2}
	r.start(t)
	t.Cleanup(r.stop)
	if err := r.svc.Ready(); err != nil {
		t.Fatalf("first start: %v", err)
	}
	recs := auditLog(t, r.svc)
	if last := recs[len(recs)-1]; !last.Lifecycle() || len(last.Proposals) != 2 || last.Proposals[0].Op != trustregistry.OpAdoptProposal {
		t.Fatalf("adoption record: %+v", last)
	}
	r.restart(t)
	if err := r.svc.Ready(); err != nil || len(auditLog(t, r.svc)) != len(recs) {
		t.Fatalf("second start adopts again or refuses: %v", err)
	}
	// Adopted, the legacy proposal is covered like any other.
	r.stop()
	before := rawProposal(t, r.file(), "p-legacy")
	editProposal(t, r.file(), "p-legacy", func(p *trustregistry.Proposal) {
		p.ChangeSet = trustregistry.ChangeSet{Ops: []trustregistry.Op{trustregistry.SetPolicyOp(trustregistry.Policy{Quorum: 2, CoolingOff: "0s"})}}
	})
	r.start(t)
	if err := r.svc.Ready(); err == nil || !strings.Contains(err.Error(), "proposal/p-legacy") {
		t.Fatalf("swapped legacy change set: %v", err)
	}
	r.stop()
	putRawProposal(t, r.file(), "p-legacy", before)
	r.start(t)
	if got := r.approve(t, "ruth", "p-legacy"); got.Status != trustregistry.ProposalApplied {
		t.Fatalf("legacy proposal after adoption: %s", got.Status)
	}
	r.restart(t)
	if err := r.svc.Ready(); err != nil {
		t.Fatalf("restart after applying the legacy proposal: %v", err)
	}
}
