package trustregistry_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/memstore"
	"github.com/idport/idport/trustregistry/storeconfig"
)

// getBackup fetches GET /admin/v1/backup with token and returns the answer and its body.
func getBackup(t *testing.T, base, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/admin/v1/backup", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// restore writes a backup as registry.db of a fresh data directory, checks it offline and
// starts a registry on it.
func restore(t *testing.T, body []byte) (*trustregistry.Service, string, trustregistry.AuditReport) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, storeconfig.DBFile)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := boltkv.CheckFile(path); err != nil {
		t.Fatal(err)
	}
	rep, err := checkAudit(context.Background(), dir)
	if err != nil || !rep.OK {
		t.Fatalf("restored audit chain: %+v %v", rep, err)
	}
	svc, err := newService(trustregistry.Config{DataDir: dir, KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc, dir, rep
}

func TestOnlineBackupRestores(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := adminclient.SuspendAuthority(ctx, e.alice, e.bob, demoseed.AuthorityID, "review"); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, n := range []string{"backup-auditor", "backup-admin", "backup-proposer"} {
		role := map[string]trustregistry.Role{"backup-auditor": trustregistry.RoleAuditor, "backup-admin": trustregistry.RoleAdmin, "backup-proposer": trustregistry.RoleProposer}[n]
		_, tok, err := e.svc.CreateAccount(ctx, n, []trustregistry.Role{role})
		if err != nil {
			t.Fatal(err)
		}
		tokens[n] = tok
	}

	// Refusals are problem+json: no token 401, a role without backup rights 403.
	for _, tc := range []struct {
		token  string
		status int
		code   string
	}{{"", 401, "unauthorized"}, {"wrong-token-of-some-length", 401, "unauthorized"}, {tokens["backup-proposer"], 403, "forbidden"}} {
		resp, body := getBackup(t, e.srv.URL, tc.token)
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(string(body), `"code":"`+tc.code+`"`) {
			t.Errorf("token %q: %d %s %s", tc.token, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}

	for _, who := range []string{"backup-auditor", "backup-admin"} {
		resp, body := getBackup(t, e.srv.URL, tokens[who])
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="registry-`) {
			t.Fatalf("%s: %d %v", who, resp.StatusCode, resp.Header)
		}
		want, err := boltkv.ParseReprDigest(resp.Header.Get(boltkv.HeaderReprDigest))
		if err != nil || sha256.Sum256(body) != want || resp.ContentLength != int64(len(body)) {
			t.Fatalf("%s: digest/length do not match the body: %v", who, err)
		}
		restored, _, rep := restore(t, body)
		if restored.Index().Version() != e.svc.Index().Version() || uint64(rep.Records) != e.svc.Index().Version() || len(appliedRecords(auditLog(t, restored))) != 2 {
			t.Fatalf("restored version %d (audit %d), live %d", restored.Index().Version(), rep.Records, e.svc.Index().Version())
		}
		// Same key, same answers, over its own HTTP API.
		jwk, _ := e.svc.PublicKeyJWK()
		jwk2, _ := restored.PublicKeyJWK()
		if string(jwk) != string(jwk2) {
			t.Fatal("restored registry has another signing key")
		}
		srv := httptest.NewServer(handler(restored))
		var info struct{ Version uint64 }
		r, err := http.Get(srv.URL + "/v1/registry")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(r.Body).Decode(&info)
		r.Body.Close()
		srv.Close()
		if info.Version != e.svc.Index().Version() {
			t.Fatalf("restored registry answers version %d, want %d", info.Version, e.svc.Index().Version())
		}
		d, _ := restored.Decide(ctx, trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme})
		if d.Code != trustregistry.CodeAuthoritySuspended {
			t.Fatalf("restored decision: %+v", d)
		}
	}
}

// TestBackupWhileApplying: change sets keep applying while backups are taken; every backup is
// a registry at one version whose audit chain verifies, and versions never go backwards.
func TestBackupWhileApplying(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, tok, err := e.svc.CreateAccount(ctx, "ops", []trustregistry.Role{trustregistry.RoleAuditor})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f := adminclient.SuspendAuthority
			if i%2 == 1 {
				f = reinstate
			}
			if _, err := f(ctx, e.alice, e.bob, demoseed.AuthorityID, "flip"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var prev uint64
	for range 4 {
		resp, body := getBackup(t, e.srv.URL, tok)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		restored, _, rep := restore(t, body)
		v := restored.Index().Version()
		if uint64(rep.Records) != v || v < prev {
			t.Fatalf("restored version %d, audit records %d, previous backup %d", v, rep.Records, prev)
		}
		prev = v
	}
	close(stop)
	wg.Wait()
	t.Logf("last backup at version %d, live at %d", prev, e.svc.Index().Version())
}

func reinstate(ctx context.Context, p, a *adminclient.Client, id, reason string) (uint64, error) {
	pr, err := adminclient.ProposeAndApprove(ctx, p, a, trustregistry.ReinstateAuthority(id, reason, time.Now()), reason)
	if err != nil {
		return 0, err
	}
	return pr.AppliedVersion, nil
}

func TestBackupNeedsBolt(t *testing.T) {
	svc, err := newService(trustregistry.Config{Store: memstore.New(), KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	_, tok, _ := svc.CreateAccount(context.Background(), "a", []trustregistry.Role{trustregistry.RoleAdmin})
	srv := httptest.NewServer(handler(svc))
	defer srv.Close()
	resp, body := getBackup(t, srv.URL, tok)
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), string(trustregistry.CodeBackupUnsupported)) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
