package trustregistry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/replica"
)

// fetchCounter serves the registry handler in h (swapped on a restart) and counts the
// snapshot and delta requests a replica makes.
type fetchCounter struct {
	h                 atomic.Pointer[http.Handler]
	snapshots, deltas atomic.Int64
}

func (f *fetchCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/snapshot":
		f.snapshots.Add(1)
	case "/v1/snapshot/deltas":
		f.deltas.Add(1)
	}
	(*f.h.Load()).ServeHTTP(w, r)
}

func (f *fetchCounter) serve(svc *trustregistry.Service) {
	h := handler(svc)
	f.h.Store(&h)
}

// TestReplicaFollowsBoltRegistryByDeltas: a replica following a bbolt-backed registry (the
// default store, snapshots signed before the approval returns) takes each ordinary change as a
// delta, also across a restart of the registry (whose state digest is then recomputed from
// what the store gives back): it fetches the full snapshot once, to start.
func TestReplicaFollowsBoltRegistryByDeltas(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := trustregistry.Config{DataDir: dir, KeySecret: secret, Logger: quietLogger()}
	svc, err := newService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { svc.Close() }()
	alice, _, _ := svc.CreateAccount(ctx, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	bob, _, _ := svc.CreateAccount(ctx, "bob", []trustregistry.Role{trustregistry.RoleApprover})
	apply := func(cs trustregistry.ChangeSet) uint64 {
		t.Helper()
		p, err := svc.Propose(ctx, alice, cs, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		if p, err = svc.Approve(ctx, bob, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		return p.AppliedVersion
	}
	for _, cs := range trustregistry.SyntheticChangeSets(200, 5, time.Now().Add(-time.Hour)) {
		apply(cs)
	}
	var fc fetchCounter
	fc.serve(svc)
	srv := httptest.NewServer(&fc)
	defer srv.Close()
	defer cancel() // before srv.Close: ends the replica's long-poll
	jwk, err := svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	r, err := replica.New(replica.Config{URL: srv.URL, PinnedKey: jwk, Logger: quietLogger(), PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go r.Run(ctx)
	waitVersion(t, r, svc.Index().Version())
	if n := fc.snapshots.Load(); n != 1 {
		t.Fatalf("initial sync fetched %d snapshots, want 1", n)
	}
	changes := func(n int) {
		t.Helper()
		for i := range n {
			cs := trustregistry.SuspendAuthority("authority-42", "test", time.Now())
			if i%2 == 1 {
				cs = trustregistry.ReinstateAuthority("authority-42", "test", time.Now())
			}
			waitVersion(t, r, apply(cs))
		}
	}
	changes(6)
	if n := fc.snapshots.Load(); n != 1 {
		t.Fatalf("the replica fetched %d snapshots for 6 ordinary changes (%d delta requests), want only the first: it fell back from deltas (%+v)", n, fc.deltas.Load(), r.Status())
	}

	// Restart the registry on the same registry.db: the replica holds its head version, and
	// the next deltas chain from the digest of the state read back from bbolt.
	svc.Close()
	if svc, err = newService(cfg); err != nil {
		t.Fatal(err)
	}
	fc.serve(svc)
	srv.CloseClientConnections() // as the old process's exit would: ends the long-poll it held
	alice, _ = svc.Store().GetAccount(ctx, "alice")
	bob, _ = svc.Store().GetAccount(ctx, "bob")
	changes(4)
	if n := fc.snapshots.Load(); n != 1 {
		t.Fatalf("after a registry restart the replica fetched %d snapshots for 4 ordinary changes, want none: it fell back from deltas (%+v)", n-1, r.Status())
	}
	q := trustregistry.Query{Entity: "did:web:authority-42.example", CredentialType: "BusinessRegistration", LocalScheme: "scheme-0"}
	if d := r.Decide(q); !d.Recognised {
		t.Fatalf("reinstated authority: %+v", d)
	}
}
