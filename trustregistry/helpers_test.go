package trustregistry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/storeconfig"
)

// newService opens the bbolt store in cfg.DataDir (unless cfg.Store is set) and starts a
// registry service on it; on failure the store it opened is closed.
func newService(cfg trustregistry.Config) (*trustregistry.Service, error) {
	if cfg.Store == nil {
		st, err := storeconfig.Open(context.Background(), storeconfig.Config{DataDir: cfg.DataDir})
		if err != nil {
			return nil, err
		}
		cfg.Store = st.Store
		svc, err := trustregistry.NewService(cfg)
		if err != nil {
			st.Close()
		}
		return svc, err
	}
	return trustregistry.NewService(cfg)
}

// handler is the registry's HTTP API over svc.
func handler(svc *trustregistry.Service) http.Handler {
	return httpapi.New(svc, httpapi.Options{}, slog.New(slog.DiscardHandler))
}

// bootstrap creates an account offline in the bbolt registry of dataDir.
func bootstrap(ctx context.Context, dataDir, name string, roles []trustregistry.Role) (string, error) {
	st, err := storeconfig.Open(ctx, storeconfig.Config{DataDir: dataDir})
	if err != nil {
		return "", err
	}
	defer st.Close()
	return trustregistry.Bootstrap(ctx, st.Store, name, roles)
}

// bootstrapSigned creates an account offline in the bbolt registry of dataDir, signing its
// audit record with the registry key sealed by secret.
func bootstrapSigned(ctx context.Context, dataDir, name string, roles []trustregistry.Role) (string, error) {
	st, err := storeconfig.Open(ctx, storeconfig.Config{DataDir: dataDir})
	if err != nil {
		return "", err
	}
	defer st.Close()
	return trustregistry.BootstrapSigned(ctx, st.Store, name, roles, secret)
}

// forgeAccount writes an admin account and its bootstrap-like audit record into the bbolt
// registry of dataDir, without the registry key: what someone holding only the file can do.
func forgeAccount(ctx context.Context, dataDir, name string) error {
	st, err := storeconfig.Open(ctx, storeconfig.Config{DataDir: dataDir})
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.Store.Version(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	a := trustregistry.Account{Name: name, Roles: []trustregistry.Role{trustregistry.RoleAdmin}, CreatedAt: now, CreatedBy: "bootstrap"}
	after, _ := json.Marshal(a.View())
	_, err = st.Store.Apply(ctx, trustregistry.Commit{BaseVersion: v, RecordedAt: now,
		Accounts: []trustregistry.AccountWrite{{Account: a, Create: true}},
		Audit: trustregistry.AuditRecord{Proposer: "bootstrap", ProposedAt: now, AppliedAt: now, Reason: "offline bootstrap of account " + name,
			Governance: []trustregistry.GovernanceChange{{Op: trustregistry.OpBootstrapAccount, Subject: name, After: after}}}})
	return err
}

// checkAudit checks the audit chain of the bbolt registry of dataDir offline.
func checkAudit(ctx context.Context, dataDir string) (trustregistry.AuditReport, error) {
	st, err := storeconfig.Open(ctx, storeconfig.Config{DataDir: dataDir})
	if err != nil {
		return trustregistry.AuditReport{}, err
	}
	defer st.Close()
	return trustregistry.CheckAudit(ctx, st.Store)
}

// postJSON posts in as JSON to url and decodes the 200 answer into out.
func postJSON(ctx context.Context, url string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// appliedRecords returns the records of recs that apply a change (registry objects, accounts,
// key or policy), leaving out those that only record a proposal's lifecycle.
func appliedRecords(recs []trustregistry.AuditRecord) []trustregistry.AuditRecord {
	var out []trustregistry.AuditRecord
	for _, r := range recs {
		if !r.Lifecycle() {
			out = append(out, r)
		}
	}
	return out
}

// appliedCount returns how many records of svc's audit log apply a change.
func appliedCount(t *testing.T, svc *trustregistry.Service) int {
	t.Helper()
	recs, err := svc.Store().Audit(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(appliedRecords(recs))
}
