package trustregistry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/replica"
	bolt "go.etcd.io/bbolt"
)

// liveRegistry is a registry service on the bbolt file of dir, behind a front server whose
// URL survives restarts of the registry.
type liveRegistry struct {
	dir        string
	svc        *trustregistry.Service
	front      *httptest.Server
	handler    atomic.Pointer[http.Handler]
	alice, bob *adminclient.Client
}

func newLiveRegistry(t *testing.T) *liveRegistry {
	t.Helper()
	l := &liveRegistry{dir: t.TempDir()}
	l.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := l.handler.Load()
		if h == nil {
			http.Error(w, "registry down", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	}))
	t.Cleanup(func() { l.stop(); l.front.Close() })
	l.start(t)
	return l
}

// start opens the registry on the file (alice and bob are created at the first start; their
// tokens are kept for later starts).
func (l *liveRegistry) start(t *testing.T) {
	t.Helper()
	svc, err := newService(trustregistry.Config{DataDir: l.dir, KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	l.svc = svc
	h := handler(svc)
	l.handler.Store(&h)
	ctx := context.Background()
	tok := func(name string, role trustregistry.Role, c *adminclient.Client) *adminclient.Client {
		if c != nil {
			return c
		}
		_, tk, err := svc.CreateAccount(ctx, name, []trustregistry.Role{role})
		if err != nil {
			t.Fatal(err)
		}
		return adminclient.New(l.front.URL, tk)
	}
	if svc.Ready() == nil {
		l.alice, l.bob = tok("alice", trustregistry.RoleProposer, l.alice), tok("bob", trustregistry.RoleApprover, l.bob)
	}
}

func (l *liveRegistry) stop() {
	l.handler.Store(nil)
	if l.svc != nil {
		l.svc.Close()
		l.svc = nil
	}
}

func (l *liveRegistry) file() string { return filepath.Join(l.dir, "registry.db") }

func (l *liveRegistry) authority(t *testing.T) trustregistry.Authority {
	t.Helper()
	a, ok := l.svc.Index().State().Authorities[demoseed.AuthorityID]
	if !ok {
		t.Fatal("no demo authority")
	}
	c := *a
	c.DIDs, c.Statuses = slices.Clone(a.DIDs), nil
	return c
}

func upsert(a trustregistry.Authority) trustregistry.ChangeSet {
	return trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertAuthority, Authority: &a}}}
}

// An approver approves an old proposal after a newer one on the same authority: the old one
// must not silently put the old assurance back.
func TestAttackOldProposalRevertsNewerAssurance(t *testing.T) {
	l := newLiveRegistry(t)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, l.alice, l.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	a := l.authority(t)
	a.LegalName = "Demo Singapore Business Registrar (renamed)" // A: a rename, assurance still high
	pA, err := l.alice.Propose(ctx, upsert(a), "rename", "")
	if err != nil {
		t.Fatal(err)
	}
	b := l.authority(t)
	b.Assurance = "substantial" // B: downgrade
	pB, err := l.alice.Propose(ctx, upsert(b), "downgrade after review", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.bob.Approve(ctx, pB.ID, "downgrade confirmed"); err != nil {
		t.Fatal(err)
	}
	_, err = l.bob.Approve(ctx, pA.ID, "")
	if !isCode(err, "proposal_stale") {
		t.Fatalf("approving the older proposal: %v (want 409 proposal_stale)", err)
	}
	var p *adminclient.Problem
	if errorsAs(err, &p) && p.Status != http.StatusConflict {
		t.Fatalf("status %d", p.Status)
	}
	if got := l.svc.Index().State().Authorities[demoseed.AuthorityID].Assurance; got != "substantial" {
		t.Fatalf("assurance %q after the stale approval: the newer change was lost", got)
	}
	if d, _ := l.bob.GetProposal(ctx, pA.ID); d.Status != trustregistry.ProposalStale {
		t.Fatalf("older proposal is %s, want stale", d.Status)
	}
	// The proposer rebases: proposing again against the current registry applies.
	a.Assurance = "substantial"
	if _, err := adminclient.ProposeAndApprove(ctx, l.alice, l.bob, upsert(a), "rename, rebased"); err != nil {
		t.Fatal(err)
	}
}

// Approvers race to approve conflicting proposals on one authority: exactly one applies.
func TestAttackRacingApprovalsOfConflictingProposals(t *testing.T) {
	l := newLiveRegistry(t)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, l.alice, l.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 8 {
		a := l.authority(t)
		a.LegalName = fmt.Sprintf("Registrar %d", i)
		p, err := l.alice.Propose(ctx, upsert(a), "rename", "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	var applied, stale atomic.Int32
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			_, err := l.bob.Approve(ctx, id, "")
			switch {
			case err == nil:
				applied.Add(1)
			case isCode(err, "proposal_stale"):
				stale.Add(1)
			default:
				t.Errorf("approve %s: %v", id, err)
			}
		})
	}
	wg.Wait()
	if applied.Load() != 1 || stale.Load() != 7 {
		t.Fatalf("applied %d, stale %d; want exactly one applied", applied.Load(), stale.Load())
	}
}

func errorsAs(err error, p **adminclient.Problem) bool {
	for ; err != nil; err = unwrap(err) {
		if x, ok := err.(*adminclient.Problem); ok {
			*p = x
			return true
		}
	}
	return false
}

func unwrap(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok {
		return u.Unwrap()
	}
	return nil
}

const forgedDID = "did:web:forger.example"

// addDID returns the JSON of an authority with forgedDID added (other objects unchanged).
func addDID(t *testing.T, raw []byte) []byte {
	t.Helper()
	if raw == nil {
		return nil
	}
	var a trustregistry.Authority
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	a.DIDs = append(a.DIDs, forgedDID)
	b, err := json.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editDB edits the registry file behind the registry's back (it must be stopped).
func editDB(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

var authorityKey = []byte("authority\x00" + demoseed.AuthorityID)

// seedAndSync seeds the registry, suspends and reinstates the demo authority, and returns a
// replica synced to it.
func seedAndSync(t *testing.T, l *liveRegistry) *replica.Replica {
	t.Helper()
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, l.alice, l.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := adminclient.ProposeAndApprove(ctx, l.alice, l.bob, trustregistry.SuspendAuthority(demoseed.AuthorityID, "check", time.Now()), "check"); err != nil {
		t.Fatal(err)
	}
	if _, err := adminclient.ProposeAndApprove(ctx, l.alice, l.bob, trustregistry.ReinstateAuthority(demoseed.AuthorityID, "ok", time.Now()), "ok"); err != nil {
		t.Fatal(err)
	}
	jwk, _ := l.svc.PublicKeyJWK()
	r, err := replica.New(replica.Config{URL: l.front.URL, PinnedKey: jwk, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx, 0); err != nil || r.Status().Version != l.svc.Index().Version() {
		t.Fatalf("sync: %v %+v", err, r.Status())
	}
	return r
}

// assertRefuses checks that the restarted registry serves nothing built on the tampered file:
// not ready (naming where), no snapshot, no new snapshot signed, and the verifier's replica
// never sees the forged DID.
func assertRefuses(t *testing.T, l *liveRegistry, r *replica.Replica, seqBefore uint64, where string) {
	t.Helper()
	ctx := context.Background()
	err := l.svc.Ready()
	if err == nil || !strings.Contains(err.Error(), where) {
		t.Fatalf("Ready() = %v; want a refusal naming %q", err, where)
	}
	t.Logf("registry refuses: %v", err)
	resp, err := http.Get(l.front.URL + "/readyz")
	if err != nil || resp.StatusCode == http.StatusOK {
		t.Fatalf("readyz: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	resp, err = http.Get(l.front.URL + "/v1/snapshot")
	if err != nil || resp.StatusCode == http.StatusOK {
		t.Fatalf("snapshot served: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if rec, err := l.svc.Store().LatestSnapshot(ctx); err != nil || rec.Sequence != seqBefore {
		t.Fatalf("a snapshot was signed over the tampered state: %d (was %d), %v", rec.Sequence, seqBefore, err)
	}
	_, _ = r.Sync(ctx, 0)
	if d := r.Decide(trustregistry.Query{Entity: forgedDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme}); d.Recognised {
		t.Fatal("the verifier recognises the forged DID")
	}
}

// An attacker with write access to registry.db adds a DID to an authority while the registry is
// stopped, hoping the registry signs it into its next snapshot.
func TestAttackDIDAddedToRegistryFileOffline(t *testing.T) {
	l := newLiveRegistry(t)
	r := seedAndSync(t, l)
	seq := r.Status().Sequence
	l.stop()
	editDB(t, l.file(), func(tx *bolt.Tx) error {
		b := tx.Bucket(boltstore.BucketObjects)
		return b.Put(authorityKey, addDID(t, b.Get(authorityKey)))
	})
	l.start(t)
	assertRefuses(t, l, r, seq, "authority/"+demoseed.AuthorityID)
	// idport admin audit verify --data (offline, no key) names the object too.
	l.stop()
	rep := offlineReport(t, l.file(), nil)
	if rep.OK || rep.Object != "authority/"+demoseed.AuthorityID {
		t.Fatalf("offline audit verify: %+v", rep)
	}
}

// The same attacker also rewrites the audit records to match, re-hashing the whole chain and
// recomputing the state digest: only the registry's signature is out of reach.
func TestAttackAuditRecordsRewrittenAndRehashed(t *testing.T) {
	l := newLiveRegistry(t)
	r := seedAndSync(t, l)
	seq := r.Status().Sequence
	jwk, _ := l.svc.PublicKeyJWK()
	head := int(l.svc.Index().Version())
	l.stop()
	editDB(t, l.file(), func(tx *bolt.Tx) error {
		objs := tx.Bucket(boltstore.BucketObjects)
		if err := objs.Put(authorityKey, addDID(t, objs.Get(authorityKey))); err != nil {
			return err
		}
		revs := tx.Bucket(boltstore.BucketRevisions)
		c := revs.Cursor()
		prefix := append(slices.Clone(authorityKey), 0)
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			var rv trustregistry.Revision
			json.Unmarshal(v, &rv)
			rv.Object = addDID(t, rv.Object)
			b, _ := json.Marshal(rv)
			if err := revs.Put(slices.Clone(k), b); err != nil {
				return err
			}
		}
		st := trustregistry.NewState()
		objs.ForEach(func(k, v []byte) error {
			kind, id, _ := strings.Cut(string(k), "\x00")
			return st.SetObject(trustregistry.Kind(kind), id, v)
		})
		digest, err := trustregistry.StateDigest(st)
		if err != nil {
			return err
		}
		audit := tx.Bucket(boltstore.BucketAudit)
		var prev *trustregistry.AuditRecord
		n := audit.Stats().KeyN
		for i := 1; i <= n; i++ {
			var rec trustregistry.AuditRecord
			if err := json.Unmarshal(audit.Get(boltkv.Uint64Key(uint64(i))), &rec); err != nil {
				return err
			}
			for j, ch := range rec.Diff {
				if ch.Kind == trustregistry.KindAuthority && ch.ID == demoseed.AuthorityID {
					rec.Diff[j].Before, rec.Diff[j].After = addDID(t, ch.Before), addDID(t, ch.After)
				}
			}
			if i == n {
				rec.StateDigest = digest
			}
			if err := trustregistry.Chain(prev, &rec); err != nil {
				return err
			}
			if err := boltkv.PutJSON(tx, boltstore.BucketAudit, boltkv.Uint64Key(uint64(i)), rec); err != nil {
				return err
			}
			prev = &rec
		}
		return nil
	})
	// Without the registry key the rewrite is consistent: that is why the checkpoint is signed.
	if rep := offlineReport(t, l.file(), nil); !rep.OK {
		t.Fatalf("unkeyed check: %+v", rep)
	}
	l.start(t)
	assertRefuses(t, l, r, seq, fmt.Sprintf("audit record %d", head))
	l.stop()
	pub, _, _ := keysParse(jwk)
	if rep := offlineReport(t, l.file(), pub); rep.OK || rep.BrokenAt != head {
		t.Fatalf("audit verify --registry-key: %+v", rep)
	}
}

func offlineReport(t *testing.T, path string, pub any) trustregistry.AuditReport {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := trustregistry.CheckIntegrity(context.Background(), st, pub)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("offline report: %+v", rep)
	return rep
}

// The registry process dies between storing a new key and announcing it (kill -9 of a real
// process). Verifiers must keep syncing once it is back.
func TestAttackKillDuringKeyRotation(t *testing.T) {
	l := newLiveRegistry(t)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, l.alice, l.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	jwk, _ := l.svc.PublicKeyJWK()
	r, err := replica.New(replica.Config{URL: l.front.URL, PinnedKey: jwk, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx, 0); err != nil {
		t.Fatal(err)
	}
	k1 := r.Status().KeyID
	l.stop()

	killDuringRotation(t, l.dir)

	l.start(t)
	if err := l.svc.Ready(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx, 0); err != nil {
		t.Fatalf("verifier stranded after the interrupted rotation: %v", err)
	}
	ap, err := adminclient.ProposeAndApprove(ctx, l.alice, l.bob, trustregistry.SuspendAuthority(demoseed.AuthorityID, "check", time.Now()), "after rotation")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx, 0); err != nil || r.Status().Version != ap.AppliedVersion {
		t.Fatalf("verifier does not follow the registry: %v %+v", err, r.Status())
	}
	if r.Status().KeyID == k1 {
		t.Fatal("the rotation was not finished")
	}
}

// TestRotationChildProcess is the registry process TestAttackKillDuringKeyRotation kills.
func TestRotationChildProcess(t *testing.T) {
	dir := os.Getenv("IDPORT_ROTATION_CHILD_DIR")
	if dir == "" {
		t.Skip("run by TestAttackKillDuringKeyRotation")
	}
	svc, err := newService(trustregistry.Config{DataDir: dir, KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	trustregistry.SetRotationHook(func() {
		fmt.Println("ROTATION-KEY-STORED")
		select {} // killed here
	})
	svc.RotateKey(context.Background())
}

// A proposer hides an added DID in a full authority upsert with a harmless rename: the
// approver must see the DID, and the approval comment must reach the audit log.
func TestAttackAddedDIDHiddenInFullObject(t *testing.T) {
	l := newLiveRegistry(t)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, l.alice, l.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	a := l.authority(t)
	a.LegalName += " Pte"
	a.DIDs = append(a.DIDs, forgedDID)
	p, err := l.alice.Propose(ctx, upsert(a), "typo in the legal name", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := l.bob.GetProposal(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := slices.ContainsFunc(d.Changes, func(c trustregistry.FieldChange) bool {
		return c.Kind == trustregistry.KindAuthority && c.Path == "dids" && c.Change == trustregistry.FieldAdded && string(c.After) == `"`+forgedDID+`"`
	})
	renamed := slices.ContainsFunc(d.Changes, func(c trustregistry.FieldChange) bool {
		return c.Path == "legal_name" && c.Change == trustregistry.FieldChanged && c.Before != nil
	})
	if !found || !renamed || len(d.Changes) != 2 {
		t.Fatalf("diff shown to the approver: %+v", d.Changes)
	}
	if _, err := l.bob.Approve(ctx, p.ID, "DID checked against the ACRA register"); err != nil {
		t.Fatal(err)
	}
	all, err := l.svc.Store().Audit(ctx, 0, 0)
	recs := slices.DeleteFunc(all, func(r trustregistry.AuditRecord) bool { return r.ProposalID != p.ID })
	if err != nil || len(recs) != 1 || len(recs[0].Approvals) != 1 || recs[0].Approvals[0].Comment != "DID checked against the ACRA register" {
		t.Fatalf("audit record: %+v %v", recs, err)
	}
	if d, _ := l.bob.GetProposal(ctx, p.ID); !slices.ContainsFunc(d.Changes, func(c trustregistry.FieldChange) bool { return c.Path == "dids" }) {
		t.Fatalf("applied proposal diff: %+v", d.Changes)
	}
	// A rejection keeps its reason with the proposal.
	p2, _ := l.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "x", time.Now()), "x", "")
	if _, err := l.bob.Reject(ctx, p2.ID, "no evidence attached"); err != nil {
		t.Fatal(err)
	}
	if d, _ := l.bob.GetProposal(ctx, p2.ID); d.DecisionReason != "no evidence attached" || d.DecidedBy != "bob" {
		t.Fatalf("rejected: %+v", d.Proposal)
	}
}

func keysParse(jwk []byte) (any, keys.Alg, error) { return keys.ParsePublicJWK(jwk) }
