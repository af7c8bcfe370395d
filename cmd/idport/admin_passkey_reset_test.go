package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/httpapi"
)

// `idport admin account reset-passkeys` proposes removing the passkeys of another account;
// `proposals show` tells the approver how many it removes; never for one's own account.
func TestAdminAccountResetPasskeys(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, KeySecret: []byte("admin-passkey-reset-secret-0123456789abcdef"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}, log))
	defer srv.Close()
	ctx := context.Background()
	as := map[string]map[string]string{}
	for name, roles := range map[string][]trustregistry.Role{"alice": {trustregistry.RoleProposer}, "root": {trustregistry.RoleAdmin}, "rex": {trustregistry.RoleAdmin}} {
		_, tok, err := svc.CreateAccount(ctx, name, roles)
		if err != nil {
			t.Fatal(err)
		}
		as[name] = map[string]string{"IDPORT_REGISTRY": srv.URL, "IDPORT_TOKEN": tok}
	}
	for _, n := range []string{"alice", "root"} {
		if err := svc.AddPasskey(ctx, n, trustregistry.Passkey{ID: []byte("credential-" + n), PublicKey: []byte("cose-key-" + n)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := adminCmd(t, as["root"], "account", "reset-passkeys", "--name", "alice"); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("without --reason: %v", err)
	}
	if _, err := adminCmd(t, as["root"], "account", "reset-passkeys", "--name", "root", "--reason", "lost"); err == nil || !strings.Contains(err.Error(), "separation_of_duties") {
		t.Fatalf("one's own passkeys: %v", err)
	}
	if _, err := adminCmd(t, as["alice"], "account", "reset-passkeys", "--name", "root", "--reason", "lost"); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("a non-admin: %v", err)
	}
	out, err := adminCmd(t, as["root"], "account", "reset-passkeys", "--name", "alice", "--reason", "security key lost", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var p trustregistry.Proposal
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.ID == "" {
		t.Fatalf("proposal: %q %v", out, err)
	}
	if out, err := adminCmd(t, as["rex"], "proposals", "show", p.ID); err != nil || !strings.Contains(out, "passkeys of alice removed: 1") {
		t.Fatalf("proposals show: %q %v", out, err)
	}
	if _, err := adminCmd(t, as["rex"], "approve", p.ID); err != nil {
		t.Fatal(err)
	}
	if pks, err := svc.Passkeys(ctx, "alice"); err != nil || len(pks) != 0 {
		t.Fatalf("alice's passkeys: %d %v", len(pks), err)
	}
}
