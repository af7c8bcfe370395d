package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/etcdtest"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/etcdstore"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/storeconfig"
	"github.com/idport/idport/trustregistry/storetest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// endpoint is the client URL of the one embedded etcd server of this test binary.
var endpoint string

// TestMain starts one real embedded etcd server on free loopback ports in a temporary
// directory, shared by every test (each test works under its own key prefix).
func TestMain(m *testing.M) {
	os.Exit(runWithEtcd(m))
}

func runWithEtcd(m *testing.M) int {
	srv, err := etcdtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcdstore test: start embedded etcd:", err)
		return 1
	}
	defer srv.Close()
	endpoint = strings.TrimPrefix(srv.Endpoint, "http://")
	return m.Run()
}

func newClient(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

var prefixes atomic.Int64

// openStore opens a store under a prefix no other test uses, so it starts empty.
func openStore(t testing.TB, cli *clientv3.Client) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.Open(context.Background(), etcdstore.Config{Client: cli, Prefix: fmt.Sprintf("/idport-test/%d", prefixes.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	cli := newClient(t)
	storetest.Run(t, func(t *testing.T) trustregistry.Store { return openStore(t, cli) })
}

// TestConformanceUnderLock runs the suite with every write fenced by the write lock.
func TestConformanceUnderLock(t *testing.T) {
	cli := newClient(t)
	storetest.Run(t, func(t *testing.T) trustregistry.Store {
		s := openStore(t, cli)
		l, err := s.Lock(context.Background(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Unlock(context.Background()) })
		return s
	})
}

func TestOpenErrors(t *testing.T) {
	cli := newClient(t)
	for _, tc := range []struct {
		name   string
		cli    *clientv3.Client
		prefix string
	}{{"nil client", nil, "/x/"}, {"empty prefix", cli, ""}, {"NUL in prefix", cli, "/x\x00/"}} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := etcdstore.Open(context.Background(), etcdstore.Config{Client: tc.cli, Prefix: tc.prefix}); !errors.Is(err, etcdstore.ErrBadPrefix) {
				t.Fatalf("Open: %v, want ErrBadPrefix", err)
			}
		})
	}
	s, err := etcdstore.Open(context.Background(), etcdstore.Config{Client: cli, Prefix: "/idport-test/noslash"})
	if err != nil || s.Prefix() != "/idport-test/noslash/" {
		t.Fatalf("Open: %v prefix %q", err, s.Prefix())
	}
}

// TestOpenFromConfig opens the store the way the registry command does: from endpoints (the
// store owns its client) through storeconfig, which takes the prefix's write lock.
func TestOpenFromConfig(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("/idport-test/%d", prefixes.Add(1))
	st, err := storeconfig.Open(ctx, storeconfig.Config{Kind: storeconfig.KindEtcd, LeaseTTL: 2 * time.Second,
		Etcd:   etcdstore.Config{Endpoints: []string{endpoint}, Prefix: prefix},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Lost == nil {
		t.Fatal("an etcd store opened through storeconfig must hold the write lock")
	}
	if _, err := trustregistry.Bootstrap(ctx, st.Store, "alice", []trustregistry.Role{trustregistry.RoleProposer}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := storeconfig.Open(ctx, storeconfig.Config{Kind: storeconfig.KindEtcd}); err == nil {
		t.Fatal("etcd without endpoints must be refused")
	}
}

// TestTwoClientsRaceOnOneHead applies two change sets on the same base through two separate
// clients (two registry processes): etcd's compare-and-swap lets exactly one win.
func TestTwoClientsRaceOnOneHead(t *testing.T) {
	ctx := context.Background()
	a := openStore(t, newClient(t))
	b, err := etcdstore.Open(ctx, etcdstore.Config{Client: newClient(t), Prefix: a.Prefix()})
	if err != nil {
		t.Fatal(err)
	}
	cs := demoseed.ChangeSet("did:web:registrar.example.sg", time.Now())
	cur, err := a.LoadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, changes, err := trustregistry.Apply(cur, cs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for _, s := range []*etcdstore.Store{a, b} {
		go func() {
			_, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: 0, RecordedAt: time.Now(), Changes: changes,
				Audit: trustregistry.AuditRecord{Proposer: "alice", Approvers: []string{"bob"}, AppliedAt: time.Now(), Reason: "race"}})
			errs <- err
		}()
	}
	var won, lost int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			won++
		case errors.Is(err, trustregistry.ErrVersionConflict):
			lost++
		default:
			t.Fatalf("Apply: %v", err)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("won %d lost %d, want 1 and 1", won, lost)
	}
	if n, _, err := trustregistry.VerifyStoreAudit(ctx, b); err != nil || n != 1 {
		t.Fatalf("audit: %d records, %v", n, err)
	}
}

// TestServiceOnEtcd runs the registry service end to end on the etcd store: accounts, a seed
// through maker-checker over the admin HTTP API, a suspension, decisions, history and an audit
// verify; then a second registry process on the same prefix sees the same state and audit.
func TestServiceOnEtcd(t *testing.T) {
	ctx := context.Background()
	const demoDID = "did:web:registrar.example.sg"
	secret := []byte("0123456789abcdef0123456789abcdef")
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st := openStore(t, newClient(t))
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, KeySecret: secret, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}, logger))
	t.Cleanup(func() { srv.Close(); svc.Close() })
	admin := func(name string, roles ...trustregistry.Role) *adminclient.Client {
		_, tok, err := svc.CreateAccount(ctx, name, roles)
		if err != nil {
			t.Fatal(err)
		}
		return adminclient.New(srv.URL, tok)
	}
	alice, bob, audrey := admin("alice", trustregistry.RoleProposer), admin("bob", trustregistry.RoleApprover), admin("audrey", trustregistry.RoleAuditor)

	v, err := demoseed.Seed(ctx, alice, bob, demoDID, time.Now().Add(-time.Hour))
	if err != nil || v != 2 { // version 1 records the filing
		t.Fatalf("seed: v%d %v", v, err)
	}
	q := trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme}
	if d, err := svc.Decide(ctx, q); err != nil || !d.Recognised || d.ClaimMapping["uen"] != "registrationNumber" {
		t.Fatalf("decision after seed: %+v %v", d, err)
	}
	p, err := alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "licence under review", time.Now()), "licence under review", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Approve(ctx, p.ID, ""); err == nil {
		t.Fatal("the proposer approved its own proposal")
	}
	if ap, err := bob.Approve(ctx, p.ID, "agreed"); err != nil || ap.Status != trustregistry.ProposalApplied || ap.AppliedVersion != 4 { // filed at 3
		t.Fatalf("approve: %+v %v", ap, err)
	}
	if d, err := svc.Decide(ctx, q); err != nil || d.Code != trustregistry.CodeAuthoritySuspended {
		t.Fatalf("decision after suspension: %+v %v", d, err)
	}
	if h, err := bob.History(ctx, trustregistry.KindAuthority, demoseed.AuthorityID); err != nil || len(h) != 2 {
		t.Fatalf("history: %d %v", len(h), err)
	}
	rep, err := audrey.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Records != 4 || rep.Version != 4 {
		t.Fatalf("audit verify: %+v %v", rep, err)
	}

	// A second registry process (its own client) on the same prefix: same state, key and audit.
	st2, err := etcdstore.Open(ctx, etcdstore.Config{Client: newClient(t), Prefix: st.Prefix()})
	if err != nil {
		t.Fatal(err)
	}
	svc2, err := trustregistry.NewService(trustregistry.Config{Store: st2, KeySecret: secret, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	if d, err := svc2.Decide(ctx, q); err != nil || d.Code != trustregistry.CodeAuthoritySuspended || d.RegistryVersion != 4 {
		t.Fatalf("second process decision: %+v %v", d, err)
	}
	k1, _ := svc.PublicKeyJWK()
	k2, _ := svc2.PublicKeyJWK()
	if string(k1) != string(k2) {
		t.Fatal("second process signs with another registry key")
	}
	if n, last, err := trustregistry.VerifyStoreAudit(ctx, st2); err != nil || n != 4 || last != rep.LastHash {
		t.Fatalf("second process audit: %d %q %v (want %q)", n, last, err, rep.LastHash)
	}
}

// TestLockFencesWrites: two registry processes on one prefix; the second waits while the first
// holds the write lock; once the first's lease is gone the second takes over and every write of
// the deposed first is refused with ErrNotLeader (fencing), so the audit chain has one writer.
func TestLockFencesWrites(t *testing.T) {
	ctx := context.Background()
	cliA := newClient(t)
	a := openStore(t, cliA)
	b, err := etcdstore.Open(ctx, etcdstore.Config{Client: newClient(t), Prefix: a.Prefix()})
	if err != nil {
		t.Fatal(err)
	}
	la, err := a.Lock(ctx, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PutSecret(ctx, "k", []byte("by a")); err != nil {
		t.Fatalf("write under the lock: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = b.Lock(short, 2*time.Second)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("standby took a held lock: %v", err)
	}

	// The holder's lease ends (as when it hangs past its TTL): revoke it.
	leases, err := cliA.Leases(ctx)
	if err != nil || len(leases.Leases) == 0 {
		t.Fatalf("leases: %+v %v", leases, err)
	}
	for _, l := range leases.Leases {
		if _, err := cliA.Revoke(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	<-la.Lost()
	lb, err := b.Lock(ctx, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Unlock(ctx)
	if err := a.PutSecret(ctx, "k", []byte("by deposed a")); !errors.Is(err, etcdstore.ErrNotLeader) {
		t.Fatalf("deposed writer: %v, want ErrNotLeader", err)
	}
	cur, _ := a.LoadState(ctx)
	_, changes, err := trustregistry.Apply(cur, demoseed.ChangeSet("did:web:registrar.example.sg", time.Now()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, trustregistry.Commit{BaseVersion: 0, RecordedAt: time.Now(), Changes: changes}); !errors.Is(err, etcdstore.ErrNotLeader) {
		t.Fatalf("deposed Apply: %v, want ErrNotLeader", err)
	}
	if _, err := b.Apply(ctx, trustregistry.Commit{BaseVersion: 0, RecordedAt: time.Now(), Changes: changes}); err != nil {
		t.Fatalf("new holder Apply: %v", err)
	}
	if got, err := b.GetSecret(ctx, "k"); err != nil || string(got) != "by a" {
		t.Fatalf("secret %q %v", got, err)
	}
}

// TestBootstrapAccountsOnEtcd: the first regulator accounts of an etcd registry are created
// offline (as `idport admin bootstrap --store etcd` does), then authenticate against the service.
func TestBootstrapAccountsOnEtcd(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, newClient(t))
	tok, err := trustregistry.Bootstrap(ctx, st, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trustregistry.Bootstrap(ctx, st, "alice", []trustregistry.Role{trustregistry.RoleProposer}); err == nil {
		t.Fatal("a second account with the same name must be refused")
	}
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, KeySecret: []byte("0123456789abcdef0123456789abcdef"),
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	acct, err := svc.Authenticate(ctx, tok)
	if err != nil || acct.Name != "alice" {
		t.Fatalf("bootstrap token: %+v %v", acct, err)
	}
	if _, err := svc.Authenticate(ctx, tok+"x"); err == nil {
		t.Fatal("a wrong token must not authenticate")
	}
}
