package trustsource_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

const authorityDID = "did:web:registrar.sg.example"

// registry starts a real registry on loopback, seeded with the demo story through maker-checker,
// and returns its URL, its pinned key and the two regulators.
func registry(t *testing.T, ctx context.Context) (string, []byte, *adminclient.Client, *adminclient.Client) {
	t.Helper()
	st := memstore.New()
	tokA, err := trustregistry.Bootstrap(ctx, st, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	if err != nil {
		t.Fatal(err)
	}
	tokB, err := trustregistry.Bootstrap(ctx, st, "bob", []trustregistry.Role{trustregistry.RoleApprover})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	go svc.Run(ctx)
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	alice, bob := adminclient.New(srv.URL, tokA), adminclient.New(srv.URL, tokB)
	if _, err := demoseed.Seed(ctx, alice, bob, authorityDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	key, err := svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, key, alice, bob
}

func query() verifier.TrustQuery {
	now := time.Now()
	return verifier.TrustQuery{Issuer: authorityDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme,
		IssuedAt: now.Add(-time.Minute), At: now}
}

func waitFor(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestSyncedSourceAnswersWithGroundsAndFollowsSuspension(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, key, alice, bob := registry(t, ctx)

	src, run, err := trustsource.Sync(trustsource.SyncConfig{URL: url, PinnedKey: key, CacheFile: filepath.Join(t.TempDir(), "cache")})
	if err != nil {
		t.Fatal(err)
	}
	if src.Status().Ready {
		t.Fatal("a source with no snapshot yet must not be ready")
	}
	go run(ctx)
	if err := src.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	d, err := src.Decide(ctx, query())
	if err != nil || !d.Recognised {
		t.Fatalf("decision %+v err %v", d, err)
	}
	if d.Authority != demoseed.AuthorityID || d.Jurisdiction != "SG" || d.Agreement != demoseed.AgreementID ||
		d.LocalAssurance != "L3" || d.ClaimMapping["uen"] != "registrationNumber" || d.RegistryVersion == 0 {
		t.Fatalf("grounds %+v", d)
	}

	unknown := query()
	unknown.Issuer, unknown.KeyThumbprint = "did:web:stranger.example", "no-such-thumbprint"
	if d, _ := src.Decide(ctx, unknown); d.Recognised || d.Code != "issuer_not_recognised" {
		t.Fatalf("unknown issuer: %+v", d)
	}

	if _, err := adminclient.SuspendAuthority(ctx, alice, bob, demoseed.AuthorityID, "key compromise"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the suspension", func() bool {
		d, _ := src.Decide(ctx, query())
		return d.Code == "authority_suspended"
	})
}

func TestSnapshotFileSourceWorksOfflineAndRefusesAnotherKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, key, _, _ := registry(t, ctx)
	resp, err := http.Get(url + "/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	file := filepath.Join(t.TempDir(), "lingang.snapshot.jws")
	if err := os.WriteFile(file, snap, 0o600); err != nil {
		t.Fatal(err)
	}

	src, err := trustsource.FromSnapshotFile(file, key)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := src.Decide(ctx, query()); !d.Recognised {
		t.Fatalf("offline decision %+v", d)
	}

	other, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	otherJWK, err := keys.PublicJWK(other.Public, "other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trustsource.FromSnapshotFile(file, otherJWK); err == nil {
		t.Fatal("a snapshot signed by another key than the pinned one must be refused")
	}
}

func TestEmptyRegistryIsNeverReady(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := trustregistry.NewService(trustregistry.Config{Store: memstore.New(), Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	go svc.Run(ctx)
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	key, err := svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := trustsource.Sync(trustsource.SyncConfig{URL: srv.URL, PinnedKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Replica().Sync(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if !src.Replica().Status().Ready {
		t.Fatalf("the replica itself holds a valid snapshot: %+v", src.Replica().Status())
	}
	if st := src.Status(); st.Ready || st.Reason == "" {
		t.Fatalf("a source with zero trust anchors reported %+v", st)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if err := src.WaitReady(short); err == nil {
		t.Fatal("WaitReady returned for a source with zero trust anchors")
	}
}

func TestOneCallVerifiersAnswerFromTheRegistry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, key, _, _ := registry(t, ctx)
	online, err := trustsource.NewVerifier(ctx, trustsource.SyncConfig{URL: url, PinnedKey: key}, verifier.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if st := online.TrustStatus(); !st.Ready || st.Version == 0 {
		t.Fatalf("online verifier returned before it held the registry: %+v", st)
	}

	resp, err := http.Get(url + "/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	file := filepath.Join(t.TempDir(), "snapshot.jws")
	if err := os.WriteFile(file, snap, 0o600); err != nil {
		t.Fatal(err)
	}
	offline, err := trustsource.NewOfflineVerifier(file, key, verifier.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if st := offline.TrustStatus(); !st.Ready || st.Version != online.TrustStatus().Version {
		t.Fatalf("offline verifier: %+v, online %+v", st, online.TrustStatus())
	}
	if _, err := trustsource.NewOfflineVerifier(file+".missing", key, verifier.Config{}); err == nil {
		t.Fatal("a missing snapshot file must fail")
	}
}
