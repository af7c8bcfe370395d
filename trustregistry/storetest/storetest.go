// Package storetest is the conformance suite every trustregistry.Store backend must pass:
//
//	storetest.Run(t, func(t *testing.T) trustregistry.Store { return openMyStore(t) })
//
// Each subtest gets a fresh, empty store from newStore and closes it at the end.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const demoDID = "did:web:registrar.example.sg"

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) trustregistry.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s trustregistry.Store)
	}{
		{"Empty", testEmpty},
		{"ApplyAndLoad", testApplyAndLoad},
		{"VersionConflict", testVersionConflict},
		{"HistoryAndStateAt", testHistoryAndStateAt},
		{"AuditChain", testAuditChain},
		{"Proposals", testProposals},
		{"ApplyWithStaleProposalIsAtomic", testApplyStaleProposal},
		{"ApplyFilesAndClosesProposals", testApplyFilesProposals},
		{"Accounts", testAccounts},
		{"ApplyWithAccountsIsAtomic", testApplyAccounts},
		{"Idempotency", testIdempotency},
		{"Snapshots", testSnapshots},
		{"Secrets", testSecrets},
		{"ConcurrentApply", testConcurrentApply},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

// commit computes and applies a change set on the store's current state.
func commit(t *testing.T, s trustregistry.Store, cs trustregistry.ChangeSet, at time.Time) (*trustregistry.State, trustregistry.AuditRecord) {
	t.Helper()
	ctx := context.Background()
	cur, err := s.LoadState(ctx)
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	next, changes, err := trustregistry.Apply(cur, cs, at)
	if err != nil {
		t.Fatalf("Apply (core): %v", err)
	}
	rec, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: cur.Version, RecordedAt: at, Changes: changes,
		Audit: trustregistry.AuditRecord{ProposalID: fmt.Sprintf("p%d", next.Version), Proposer: "alice", Approvers: []string{"bob"}, AppliedAt: at, Reason: "test"}})
	if err != nil {
		t.Fatalf("Store.Apply: %v", err)
	}
	return next, rec
}

func testEmpty(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	if v, err := s.Version(ctx); err != nil || v != 0 {
		t.Fatalf("Version = %d, %v", v, err)
	}
	st, err := s.LoadState(ctx)
	if err != nil || st.Version != 0 || len(st.Authorities) != 0 {
		t.Fatalf("LoadState = %+v, %v", st, err)
	}
	if _, err := s.LatestSnapshot(ctx); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("LatestSnapshot: %v", err)
	}
	if _, err := s.GetProposal(ctx, "x"); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("GetProposal: %v", err)
	}
	if _, err := s.History(ctx, trustregistry.KindAuthority, "x"); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("History: %v", err)
	}
	if _, err := s.StateAt(ctx, 1); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("StateAt past head: %v", err)
	}
	if recs, err := s.Audit(ctx, 0, 0); err != nil || len(recs) != 0 {
		t.Fatalf("Audit = %v, %v", recs, err)
	}
}

func equalJSON(t *testing.T, what string, a, b any) {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("%s differs:\n got %s\nwant %s", what, ja, jb)
	}
}

func testApplyAndLoad(t *testing.T, s trustregistry.Store) {
	want, rec := commit(t, s, demoseed.ChangeSet(demoDID, t0), t0)
	if rec.Seq != 1 || rec.Version != 1 || rec.PrevHash != trustregistry.GenesisHash || rec.Hash == "" || len(rec.Diff) != 7 {
		t.Fatalf("audit record = %+v", rec)
	}
	got, err := s.LoadState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 {
		t.Fatalf("version %d", got.Version)
	}
	equalJSON(t, "authorities", got.Authorities, want.Authorities)
	equalJSON(t, "recognitions", got.Recognitions, want.Recognitions)
	equalJSON(t, "schemes", got.Schemes, want.Schemes)
	d := trustregistry.NewIndex(got).Decide(trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme, At: t0.Add(time.Hour)})
	if !d.Recognised {
		t.Fatalf("decision on loaded state: %+v", d)
	}
}

func testVersionConflict(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	commit(t, s, demoseed.ChangeSet(demoDID, t0), t0)
	_, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 0, RecordedAt: t0,
		Changes: []trustregistry.Change{{Kind: trustregistry.KindJurisdiction, ID: "HK", After: json.RawMessage(`{"code":"HK","name":"Hong Kong"}`)}}})
	if !errors.Is(err, trustregistry.ErrVersionConflict) {
		t.Fatalf("stale base: %v", err)
	}
	st, _ := s.LoadState(ctx)
	if st.Version != 1 || st.Jurisdictions["HK"] != nil {
		t.Fatalf("a refused commit left traces: v%d %v", st.Version, st.Jurisdictions["HK"])
	}
	if recs, _ := s.Audit(ctx, 0, 0); len(recs) != 1 {
		t.Fatalf("audit has %d records", len(recs))
	}
}

func testHistoryAndStateAt(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	v1, _ := commit(t, s, demoseed.ChangeSet(demoDID, t0), t0)
	leak := t0.Add(24 * time.Hour)
	commit(t, s, trustregistry.SuspendAuthority(demoseed.AuthorityID, "key leaked", leak), leak.Add(48*time.Hour))
	commit(t, s, trustregistry.ReinstateAuthority(demoseed.AuthorityID, "rotated", leak.Add(72*time.Hour)), leak.Add(72*time.Hour))
	h, err := s.History(ctx, trustregistry.KindAuthority, demoseed.AuthorityID)
	if err != nil || len(h) != 3 || h[0].Version != 1 || h[2].Version != 3 || !h[1].RecordedAt.Equal(leak.Add(48*time.Hour)) {
		t.Fatalf("history = %+v, %v", h, err)
	}
	if h2, err := s.History(ctx, trustregistry.KindJurisdiction, "SG"); err != nil || len(h2) != 1 {
		t.Fatalf("SG history = %+v, %v", h2, err)
	}
	old, err := s.StateAt(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	equalJSON(t, "state at v1", old.Authorities, v1.Authorities)
	q := trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme, At: leak.Add(time.Hour)}
	if d := trustregistry.NewIndex(old).Decide(q); !d.Recognised || d.RegistryVersion != 1 {
		t.Fatalf("as known at v1: %+v", d)
	}
	at2, err := s.StateAt(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := trustregistry.NewIndex(at2).Decide(q); d.Code != trustregistry.CodeAuthoritySuspended || d.RegistryVersion != 2 {
		t.Fatalf("as known at v2: %+v", d)
	}
}

func testAuditChain(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	commit(t, s, demoseed.ChangeSet(demoDID, t0), t0)
	for i := 0; i < 4; i++ {
		at := t0.Add(time.Duration(i+1) * time.Hour)
		cs := trustregistry.SuspendAuthority(demoseed.AuthorityID, "review", at)
		if i%2 == 1 {
			cs = trustregistry.ReinstateAuthority(demoseed.AuthorityID, "ok", at)
		}
		commit(t, s, cs, at)
	}
	recs, err := s.Audit(ctx, 0, 0)
	if err != nil || len(recs) != 5 {
		t.Fatalf("audit = %d records, %v", len(recs), err)
	}
	v, _ := s.Version(ctx)
	if err := trustregistry.VerifyAudit(recs, v); err != nil {
		t.Fatal(err)
	}
	page, err := s.Audit(ctx, 2, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
		t.Fatalf("audit page = %+v, %v", page, err)
	}
}

func newProposal(id string) *trustregistry.Proposal {
	return &trustregistry.Proposal{ID: id, ChangeSet: demoseed.ChangeSet(demoDID, t0), Reason: "seed", Proposer: "alice",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Status: trustregistry.ProposalPending}
}

func testProposals(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	for _, id := range []string{"p3", "p1", "p2"} {
		if err := s.CreateProposal(ctx, newProposal(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateProposal(ctx, newProposal("p1")); !errors.Is(err, trustregistry.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	p, err := s.GetProposal(ctx, "p1")
	if err != nil || p.Rev != 1 || len(p.ChangeSet.Ops) != 7 {
		t.Fatalf("get = %+v, %v", p, err)
	}
	stale := *p
	p.Approvals = append(p.Approvals, trustregistry.Approval{Account: "bob", At: t0})
	if err := s.UpdateProposal(ctx, p); err != nil || p.Rev != 2 {
		t.Fatalf("update: %v rev %d", err, p.Rev)
	}
	if err := s.UpdateProposal(ctx, &stale); !errors.Is(err, trustregistry.ErrVersionConflict) || stale.Rev != 1 {
		t.Fatalf("stale update: %v rev %d", err, stale.Rev)
	}
	p.Status = trustregistry.ProposalRejected
	if err := s.UpdateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListProposals(ctx, trustregistry.ProposalFilter{})
	if err != nil || len(all) != 3 || all[0].ID != "p1" || all[2].ID != "p3" {
		t.Fatalf("list = %v, %v", all, err)
	}
	pending, _ := s.ListProposals(ctx, trustregistry.ProposalFilter{Status: trustregistry.ProposalPending})
	if len(pending) != 2 {
		t.Fatalf("pending = %d", len(pending))
	}
	page, _ := s.ListProposals(ctx, trustregistry.ProposalFilter{After: "p1", Limit: 1})
	if len(page) != 1 || page[0].ID != "p2" {
		t.Fatalf("page = %v", page)
	}
	if err := s.UpdateProposal(ctx, newProposal("nope")); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
}

func testApplyStaleProposal(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	p := newProposal("p1")
	if err := s.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.LoadState(ctx)
	_, changes, err := trustregistry.Apply(cur, p.ChangeSet, t0)
	if err != nil {
		t.Fatal(err)
	}
	stale := *p
	stale.Rev = 7
	stale.Status = trustregistry.ProposalApplied
	if _, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 0, RecordedAt: t0, Changes: changes, Proposal: &stale}); !errors.Is(err, trustregistry.ErrVersionConflict) {
		t.Fatalf("apply with stale proposal: %v", err)
	}
	if v, _ := s.Version(ctx); v != 0 {
		t.Fatalf("version moved to %d", v)
	}
	p.Status, p.AppliedVersion = trustregistry.ProposalApplied, 1
	if _, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 0, RecordedAt: t0, Changes: changes, Proposal: p}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetProposal(ctx, "p1")
	if got.Status != trustregistry.ProposalApplied || got.Rev != 2 || got.AppliedVersion != 1 {
		t.Fatalf("proposal after apply = %+v", got)
	}
}

// testApplyFilesProposals: a commit creates a proposal given with Rev 0 (ErrExists when present,
// and nothing of the commit is written), and stores the proposals it closes.
func testApplyFilesProposals(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	rec := trustregistry.AuditRecord{Proposer: "alice", AppliedAt: t0, Reason: "filed"}
	p := newProposal("p1")
	if _, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 0, RecordedAt: t0, Audit: rec, Proposal: p}); err != nil || p.Rev != 1 {
		t.Fatalf("filing commit: rev %d %v", p.Rev, err)
	}
	if got, err := s.GetProposal(ctx, "p1"); err != nil || got.Rev != 1 || got.Status != trustregistry.ProposalPending {
		t.Fatalf("filed proposal: %+v %v", got, err)
	}
	if _, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 1, RecordedAt: t0, Audit: rec, Proposal: newProposal("p1")}); !errors.Is(err, trustregistry.ErrExists) {
		t.Fatalf("filing an existing proposal: %v", err)
	}
	if v, _ := s.Version(ctx); v != 1 {
		t.Fatalf("a refused commit moved the version to %d", v)
	}
	q := newProposal("p2")
	if _, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 1, RecordedAt: t0, Audit: rec, Proposal: q}); err != nil {
		t.Fatal(err)
	}
	p.Status, q.Status = trustregistry.ProposalApplied, trustregistry.ProposalWithdrawn
	if _, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 2, RecordedAt: t0, Audit: rec, Proposal: p, Closed: []*trustregistry.Proposal{q}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetProposal(ctx, "p2"); got.Status != trustregistry.ProposalWithdrawn || got.Rev != 2 || q.Rev != 2 {
		t.Fatalf("closed proposal: %+v (rev %d)", got, q.Rev)
	}
}

func testAccounts(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	a := trustregistry.Account{Name: "alice", Roles: []trustregistry.Role{trustregistry.RoleProposer}, TokenHash: "h1", CreatedAt: t0}
	if err := s.PutAccount(ctx, a, true); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAccount(ctx, a, true); !errors.Is(err, trustregistry.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.PutAccount(ctx, trustregistry.Account{Name: "mallory", TokenHash: "h1"}, true); !errors.Is(err, trustregistry.ErrExists) {
		t.Fatalf("reused token hash: %v", err)
	}
	if got, err := s.AccountByTokenHash(ctx, "h1"); err != nil || got.Name != "alice" {
		t.Fatalf("by token = %+v, %v", got, err)
	}
	a.TokenHash = "h2"
	if err := s.PutAccount(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountByTokenHash(ctx, "h1"); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("old token still works: %v", err)
	}
	if got, err := s.GetAccount(ctx, "alice"); err != nil || got.TokenHash != "h2" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if err := s.PutAccount(ctx, trustregistry.Account{Name: "zed"}, false); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	if _, err := s.GetAccount(ctx, "zed"); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	s.PutAccount(ctx, trustregistry.Account{Name: "bob", Roles: []trustregistry.Role{trustregistry.RoleApprover}, TokenHash: "h3"}, true)
	all, err := s.ListAccounts(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "alice" || all[1].Name != "bob" {
		t.Fatalf("list = %+v, %v", all, err)
	}
}

func testIdempotency(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	r := trustregistry.IdempotencyRecord{Key: "alice:k1", Account: "alice", RequestHash: "abc", Status: 201, Body: []byte(`{"id":"p1"}`), CreatedAt: t0}
	if err := s.PutIdempotency(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIdempotency(ctx, r); !errors.Is(err, trustregistry.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	got, err := s.GetIdempotency(ctx, "alice:k1")
	if err != nil || got.Status != 201 || string(got.Body) != `{"id":"p1"}` {
		t.Fatalf("get = %+v, %v", got, err)
	}
	// Reserve, then finish once.
	res := trustregistry.IdempotencyRecord{Key: "alice:k3", Account: "alice", RequestHash: "def", CreatedAt: t0.Add(3 * time.Hour)}
	if err := s.PutIdempotency(ctx, res); err != nil {
		t.Fatal(err)
	}
	res.Status, res.Body = 200, []byte(`{}`)
	if err := s.FinishIdempotency(ctx, res); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishIdempotency(ctx, res); !errors.Is(err, trustregistry.ErrVersionConflict) {
		t.Fatalf("finish twice: %v", err)
	}
	if err := s.FinishIdempotency(ctx, trustregistry.IdempotencyRecord{Key: "nope"}); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("finish missing: %v", err)
	}
	if got, _ := s.GetIdempotency(ctx, "alice:k3"); got.Status != 200 {
		t.Fatalf("finished = %+v", got)
	}
	if err := s.DeleteIdempotency(ctx, "alice:k3"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetIdempotency(ctx, "alice:k3"); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	newer := r
	newer.Key, newer.CreatedAt = "alice:k2", t0.Add(2*time.Hour)
	s.PutIdempotency(ctx, newer)
	if err := s.PurgeIdempotency(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetIdempotency(ctx, "alice:k1"); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("purged key: %v", err)
	}
	if _, err := s.GetIdempotency(ctx, "alice:k2"); err != nil {
		t.Fatalf("newer key: %v", err)
	}
}

func testSnapshots(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	for _, r := range []trustregistry.SnapshotRecord{{Sequence: 1, Version: 1, JWS: []byte("a")}, {Sequence: 2, Version: 1, JWS: []byte("b"), Rotation: true}, {Sequence: 3, Version: 2, JWS: []byte("c")}} {
		if err := s.PutSnapshot(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutSnapshot(ctx, trustregistry.SnapshotRecord{Sequence: 3, JWS: []byte("x")}); !errors.Is(err, trustregistry.ErrVersionConflict) {
		t.Fatalf("repeated sequence: %v", err)
	}
	got, err := s.LatestSnapshot(ctx)
	if err != nil || got.Sequence != 3 || string(got.JWS) != "c" {
		t.Fatalf("latest = %+v, %v", got, err)
	}
	rot, err := s.Rotations(ctx)
	if err != nil || len(rot) != 1 || rot[0].Sequence != 2 {
		t.Fatalf("rotations = %+v, %v", rot, err)
	}
}

func testSecrets(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	if _, err := s.GetSecret(ctx, "k"); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := s.PutSecret(ctx, "k", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if b, err := s.GetSecret(ctx, "k"); err != nil || len(b) != 3 {
		t.Fatalf("get = %v, %v", b, err)
	}
}

func testConcurrentApply(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	commit(t, s, demoseed.ChangeSet(demoDID, t0), t0)
	cur, _ := s.LoadState(ctx)
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			at := t0.Add(time.Duration(i+1) * time.Minute)
			_, changes, err := trustregistry.Apply(cur, trustregistry.SuspendAuthority(demoseed.AuthorityID, fmt.Sprintf("race %d", i), at), at)
			if err != nil {
				t.Error(err)
				return
			}
			_, err = s.Apply(ctx, trustregistry.Commit{BaseVersion: cur.Version, RecordedAt: at, Changes: changes})
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, trustregistry.ErrVersionConflict):
				t.Errorf("apply %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent commits on one base won, want 1", wins)
	}
	recs, _ := s.Audit(ctx, 0, 0)
	if err := trustregistry.VerifyAudit(recs, 2); err != nil {
		t.Fatal(err)
	}
}

// testApplyAccounts: a commit writes its accounts (governance) with the audit record, moving
// the version even without object changes; a failing account write fails the whole commit.
func testApplyAccounts(t *testing.T, s trustregistry.Store) {
	ctx := context.Background()
	dora := trustregistry.Account{Name: "dora", Roles: []trustregistry.Role{trustregistry.RoleAdmin}, TokenHash: "hd", CreatedAt: t0}
	gov := []trustregistry.GovernanceChange{{Op: trustregistry.OpCreateAccount, Subject: "dora"}}
	rec, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 0, RecordedAt: t0, Accounts: []trustregistry.AccountWrite{{Account: dora, Create: true}},
		Audit: trustregistry.AuditRecord{Proposer: "bootstrap", AppliedAt: t0, Reason: "first admin", Governance: gov}})
	if err != nil || rec.Version != 1 || len(rec.Governance) != 1 {
		t.Fatalf("apply with account: %+v %v", rec, err)
	}
	if got, err := s.AccountByTokenHash(ctx, "hd"); err != nil || got.Name != "dora" {
		t.Fatalf("account of the commit: %+v %v", got, err)
	}
	// Creating dora again fails the commit: no version, no audit record, no other account.
	eve := trustregistry.Account{Name: "eve", Roles: []trustregistry.Role{trustregistry.RoleAdmin}, TokenHash: "he", CreatedAt: t0}
	_, err = s.Apply(ctx, trustregistry.Commit{BaseVersion: 1, RecordedAt: t0, Accounts: []trustregistry.AccountWrite{{Account: eve, Create: true}, {Account: dora, Create: true}},
		Audit: trustregistry.AuditRecord{Proposer: "x", AppliedAt: t0, Reason: "dup", Governance: gov}})
	if !errors.Is(err, trustregistry.ErrExists) {
		t.Fatalf("duplicate account in a commit: %v", err)
	}
	if v, _ := s.Version(ctx); v != 1 {
		t.Fatalf("failed commit moved the version to %d", v)
	}
	if _, err := s.GetAccount(ctx, "eve"); !errors.Is(err, trustregistry.ErrNotFound) {
		t.Fatalf("failed commit wrote an account: %v", err)
	}
	if n, _, err := trustregistry.VerifyStoreAudit(ctx, s); err != nil || n != 1 {
		t.Fatalf("audit after failed commit: %d %v", n, err)
	}
}
