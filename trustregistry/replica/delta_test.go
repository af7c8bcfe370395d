package replica_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
	"github.com/idport/idport/trustregistry/replica"
)

// registry is a running registry service over HTTP with a proposer and an approver.
type registry struct {
	svc        *trustregistry.Service
	srv        *httptest.Server
	alice, bob trustregistry.Account
}

func newRegistry(t *testing.T, maxDeltaBytes ...int) *registry {
	t.Helper()
	cfg := trustregistry.Config{Store: memstore.New(), Dev: true, Logger: quiet}
	if len(maxDeltaBytes) > 0 {
		cfg.MaxDeltaBytes = maxDeltaBytes[0]
	}
	svc, err := trustregistry.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}, slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { srv.Close(); svc.Close() })
	ctx := context.Background()
	alice, _, _ := svc.CreateAccount(ctx, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	bob, _, _ := svc.CreateAccount(ctx, "bob", []trustregistry.Role{trustregistry.RoleApprover})
	g := &registry{svc: svc, srv: srv, alice: alice, bob: bob}
	g.apply(t, demoseed.ChangeSet(demoDID, time.Now().Add(-time.Hour)))
	return g
}

func (g *registry) apply(t *testing.T, cs trustregistry.ChangeSet) uint64 {
	t.Helper()
	ctx := context.Background()
	p, err := g.svc.Propose(ctx, g.alice, cs, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err = g.svc.Approve(ctx, g.bob, p.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	return p.AppliedVersion
}

func (g *registry) suspend(t *testing.T, on bool) uint64 {
	cs := trustregistry.SuspendAuthority(demoseed.AuthorityID, "test", time.Now())
	if !on {
		cs = trustregistry.ReinstateAuthority(demoseed.AuthorityID, "test", time.Now())
	}
	return g.apply(t, cs)
}

func (g *registry) pin(t *testing.T) []byte {
	b, err := g.svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func waitVersion(t *testing.T, r *replica.Replica, v uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.Status().Version < v {
		if time.Now().After(deadline) {
			t.Fatalf("replica at version %d, want %d", r.Status().Version, v)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func recognised(r *replica.Replica) bool {
	return r.Decide(trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme}).Recognised
}

func run(t *testing.T, r *replica.Replica) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(stop)
	return stop
}

// A replica takes one snapshot and then follows several changes by deltas only; a restart
// resumes from the cache (snapshot plus delta log) and continues with deltas.
func TestReplicaFollowsDeltasAndRestarts(t *testing.T) {
	g := newRegistry(t)
	cache := filepath.Join(t.TempDir(), "cache.json")
	r, err := replica.New(replica.Config{URL: g.srv.URL, PinnedKey: g.pin(t), CacheFile: cache, Logger: quiet, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, r)
	waitVersion(t, r, g.svc.Index().Version())
	seq := r.Status().Sequence
	for i := 0; i < 4; i++ {
		v := g.suspend(t, i%2 == 0)
		waitVersion(t, r, v)
		if recognised(r) != (i%2 == 1) {
			t.Fatalf("after change %d: recognised %v", i, recognised(r))
		}
	}
	if st := r.Status(); st.Sequence != seq {
		t.Fatalf("replica fetched snapshot %d, want deltas only from snapshot %d", st.Sequence, seq)
	}
	stop()
	// Restart: the cache's snapshot plus its delta log, then deltas from the registry.
	r2, err := replica.New(replica.Config{URL: g.srv.URL, PinnedKey: g.pin(t), CacheFile: cache, Logger: quiet, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r2.Status().Version, g.svc.Index().Version(); got != want || r2.Status().Sequence != seq {
		t.Fatalf("restart resumed at version %d (sequence %d), want %d from the cache", got, r2.Status().Sequence, want)
	}
	stop = run(t, r2)
	defer stop()
	v := g.suspend(t, true)
	waitVersion(t, r2, v)
	if recognised(r2) || r2.Status().Sequence != seq {
		t.Fatalf("after restart: %+v", r2.Status())
	}
}

// A restart from the snapshot alone (no delta log) continues with the deltas the registry
// kept.
func TestReplicaRestartFromSnapshotContinuesWithDeltas(t *testing.T) {
	g := newRegistry(t)
	cache := filepath.Join(t.TempDir(), "cache.json")
	r, _ := replica.New(replica.Config{URL: g.srv.URL, PinnedKey: g.pin(t), CacheFile: cache, Logger: quiet})
	if _, err := r.Sync(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	base := r.Status()
	g.suspend(t, true)
	v := g.suspend(t, false)
	r2, _ := replica.New(replica.Config{URL: g.srv.URL, PinnedKey: g.pin(t), CacheFile: cache, Logger: quiet})
	if r2.Status().Version != base.Version {
		t.Fatalf("restart at %d, want the cached %d", r2.Status().Version, base.Version)
	}
	if moved, err := r2.SyncDeltas(context.Background(), 0); !moved || err != nil {
		t.Fatalf("deltas after restart: %v %v", moved, err)
	}
	if st := r2.Status(); st.Version != v || st.Sequence != base.Sequence || !recognised(r2) {
		t.Fatalf("after deltas: %+v", st)
	}
}

// A missed version is refused as a gap; a registry that no longer keeps the deltas from the
// replica's version answers 410 and the replica fetches the full snapshot.
func TestReplicaGapFetchesSnapshot(t *testing.T) {
	g := newRegistry(t, 1) // keeps the latest delta only
	r, _ := replica.New(replica.Config{URL: g.srv.URL, PinnedKey: g.pin(t), Logger: quiet, PollInterval: 20 * time.Millisecond})
	if _, err := r.Sync(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	have, seq := r.Status().Version, r.Status().Sequence
	g.suspend(t, true)
	v := g.suspend(t, false)
	ds, err := g.svc.Deltas(v-1, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("latest delta: %d %v", len(ds), err)
	}
	if err := r.AcceptDelta(ds[0]); !errors.Is(err, replica.ErrGap) {
		t.Fatalf("delta after a missed version: %v", err)
	}
	if r.Status().Version != have {
		t.Fatal("a gap moved the replica")
	}
	if _, err := g.svc.Deltas(have, 10); !errors.Is(err, trustregistry.ErrDeltaUnavailable) {
		t.Fatalf("deltas from a version no longer kept: %v", err)
	}
	if _, err := r.SyncDeltas(context.Background(), 0); !errors.Is(err, replica.ErrGap) {
		t.Fatalf("SyncDeltas over a gap: %v", err)
	}
	run(t, r)
	waitVersion(t, r, v)
	if st := r.Status(); st.Sequence <= seq || !recognised(r) {
		t.Fatalf("after the gap: %+v, want a newer snapshot than %d", st, seq)
	}
}

// Refused deltas: another key, a resulting digest other than the checkpoint's, a replay. Each
// leaves the last good state.
func TestReplicaRefusesBadDeltas(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA)
	s := demo(t)
	r, _ := replica.New(replica.Config{PinnedKey: pin(t, k), Logger: quiet})
	if _, err := r.Accept(snapshot(t, k, 1, s, nil), nil); err != nil {
		t.Fatal(err)
	}
	base, _ := trustregistry.StateDigest(s)
	mk := func(signer *keys.Key, cs trustregistry.ChangeSet, from *trustregistry.State, fromDigest string, lie bool) ([]byte, *trustregistry.State, string) {
		next, changes, err := trustregistry.Apply(from, cs, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ck, err := trustregistry.NewCheckpoint("t", next, trustregistry.GenesisHash, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sum := ck.StateDigest
		if lie {
			ck.StateDigest = base // a checkpoint that does not sign the delta's result
		}
		ckJWS, _ := trustregistry.SignCheckpoint(signer, ck)
		d := trustregistry.NewDelta("t", from.Version, fromDigest, next, changes, ck, ckJWS, time.Now(), time.Hour)
		b, err := trustregistry.SignDelta(signer, d)
		if err != nil {
			t.Fatal(err)
		}
		return b, next, sum
	}
	suspend := trustregistry.SuspendAuthority(demoseed.AuthorityID, "t", time.Now().Add(-time.Minute))
	other, _ := keys.Generate(keys.EdDSA)
	bad, _, _ := mk(other, suspend, s, base, false)
	if err := r.AcceptDelta(bad); !errors.Is(err, replica.ErrUnknownKey) {
		t.Fatalf("delta signed by another key: %v", err)
	}
	lying, _, _ := mk(k, suspend, s, base, true)
	if err := r.AcceptDelta(lying); !errors.Is(err, replica.ErrDigest) {
		t.Fatalf("delta whose result is not its checkpoint's: %v", err)
	}
	if st := r.Status(); st.Version != s.Version || !recognised(r) {
		t.Fatalf("refused deltas moved the replica: %+v", st)
	}
	good, next, sum := mk(k, suspend, s, base, false)
	if err := r.AcceptDelta(good); err != nil {
		t.Fatal(err)
	}
	if recognised(r) || r.Status().Version != next.Version {
		t.Fatalf("good delta not applied: %+v", r.Status())
	}
	if err := r.AcceptDelta(good); !errors.Is(err, replica.ErrOlder) {
		t.Fatalf("replayed delta: %v", err)
	}
	reinstate := trustregistry.ReinstateAuthority(demoseed.AuthorityID, "t", time.Now())
	wrongBase, _, _ := mk(k, reinstate, next, base, false)
	if err := r.AcceptDelta(wrongBase); !errors.Is(err, replica.ErrDigest) {
		t.Fatalf("delta from another base digest: %v", err)
	}
	ok, _, _ := mk(k, reinstate, next, sum, false)
	if err := r.AcceptDelta(ok); err != nil || !recognised(r) {
		t.Fatalf("second delta: %v", err)
	}
	if err := r.AcceptDelta(good); !errors.Is(err, replica.ErrOlder) {
		t.Fatalf("replayed older delta: %v", err)
	}
	if !recognised(r) {
		t.Fatal("replay changed the state")
	}
}
