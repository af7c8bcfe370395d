package trustregistry_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/memstore"
	"github.com/idport/idport/trustregistry/replica"
)

const demoDID = "did:web:registrar.example.sg"

var secret = []byte("0123456789abcdef0123456789abcdef")

type env struct {
	svc                        *trustregistry.Service
	srv                        *httptest.Server
	alice, bob, carol, auditor *adminclient.Client
	dir                        string
	clock                      *atomic.Pointer[time.Time]
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func newEnv(t testing.TB, mut func(*trustregistry.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	clock := new(atomic.Pointer[time.Time])
	cfg := trustregistry.Config{DataDir: dir, KeySecret: secret, Logger: quietLogger(),
		Now: func() time.Time {
			if p := clock.Load(); p != nil {
				return *p
			}
			return time.Now()
		}}
	if mut != nil {
		mut(&cfg)
	}
	svc, err := newService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(svc))
	t.Cleanup(func() { srv.Close(); svc.Close() })
	e := &env{svc: svc, srv: srv, dir: dir, clock: clock}
	mk := func(name string, roles ...trustregistry.Role) *adminclient.Client {
		_, tok, err := svc.CreateAccount(context.Background(), name, roles)
		if err != nil {
			t.Fatal(err)
		}
		return adminclient.New(srv.URL, tok)
	}
	e.alice = mk("alice", trustregistry.RoleProposer)
	e.bob = mk("bob", trustregistry.RoleApprover)
	e.carol = mk("carol", trustregistry.RoleApprover, trustregistry.RoleProposer)
	e.auditor = mk("audrey", trustregistry.RoleAuditor, trustregistry.RoleAdmin)
	return e
}

func (e *env) replica(t *testing.T, cache string) *replica.Replica {
	t.Helper()
	jwk, err := e.svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	r, err := replica.New(replica.Config{URL: e.srv.URL, PinnedKey: jwk, CacheFile: cache, Logger: quietLogger(), PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitVersion(t *testing.T, r *replica.Replica, v uint64) {
	t.Helper()
	for i := 0; r.Status().Version < v; i++ {
		if i > 3000 {
			t.Fatalf("replica stuck at version %d, want %d (%+v)", r.Status().Version, v, r.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStoryOverHTTP(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cache := filepath.Join(t.TempDir(), "replica.json")
	r := e.replica(t, cache)
	go r.Run(ctx)

	if r.Decide(trustregistry.Query{Entity: demoDID}).Code != trustregistry.CodeRegistryStale {
		t.Log("replica may have synced the empty snapshot already")
	}
	v, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now().Add(-time.Hour))
	if err != nil || v != 2 { // version 1 records the proposal's filing
		t.Fatalf("seed: v%d %v", v, err)
	}
	waitVersion(t, r, 2)
	q := trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme}
	d := r.Decide(q)
	if !d.Recognised || d.ClaimMapping["uen"] != "registrationNumber" || d.LocalAssurance != "L3" {
		t.Fatalf("decision: %+v", d)
	}
	if err := r.Ready(); err != nil {
		t.Fatal(err)
	}

	// A regulator suspends the authority; measure approval -> visibility in the synced replica.
	p, err := e.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "licence under review", time.Now()), "licence under review", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.alice.Approve(ctx, p.ID, ""); !isCode(err, "forbidden") {
		t.Fatalf("proposer without approver role approving: %v", err)
	}
	start := time.Now()
	ap, err := e.bob.Approve(ctx, p.ID, "agreed")
	if err != nil || ap.Status != trustregistry.ProposalApplied || ap.AppliedVersion != 4 { // filed at 3
		t.Fatalf("approve: %+v %v", ap, err)
	}
	waitVersion(t, r, 4)
	t.Logf("propagation: approval answered -> replica at version 4 in %v", time.Since(start))
	if d := r.Decide(q); d.Code != trustregistry.CodeAuthoritySuspended {
		t.Fatalf("after suspension: %+v", d)
	}

	// History, audit and audit verify over the API.
	h, err := e.bob.History(ctx, trustregistry.KindAuthority, demoseed.AuthorityID)
	if err != nil || len(h) != 2 {
		t.Fatalf("history: %d %v", len(h), err)
	}
	if _, err := e.bob.Audit(ctx); !isCode(err, "forbidden") {
		t.Fatalf("audit by approver: %v", err)
	}
	recs, err := e.auditor.Audit(ctx)
	if err != nil || len(recs) != 4 || !recs[2].Lifecycle() || recs[3].Proposer != "alice" || recs[3].Approvers[0] != "bob" || recs[3].Reason != "licence under review" {
		t.Fatalf("audit: %+v %v", recs, err)
	}
	rep, err := e.auditor.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Records != 4 {
		t.Fatalf("verify: %+v %v", rep, err)
	}

	// The cache file lets a new replica (and an offline one) start from the last good snapshot.
	cancel()
	jwk, _ := e.svc.PublicKeyJWK()
	off, err := replica.FromSnapshotFile(cache, jwk)
	if err != nil {
		t.Fatal(err)
	}
	if d := off.Decide(q); d.Code != trustregistry.CodeAuthoritySuspended || d.RegistryVersion != 4 {
		t.Fatalf("offline: %+v", d)
	}
}

func isCode(err error, code string) bool {
	var p *adminclient.Problem
	return errors.As(err, &p) && p.Code == code
}

func TestMakerChecker(t *testing.T) {
	e := newEnv(t, func(c *trustregistry.Config) { c.Quorum = 3 })
	ctx := context.Background()
	p, err := e.carol.Propose(ctx, demoseed.ChangeSet(demoDID, time.Now()), "seed", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.carol.Approve(ctx, p.ID, ""); !isCode(err, "self_approval") {
		t.Fatalf("self approval: %v", err)
	}
	ap, err := e.bob.Approve(ctx, p.ID, "")
	if err != nil || ap.Status != trustregistry.ProposalPending {
		t.Fatalf("first approval with quorum 3: %+v %v", ap, err)
	}
	if _, err := e.bob.Approve(ctx, p.ID, ""); !isCode(err, "duplicate_approval") {
		t.Fatalf("second approval by bob: %v", err)
	}
	if n := appliedCount(t, e.svc); n != 0 {
		t.Fatalf("applied before quorum: %d change sets", n)
	}
	// A third distinct account completes the quorum.
	_, tok, _ := e.svc.CreateAccount(ctx, "dave", []trustregistry.Role{trustregistry.RoleApprover})
	ap, err = adminclient.New(e.srv.URL, tok).Approve(ctx, p.ID, "")
	if err != nil || ap.Status != trustregistry.ProposalApplied || appliedCount(t, e.svc) != 1 {
		t.Fatalf("quorum approval: %+v %v", ap, err)
	}
	if _, err := e.bob.Approve(ctx, p.ID, ""); !isCode(err, "proposal_closed") {
		t.Fatalf("approve applied: %v", err)
	}

	// Validation happens at proposal time with a precise path.
	_, err = e.alice.Propose(ctx, trustregistry.SuspendAuthority("nobody", "x", time.Now()), "x", "")
	var prob *adminclient.Problem
	if !errors.As(err, &prob) || prob.Code != "unknown_reference" || prob.Path != "ops[0].id" {
		t.Fatalf("bad proposal: %+v", err)
	}

	// Reject and withdraw.
	p2, _ := e.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "x", time.Now()), "x", "")
	if _, err := e.bob.Reject(ctx, p2.ID, ""); !isCode(err, "validation_failed") {
		t.Fatalf("reject without reason: %v", err)
	}
	if rp, err := e.bob.Reject(ctx, p2.ID, "not justified"); err != nil || rp.Status != trustregistry.ProposalRejected {
		t.Fatalf("reject: %+v %v", rp, err)
	}
	p3, _ := e.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "x", time.Now()), "x", "")
	if _, err := e.carol.Reject(ctx, p3.ID, "not mine"); err != nil { // carol is an approver too
		t.Fatalf("approver reject: %v", err)
	}
	p4, _ := e.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "x", time.Now()), "x", "")
	if rp, err := e.alice.Reject(ctx, p4.ID, "withdrawn"); err != nil || rp.Status != trustregistry.ProposalRejected {
		t.Fatalf("withdraw: %+v %v", rp, err)
	}

	// Expiry.
	p5, _ := e.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "x", time.Now()), "x", "")
	later := time.Now().Add(trustregistry.DefaultProposalTTL + time.Hour)
	e.clock.Store(&later)
	if err := e.svc.ExpireProposals(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.bob.GetProposal(ctx, p5.ID); got.Status != trustregistry.ProposalExpired {
		t.Fatalf("expired: %+v", got)
	}
	if _, err := e.bob.Approve(ctx, p5.ID, ""); !isCode(err, "proposal_closed") {
		t.Fatalf("approve expired: %v", err)
	}
	pend, err := e.bob.ListProposals(ctx, trustregistry.ProposalPending)
	if err != nil || len(pend) != 0 {
		t.Fatalf("pending: %d %v", len(pend), err)
	}
}

func TestConflictingProposalsApplyOnce(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now()); err != nil {
		t.Fatal(err)
	}
	revoke := trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpSetAuthorityStatus, ID: demoseed.AuthorityID, Status: trustregistry.StatusRevoked, Reason: "fraud"}}}
	p1, _ := e.alice.Propose(ctx, revoke, "fraud", "")
	p2, _ := e.alice.Propose(ctx, revoke, "fraud again", "")
	if _, err := e.bob.Approve(ctx, p1.ID, ""); err != nil {
		t.Fatal(err)
	}
	// The second read the authority before the first revoked it: it is stale, not applied.
	if _, err := e.bob.Approve(ctx, p2.ID, ""); !isCode(err, "proposal_stale") {
		t.Fatalf("second revoke: %v", err)
	}
}

func TestAsOfVersionAndBackdating(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	t0 := time.Now().Add(-72 * time.Hour).Truncate(time.Second)
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, t0); err != nil {
		t.Fatal(err)
	}
	leak := t0.Add(24 * time.Hour)
	if _, err := adminclient.ProposeAndApprove(ctx, e.alice, e.bob, trustregistry.SuspendAuthority(demoseed.AuthorityID, "key leaked", leak), "back-dated: key leaked"); err != nil {
		t.Fatal(err)
	}
	q := trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme, At: leak.Add(time.Hour)}
	now, _ := e.svc.Decide(ctx, q)
	q.AsOfVersion = 2 // version 1 records the seed's filing
	then, _ := e.svc.Decide(ctx, q)
	q.AsOfVersion = 9
	future, _ := e.svc.Decide(ctx, q)
	if now.Code != trustregistry.CodeAuthoritySuspended || !then.Recognised || then.RegistryVersion != 2 || future.Code != trustregistry.CodeVersionUnknown {
		t.Fatalf("now %+v\nthen %+v\nfuture %+v", now, then, future)
	}
	// "As known at" a recorded time: between the two applies the registry knew version 2 (the
	// odd versions record the filings).
	recs, _ := e.auditor.Audit(ctx)
	q.AsOfVersion = 0
	q.AsKnownAt = recs[1].AppliedAt.Add(time.Nanosecond)
	if d, _ := e.svc.Decide(ctx, q); !d.Recognised || d.RegistryVersion != 2 {
		t.Fatalf("as known after v2: %+v", d)
	}
	q.AsKnownAt = recs[3].AppliedAt
	if d, _ := e.svc.Decide(ctx, q); d.Code != trustregistry.CodeAuthoritySuspended || d.RegistryVersion != 4 {
		t.Fatalf("as known at v4: %+v", d)
	}
	q.AsKnownAt = recs[0].AppliedAt.Add(-time.Second)
	if d, _ := e.svc.Decide(ctx, q); d.Code != trustregistry.CodeVersionUnknown {
		t.Fatalf("as known before anything: %+v", d)
	}
	// The same over TRQP.
	body := map[string]any{"entity_id": demoDID, "authority_id": demoseed.LocalScheme, "resource": demoseed.Type,
		"context": map[string]any{"time": leak.Add(time.Hour), "as_known_at": recs[1].AppliedAt.Add(time.Nanosecond)}}
	var ans struct {
		Authorized bool                   `json:"authorized"`
		Grounds    trustregistry.Decision `json:"grounds"`
	}
	if err := postJSON(ctx, e.srv.URL+"/authorization", body, &ans); err != nil || !ans.Authorized || ans.Grounds.RegistryVersion != 2 {
		t.Fatalf("TRQP as_known_at: %+v %v", ans, err)
	}
}

func TestKeyRotationFollowedByReplica(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	r := e.replica(t, "")
	if _, err := r.Sync(ctx, 0); err != nil {
		t.Fatal(err)
	}
	oldKid := r.Status().KeyID
	// Over the API the key rotates by a proposal of one admin approved by another.
	_, rootTok, _ := e.svc.CreateAccount(ctx, "root", []trustregistry.Role{trustregistry.RoleAdmin})
	p, err := e.auditor.ProposeGovernance(ctx, "yearly key rotation", trustregistry.RotateRegistryKeyOp())
	if err != nil {
		t.Fatal(err)
	}
	if ap, err := adminclient.New(e.srv.URL, rootTok).Approve(ctx, p.ID, ""); err != nil || ap.Status != trustregistry.ProposalApplied {
		t.Fatalf("rotate over the API: %+v %v", ap, err)
	}
	if jwk, _ := e.svc.PublicKeyJWK(); !strings.Contains(string(jwk), `"OKP"`) {
		t.Fatalf("new key: %s", jwk)
	}
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The replica missed the rotation announcement: it fetches the rotations and follows them.
	if ok, err := r.Sync(ctx, 0); err != nil || !ok {
		t.Fatalf("sync after rotation: %v %v", ok, err)
	}
	if st := r.Status(); st.KeyID == oldKid || st.Version != 4 { // the rotation is filed at 1, applied at 2; the seed at 3 and 4
		t.Fatalf("status: %+v", st)
	}
	// A replica pinned to an unrelated key refuses everything.
	other := newEnv(t, nil)
	otherJWK, _ := other.svc.PublicKeyJWK()
	bad, _ := replica.New(replica.Config{URL: e.srv.URL, PinnedKey: otherJWK, Logger: quietLogger()})
	if _, err := bad.Sync(ctx, 0); !errors.Is(err, trustregistry.ErrSnapshot) {
		t.Fatalf("wrong pin: %v", err)
	}
	if bad.Ready() == nil || bad.Decide(trustregistry.Query{Entity: demoDID}).Code != trustregistry.CodeRegistryStale {
		t.Fatal("unsynced replica must fail closed")
	}
}

func TestRestartKeepsKeyStateAndAudit(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now()); err != nil {
		t.Fatal(err)
	}
	jwk, _ := e.svc.PublicKeyJWK()
	e.srv.Close()
	e.svc.Close()
	if _, err := newService(trustregistry.Config{DataDir: e.dir, KeySecret: []byte("another secret of at least 32 bytes!!"), Logger: quietLogger()}); err == nil {
		t.Fatal("opened the sealed key with the wrong secret")
	}
	svc, err := newService(trustregistry.Config{DataDir: e.dir, KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	jwk2, _ := svc.PublicKeyJWK()
	if string(jwk) != string(jwk2) || svc.Index().Version() != 2 { // the seed is filed at 1, applied at 2
		t.Fatalf("restart changed key or version")
	}
	svc.Close()
	rep, err := checkAudit(ctx, e.dir)
	if err != nil || !rep.OK || rep.Records != 2 { // the seed's filing and its application
		t.Fatalf("offline verify: %+v %v", rep, err)
	}
	// The registry has signed its audit log: a bootstrap needs the registry key now.
	if _, err := bootstrap(ctx, e.dir, "eve", []trustregistry.Role{trustregistry.RoleAuditor}); !errors.Is(err, trustregistry.ErrBootstrapNeedsKey) {
		t.Fatalf("unsigned bootstrap after the registry signed: %v", err)
	}
	tok, err := bootstrapSigned(ctx, e.dir, "eve", []trustregistry.Role{trustregistry.RoleAuditor})
	if _, ok := trustregistry.TokenID(tok); err != nil || !ok {
		t.Fatalf("bootstrap: %q %v", tok, err)
	}
	// The offline bootstrap is in the audit chain.
	if rep, err := checkAudit(ctx, e.dir); err != nil || !rep.OK || rep.Records != 3 {
		t.Fatalf("audit after bootstrap: %+v %v", rep, err)
	}
	if _, err := bootstrapSigned(ctx, e.dir, "eve", []trustregistry.Role{trustregistry.RoleAuditor}); !errors.Is(err, trustregistry.ErrExists) {
		t.Fatalf("bootstrap twice: %v", err)
	}
	// The signed bootstrap is covered by the registry's checkpoint: it starts and serves.
	svc, err = newService(trustregistry.Config{DataDir: e.dir, KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if err := svc.Ready(); err != nil {
		t.Fatalf("restart after a signed bootstrap: %v", err)
	}
}

func TestDevModeAndConfigErrors(t *testing.T) {
	if _, err := newService(trustregistry.Config{DataDir: t.TempDir(), Logger: quietLogger()}); err == nil {
		t.Fatal("started without a key secret outside dev")
	}
	if _, err := newService(trustregistry.Config{DataDir: t.TempDir(), KeySecret: secret, Quorum: 1, Logger: quietLogger()}); err == nil {
		t.Fatal("accepted quorum 1")
	}
	dir := t.TempDir()
	svc, err := newService(trustregistry.Config{DataDir: dir, Dev: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	if fi, err := os.Stat(filepath.Join(dir, trustregistry.DevSecretFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev secret: %v %v", fi, err)
	}
	svc, err = newService(trustregistry.Config{DataDir: dir, Dev: true, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("dev restart: %v", err)
	}
	svc.Close()
}

func TestStaleReplicaFailsClosed(t *testing.T) {
	e := newEnv(t, func(c *trustregistry.Config) { c.SnapshotInterval = time.Minute })
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	jwk, _ := e.svc.PublicKeyJWK()
	clock := new(atomic.Pointer[time.Time])
	now := time.Now()
	clock.Store(&now)
	r, _ := replica.New(replica.Config{URL: e.srv.URL, PinnedKey: jwk, Grace: time.Minute, Logger: quietLogger(), Now: func() time.Time { return *clock.Load() }})
	if _, err := r.Sync(ctx, 0); err != nil {
		t.Fatal(err)
	}
	q := trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme}
	if !r.Decide(q).Recognised || r.Ready() != nil {
		t.Fatal("fresh replica not ready")
	}
	later := now.Add(3 * time.Minute) // past next-update (1m) + grace (1m)
	clock.Store(&later)
	if d := r.Decide(q); d.Code != trustregistry.CodeRegistryStale || r.Ready() == nil || !r.Status().Stale {
		t.Fatalf("stale replica: %+v", d)
	}
	// The registry re-issues snapshots on its own before next-update (Run loop).
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	seq := r.Status().Sequence
	go e.svc.Run(runCtx)
	svcLater := time.Now().Add(45 * time.Second)
	e.clock.Store(&svcLater)
	for i := 0; ; i++ {
		if rec, _ := e.svc.Snapshot(); rec.Sequence > seq {
			break
		}
		if i > 2000 {
			t.Fatal("no re-issued snapshot")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestInMemoryStore(t *testing.T) {
	ctx := context.Background()
	svc, err := newService(trustregistry.Config{Store: memstore.New(), KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	alice, _, _ := svc.CreateAccount(ctx, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	bob, _, _ := svc.CreateAccount(ctx, "bob", []trustregistry.Role{trustregistry.RoleApprover})
	p, err := svc.Propose(ctx, alice, demoseed.ChangeSet(demoDID, time.Now().Add(-time.Minute)), "seed", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, bob, p.ID, ""); err != nil {
		t.Fatal(err)
	}
	d, _ := svc.Decide(ctx, trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme})
	if !d.Recognised {
		t.Fatalf("%+v", d)
	}
}
