package issuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/pkg/did"
)

// tenantEnv is a running issuer with the tenants alpha, beta and gamma (disabled), and an
// API key with every scope and the admin scope for the default issuer and each active tenant.
type tenantEnv struct {
	*env
	keys map[string]string // tenant ("" default) -> token
	eng  map[string]*issuer.Issuer
}

func startTenants(t *testing.T) *tenantEnv {
	t.Helper()
	e := start(t, func(c *config) {
		st, err := boltstore.Open(filepath.Join(c.DataDir, boltstore.DBFile), boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		for _, name := range []string{"alpha", "beta", "gamma"} {
			if _, err := issuer.CreateTenant(ctx, st, issuer.TenantRecord{Name: name}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := issuer.DisableTenant(ctx, st, "gamma", time.Now()); err != nil {
			t.Fatal(err)
		}
	})
	te := &tenantEnv{env: e, keys: map[string]string{}, eng: map[string]*issuer.Issuer{"": e.svc.Issuer()}}
	for _, is := range e.svc.Tenants() {
		te.eng[is.Tenant()] = is
	}
	for _, name := range []string{"", "alpha", "beta"} {
		tok, err := te.eng[name].CreateAPIKey(context.Background(), "k-"+name, []string{"*", issuer.ScopeAdmin})
		if err != nil {
			t.Fatal(err)
		}
		te.keys[name] = tok
	}
	return te
}

// prefix is the path prefix of a tenant's routes.
func prefix(tenant string) string {
	if tenant == "" {
		return ""
	}
	return "/tenants/" + tenant
}

func problemCode(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Code
}

func (te *tenantEnv) issueAs(t *testing.T, tenant, key string) (int, string, json.RawMessage, string) {
	t.Helper()
	code, out, h := te.post(t, prefix(tenant)+"/credentials/issue", key, map[string]any{"type": "BusinessRegistration", "credentialSubject": business})
	var r issueResp
	_ = json.Unmarshal(out, &r)
	return code, problemCode(t, out), r.VC, h.Get("Idport-Credential-Id")
}

// TestTenantsOwnIdentityAndLists: a tenant's credential names the tenant's did:web, verifies
// with the key its DID document publishes at /tenants/<name>/did.json, and points at the
// tenant's own status lists.
func TestTenantsOwnIdentityAndLists(t *testing.T) {
	te := startTenants(t)
	code, _, vcRaw, id := te.issueAs(t, "alpha", te.keys["alpha"])
	if code != http.StatusCreated || id == "" {
		t.Fatalf("alpha issue: %d", code)
	}
	vc, err := te.verifyJOSE(t, vcRaw).Credential() // resolves did:web:<host>:tenants:alpha over HTTP
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(te.srv.URL, "http://")
	wantDID := did.WebDID(host, "tenants", "alpha")
	if vc.Issuer.ID != wantDID || te.eng["alpha"].DID() != wantDID {
		t.Fatalf("issuer %s, want %s", vc.Issuer.ID, wantDID)
	}
	st, _ := json.Marshal(vc.Status)
	if !strings.Contains(string(st), te.srv.URL+"/tenants/alpha/status/bitstring/revocation-") {
		t.Fatalf("status entries not under the tenant: %s", st)
	}
	seen := map[string]string{}
	for _, name := range []string{"", "alpha", "beta", "gamma"} {
		c, doc, _ := te.get(t, prefix(name)+"/.well-known/jwks.json")
		if c != http.StatusOK {
			t.Fatalf("%q JWKS: %d", name, c)
		}
		if other, dup := seen[string(doc)]; dup {
			t.Fatalf("tenants %q and %q publish the same keys", name, other)
		}
		seen[string(doc)] = name
	}
	if c, body, _ := te.get(t, "/tenants/alpha/status/bitstring/revocation-1"); c != http.StatusOK || len(body) == 0 {
		t.Fatalf("alpha's list: %d", c)
	}
	if c, body, _ := te.get(t, "/tenants/beta/status/bitstring/revocation-1"); c != http.StatusNotFound || problemCode(t, body) != "status_list_not_found" {
		t.Fatalf("beta has issued nothing, yet its list 1 answers %d %s", c, body)
	}
	if c, _, _ := te.get(t, "/.well-known/jwt-vc-issuer/tenants/alpha"); c != http.StatusOK {
		t.Fatalf("alpha's issuer metadata: %d", c)
	}
	if c, body, _ := te.get(t, "/tenants/nobody/did.json"); c != http.StatusNotFound || problemCode(t, body) != "tenant_not_found" {
		t.Fatalf("unknown tenant: %d %s", c, body)
	}
}

// TestTenantsCannotTouchEachOther tries every key on every other tenant's client routes:
// nothing of one tenant can be issued, revoked or read with another's key, whatever its scopes.
func TestTenantsCannotTouchEachOther(t *testing.T) {
	te := startTenants(t)
	ctx := context.Background()
	ids := map[string]string{}
	for _, name := range []string{"", "alpha", "beta"} {
		code, _, _, id := te.issueAs(t, name, te.keys[name])
		if code != http.StatusCreated {
			t.Fatalf("%q issues with its own key: %d", name, code)
		}
		ids[name] = id
	}
	for _, route := range []string{"", "alpha", "beta"} {
		for _, owner := range []string{"", "alpha", "beta"} {
			if owner == route {
				continue
			}
			key := te.keys[owner]
			if code, pc, _, _ := te.issueAs(t, route, key); code != http.StatusUnauthorized || pc != "unauthorized" {
				t.Errorf("key of %q issues at %q: %d %s", owner, route, code, pc)
			}
			for _, action := range []string{"revoke", "suspend"} {
				code, out, _ := te.post(t, prefix(route)+"/credentials/status", key, map[string]any{"credentialId": ids[route], "action": action})
				if code != http.StatusUnauthorized {
					t.Errorf("key of %q %ss a credential of %q: %d %s", owner, action, route, code, out)
				}
			}
			// With its own key on its own route, a tenant cannot reach another's credential id.
			code, out, _ := te.post(t, prefix(owner)+"/credentials/status", key, map[string]any{"credentialId": ids[route], "action": "revoke"})
			if code != http.StatusNotFound || problemCode(t, out) != "credential_not_found" {
				t.Errorf("%q revokes %q's credential through its own route: %d %s", owner, route, code, out)
			}
			if _, err := te.eng[owner].Status(ctx, ids[route]); !errors.Is(err, issuer.ErrCredentialNotFound) {
				t.Errorf("%q reads the status of %q's credential: %v", owner, route, err)
			}
		}
		if code, pc, _, _ := te.issueAs(t, route, ""); code != http.StatusUnauthorized {
			t.Errorf("no key at %q: %d %s", route, code, pc)
		}
	}
	// Only the default issuer's admin key takes backups (they hold every tenant's data).
	for _, owner := range []string{"alpha", "beta"} {
		req, _ := http.NewRequest(http.MethodGet, te.srv.URL+"/admin/backup", nil)
		req.Header.Set("Authorization", "Bearer "+te.keys[owner])
		resp, err := te.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%q admin key takes a backup: %d", owner, resp.StatusCode)
		}
		if _, err := te.eng[owner].Backup(ctx); !errors.Is(err, issuer.ErrBackupUnsupported) {
			t.Errorf("%q engine backs up the deployment: %v", owner, err)
		}
	}
	// In process too: a client authenticated by one tenant is refused by another's engine.
	cl, err := te.eng["alpha"].Authenticate(te.keys["alpha"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := te.eng["beta"].Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: business, Client: cl}); !errors.Is(err, issuer.ErrScope) {
		t.Errorf("beta issues for alpha's client: %v", err)
	}
	if _, err := te.eng["beta"].ChangeStatus(ctx, cl, ids["beta"], issuer.ActionRevoke); !errors.Is(err, issuer.ErrScope) {
		t.Errorf("beta changes a status for alpha's client: %v", err)
	}
	// The owners still manage their credentials; the lists of the others do not move.
	before, err := te.eng["beta"].BitstringList(ctx, "revocation-1")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := te.post(t, "/tenants/alpha/credentials/status", te.keys["alpha"], map[string]any{"credentialId": ids["alpha"], "action": "revoke"})
	if code != http.StatusOK {
		t.Fatalf("alpha revokes its own: %d %s", code, out)
	}
	after, err := te.eng["beta"].BitstringList(ctx, "revocation-1")
	if err != nil || after.Version != before.Version {
		t.Fatalf("alpha's revocation moved beta's list: %v -> %v (%v)", before.Version, after.Version, err)
	}
	for _, name := range []string{"", "beta"} {
		if r, err := te.eng[name].Status(ctx, ids[name]); err != nil || r.State != "valid" {
			t.Fatalf("%q's credential after alpha's revocation: %+v %v", name, r, err)
		}
	}
	if _, _, m := te.get(t, "/metrics"); m == nil {
		t.Fatal("no metrics")
	}
	_, metrics, _ := te.get(t, "/metrics")
	if !strings.Contains(string(metrics), `idport_issuer_tenant_credentials_issued_total{format="vc+jwt",tenant="alpha",type="BusinessRegistration"} 1`) {
		t.Errorf("no per-tenant issuance metric")
	}
}

// TestDisabledTenant: a disabled tenant issues nothing, changes no status, and keeps
// publishing its DID document.
func TestDisabledTenant(t *testing.T) {
	te := startTenants(t)
	ctx := context.Background()
	g := te.eng["gamma"]
	if !g.Disabled() {
		t.Fatal("gamma is not disabled")
	}
	if _, err := g.CreateAPIKey(ctx, "late", []string{"*"}); err != nil {
		t.Fatal(err)
	}
	tok, err := g.CreateAPIKey(ctx, "late", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	if code, pc, _, _ := te.issueAs(t, "gamma", tok); code != http.StatusForbidden || pc != "tenant_disabled" {
		t.Fatalf("disabled tenant issues: %d %s", code, pc)
	}
	if c, _, _ := te.get(t, "/tenants/gamma/did.json"); c != http.StatusOK {
		t.Fatalf("disabled tenant's DID document: %d", c)
	}
}

// TestTenantAdmin: names are checked, a name is taken once, tenants need a TenantStore.
func TestTenantAdmin(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.DBFile), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for _, bad := range []string{"", "A", "-x", "x-", "a/b", "a.b", strings.Repeat("a", 64)} {
		if _, err := issuer.CreateTenant(ctx, st, issuer.TenantRecord{Name: bad}, time.Now()); !errors.Is(err, issuer.ErrInvalidRequest) {
			t.Errorf("tenant name %q: %v", bad, err)
		}
	}
	if _, err := issuer.CreateTenant(ctx, st, issuer.TenantRecord{Name: "ok-1", Types: []string{"BusinessRegistration"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := issuer.CreateTenant(ctx, st, issuer.TenantRecord{Name: "ok-1"}, time.Now()); !errors.Is(err, issuer.ErrTenantExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := issuer.DisableTenant(ctx, st, "nope", time.Now()); !errors.Is(err, issuer.ErrTenantNotFound) {
		t.Fatalf("disable unknown: %v", err)
	}
	is, err := issuer.New(ctx, issuer.Config{Store: st, BaseURL: "https://issuer.example", Secret: secret, Tenant: "ok-1"})
	if err != nil {
		t.Fatal(err)
	}
	if ts := is.Types(); len(ts) != 1 || ts[0].Name != "BusinessRegistration" {
		t.Fatalf("tenant types %+v", ts)
	}
	if is.DID() != "did:web:issuer.example:tenants:ok-1" {
		t.Fatalf("tenant DID %s", is.DID())
	}
	if _, err := issuer.New(ctx, issuer.Config{Store: st, BaseURL: "https://issuer.example", Secret: secret, Tenant: "nope"}); !errors.Is(err, issuer.ErrTenantNotFound) {
		t.Fatalf("unknown tenant: %v", err)
	}
}
